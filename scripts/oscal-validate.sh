#!/usr/bin/env bash
# Validates aml-baseline's OSCAL output with compliance-trestle, an OSCAL tool
# independent of ours: the catalog (`baseline --format oscal-catalog`) and the
# assessment results of examples/ (`scan --format oscal`) are imported into a
# fresh trestle workspace (import parses them into trestle's OSCAL 1.1.3
# models) and `trestle validate -a` runs its validators (duplicate UUIDs,
# references, ...). tests/it/oscal.rs validates against NIST's JSON schemas.
#
# Usage: scripts/oscal-validate.sh [BINARY]   (default: target/release/aml-baseline)
#
# Environment: OSCAL_VENV=target/oscal-venv (the venv trestle is installed in,
# from PyPI the first time).
set -euo pipefail
cd "$(dirname "$0")/.."

# compliance-trestle 3.x reads OSCAL 1.1.x (4.x and later: 1.2.x only).
TRESTLE_VERSION=3.12.4
BIN=$(realpath "${1:-target/release/aml-baseline}")
VENV=${OSCAL_VENV:-target/oscal-venv}

if [ ! -x "$VENV/bin/trestle" ] || ! "$VENV/bin/pip" show compliance-trestle 2>/dev/null | grep -qx "Version: $TRESTLE_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "compliance-trestle==$TRESTLE_VERSION"
fi
TRESTLE=$(realpath "$VENV/bin/trestle")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$BIN" baseline --format oscal-catalog > "$work/catalog.json"
status=0
"$BIN" scan examples --no-config --today 2026-11-28 --format oscal -o "$work/results.json" || status=$?
# The examples fail on purpose (exit 1); 2 would be an input error.
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
  echo "scan exited $status" >&2
  exit 1
fi
cd "$work"
mkdir ws
cd ws
"$TRESTLE" init > /dev/null
"$TRESTLE" import -f ../catalog.json -o aml-baseline-catalog
"$TRESTLE" import -f ../results.json -o aml-baseline-examples
"$TRESTLE" validate -a
echo "OSCAL: catalog and assessment results valid for compliance-trestle $TRESTLE_VERSION"
