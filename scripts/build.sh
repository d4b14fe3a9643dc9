#!/usr/bin/env bash
# Publishes the Native-AOT server to artifacts/rawselect. AOT and trim warnings are errors.
#   scripts/build.sh            build if any source is newer than the binary
#   scripts/build.sh --force    always build
#   scripts/build.sh --windows [--force|--single-file]
#                               the self-contained win-x64 build instead (scripts/build-windows.sh)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ "${1:-}" == "--windows" ]]; then exec "$root/scripts/build-windows.sh" "${@:2}"; fi
out="$root/artifacts/rawselect"

if [[ "${1:-}" != "--force" && -x "$out" ]]; then
  newer="$(find src interop -newer "$out" \( -name '*.cs' -o -name '*.csproj' \) -print -quit)"
  if [[ -z "$newer" ]]; then
    echo "build: $out is up to date" >&2
    exit 0
  fi
fi

mkdir -p artifacts
dotnet publish src/RawSelect/RawSelect.csproj -c Release -r linux-x64 \
  -p:TreatWarningsAsErrors=true -p:IlcTreatWarningsAsErrors=true \
  -o artifacts/publish -nologo -v quiet >&2
cp artifacts/publish/rawselect "$out.tmp"
mv "$out.tmp" "$out"
echo "build: $out ($(stat -c %s "$out") bytes)" >&2
