#!/usr/bin/env bash
# CI check: the shipped units (scripts/systemd/rawselect.socket, rawselect.service) pass
# `systemd-analyze verify`, and the service's `systemd-analyze security` exposure stays at or
# below 2.0 ("OK"). verify wants ExecStart's binary to exist, so the units are checked as a copy
# whose ExecStart names the built binary (artifacts/rawselect). Also runs that binary under
# PR_SET_MDWE (what MemoryDenyWriteExecute=yes asks) and echoes a datagram: Native AOT code must
# never need a writable and executable page. No running systemd is needed for any of it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$root/artifacts/rawselect"
[[ -x "$bin" ]] || { echo "systemd-units: $bin missing (scripts/build.sh)" >&2; exit 1; }
command -v systemd-analyze >/dev/null || { echo "systemd-units: systemd-analyze missing (scripts/setup.sh installs systemd)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$root/scripts/systemd/rawselect.socket" "$root/scripts/systemd/rawselect.service" "$tmp/"
sed -i "s#^ExecStart=/usr/local/bin/rawselect#ExecStart=$bin#" "$tmp/rawselect.service"
grep -q "^ExecStart=$bin" "$tmp/rawselect.service" || { echo "systemd-units: ExecStart=/usr/local/bin/rawselect not found in rawselect.service" >&2; exit 1; }

echo "systemd-units: systemd-analyze verify"
# verify also runs man(1) on each Documentation=man:... entry: the units name rawselect(8), so
# the page is put where man finds it, as the packages install it (man/rawselect.8, gzipped).
mkdir -p "$tmp/man/man8"
gzip -n -c "$root/man/rawselect.8" >"$tmp/man/man8/rawselect.8.gz"
export MANPATH="$tmp/man:$(manpath -q 2>/dev/null || echo /usr/share/man)"
# verify prints warnings for problems it does not fail on: any output at all is a failure here.
out="$(cd "$tmp" && systemd-analyze verify ./rawselect.socket ./rawselect.service 2>&1)" || { echo "$out"; exit 1; }
if [[ -n "$out" ]]; then echo "$out"; echo "systemd-units: verify had something to say" >&2; exit 1; fi

score_line="$(systemd-analyze security --offline=true "$tmp/rawselect.service" 2>&1 | grep 'Overall exposure level')"
echo "systemd-units: $score_line"
score="$(sed -E 's/.*: ([0-9]+\.[0-9]+) .*/\1/' <<<"$score_line")"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || { echo "systemd-units: exposure $score is above 2.0" >&2; exit 1; }

# The loop thread's unshare(CLONE_FILES) must get through the unit's seccomp filter:
# SystemCallFilter=@system-service allows it (by @process) and neither group the unit denies
# (@privileged, @resources) holds it; RestrictNamespaces=yes filters unshare(2) by its CLONE_NEW*
# flags only, and CLONE_FILES is not one of them.
echo "systemd-units: unshare(2) against the unit's system call filter"
filter_of() { systemd-analyze syscall-filter "$1" | awk 'NR > 1 && $1 !~ /^#/ {print $1}'; }
expand() { # a group, with the groups it names, recursively
  local g
  for g in $(filter_of "$1"); do if [[ "$g" == @* ]]; then expand "$g"; else echo "$g"; fi; done
}
allowed="$(grep '^SystemCallFilter=' "$tmp/rawselect.service" | grep -v '=~' | sed 's/^SystemCallFilter=//')"
denied="$(grep '^SystemCallFilter=~' "$tmp/rawselect.service" | sed 's/^SystemCallFilter=~//')"
for g in $allowed; do expand "$g"; done | grep -x unshare >/dev/null || { echo "systemd-units: unshare is not in $allowed" >&2; exit 1; }
for g in $denied; do if expand "$g" | grep -x unshare >/dev/null; then echo "systemd-units: $g denies unshare" >&2; exit 1; fi; done
grep -qx 'RestrictNamespaces=yes' "$tmp/rawselect.service" || { echo "systemd-units: RestrictNamespaces= changed: check unshare(CLONE_FILES) again" >&2; exit 1; }
echo "systemd-units: unshare allowed by $allowed, not denied by $denied"

echo "systemd-units: MemoryDenyWriteExecute (PR_SET_MDWE) run"
python3 - "$bin" <<'PY'
import ctypes, os, re, select, socket, subprocess, sys, time
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
def mdwe():
    if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_MDWE)")
try:
    subprocess.run(["true"], preexec_fn=mdwe, check=True)
except subprocess.SubprocessError as e:
    # PR_SET_MDWE is Linux 6.3+; systemd falls back to a seccomp filter on older kernels.
    print(f"systemd-units: PR_SET_MDWE unavailable on this kernel ({e}): W^X run skipped")
    sys.exit(0)
p = subprocess.Popen([sys.argv[1], "--no-tcp", "--udp", "127.0.0.1:0", "--log-level", "error"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=mdwe, text=True)
try:
    ready, _, _ = select.select([p.stdout], [], [], 10)
    line = p.stdout.readline() if ready else ""
    m = re.match(r"listening udp 127\.0\.0\.1:(\d+)", line)
    if not m:
        sys.exit(f"systemd-units: no listening line under PR_SET_MDWE (exit {p.poll()}): {line!r} {p.stderr.read() if p.poll() is not None else ''}")
    rwx = [l for l in open(f"/proc/{p.pid}/maps") if l.split()[1].startswith("rwx")]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
    s.sendto(b"w^x", ("127.0.0.1", int(m.group(1))))
    if s.recv(16) != b"w^x": sys.exit("systemd-units: wrong echo under PR_SET_MDWE")
    if rwx: sys.exit(f"systemd-units: writable+executable mappings: {rwx}")
    print("systemd-units: served under PR_SET_MDWE, no rwx mapping")
finally:
    p.terminate()
    p.wait(10)
PY
