#!/usr/bin/env bash
# Builds rawselect_VERSION_ARCH.deb (ARCH: amd64 or arm64) from a release binary, into OUTDIR:
# the files of scripts/release/package-tree.sh, plus /usr/share/doc/rawselect/copyright (Debian's
# machine-readable format) and changelog.gz, and the maintainer scripts in scripts/release/deb/.
# Reproducible: every mtime is SOURCE_DATE_EPOCH (which dpkg-deb also uses for the ar members),
# owner root (--root-owner-group), names in the order dpkg-deb sorts them.
#   SOURCE_DATE_EPOCH=... scripts/release/deb.sh BINARY VERSION ARCH OUTDIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${1:?usage: deb.sh BINARY VERSION ARCH OUTDIR}" version="${2:?}" arch="${3:?}" out="${4:?}"
: "${SOURCE_DATE_EPOCH:?deb.sh: SOURCE_DATE_EPOCH must be set (release.sh sets the commit date)}"
case "$arch" in amd64|arm64) ;; *) echo "deb: unknown architecture '$arch'" >&2; exit 2 ;; esac
# The changelog's newest entry is the version shipped: a release must not contradict it.
head -1 "$here/deb/changelog" | grep -q "^rawselect ($version) " \
  || { echo "deb: scripts/release/deb/changelog does not start with version $version" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tree="$work/rawselect"
"$here/package-tree.sh" "$bin" "$tree"
install -m 0644 "$here/deb/copyright" "$tree/usr/share/doc/rawselect/copyright"
gzip -n -9 -c "$here/deb/changelog" >"$tree/usr/share/doc/rawselect/changelog.gz"
chmod 0644 "$tree/usr/share/doc/rawselect/changelog.gz"

install -d -m 0755 "$tree/DEBIAN"
install -m 0755 "$here/deb/postinst" "$here/deb/prerm" "$here/deb/postrm" "$tree/DEBIAN/"
# Installed-Size as dpkg-gencontrol counts it: KiB per file, rounded up, plus one per directory.
size="$(find "$tree" -path "$tree/DEBIAN" -prune -o -type f -printf '%s\n' -o -type d -printf '1024\n' \
  | awk '{ kib += int(($1 + 1023) / 1024) } END { print kib }')"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$here/deb/control.in" >"$tree/DEBIAN/control"
(cd "$tree" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$tree/DEBIAN/md5sums"
chmod 0644 "$tree/DEBIAN/control" "$tree/DEBIAN/md5sums"
find "$tree" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
deb="$out/rawselect_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$tree" "$deb" >/dev/null
echo "deb: $deb ($(stat -c %s "$deb") bytes)" >&2
