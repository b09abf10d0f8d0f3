#!/usr/bin/env bash
# Installs the aml-baseline release binary for this machine, verified against
# the release's SHA256SUMS; falls back to `cargo install` only when the
# release has no binary for this platform. A checksum that does not match is
# refused (exit 1): nothing is installed and nothing falls back.
#
# Usage: scripts/install.sh VERSION [DEST]   (VERSION like 0.1.0; DEST default ~/.local/bin)
#
# Environment:
#   AML_BASELINE_DOWNLOAD_BASE  where releases are: BASE/vVERSION/FILE
#                               (the GitHub Action sets https://github.com/OWNER/REPO/releases/download)
#   AML_BASELINE_CARGO_FALLBACK how to build when no binary matches: `git URL` or `path DIR`
#                               (default: `cargo install --locked aml-baseline --version VERSION`)
# Release assets (.github/workflows/release.yml): aml-baseline-VERSION-TARGET.tar.gz
# (.zip on Windows) holding aml-baseline[.exe], and SHA256SUMS.
set -euo pipefail

version=${1:?usage: install.sh VERSION [DEST]}
version=${version#v}
dest=${2:-$HOME/.local/bin}
base=${AML_BASELINE_DOWNLOAD_BASE:?set AML_BASELINE_DOWNLOAD_BASE}

target() {
  local os arch
  os=$(uname -s)
  arch=$(uname -m)
  case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) return 1 ;;
  esac
  case "$os" in
    Linux) echo "$arch-unknown-linux-musl" ;;
    Darwin) echo "$arch-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) [ "$arch" = x86_64 ] && echo "x86_64-pc-windows-msvc" ;;
    *) return 1 ;;
  esac
}

fallback() {
  echo "aml-baseline: $1; building it with cargo instead" >&2
  local how=${AML_BASELINE_CARGO_FALLBACK:-}
  case "$how" in
    path\ *) cargo install --locked --root "$(dirname "$dest")" --path "${how#path }" ;;
    git\ *) cargo install --locked --root "$(dirname "$dest")" --git "${how#git }" aml-baseline ;;
    *) cargo install --locked --root "$(dirname "$dest")" aml-baseline --version "$version" ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

fetch() {
  curl --fail --silent --show-error --location --retry 3 --proto '=https,http' -o "$2" "$1"
}

if ! t=$(target); then
  fallback "no release binary for $(uname -s) $(uname -m)"
  exit 0
fi
ext=tar.gz
case "$t" in *windows*) ext=zip ;; esac
asset="aml-baseline-$version-$t.$ext"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! fetch "$base/v$version/SHA256SUMS" "$work/SHA256SUMS"; then
  fallback "no SHA256SUMS for v$version at $base"
  exit 0
fi
expected=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS")
if [ -z "$expected" ]; then
  fallback "release v$version has no $asset"
  exit 0
fi
fetch "$base/v$version/$asset" "$work/$asset"
actual=$(sha256 "$work/$asset")
if [ "$actual" != "$expected" ]; then
  echo "aml-baseline: checksum mismatch for $asset: expected $expected, got $actual; not installed" >&2
  exit 1
fi
mkdir -p "$work/x" "$dest"
case "$ext" in
  zip) unzip -q "$work/$asset" -d "$work/x" ;;
  *) tar -xzf "$work/$asset" -C "$work/x" ;;
esac
bin=$(find "$work/x" -type f \( -name aml-baseline -o -name aml-baseline.exe \) | sed -n 1p)
[ -n "$bin" ] || { echo "aml-baseline: $asset holds no aml-baseline binary; not installed" >&2; exit 1; }
install -m 0755 "$bin" "$dest/"
echo "aml-baseline $version ($t) installed in $dest, SHA-256 $actual verified"
