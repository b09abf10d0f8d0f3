#!/bin/sh
# Runs the Azure ML SDK oracle over the shared corpus: makes its own venv
# (reused when present) with the pinned requirements, builds aml-baseline and
# compares what the SDK would send with `aml-baseline model` for every CLI
# YAML file. Exits non-zero on an unexplained disagreement.
#
#   scripts/yaml-oracle.sh [CORPUS...]      (default: ../shared/corpus)
#
# Environment: YAML_ORACLE_VENV (default /tmp/aml-yaml-oracle-venv),
# PYTHON (default python3), AML_BASELINE (a built binary: skips the build).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
venv=${YAML_ORACLE_VENV:-/tmp/aml-yaml-oracle-venv}
req="$here/yaml-oracle-requirements.txt"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
if ! cmp -s "$req" "$stamp" 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    cp "$req" "$stamp"
fi
if [ -z "${AML_BASELINE:-}" ]; then
    (cd "$root" && cargo build --quiet --bin aml-baseline)
    AML_BASELINE="$root/target/debug/aml-baseline"
fi
if [ "$#" -eq 0 ]; then
    set -- "$root/../shared/corpus"
fi
exec "$venv/bin/python" "$here/yaml-oracle.py" --binary "$AML_BASELINE" "$@"
