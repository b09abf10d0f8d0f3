#!/usr/bin/env bash
# Scaling gate (issue 20): runs the release binary on generated corpora of
# growing size and fails when time or memory grows faster than the input, or
# when a goal of docs/performance.md is missed.
#
# Usage: scripts/scaling.sh [--quick]
#
#   full (default): 1,000, 3,000 and 10,000 units per format (ARM, Bicep,
#     Terraform; scripts/gen-corpus.py --seed 7) and live exports of 10,000
#     and 100,000 resources (scripts/gen-live-export.py). Fails when, from the
#     smallest to the largest size, CPU time grows more than 1.1x the input and
#     memory more than 1.0x (1k -> 10k: 11x and 10x), or when a goal is missed:
#     10,000 units under 3 s (ARM, Bicep) and 6 s (Terraform), under 300 MiB
#     (ARM, Bicep) and 600 MiB (Terraform); 100,000 live resources under 4 s
#     and 500 MiB; one file under 20 ms and 20 MiB.
#   --quick (CI): 1,000 and 3,000 units, live exports of 10,000 and 30,000
#     resources; only growth is checked, with a generous factor (1.6x the input
#     growth; the quadratic Bicep step of issue 20 grew 2.1x the input from
#     1k to 3k units), never an absolute time.
#
# Each measurement is the median wall time, the median CPU time (user +
# system) and the median peak RSS of RUNS runs of
# `aml-baseline scan DIR --no-config --format json -o FILE`, measured by
# scripts/measure-run.py (wall time in milliseconds from a clock around GNU
# time's run, peak memory from GNU time, CPU time from wait4(2) in
# microseconds: GNU time's hundredths were 5% of a 0.2 s scan). Growth is checked on CPU time, which other processes on a
# shared machine disturb far less than wall time; goals are wall times. A
# format's sizes take turns run by run (1k, 3k, 10k, then again), so that
# the machine's drift from minute to minute falls on every size alike.
#
# Environment: BIN (default target/release/aml-baseline, built when absent),
# RUNS (default 3), WORK (default target/scaling: corpora and raw timings),
# FORMATS (default "arm bicep terraform live").
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/time ]; then
  echo "error: GNU time is needed at /usr/bin/time (apt-get install time)" >&2
  exit 2
fi

QUICK=""
case "${1:-}" in
  --quick) QUICK=1 ;;
  "") ;;
  *) echo "usage: scripts/scaling.sh [--quick]" >&2; exit 2 ;;
esac

RUNS=${RUNS:-3}
WORK=${WORK:-target/scaling}
FORMATS=${FORMATS:-"arm bicep terraform live"}
if [ -n "$QUICK" ]; then
  SIZES=(1000 3000)
  LIVE_SIZES=(10000 30000)
  TIME_SLACK=1.6 # allowed CPU time growth = input growth x TIME_SLACK
  MEM_SLACK=1.6
else
  SIZES=(1000 3000 10000)
  LIVE_SIZES=(10000 100000)
  TIME_SLACK=1.1
  MEM_SLACK=1.0
fi

BIN=${BIN:-target/release/aml-baseline}
if [ ! -x "$BIN" ]; then
  echo "== building aml-baseline (release)" >&2
  # Built as a release is (scripts/release-build.sh): without incremental
  # compilation, which the release profile keeps for our crates while
  # developing and which costs 1-2% of the instructions.
  CARGO_INCREMENTAL=0 cargo build --release --quiet
fi
mkdir -p "$WORK"

# measure_once OUT CMD...: one run of CMD; its "wall_s cpu_s maxrss_kb" line
# appended to OUT. The exit code is ignored (a scan with failures exits 1)
# unless the run crashed (exit code above 2).
measure_once() {
  local out=$1
  shift
  local code=0
  python3 scripts/measure-run.py "$out" "$@" || code=$?
  if [ "$code" -gt 2 ]; then
    echo "error: '$*' exited with $code:" >&2
    tail -n 5 "$out.err" >&2
    exit 1
  fi
  rm -f "$out.err"
}

# measure OUT CMD...: RUNS runs of CMD, one line each in OUT.
measure() {
  local out=$1
  shift
  : >"$out"
  for _ in $(seq "$RUNS"); do
    measure_once "$out" "$@"
  done
}

