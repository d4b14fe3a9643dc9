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
# --version names the commit (with -dirty for uncommitted changes to tracked files) and the
# target; this build links against this machine's glibc, so it claims no floor (release.sh does).
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD 2>/dev/null || commit="$commit-dirty"

if [[ "${1:-}" != "--force" && -x "$out" && "$(cat "$out.commit" 2>/dev/null)" == "$commit" ]]; then
  newer="$(find src interop -newer "$out" \( -name '*.cs' -o -name '*.csproj' \) -print -quit)"
  if [[ -z "$newer" ]]; then
    echo "build: $out is up to date" >&2
    exit 0
  fi
fi

mkdir -p artifacts
dotnet publish src/RawSelect/RawSelect.csproj -c Release -r linux-x64 \
  -p:TreatWarningsAsErrors=true -p:IlcTreatWarningsAsErrors=true \
  -p:RawSelectCommit="$commit" -p:RawSelectTarget=linux-x64 \
  -o artifacts/publish -nologo -v quiet >&2
cp artifacts/publish/rawselect "$out.tmp"
mv "$out.tmp" "$out"
echo "$commit" >"$out.commit"
echo "build: $out ($(stat -c %s "$out") bytes)" >&2
