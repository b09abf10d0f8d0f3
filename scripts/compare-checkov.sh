#!/usr/bin/env bash
# Whole-process comparison of aml-baseline with Checkov on the same generated
# corpus, for the formats both read (ARM, Bicep, Terraform). Prints a
# Markdown table of median wall time, median CPU time (user + system) and
# peak memory (max RSS) per tool, format and corpus size, and the ratio.
#
# Usage: scripts/compare-checkov.sh [COUNT ...]        (default: 1000)
#
# Environment:
#   RUNS=5           runs of aml-baseline per measurement (median reported)
#   CHECKOV_RUNS=1   runs of Checkov per measurement (it is slow)
#   CHECKOV_MAX=1000 largest corpus Checkov is run on (bounds the time)
#   CHECKOV_VERSION=3.3.30 the Checkov installed and measured (issue 20's)
#   FORMATS="arm bicep terraform"
#   WORK=target/compare   venv, corpora and raw timings
#   SKIP_CHECKOV=1   measure aml-baseline only (no venv, no pip)
#
# Needs: python3 (venv), GNU time at /usr/bin/time (Debian: apt-get install
# time), network access to PyPI for `pip install checkov` the first time.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
CHECKOV_RUNS=${CHECKOV_RUNS:-1}
CHECKOV_MAX=${CHECKOV_MAX:-1000}
CHECKOV_VERSION=${CHECKOV_VERSION:-3.3.30}
FORMATS=${FORMATS:-"arm bicep terraform"}
WORK=${WORK:-target/compare}
COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(1000)

if [ ! -x /usr/bin/time ]; then
  echo "error: GNU time is needed at /usr/bin/time (apt-get install time)" >&2
  exit 2
fi
mkdir -p "$WORK"

echo "== building aml-baseline (release)" >&2
# Built as a release is (scripts/release-build.sh): without incremental
# compilation, which the release profile keeps for our crates while
# developing and which costs 1-2% of the instructions.
CARGO_INCREMENTAL=0 cargo build --release --quiet
BIN=$PWD/target/release/aml-baseline

CHECKOV=""
if [ -z "${SKIP_CHECKOV:-}" ]; then
  # The version issue 20 measures against; another one is installed over it.
  if [ "$("$WORK/venv/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
    echo "== installing Checkov $CHECKOV_VERSION into $WORK/venv" >&2
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install --quiet --upgrade pip
    "$WORK/venv/bin/pip" install --quiet "checkov==$CHECKOV_VERSION"
  fi
  CHECKOV=$PWD/$WORK/venv/bin/checkov
fi

# measure RUNS OUT CMD...: runs CMD RUNS times, writes one "wall cpu maxrss_kb"
# line per run to OUT (scripts/measure-run.py: wall time in milliseconds, CPU
# time in microseconds, peak memory from GNU time); the command's own output
# and exit code are ignored (both tools exit 1 when they find failures).
measure() {
  local runs=$1 out=$2
  shift 2
  : >"$out"
  for _ in $(seq "$runs"); do
    python3 scripts/measure-run.py "$out" "$@" || true
  done
  rm -f "$out.err"
}

# median FILE COLUMN
median() {
  sort -n -k"$2","$2" "$1" | awk -v c="$2" '{v[NR]=$c} END {
    if (NR == 0) { print "-"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

row() { # row TOOL FORMAT FILES RAWFILE
  printf "| %s | %s | %s | %s | %s | %.1f |" "$2" "$3" "$1" "$(median "$4" 1)" "$(median "$4" 2)" \
    "$(awk '{print $3}' "$4" | sort -n | tail -n 1 | awk '{print $1 / 1024}')"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "aml-baseline: $($BIN --version)"
[ -n "$CHECKOV" ] && echo "checkov: $($CHECKOV --version)"
echo

# Start-up figures: the rule list, an empty folder, one small file.
empty=$(mktemp -d)
measure "$RUNS" "$WORK/startup-rules" "$BIN" rules
measure "$RUNS" "$WORK/startup-empty" "$BIN" scan "$empty" --no-config
measure "$RUNS" "$WORK/startup-one" "$BIN" scan examples/insecure-workspace/azuredeploy.json --no-config
echo "| start-up (aml-baseline) | median wall s | median CPU s | peak MiB |"
echo "|---|---|---|---|"
for m in rules empty one; do
  printf "| %s | %s | %s | %.1f |\n" "$m" "$(median "$WORK/startup-$m" 1)" "$(median "$WORK/startup-$m" 2)" \
    "$(awk '{print $3}' "$WORK/startup-$m" | sort -n | tail -n 1 | awk '{print $1 / 1024}')"
done
if [ -n "$CHECKOV" ]; then
  measure "$CHECKOV_RUNS" "$WORK/startup-checkov-one" "$CHECKOV" -f examples/insecure-workspace/azuredeploy.json \
    --framework arm --quiet --compact --skip-download -o json
  printf "| one file (Checkov) | %s | %s | |\n" "$(median "$WORK/startup-checkov-one" 1)" "$(median "$WORK/startup-checkov-one" 2)"
fi
rmdir "$empty"
echo

# warm_up FORMAT DIR: one Checkov run, not measured, on one file of DIR.
# Checkov's first run of a framework in a fresh venv builds its caches (its
# Bicep reader took 20.7 s cold against 9.5 s warm on 1,000 units).
warmed=" "
warm_up() {
  case $warmed in *" $1 "*) return ;; esac
  warmed="$warmed$1 "
  local one
  one=$(find "$2" -type f \( -name '*.json' -o -name '*.bicep' -o -name '*.tf' \) | sort | sed -n 1p)
  if [ -n "$one" ]; then
    "$CHECKOV" -f "$one" --framework "$1" --quiet --compact --skip-download -o json >/dev/null 2>&1 || true
  fi
}

echo "| format | files | tool | median wall s | median CPU s | peak MiB |"
echo "|---|---|---|---|---|---|"
ratios=()
for count in "${COUNTS[@]}"; do
  corpus=$WORK/corpus-$count
  if [ ! -f "$corpus/.complete" ]; then
    python3 scripts/gen-corpus.py "$corpus" --count "$count" --formats "$(echo "$FORMATS" | tr ' ' ',')" >&2
    touch "$corpus/.complete"
  fi
  for fmt in $FORMATS; do
    dir=$corpus/$fmt
    raw=$WORK/aml-$fmt-$count
    measure "$RUNS" "$raw" "$BIN" scan "$dir" --no-config --format json
    row aml-baseline "$fmt" "$count" "$raw"
    echo
    if [ -n "$CHECKOV" ] && [ "$count" -le "$CHECKOV_MAX" ]; then
      craw=$WORK/checkov-$fmt-$count
      warm_up "$fmt" "$dir"
      measure "$CHECKOV_RUNS" "$craw" "$CHECKOV" -d "$dir" --framework "$fmt" --quiet --compact --skip-download -o json
      row checkov "$fmt" "$count" "$craw"
      echo
      ratios+=("$fmt $count $(awk -v a="$(median "$raw" 1)" -v c="$(median "$craw" 1)" 'BEGIN {printf "%.0f", c / (a > 0 ? a : 0.001)}')")
    fi
  done
done
if [ ${#ratios[@]} -gt 0 ]; then
  echo
  echo "| format | files | Checkov wall / aml-baseline wall |"
  echo "|---|---|---|"
  for r in "${ratios[@]}"; do
    set -- $r
    echo "| $1 | $2 | ${3}x |"
  done
fi
