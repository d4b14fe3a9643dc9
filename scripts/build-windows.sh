#!/usr/bin/env bash
# Publishes the Windows build of rawselect to artifacts/windows/rawselect.exe: self-contained
# win-x64, nothing to install on the Windows machine. Native AOT cannot link a Windows binary on
# Linux, so this is the same code on the regular .NET runtime (JIT) instead of AOT.
#   scripts/build-windows.sh                 build if any source is newer than the exe
#   scripts/build-windows.sh --force         always build
#   scripts/build-windows.sh --single-file   one trimmed rawselect.exe (~12 MB) instead of the
#                                            exe beside the runtime's ~190 files (~78 MB)
# Intermediate files go to artifacts/windows-obj/, apart from the Linux build's obj/ and bin/, so
# the two builds can run side by side. Warnings are errors, as in the Linux build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="$root/artifacts/windows"
exe="$out/rawselect.exe"

force=0
extra=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --single-file) force=1; extra=(-p:PublishSingleFile=true -p:PublishTrimmed=true) ;;
    *) echo "build-windows: unknown option '$arg' (expected --force or --single-file)" >&2; exit 2 ;;
  esac
done

if [[ $force -eq 0 && -f "$exe" ]]; then
  newer="$(find src interop -newer "$exe" \( -name '*.cs' -o -name '*.csproj' \) -print -quit)"
  if [[ -z "$newer" ]]; then
    echo "build-windows: $exe is up to date" >&2
    exit 0
  fi
fi

mkdir -p artifacts
rm -rf "$out.tmp"
dotnet publish src/RawSelect/RawSelect.csproj -c Release -r win-x64 --self-contained \
  -p:PublishAot=false -p:TreatWarningsAsErrors=true "${extra[@]}" \
  --artifacts-path "$root/artifacts/windows-obj" \
  -o "$out.tmp" -nologo -v quiet >&2
rm -rf "$out"
mv "$out.tmp" "$out"
echo "build-windows: $exe ($(du -sh "$out" | cut -f1) in $(ls "$out" | wc -l) files)" >&2
