#!/usr/bin/env bash
# Builds the release archive of one target, as the release workflow does
# (.github/workflows/release.yml runs exactly this on each runner):
#   dist/aml-baseline-VERSION-TARGET.tar.gz (.zip for Windows), holding
#   aml-baseline-VERSION-TARGET/{aml-baseline[.exe],README.md}, and
#   dist/aml-baseline-VERSION-TARGET.sha256 (one `HASH  FILE` line; the
#   workflow concatenates them into SHA256SUMS).
#
# Usage: scripts/release-build.sh TARGET [CARGO_BUILD_COMMAND...]
#   default command: cargo build --release --locked --target TARGET
#   (the workflow uses `cross build` for the Linux musl targets).
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: release-build.sh TARGET [COMMAND...]}
shift
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
if [ $# -gt 0 ]; then
  "$@" --release --locked --target "$target"
else
  # An installed binary is built whole (no incremental release profile).
  CARGO_INCREMENTAL=0 cargo build --release --locked --target "$target"
fi
name="aml-baseline-$version-$target"
exe=aml-baseline
case "$target" in *windows*) exe=aml-baseline.exe ;; esac
mkdir -p "dist/$name"
cp "target/$target/release/$exe" README.md "dist/$name/"
cd dist
case "$target" in
  *windows*) archive="$name.zip"; rm -f "$archive"; (command -v zip >/dev/null && zip -qr "$archive" "$name") || 7z a -bd "$archive" "$name" >/dev/null ;;
  *) archive="$name.tar.gz"; tar -czf "$archive" "$name" ;;
esac
rm -rf "$name"
if command -v sha256sum >/dev/null; then sha256sum "$archive"; else shasum -a 256 "$archive"; fi > "$name.sha256"
cat "$name.sha256"
