#!/usr/bin/env bash
# End-to-end run of `aml-baseline lsp` under a real LSP client: Neovim's
# built-in client, headless (scripts/nvim-lsp-e2e.lua). Prints what the
# editor saw: the diagnostics of the insecure example, the hover, the code
# actions, the diagnostics after the safe fix is applied (unsaved).
#
# Usage: scripts/nvim-lsp-e2e.sh [BINARY]   (default: target/release/aml-baseline)
# Needs nvim (Debian: apt-get install neovim; 0.7 or later).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=$(realpath "${1:-target/release/aml-baseline}")
command -v nvim >/dev/null || { echo "nvim is not installed (apt-get install neovim)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/insecure-workspace "$work/"
out="$work/out.txt"
status=0
AML_BASELINE="$BIN" ROOT="$work" FILE="$work/insecure-workspace/azuredeploy.json" OUT="$out" \
  timeout 180 nvim --headless --clean -u NONE -c "luafile scripts/nvim-lsp-e2e.lua" >/dev/null 2>&1 || status=$?
cat "$out" 2>/dev/null || true
if [ "$status" -ne 0 ] || ! grep -q '^server stopped' "$out"; then
  echo "nvim-lsp-e2e: FAILED (nvim exit $status)" >&2
  exit 1
fi
echo "nvim-lsp-e2e: passed ($(nvim --version | head -1))"
