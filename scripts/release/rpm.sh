#!/usr/bin/env bash
# Builds rawselect-VERSION-1.ARCH.rpm (ARCH: x86_64 or aarch64) from a release binary, into
# OUTDIR, with rpmbuild (Debian's rpm package) from scripts/release/rpm/rawselect.spec.in: the
# files of scripts/release/package-tree.sh plus /usr/share/licenses/rawselect/LICENSE.
# Everything rpmbuild writes stays in a private _topdir; ~/.rpmmacros and the like are not read
# (--macros names rpm's own files only), so the build host's configuration cannot change the bytes.
# Reproducible with SOURCE_DATE_EPOCH (build time, clamped mtimes, a fixed build host name).
#   SOURCE_DATE_EPOCH=... scripts/release/rpm.sh BINARY VERSION ARCH OUTDIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:?usage: rpm.sh BINARY VERSION ARCH OUTDIR}" version="${2:?}" arch="${3:?}" out="${4:?}"
: "${SOURCE_DATE_EPOCH:?rpm.sh: SOURCE_DATE_EPOCH must be set (release.sh sets the commit date)}"
case "$arch" in x86_64|aarch64) ;; *) echo "rpm: unknown architecture '$arch'" >&2; exit 2 ;; esac
command -v rpmbuild >/dev/null || { echo "rpm: rpmbuild missing (scripts/setup.sh --packages installs Debian's rpm)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tree="$work/tree"
"$here/package-tree.sh" "$bin" "$tree"
install -D -m 0644 "$root/LICENSE" "$tree/usr/share/licenses/rawselect/LICENSE"
find "$tree" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
sed -e "s/@VERSION@/$version/" "$here/rpm/rawselect.spec.in" >"$work/rawselect.spec"

mkdir -p "$work/top" "$out"
# --target sets the architecture the package is for; the files are already built for it.
rpmbuild --quiet -bb --target "$arch-linux" \
  --macros "/usr/lib/rpm/macros:/usr/lib/rpm/platform/%{_target}/macros" \
  --define "_topdir $work/top" --define "tree $tree" \
  --define "_rpmdir $work/rpms" --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
  "$work/rawselect.spec" >&2
rpm="$out/rawselect-$version-1.$arch.rpm"
mv "$work/rpms/rawselect-$version-1.$arch.rpm" "$rpm"
echo "rpm: $rpm ($(stat -c %s "$rpm") bytes)" >&2
