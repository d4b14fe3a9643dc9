#!/usr/bin/env bash
# Unpacks the release archive for TARGET (linux-x64, linux-arm64) from artifacts/release/ into a
# fresh artifacts/release-unpacked/TARGET/, as a user would, and prints the binary's path:
# scripts/test.sh runs the suite against what users download, not against a build directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target="${1:?usage: unpack.sh linux-x64|linux-arm64}"
archive=("$root"/artifacts/release/rawselect-*-"$target".tar.gz)
[[ -f "${archive[0]}" ]] || { echo "unpack: no $target archive in artifacts/release (run scripts/release.sh)" >&2; exit 1; }
dir="$root/artifacts/release-unpacked/$target"
rm -rf "$dir"
mkdir -p "$dir"
tar -xzf "${archive[0]}" -C "$dir"
bin=("$dir"/rawselect-*-"$target"/rawselect)
[[ -x "${bin[0]}" ]] || { echo "unpack: ${archive[0]} holds no rawselect" >&2; exit 1; }
echo "${bin[0]}"
