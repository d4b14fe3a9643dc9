#!/usr/bin/env bash
# Lays out the files both packages install, under DEST, as an installed system has them:
#   usr/bin/rawselect                                  the release binary (0755)
#   usr/lib/systemd/system/rawselect.{socket,service}  scripts/systemd/, ExecStart=/usr/bin/rawselect
#   usr/share/man/man8/rawselect.8.gz                  man/rawselect.8, gzip -n -9
#   usr/share/doc/rawselect/README.md                  the project README
# The package scripts add what is theirs (Debian: copyright, changelog.gz; RPM: the licence).
# The units are the very files the release archives carry; only the binary's path differs
# (/usr/local/bin for a binary copied by hand, /usr/bin for a packaged one), and the substitution
# is checked, so a reworded ExecStart fails the release instead of shipping the wrong path.
#   scripts/release/package-tree.sh BINARY DEST
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${1:?usage: package-tree.sh BINARY DEST}"
dest="${2:?usage: package-tree.sh BINARY DEST}"
rm -rf "$dest"
install -d -m 0755 "$dest/usr/bin" "$dest/usr/lib/systemd/system" "$dest/usr/share/man/man8" "$dest/usr/share/doc/rawselect"
install -m 0755 "$bin" "$dest/usr/bin/rawselect"
install -m 0644 "$root/scripts/systemd/rawselect.socket" "$dest/usr/lib/systemd/system/"
sed 's#^ExecStart=/usr/local/bin/rawselect$#ExecStart=/usr/bin/rawselect#' \
  "$root/scripts/systemd/rawselect.service" >"$dest/usr/lib/systemd/system/rawselect.service"
chmod 0644 "$dest/usr/lib/systemd/system/rawselect.service"
if [[ "$(grep -c '^ExecStart=' "$dest/usr/lib/systemd/system/rawselect.service")" != 1 ]] \
   || ! grep -qx 'ExecStart=/usr/bin/rawselect' "$dest/usr/lib/systemd/system/rawselect.service"; then
  echo "package-tree: rawselect.service must have exactly one ExecStart=/usr/local/bin/rawselect to substitute" >&2
  exit 1
fi
gzip -n -9 -c "$root/man/rawselect.8" >"$dest/usr/share/man/man8/rawselect.8.gz"
install -m 0644 "$root/README.md" "$dest/usr/share/doc/rawselect/README.md"
chmod 0644 "$dest/usr/share/man/man8/rawselect.8.gz"