# median FILE COLUMN
median() {
  sort -g -k"$2","$2" "$1" | awk -v c="$2" '{v[NR]=$c} END {
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

corpus() { # corpus COUNT: generated once per size and seed
  local dir=$WORK/corpus-$1
  if [ ! -f "$dir/.complete" ]; then
    echo "== generating $1 units per format" >&2
    python3 scripts/gen-corpus.py "$dir" --count "$1" --seed 7 >/dev/null
    touch "$dir/.complete"
  fi
  echo "$dir"
}

live_export() { # live_export COUNT
  local file=$WORK/live-$1.json
  if [ ! -f "$file" ]; then
    echo "== generating a live export of $1 resources" >&2
    python3 scripts/gen-live-export.py "$file" --count "$1" >/dev/null
  fi
  echo "$file"
}

failures=()
fail() { failures+=("$1"); }
over() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# check FORMAT GOAL_S GOAL_MIB SIZE...: measures each size, prints the rows
# and growth factors, records what fails.
check() {
  local fmt=$1 goal_s=$2 goal_mib=$3
  shift 3
  local sizes=("$@") first_c="" first_m="" t c m prev_c="" prev_m="" prev_n=""
  local inputs=() n i
  for n in "${sizes[@]}"; do
    if [ "$fmt" = live ]; then inputs+=("$(live_export "$n")"); else inputs+=("$(corpus "$n")/$fmt"); fi
    : >"$WORK/raw-$fmt-$n"
  done
  # The sizes take turns, run by run: this machine's speed drifts from
  # minute to minute, and a growth factor compares sizes, so each size's
  # runs are spread over the same minutes.
  for _ in $(seq "$RUNS"); do
    for i in "${!sizes[@]}"; do
      n=${sizes[$i]}
      measure_once "$WORK/raw-$fmt-$n" "$BIN" scan "${inputs[$i]}" --no-config --format json -o "$WORK/report-$fmt-$n.json"
    done
  done
  for n in "${sizes[@]}"; do
    local raw=$WORK/raw-$fmt-$n
    t=$(median "$raw" 1)
    c=$(median "$raw" 2)
    m=$(awk -v k="$(median "$raw" 3)" 'BEGIN {printf "%.1f", k / 1024}')
    local growth=""
    if [ -n "$prev_n" ]; then
      growth=$(awk -v n="$n" -v pn="$prev_n" -v c="$c" -v pc="$prev_c" -v m="$m" -v pm="$prev_m" \
        'BEGIN {printf "input x%.1f: CPU x%.2f, memory x%.2f", n / pn, c / (pc > 0 ? pc : 0.01), m / pm}')
    fi
    printf "| %s | %s | %s | %s | %s | %s |\n" "$fmt" "$n" "$t" "$c" "$m" "$growth"
    [ -z "$first_c" ] && first_c=$c && first_m=$m
    prev_c=$c prev_m=$m prev_n=$n
  done
  local ratio tmax mmax tg mg
  ratio=$(awk -v a="${sizes[-1]}" -v b="${sizes[0]}" 'BEGIN {print a / b}')
  tmax=$(awk -v r="$ratio" -v s="$TIME_SLACK" 'BEGIN {print r * s}')
  mmax=$(awk -v r="$ratio" -v s="$MEM_SLACK" 'BEGIN {print r * s}')
  tg=$(awk -v a="$c" -v b="$first_c" 'BEGIN {printf "%.2f", a / (b > 0 ? b : 0.01)}')
  mg=$(awk -v a="$m" -v b="$first_m" 'BEGIN {printf "%.2f", a / b}')
  echo "| $fmt | ${sizes[0]} -> ${sizes[-1]} | | CPU x$tg (at most x$tmax) | memory x$mg (at most x$mmax) | |"
  over "$tg" "$tmax" && fail "$fmt: CPU time grows x$tg from ${sizes[0]} to ${sizes[-1]} (at most x$tmax)"
  over "$mg" "$mmax" && fail "$fmt: memory grows x$mg from ${sizes[0]} to ${sizes[-1]} (at most x$mmax)"
  if [ -z "$QUICK" ]; then
    over "$t" "$goal_s" && fail "$fmt: ${sizes[-1]} take $t s (goal: under $goal_s s)"
    over "$m" "$goal_mib" && fail "$fmt: ${sizes[-1]} take $m MiB (goal: under $goal_mib MiB)"
  fi
  return 0
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $($BIN --version)"
if [ -n "$QUICK" ]; then echo "mode: quick, median of $RUNS runs"; else echo "mode: full, median of $RUNS runs"; fi
echo
echo "| format | units | median wall s | median CPU s | median peak MiB | growth against the previous size |"
echo "|---|---|---|---|---|---|"
for fmt in $FORMATS; do
  case $fmt in
    arm | bicep) check "$fmt" 3 300 "${SIZES[@]}" ;;
    terraform) check "$fmt" 6 600 "${SIZES[@]}" ;;
    live) check live 4 500 "${LIVE_SIZES[@]}" ;;
    *) echo "error: unknown format '$fmt'" >&2; exit 2 ;;
  esac
done
if [ -z "$QUICK" ]; then
  one=$WORK/raw-one
  RUNS=$((RUNS < 10 ? 10 : RUNS)) measure "$one" "$BIN" scan examples/insecure-workspace/azuredeploy.json --no-config --format json -o "$WORK/report-one.json"
  t=$(median "$one" 1)
  m=$(awk -v k="$(median "$one" 3)" 'BEGIN {printf "%.1f", k / 1024}')
  echo "| one file | 1 | $t | $(median "$one" 2) | $m | |"
  over "$t" 0.020 && fail "one file takes $t s (goal: under 0.020 s)"
  over "$m" 20 && fail "one file takes $m MiB (goal: under 20 MiB)"
fi
echo
if [ ${#failures[@]} -gt 0 ]; then
  printf 'FAIL: %s\n' "${failures[@]}"
  exit 1
fi
if [ -n "$QUICK" ]; then echo "ok: growth linear"; else echo "ok: growth linear and every goal met"; fi
