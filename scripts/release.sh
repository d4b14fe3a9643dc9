#!/usr/bin/env bash
# Builds the release archives into artifacts/release/:
#   rawselect-VERSION-linux-x64.tar.gz    Native AOT, linked against Debian bullseye's glibc
#   rawselect-VERSION-linux-arm64.tar.gz  the same for aarch64 (cross-linked with clang)
#   rawselect-VERSION-win-x64.zip         the single-file Windows build (JIT, self-contained)
#   rawselect_VERSION_amd64.deb, rawselect_VERSION_arm64.deb         (scripts/release/deb.sh)
#   rawselect-VERSION-1.x86_64.rpm, rawselect-VERSION-1.aarch64.rpm  (scripts/release/rpm.sh)
#   rawselect-VERSION-oci.tar             the container image, amd64 + arm64 (OCI image layout;
#                                         scripts/release/oci-image.py)
#   SHA256SUMS                            every other file in the folder
# Each Linux archive holds rawselect-VERSION-RID/{rawselect,rawselect.8,README.md,LICENSE} and
# the systemd units in systemd/; the zip holds rawselect.exe, README.md and LICENSE. The packages
# carry the same binary as the archive of their architecture. Both Linux binaries are linked
# against a sysroot fetched by scripts/release/sysroot.sh (cached under artifacts/), never the
# build machine's libc, and this script fails if either asks for a glibc symbol version above
# GLIBC_FLOOR. Everything is deterministic: sorted names, every mtime the commit's date
# (SOURCE_DATE_EPOCH), owner and group 0, gzip -n, fixed zip timestamps and modes, the RPM build
# time and host fixed; two runs on the same commit give the same SHA256SUMS.
# Needs clang and binutils-aarch64-linux-gnu (scripts/setup.sh --release installs them and the
# test tools), dpkg-deb and rpmbuild (scripts/setup.sh --packages).
# Builds apart from the everyday one (artifacts/release-obj/RID/), so neither overwrites the other.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

GLIBC_FLOOR=2.17
version="$(sed -n 's|.*<Version>\(.*\)</Version>.*|\1|p' src/RawSelect/RawSelect.csproj)"
commit="$(git rev-parse --short=12 HEAD)"
git diff --quiet HEAD || commit="$commit-dirty"
epoch="$(git log -1 --format=%ct HEAD)"
out="$root/artifacts/release"
objroot="$root/artifacts/release-obj"
stage="$objroot/stage"
rm -rf "$out" "$stage"
mkdir -p "$out" "$stage"
export SOURCE_DATE_EPOCH="$epoch"

# Highest GLIBC_x.y a binary requires, by its dynamic symbol versions.
glibc_max() { "$1" -T "$2" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1; }

