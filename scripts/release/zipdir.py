"""Writes a deterministic zip of one directory: names sorted, every entry dated from the commit
(SOURCE epoch, UTC; zip has no time zone and a 2-second resolution), fixed Unix modes (0755 for
.exe, 0644 otherwise), no extra fields. Same input, same bytes.
    python3 zipdir.py EPOCH BASE DIR OUT.zip     (zips BASE/DIR as DIR/...)
"""
import os
import sys
import time
import zipfile

epoch, base, top, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
stamp = max(time.gmtime(epoch)[:6], (1980, 1, 1, 0, 0, 0))
names = []
for dirpath, dirnames, filenames in os.walk(os.path.join(base, top)):
    dirnames.sort()
    for f in filenames:
        names.append(os.path.relpath(os.path.join(dirpath, f), base))
tmp = out + ".tmp"
with zipfile.ZipFile(tmp, "w") as z:
    for name in sorted(names):
        info = zipfile.ZipInfo(name.replace(os.sep, "/"), date_time=stamp)
        info.create_system = 3  # Unix: unzip applies the mode below
        info.external_attr = (0o100755 if name.endswith(".exe") else 0o100644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(base, name), "rb") as f:
            z.writestr(info, f.read(), compresslevel=9)
os.replace(tmp, out)
