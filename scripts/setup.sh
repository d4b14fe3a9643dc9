#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian 12 machine. Idempotent.
#   scripts/setup.sh            gcc, python3, systemd (for systemd-socket-activate and
#                               systemd-analyze: the socket-activation tests and the unit
#                               checks; no running systemd needed) (the .NET 10 SDK must be there already)
#   scripts/setup.sh --wine     also Wine (to run the Windows build's tests) and MinGW-w64's
#                               headers (to check the Winsock structs against them); CI uses this
#   scripts/setup.sh --browser  also Debian's chromium (headless), for the trace viewer's tests
#                               (scripts/loopview); flags combine: --wine --browser
#   scripts/setup.sh --release  also what scripts/release.sh and its tests need: clang (links the
#                               release binaries against the bullseye sysroot), the arm64 cross
#                               binutils, gcc and libc headers, qemu-user (runs arm64 binaries)
#   scripts/setup.sh --packages also what the .deb/.rpm and the man page need: rpm (rpmbuild, for
#                               scripts/release.sh), mandoc, lintian, rpmlint (their checks),
#                               mmdebstrap and systemd-container (systemd-nspawn: the Debian 12
#                               guest that boots the .deb under a real systemd)
#   scripts/setup.sh --podman   also podman with runc, netavark and aardvark-dns (its network
#                               stack), iptables (port publishing) and catatonit (the pause
#                               process of podman kube play): the container image's tests
set -euo pipefail
need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v python3 >/dev/null || need+=(python3)
{ command -v systemd-socket-activate && command -v systemd-analyze; } >/dev/null || need+=(systemd)
if [[ " $* " == *" --wine "* ]]; then
  [[ -x /usr/lib/wine/wine64 ]] || command -v wine64 >/dev/null || need+=(wine64)
  command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64-x86-64-win32)
fi
if [[ " $* " == *" --release "* ]]; then
  command -v clang >/dev/null || need+=(clang)
  command -v aarch64-linux-gnu-objcopy >/dev/null || need+=(binutils-aarch64-linux-gnu)
  command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
  [[ -f /usr/aarch64-linux-gnu/include/stdio.h ]] || need+=(libc6-dev-arm64-cross)
  command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
fi
if [[ " $* " == *" --packages "* ]]; then
  command -v rpmbuild >/dev/null || need+=(rpm)
  command -v mandoc >/dev/null || need+=(mandoc)
  command -v lintian >/dev/null || need+=(lintian)
  command -v rpmlint >/dev/null || need+=(rpmlint)
  command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
  command -v systemd-nspawn >/dev/null || need+=(systemd-container)
fi
if [[ " $* " == *" --podman "* ]]; then
  command -v podman >/dev/null || need+=(podman)
  command -v runc >/dev/null || need+=(runc)
  [[ -x /usr/lib/podman/netavark ]] || need+=(netavark)
  [[ -x /usr/lib/podman/aardvark-dns ]] || need+=(aardvark-dns)
  command -v iptables >/dev/null || need+=(iptables)
  command -v catatonit >/dev/null || need+=(catatonit)
fi
if [[ " $* " == *" --browser "* ]]; then
  command -v chromium >/dev/null || need+=(chromium)
fi
if [[ ${#need[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then echo "setup: please install: ${need[*]}" >&2; exit 1; fi
  echo "setup: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