build_linux() { # RID DEB_ARCH TRIPLE RPM_ARCH
  local rid="$1" arch="$2" triple="$3" rpm_arch="$4" obj="$objroot/$1"
  # GNU binutils for the target: ld.bfd (clang picks TRIPLE-ld for --target) and objcopy for the
  # symbol stripping; nothing from LLVM but clang itself.
  local objcopy=objcopy objdump=objdump
  [[ "$arch" == amd64 ]] || { objcopy="$triple-objcopy"; objdump="$triple-objdump"; }
  scripts/release/sysroot.sh "$arch"
  mkdir -p "$obj"
  clang --target="$triple" -O2 -fPIC -Wall -Werror -c scripts/release/glibc-compat.c -o "$obj/glibc-compat.o"
  # LinkNative skips the link when its inputs look unchanged; the sysroot and the shim are not
  # among the inputs it watches, so always relink.
  find "$obj" -type d -name native -prune -exec rm -rf {} +
  rm -rf "$obj/publish"
  dotnet publish src/RawSelect/RawSelect.csproj -c Release -r "$rid" \
    -p:TreatWarningsAsErrors=true -p:IlcTreatWarningsAsErrors=true \
    -p:RawSelectCommit="$commit" -p:RawSelectTarget="$rid" -p:RawSelectGlibcFloor="$GLIBC_FLOOR" \
    -p:SysRoot="$root/artifacts/sysroot-$arch" -p:LinkerFlavor=bfd -p:ObjCopyName="$objcopy" \
    -p:CustomAfterMicrosoftCommonTargets="$root/scripts/release/release.targets" \
    -p:RawSelectGlibcCompat="$obj/glibc-compat.o" \
    -p:PathMap="$root=/src" \
    --artifacts-path "$obj" -o "$obj/publish" -nologo -v quiet >&2
  local max; max="$(glibc_max "$objdump" "$obj/publish/rawselect")"
  echo "release: $rid requires $max at most (floor GLIBC_$GLIBC_FLOOR)" >&2
  if [[ "$(printf '%s\n' "$max" "GLIBC_$GLIBC_FLOOR" | sort -V | tail -1)" != "GLIBC_$GLIBC_FLOOR" ]]; then
    echo "release: $rid asks for $max, newer than the floor GLIBC_$GLIBC_FLOOR:" >&2
    "$objdump" -T "$obj/publish/rawselect" | grep -F "$max" >&2 || true
    exit 1
  fi
  # .comment holds the toolchains' version strings, nothing the binary uses (lintian:
  # binary-has-unneeded-section); the archive and the packages ship these same bytes.
  "$objcopy" --remove-section=.comment "$obj/publish/rawselect"
  local dir="$stage/rawselect-$version-$rid"
  mkdir -p "$dir"
  install -m 0755 "$obj/publish/rawselect" "$dir/rawselect"
  install -m 0644 README.md LICENSE man/rawselect.8 "$dir/"
  if [[ -d scripts/systemd ]]; then
    mkdir -p "$dir/systemd"
    install -m 0644 scripts/systemd/* "$dir/systemd/"
  fi
  tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=gnu \
    --mode='u+rwX,go+rX,go-w' -C "$stage" -cf - "rawselect-$version-$rid" \
    | gzip -n -9 >"$out/rawselect-$version-$rid.tar.gz"
  scripts/release/deb.sh "$dir/rawselect" "$version" "$arch" "$out"
  scripts/release/rpm.sh "$dir/rawselect" "$version" "$rpm_arch" "$out"
}

build_windows() {
  local obj="$objroot/win-x64"
  rm -rf "$obj/publish"
  dotnet publish src/RawSelect/RawSelect.csproj -c Release -r win-x64 --self-contained \
    -p:PublishAot=false -p:TreatWarningsAsErrors=true -p:PublishSingleFile=true -p:PublishTrimmed=true \
    -p:RawSelectCommit="$commit" -p:RawSelectTarget=win-x64 -p:PathMap="$root=/src" \
    --artifacts-path "$obj" -o "$obj/publish" -nologo -v quiet >&2
  local dir="$stage/rawselect-$version-win-x64"
  mkdir -p "$dir"
  cp "$obj/publish/rawselect.exe" README.md LICENSE "$dir/"
  python3 scripts/release/zipdir.py "$epoch" "$stage" "rawselect-$version-win-x64" "$out/rawselect-$version-win-x64.zip"
}

build_linux linux-x64 amd64 x86_64-linux-gnu x86_64
build_linux linux-arm64 arm64 aarch64-linux-gnu aarch64
# The container image (amd64 + arm64) from the two binaries just staged: scripts/release/oci-image.py.
python3 scripts/release/oci-image.py --version "$version" --created "$epoch" --license LICENSE \
  --revision "$(git rev-parse HEAD)${commit#"${commit%-dirty}"}" \
  --source "${RAWSELECT_SOURCE_URL:-$(git remote get-url origin 2>/dev/null || echo unknown)}" \
  --platform amd64 "$stage/rawselect-$version-linux-x64/rawselect" artifacts/sysroot-amd64 \
  --platform arm64 "$stage/rawselect-$version-linux-arm64/rawselect" artifacts/sysroot-arm64 \
  --out "$out/rawselect-$version-oci.tar"
build_windows
# Every file the steps above wrote, whatever they are: a new kind of artifact is summed without
# touching this line.
(cd "$out" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort \
  | xargs -d '\n' sha256sum -- >"$objroot/SHA256SUMS") && mv "$objroot/SHA256SUMS" "$out/SHA256SUMS"
echo "release: $out (commit $commit)" >&2
(cd "$out" && ls -l && cat SHA256SUMS) >&2
