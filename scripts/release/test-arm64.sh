#!/usr/bin/env bash
# Runs a named part of the integration suite against the release linux-arm64 binary, under
# qemu-aarch64 (qemu-user) with bullseye's arm64 libc from artifacts/sysroot-arm64. The binary
# under test is a two-line wrapper that execs qemu, so the PID the tests signal is the
# emulator's, which hands SIGTERM/SIGINT on to the guest. Called by scripts/test.sh when
# RAWSELECT_RELEASE=1; ends with "arm64: N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

# Echo sizes, UDP sizes, half-close, backpressure, IPv6, 200 clients, SIGTERM/SIGINT, bad arguments.
tests=(
  Integration.TcpEchoTests.Echoes_a_message_of_every_size_intact
  Integration.UdpEchoTests
  Integration.TcpEchoTests.Half_close_gets_the_whole_echo_then_EOF
  Integration.BackpressureTests
  Integration.TcpEchoTests.Echoes_over_IPv6_loopback
  Integration.ManyClientsTests
  Integration.SignalTests
  Integration.CommandLineTests.Bad_arguments_exit_2_with_one_line_naming_the_value
)
filter="$(printf 'FullyQualifiedName~RawSelect.Tests.%s|' "${tests[@]}")"
filter="${filter%|}"

command -v qemu-aarch64 >/dev/null || { echo "arm64: qemu-aarch64 missing (scripts/setup.sh --release)"; echo "arm64: 0 passed, 1 failed"; exit 1; }
bin="$(scripts/release/unpack.sh linux-arm64)" || { echo "arm64: 0 passed, 1 failed"; exit 1; }
wrapper="$root/artifacts/release-unpacked/rawselect-arm64-under-qemu"
cat >"$wrapper" <<WRAP
#!/bin/sh
exec qemu-aarch64 -L "$root/artifacts/sysroot-arm64" "$bin" "\$@"
WRAP
chmod +x "$wrapper"
"$wrapper" --version || { echo "arm64: the binary does not start under qemu"; echo "arm64: 0 passed, 1 failed"; exit 1; }

log="$(mktemp)"
start=$SECONDS
RAWSELECT_BIN="$wrapper" RAWSELECT_START_TIMEOUT_S=30 dotnet test tests/RawSelect.Tests/RawSelect.Tests.csproj -c Release \
  --filter "$filter" 2>&1 | tee "$log"
summary="$(grep -E '(Passed|Failed)!  - Failed:' "$log" | tail -1)"
rm -f "$log"
if [[ -z "$summary" ]]; then echo "arm64: dotnet test produced no summary"; echo "arm64: 0 passed, 1 failed"; exit 1; fi
f="$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$summary")"
p="$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$summary")"
echo "arm64: the integration subset under qemu-aarch64 took $((SECONDS - start)) s"
echo "arm64: $p passed, $f failed"
[[ "$f" == 0 ]]
