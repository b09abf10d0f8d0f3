#!/usr/bin/env bash
# The `aml-baseline-binary` pre-commit hook: runs `aml-baseline scan` on the
# staged files with the release binary of this hook's version, downloaded
# once into ~/.cache/aml-baseline/VERSION and verified against the release's
# SHA256SUMS (scripts/install.sh); built with cargo only when the release has
# no binary for this machine. Releases are looked up beside the repository
# pre-commit cloned the hook from (its `origin`), or AML_BASELINE_DOWNLOAD_BASE.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/aml-baseline/$version"
bin="$cache/bin/aml-baseline"
if [ ! -x "$bin" ] && [ ! -x "$bin.exe" ]; then
  if [ -z "${AML_BASELINE_DOWNLOAD_BASE:-}" ]; then
    origin=$(git -C "$repo" remote get-url origin 2>/dev/null || true)
    origin=${origin%.git}
    case "$origin" in
      https://github.com/*) AML_BASELINE_DOWNLOAD_BASE="$origin/releases/download" ;;
      git@github.com:*) AML_BASELINE_DOWNLOAD_BASE="https://github.com/${origin#git@github.com:}/releases/download" ;;
      *) AML_BASELINE_DOWNLOAD_BASE="" ;;
    esac
  fi
  if [ -n "$AML_BASELINE_DOWNLOAD_BASE" ]; then
    AML_BASELINE_DOWNLOAD_BASE="$AML_BASELINE_DOWNLOAD_BASE" AML_BASELINE_CARGO_FALLBACK="path $repo" \
      "$repo/scripts/install.sh" "$version" "$cache/bin" >&2
  else
    cargo install --locked --root "$cache" --path "$repo" >&2
  fi
fi
[ -x "$bin" ] || bin="$bin.exe"
exec "$bin" scan "$@"
