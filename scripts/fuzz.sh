#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time each, seeded from the
# repository's fixtures and the real-world corpus.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET ...]      (default: 60 s, all targets)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain
# (`rustup toolchain install nightly`); without nightly it falls back to
# RUSTC_BOOTSTRAP=1 on the stable compiler. A crash leaves its input under
# fuzz/artifacts/TARGET/; copy it to tests/fixtures/regressions/TARGET/ so
# that tests/it/fuzz_smoke.rs replays it, and fix the cause.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(arm_template arm_expression bicep terraform plan yaml live_export fix policy_definition config)

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  FUZZ=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  FUZZ=(cargo fuzz)
fi

# seed DIR EXT SOURCE...: copies files with extension EXT into the corpus DIR.
seed() {
  local dir=$1 ext=$2
  shift 2
  mkdir -p "$dir"
  for src in "$@"; do
    [ -e "$src" ] || continue
    find "$src" -type f -name "*.$ext" -size -256k -print0 |
      while IFS= read -r -d '' f; do cp "$f" "$dir/$(echo "$f" | md5sum | cut -c1-16).$ext"; done
  done
}
RW=../shared/corpus/realworld
seed fuzz/corpus/arm_template json examples "$RW" tests/fixtures/regressions/arm_template
seed fuzz/corpus/bicep bicep tests/fixtures/bicep "$RW" tests/fixtures/regressions/bicep
seed fuzz/corpus/terraform tf tests/fixtures/terraform "$RW" tests/fixtures/regressions/terraform
seed fuzz/corpus/plan json tests/fixtures/terraform/plan-101 tests/fixtures/regressions/plan
seed fuzz/corpus/yaml yml tests/fixtures/yaml "$RW/Azure__azureml-examples/cli" tests/fixtures/regressions/yaml
seed fuzz/corpus/live_export json tests/fixtures/live tests/fixtures/live-az-ml tests/fixtures/drift tests/fixtures/regressions/live_export
# fix: the first byte picks the language (0 ARM, 1 Bicep, 2 Terraform).
mkdir -p fuzz/corpus/fix
for pair in 0:json 1:bicep 2:tf; do
  find tests/fixtures/fix tests/fixtures/native -type f -name "*.${pair#*:}" -size -64k -print0 |
    while IFS= read -r -d '' f; do
      { printf "\\$(printf '%03o' "${pair%%:*}")"; cat "$f"; } >"fuzz/corpus/fix/$(echo "$f" | md5sum | cut -c1-16)"
    done
done
seed fuzz/corpus/policy_definition json policies/builtin tests/fixtures/regressions/policy_definition
mkdir -p fuzz/corpus/arm_expression fuzz/corpus/config
printf "[concat('a', parameters('s'), string(add(1, 2)))]" >fuzz/corpus/arm_expression/seed1
printf "[if(equals(parameters('u'), 'x'), createArray(1, 2), json('{\"a\": [1]}'))]" >fuzz/corpus/arm_expression/seed2
printf "[map(range(0, 10), lambda('i', mul(lambdaVariables('i'), 2)))]" >fuzz/corpus/arm_expression/seed3
awk '/```toml/{f=1; next} /```/{f=0} f' docs/configuration.md >fuzz/corpus/config/seed1

status=0
for t in "${TARGETS[@]}"; do
  echo "== fuzzing $t for ${SECONDS_EACH}s"
  if ! "${FUZZ[@]}" run "$t" "fuzz/corpus/$t" -- -max_total_time="$SECONDS_EACH" -max_len=65536 \
      -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 | tail -n 25; then
    echo "!! $t found a problem: see fuzz/artifacts/$t/" >&2
    status=1
  fi
done
exit $status
