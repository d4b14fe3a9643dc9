#!/usr/bin/env python3
"""Writes rawselect's container image as an OCI image layout in one tar (image-spec 1.0).

    oci-image.py --version V --revision R --created EPOCH --source URL --license LICENSE \
                 --platform amd64 BIN SYSROOT --platform arm64 BIN SYSROOT --out FILE

No daemon, no registry, no base image: each platform gets one layer holding the binary at
/usr/bin/rawselect, exactly the shared objects its NEEDED entries name (followed transitively,
read from the ELF files themselves and taken from the bullseye SYSROOT it was linked against),
the dynamic loader at the path PT_INTERP names, /etc/passwd and /etc/group with nobody, and the
licences of what ships (glibc's copyright file, our LICENSE). No shell, nothing else.

The archive holds oci-layout, index.json and blobs/sha256/*. index.json names one image index
(ref.name rawselect:VERSION, which podman load takes as the image's name) that lists one manifest
per platform: the shape `skopeo copy --all` and buildah write, which podman, skopeo and
containerd read.

Reproducible: every timestamp is EPOCH (the commit's date), names are sorted, owner and group 0
with no names, modes normalised, gzip without a file name or time, JSON with sorted keys; two
runs over the same inputs give the same bytes.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import struct
import sys
import tarfile
import time

# Debian's architecture name -> (ELF e_machine, GNU triple of the multiarch library directory,
# OCI variant).
PLATFORMS = {
    "amd64": (62, "x86_64-linux-gnu", None),
    "arm64": (183, "aarch64-linux-gnu", "v8"),
}

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB = 0, 1, 5

MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

NOBODY = 65534

# The echo service's own port, every IPv4 and IPv6 address. RawSelect sets IPV6_V6ONLY on [::],
# so "every address" takes one listener per family.
CMD = ["--tcp", "0.0.0.0:7", "--tcp", "[::]:7", "--udp", "0.0.0.0:7", "--udp", "[::]:7"]

PASSWD = (
    "root:x:0:0:root:/root:/usr/sbin/nologin\n"
    f"nobody:x:{NOBODY}:{NOBODY}:nobody:/nonexistent:/usr/sbin/nologin\n"
)
GROUP = f"root:x:0:\nnobody:x:{NOBODY}:\n"


def fail(message):
    print(f"oci-image: {message}", file=sys.stderr)
    sys.exit(1)


class Elf:
    """The little of an ELF64 little-endian file the loader reads first: its machine, the
    interpreter it asks for, and the shared objects it needs."""

    def __init__(self, path):
        with open(path, "rb") as f:
            data = f.read()
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            fail(f"{path} is not a 64-bit little-endian ELF file")
        self.path = path
        self.machine = struct.unpack_from("<H", data, 18)[0]
        phoff, = struct.unpack_from("<Q", data, 32)
        phentsize, phnum = struct.unpack_from("<HH", data, 54)
        loads, dynamic, self.interp = [], None, None
        for i in range(phnum):
            p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
            if p_type == PT_LOAD:
                loads.append((p_vaddr, p_offset, p_filesz))
            elif p_type == PT_DYNAMIC:
                dynamic = (p_offset, p_filesz)
            elif p_type == PT_INTERP:
                self.interp = data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
        self.needed = []
        if dynamic is None:
            return
        entries, strtab = [], None
        for off in range(dynamic[0], dynamic[0] + dynamic[1], 16):
            tag, val = struct.unpack_from("<qQ", data, off)
            if tag == DT_NULL:
                break
            if tag == DT_STRTAB:
                strtab = val
            elif tag == DT_NEEDED:
                entries.append(val)
        if entries and strtab is None:
            fail(f"{path}: DT_NEEDED without DT_STRTAB")
        # DT_STRTAB is an address: find the file offset of the segment that maps it.
        base = next((o + strtab - v for v, o, n in loads if v <= strtab < v + n), None)
        if entries and base is None:
            fail(f"{path}: DT_STRTAB {strtab:#x} lies in no PT_LOAD segment")
        for e in entries:
            end = data.index(b"\0", base + e)
            self.needed.append(data[base + e:end].decode())


class Layer:
    """The files of one image layer, as path -> (kind, payload, mode), kind 'file' or 'link'."""

    def __init__(self):
        self.entries = {}

    def add_file(self, path, data, mode):
        self.entries[path.lstrip("/")] = ("file", data, mode)

    def add_link(self, path, target):
        self.entries[path.lstrip("/")] = ("link", target, 0o777)

    def add_from(self, sysroot, path):
        """Copies PATH from the sysroot, following and keeping every symlink on the way (each must
        stay inside the sysroot); returns the path of the regular file it ends at."""
        seen = set()
        while True:
            if path in seen:
                fail(f"symlink loop at {path} in {sysroot}")
            seen.add(path)
            real = os.path.join(sysroot, path.lstrip("/"))
            if os.path.islink(real):
                target = os.readlink(real)
                if os.path.isabs(target):
                    fail(f"{real} -> {target}: absolute symlink (sysroot.sh makes them relative)")
                self.add_link(path, target)
                path = os.path.normpath(os.path.join(os.path.dirname(path), target))
                if not path.startswith("/"):
                    fail(f"{real} -> {target} leaves the sysroot")
                continue
            if not os.path.isfile(real):
                fail(f"{real} is missing")
            with open(real, "rb") as f:
                data = f.read()
            self.add_file(path, data, 0o755 if os.stat(real).st_mode & 0o111 else 0o644)
            return path

    def tar(self, epoch):
        """The layer as an uncompressed tar: parents before children, names sorted."""
        dirs = set()
        for path in self.entries:
            parent = os.path.dirname(path)
            while parent:
                dirs.add(parent)
                parent = os.path.dirname(parent)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
            for path in sorted(dirs | set(self.entries)):
                info = tarfile.TarInfo(path)
                info.mtime, info.uid, info.gid, info.uname, info.gname = epoch, 0, 0, "", ""
                if path in dirs:
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    t.addfile(info)
                    continue
                kind, payload, mode = self.entries[path]
                info.mode = mode
                if kind == "link":
                    info.type, info.linkname = tarfile.SYMTYPE, payload
                    t.addfile(info)
                else:
                    info.size = len(payload)
                    t.addfile(info, io.BytesIO(payload))
        return buf.getvalue()


def gzip_bytes(data):
    buf = io.BytesIO()
    # filename="" and mtime=0: the header names no file and no time (gzip -n).
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as g:
        g.write(data)
    return buf.getvalue()


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


class Blobs:
    def __init__(self):
        self.by_digest = {}

    def add(self, data, media_type):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.by_digest[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}


def build_layer(arch, binary, sysroot, license_text):
    machine, triple, _ = PLATFORMS[arch]
    layer = Layer()
    elf = Elf(binary)
    if elf.machine != machine:
        fail(f"{binary} is ELF machine {elf.machine}, not {arch}'s {machine}")
    if not elf.interp:
        fail(f"{binary} has no PT_INTERP (not a dynamically linked executable?)")
    with open(binary, "rb") as f:
        layer.add_file("/usr/bin/rawselect", f.read(), 0o755)
    loader = layer.add_from(sysroot, elf.interp)
    shipped = {"loader": loader}
    # The loader's default search path on Debian (there is no ld.so.cache in the image).
    search = [f"/lib/{triple}", f"/usr/lib/{triple}", "/lib", "/usr/lib"]
    pending, done = list(elf.needed), set()
    while pending:
        name = pending.pop(0)
        if name in done:
            continue
        done.add(name)
        where = next((d for d in search if os.path.lexists(os.path.join(sysroot, d.lstrip("/"), name))), None)
        if where is None:
            fail(f"{name} (needed by the {arch} binary) is in none of {', '.join(search)} under {sysroot}")
        real = layer.add_from(sysroot, f"{where}/{name}")
        lib = Elf(os.path.join(sysroot, real.lstrip("/")))
        if lib.machine != machine:
            fail(f"{real} in {sysroot} is ELF machine {lib.machine}, not {arch}'s {machine}")
        shipped[name] = real
        pending.extend(lib.needed)
    layer.add_from(sysroot, "/usr/share/doc/libc6/copyright")
    layer.add_file("/usr/share/doc/rawselect/LICENSE", license_text, 0o644)
    layer.add_file("/etc/passwd", PASSWD.encode(), 0o644)
    layer.add_file("/etc/group", GROUP.encode(), 0o644)
    return layer, shipped


def main():
    ap = argparse.ArgumentParser(description="Writes rawselect's multi-arch OCI image layout archive.")
    ap.add_argument("--version", required=True)
    ap.add_argument("--revision", required=True, help="the commit the binaries were built from")
    ap.add_argument("--created", required=True, type=int, help="the commit's date, seconds since 1970")
    ap.add_argument("--source", required=True, help="where the source lives (org.opencontainers.image.source)")
    ap.add_argument("--license", required=True, help="the project's LICENSE file")
    ap.add_argument("--platform", nargs=3, action="append", required=True, metavar=("ARCH", "BINARY", "SYSROOT"))
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(a.created))
    labels = {
        "org.opencontainers.image.title": "rawselect",
        "org.opencontainers.image.description": "TCP and UDP echo server (RFC 862) on one select(2) loop",
        "org.opencontainers.image.version": a.version,
        "org.opencontainers.image.revision": a.revision,
        "org.opencontainers.image.source": a.source,
        "org.opencontainers.image.licenses": "MIT AND LGPL-2.1-or-later",
        "org.opencontainers.image.created": created,
    }
    with open(a.license, "rb") as f:
        license_text = f.read()

    blobs = Blobs()
    manifests = []
    for arch, binary, sysroot in a.platform:
        if arch not in PLATFORMS:
            fail(f"unknown architecture {arch} (amd64 or arm64)")
        layer, shipped = build_layer(arch, binary, sysroot, license_text)
        raw = layer.tar(a.created)
        packed = gzip_bytes(raw)
        variant = PLATFORMS[arch][2]
        platform = {"architecture": arch, "os": "linux", **({"variant": variant} if variant else {})}
        config = {
            "created": created,
            **platform,
            "config": {
                "User": f"{NOBODY}:{NOBODY}",
                "Entrypoint": ["/usr/bin/rawselect"],
                "Cmd": CMD,
                "ExposedPorts": {"7/tcp": {}, "7/udp": {}},
                "StopSignal": "SIGTERM",
                "Labels": labels,
            },
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
            "history": [{"created": created, "created_by": "scripts/release/oci-image.py (rawselect release)"}],
        }
        manifest = {
            "schemaVersion": 2,
            "mediaType": MEDIA_MANIFEST,
            "config": blobs.add(canonical_json(config), MEDIA_CONFIG),
            "layers": [blobs.add(packed, MEDIA_LAYER)],
            "annotations": {"org.opencontainers.image.created": created},
        }
        manifests.append({**blobs.add(canonical_json(manifest), MEDIA_MANIFEST), "platform": platform})
        print(f"oci-image: {arch}: layer {len(packed)} bytes compressed, {sum(len(e[1]) for e in layer.entries.values() if e[0] == 'file')}"
              f" bytes of files ({len(raw)} bytes of tar); loader {shipped.pop('loader')}; "
              + ", ".join(f"{k} -> {v}" for k, v in shipped.items()), file=sys.stderr)

    image_index = {"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": manifests,
                   "annotations": {"org.opencontainers.image.created": created}}
    top = {"schemaVersion": 2, "mediaType": MEDIA_INDEX,
           "manifests": [{**blobs.add(canonical_json(image_index), MEDIA_INDEX),
                          "annotations": {"org.opencontainers.image.ref.name": f"rawselect:{a.version}"}}]}

    files = {"oci-layout": canonical_json({"imageLayoutVersion": "1.0.0"}), "index.json": canonical_json(top)}
    for digest, data in blobs.by_digest.items():
        files["blobs/sha256/" + digest.split(":", 1)[1]] = data
    outer = Layer()
    for path, data in files.items():
        outer.add_file(path, data, 0o644)
    tmp = a.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(outer.tar(a.created))
    os.replace(tmp, a.out)
    print(f"oci-image: {a.out} ({os.path.getsize(a.out)} bytes, image index {top['manifests'][0]['digest']})", file=sys.stderr)


if __name__ == "__main__":
    main()
