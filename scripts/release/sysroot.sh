#!/usr/bin/env bash
# Builds artifacts/sysroot-ARCH/ (ARCH: amd64 or arm64): Debian bullseye's C library (glibc 2.31)
# and GCC runtime, so the release binaries link against an old glibc and never against the build
# machine's. The .debs are fetched by package name through apt with a private configuration
# (artifacts/apt-ARCH/: own sources list, lists, cache and status; the system's apt config and
# state are never read or touched), checked against Debian's bullseye signing keys, and unpacked
# with dpkg-deb -x. Absolute symlinks in them (e.g. libm.so -> /lib/...) are made relative, so
# they resolve inside the sysroot. Cached: an existing sysroot is reused.
#   scripts/release/sysroot.sh ARCH [PACKAGE...]   (default packages: what linking needs)
#   RAWSELECT_SYSROOT_DIR=DIR                      unpack there instead (e.g. a chroot)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
arch="${1:?usage: sysroot.sh amd64|arm64 [PACKAGE...]}"; shift
case "$arch" in amd64|arm64) ;; *) echo "sysroot: unknown architecture '$arch' (amd64 or arm64)" >&2; exit 2 ;; esac
packages=("$@")
[[ ${#packages[@]} -gt 0 ]] || packages=(libc6 libc6-dev libgcc-10-dev libgcc-s1)
dest="${RAWSELECT_SYSROOT_DIR:-$root/artifacts/sysroot-$arch}"
if [[ -f "$dest/.complete" ]]; then echo "sysroot: $dest is ready" >&2; exit 0; fi

apt_dir="$root/artifacts/apt-$arch"
mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial,debs,empty.d}
keyring=/usr/share/keyrings/debian-archive-bullseye-stable.gpg
[[ -f "$keyring" ]] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [arch=$arch signed-by=$keyring] http://deb.debian.org/debian bullseye main" >"$apt_dir/sources.list"
: >"$apt_dir/status"
# APT_CONFIG is read first; pointing Dir::Etc::main and ::parts at nothing keeps
# /etc/apt/apt.conf{,.d} out, and the rest points every path apt would use into apt_dir.
cat >"$apt_dir/apt.conf" <<CONF
Dir::Etc::main "/dev/null";
Dir::Etc::parts "$apt_dir/empty.d";
Dir::Etc::sourcelist "$apt_dir/sources.list";
Dir::Etc::sourceparts "$apt_dir/empty.d";
Dir::Etc::preferences "/dev/null";
Dir::Etc::preferencesparts "$apt_dir/empty.d";
Dir::State "$apt_dir";
Dir::State::lists "$apt_dir/lists";
Dir::State::status "$apt_dir/status";
Dir::Cache "$apt_dir/cache";
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
APT::Sandbox::User "root";
Debug::NoLocking "true";
Acquire::Languages "none";
CONF
export APT_CONFIG="$apt_dir/apt.conf"
if [[ ! -f "$apt_dir/updated" ]]; then
  apt-get update -qq >&2
  touch "$apt_dir/updated"
fi
(cd "$apt_dir/debs" && apt-get download -qq "${packages[@]/%/:$arch}" >&2)

tmp="$dest.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
for p in "${packages[@]}"; do
  deb=("$apt_dir/debs/${p}_"*"_$arch.deb")
  dpkg-deb -x "${deb[0]}" "$tmp"
done
# Absolute symlinks point at the build machine's own /lib: make them relative to the sysroot.
find "$tmp" -type l -lname '/*' -print0 | while IFS= read -r -d '' link; do
  target="$(readlink "$link")"
  ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$tmp$target")" "$link"
done
touch "$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
echo "sysroot: $dest (${packages[*]}, bullseye $arch)" >&2
