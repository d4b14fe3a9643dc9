#!/usr/bin/env bash
# Builds artifacts/nspawn-debian12/: a Debian 12 (bookworm) root file system that boots under
# systemd-nspawn -b with systemd as PID 1, for the systemd test of the packages
# (tests/RawSelect.Tests/Release/SystemdNspawnTests.cs). mmdebstrap, variant minbase, plus what a
# booted systemd needs: systemd, systemd-sysv (/sbin/init) and dbus (the system bus, which
# systemd-logind and DynamicUser's name lookups expect); and rpm, so the .rpm's scriptlets run
# under that systemd too (no EL machine is at hand). Documentation and locales are
# left out while it is built (dpkg path-exclude), then that filter is removed, so the packages
# under test install every file they ship. The mirror is the one the host's apt uses
# (deb.debian.org). Cached: an existing tree is reused when its .complete names the same package
# list (a changed list rebuilds it); delete the directory to rebuild by hand. Needs root and mmdebstrap (scripts/setup.sh --packages).
#   scripts/release/rootfs.sh [DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dest="${1:-$root/artifacts/nspawn-debian12}"
include=systemd,systemd-sysv,dbus,rpm
if [[ -f "$dest/.complete" && "$(cat "$dest/.complete")" == "$include" ]]; then echo "rootfs: $dest is ready" >&2; exit 0; fi
command -v mmdebstrap >/dev/null || { echo "rootfs: mmdebstrap missing (scripts/setup.sh --packages)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "rootfs: needs root (mmdebstrap --mode=root, and the test boots it with systemd-nspawn)" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
start=$SECONDS
# --mode=root: no user namespace games, the tree is owned by real root as nspawn expects.
# The machine-id stays empty ("uninitialized"): systemd makes a transient one at each boot.
mmdebstrap --mode=root --variant=minbase --include="$include" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --customize-hook='rm -f "$1/etc/dpkg/dpkg.cfg.d/99mmdebstrap"' \
  --customize-hook='echo rawselect-test >"$1/etc/hostname"' \
  --customize-hook='rm -f "$1/etc/machine-id" && : >"$1/etc/machine-id"' \
  bookworm "$dest" http://deb.debian.org/debian >&2
echo "$include" >"$dest/.complete"
echo "rootfs: built $dest in $((SECONDS - start)) s ($(du -sh "$dest" | cut -f1))" >&2
