#!/usr/bin/env bash
# Runs the whole test suite: builds the Native-AOT binary, then every xunit test (unit, fault
# injection through the seam, C-header layout, integration against artifacts/rawselect over
# loopback), then the script-level checks. Ends with "N passed, N failed" over all of them.
#   scripts/test.sh [--filter EXPR]   (EXPR as for dotnet test --filter)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

filter=()
if [[ "${1:-}" == "--filter" ]]; then filter=(--filter "$2"); shift 2; fi

passed=0
failed=0
count() { # count NAME EXIT_CODE: one script-level check
  if [[ "$2" == 0 ]]; then passed=$((passed + 1)); echo "check $1: passed"
  else failed=$((failed + 1)); echo "check $1: FAILED (exit $2)"; fi
}

scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
if ! scripts/build.sh; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
# The Windows build runs under Wine where Wine is installed (scripts/setup.sh --wine); without
# it the Wine tests say so and skip.
if [[ -x /usr/lib/wine/wine64 ]] || command -v wine64 >/dev/null; then
  if ! scripts/build.sh --windows; then
    echo "windows build failed"
    failed=$((failed + 1))
  fi
fi

# RAWSELECT_RELEASE=1 (CI): build the release archives too, and run the suite against the
# linux-x64 binary unpacked from its archive (what users get), then a named part of it against
# the linux-arm64 one under qemu (scripts/release/test-arm64.sh).
if [[ "${RAWSELECT_RELEASE:-}" == 1 ]]; then
  if scripts/release.sh && bin="$(scripts/release/unpack.sh linux-x64)"; then
    export RAWSELECT_BIN="$bin"
    echo "release: testing $RAWSELECT_BIN"
  else
    echo "release build failed"
    failed=$((failed + 1))
  fi
fi

ulimit -n 65536 2>/dev/null || ulimit -n hard 2>/dev/null || true
log="$(mktemp)"
dotnet test tests/RawSelect.Tests/RawSelect.Tests.csproj -c Release "${filter[@]}" 2>&1 | tee "$log"
summary="$(grep -E '(Passed|Failed)!  - Failed:' "$log" | tail -1)"
if [[ -n "$summary" ]]; then
  f="$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$summary")"
  p="$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$summary")"
  passed=$((passed + p)); failed=$((failed + f))
else
  echo "dotnet test produced no summary (build error?)"
  failed=$((failed + 1))
fi
rm -f "$log"

if [[ "${RAWSELECT_RELEASE:-}" == 1 && ${#filter[@]} -eq 0 ]]; then
  arm64="$(mktemp)"
  scripts/release/test-arm64.sh 2>&1 | tee "$arm64"
  line="$(grep -E '^arm64: [0-9]+ passed, [0-9]+ failed$' "$arm64" | tail -1)"
  if [[ -n "$line" ]]; then
    passed=$((passed + $(sed -E 's/arm64: ([0-9]+) passed.*/\1/' <<<"$line")))
    failed=$((failed + $(sed -E 's/.*passed, ([0-9]+) failed/\1/' <<<"$line")))
  else
    failed=$((failed + 1))
  fi
  rm -f "$arm64"
fi

if [[ ${#filter[@]} -eq 0 ]]; then
  for check in scripts/checks/*.sh; do
    [[ -e "$check" ]] || continue
    bash "$check"; count "$(basename "$check" .sh)" $?
  done
fi

echo "$passed passed, $failed failed"
[[ "$failed" == 0 ]]
