#!/usr/bin/env bash
# Type-checks, builds and packages the VS Code extension (editors/vscode):
# `npm ci` from the committed package-lock.json, `tsc` (strict), `vsce package`.
# Writes editors/vscode/aml-baseline.vsix. Needs Node.js 20 or later and npm.
set -euo pipefail
cd "$(dirname "$0")/../editors/vscode"
npm ci --no-audit --no-fund
npm run check
npm run package
# Read the whole listing first: `grep -q` stops early, and under pipefail the
# SIGPIPE it gives unzip would fail the script (exit 141).
listing=$(unzip -l aml-baseline.vsix)
grep -q 'extension/out/extension.js' <<<"$listing"
echo "vscode-extension: editors/vscode/aml-baseline.vsix built"
