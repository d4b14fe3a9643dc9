#!/usr/bin/env python3
"""Benchmark driver for RawSelect and its baselines (called by scripts/bench.sh).

For every scenario, the servers run in alternation (A B C D E, A B C D E, ...), a fresh
server process per run; the C load generator (loadgen) drives each run and samples the
server's /proc at the edges of the measured window. Two groups of scenarios: the matrix
(every server, every kind of load) and the scaling sweep (--sweep: RawSelect on each of its
backends beside the C select, poll and epoll servers, 1 active connection + N idle and N
active, N up to 10,000). Per server, startprobe measures exec
-> "listening" time, idle RSS and the exit on SIGTERM. Results: results.json (everything,
raw), runs.csv (one row per run), cells.csv (medians), results.md (tables, ratios against
the C select server) and chart.svg, in the output folder.

Only the Python standard library is used. Every wait has a timeout; only processes this
script started are signalled, by PID.
"""
import argparse
import csv
import datetime
import json
import os
import platform
import re
import resource
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import report  # noqa: E402

ART = os.path.join(ROOT, "artifacts", "bench")
BIN = os.path.join(ART, "bin")
LOADGEN = os.path.join(BIN, "loadgen")
STARTPROBE = os.path.join(BIN, "startprobe")
LISTEN_ARGS = ["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0"]
REFERENCE = "c-select"
# $RAWSELECT_BIN measures another build (as the integration tests do); bench.sh then builds nothing
RAWSELECT = os.environ.get("RAWSELECT_BIN") or os.path.join(ROOT, "artifacts", "rawselect")
BACKENDS = ["select", "poll", "epoll"]
# each RawSelect backend is compared with the C server on the same multiplexer
COUNTERPART = {"rawselect-%s" % b: "c-%s" % b for b in BACKENDS}
# TCP clients bind to these source addresses (round robin, see loadgen --src): the 10,000
# connection cells and the connect churn (~50k sockets left in TIME_WAIT per run) draw on
# their own ephemeral ranges, never on 127.0.0.1's, which a test suite started next uses
SRC_ADDRS = "127.0.1.1/32"
# a dev-only escape while the server has no --backend (a tree before issue 9, sections 1-2):
# rawselect-select runs without the flag and the poll/epoll ones are left out

# name -> how to run it. setup_parallel: connections the load generator opens at once during
# setup (not measured); the tutorial's listen(5) drops SYNs beyond its backlog, so keep it small.
SERVERS = {}
for _b in BACKENDS:
    SERVERS["rawselect-" + _b] = {
        "title": "RawSelect %s" % _b,
        "cmd": [RAWSELECT, "--backend", _b],
        "binary": RAWSELECT,
        "setup_parallel": 32,
    }
# --loops 2 (issue 14): two loops, each on its own thread with its own descriptor table and its
# own SO_REUSEPORT listener; compared with the same backend at --loops 1 (LOOPS_PAIR)
LOOPS_BACKENDS = ["select", "epoll"]
for _b in LOOPS_BACKENDS:
    SERVERS["rawselect-%s-l2" % _b] = {
        "title": "RawSelect %s, 2 loops" % _b,
        "cmd": [RAWSELECT, "--backend", _b, "--loops", "2"],
        "binary": RAWSELECT,
        "setup_parallel": 32,
    }
LOOPS_PAIR = {"rawselect-%s-l2" % b: "rawselect-%s" % b for b in LOOPS_BACKENDS}
# The loop on the process's shared descriptor table (RAWSELECT_FD_TABLE=shared), beside the
# default private one in the same run: what unshare(CLONE_FILES) saves select and poll. Opt-in
# (--servers), not in the default matrix.
for _b in ("select", "poll"):
    SERVERS["rawselect-%s-shared" % _b] = {
        "title": "RawSelect %s, shared fd table" % _b,
        "cmd": [RAWSELECT, "--backend", _b],
        "env": {"RAWSELECT_FD_TABLE": "shared"},
        "binary": RAWSELECT,
        "setup_parallel": 32,
    }
    COUNTERPART["rawselect-%s-shared" % _b] = "c-%s" % _b
for _b in BACKENDS:
    SERVERS["c-" + _b] = {
        "title": "C %s (gcc -O2)" % _b,
        "cmd": [os.path.join(BIN, "c-%s-echo" % _b)],
        "binary": os.path.join(BIN, "c-%s-echo" % _b),
        "setup_parallel": 32,
    }
SERVERS.update({
    "dotnet-async": {
        "title": ".NET async/await (AOT)",
        "cmd": [os.path.join(ART, "dotnet-async", "dotnet-async-echo")],
        "binary": os.path.join(ART, "dotnet-async", "dotnet-async-echo"),
        "setup_parallel": 32,
    },
    "dotnet-select": {
        "title": ".NET Socket.Select (AOT)",
        "cmd": [os.path.join(ART, "dotnet-select", "dotnet-select-echo")],
        "binary": os.path.join(ART, "dotnet-select", "dotnet-select-echo"),
        "setup_parallel": 32,
    },
    "python": {
        "title": "Python tutorial",
        "cmd": [sys.executable, os.path.join(HERE, "baselines", "python", "tutorial_echo.py")],
        "binary": os.path.join(HERE, "baselines", "python", "tutorial_echo.py"),
        "binary_note": "script; needs the python3 interpreter",
        "setup_parallel": 4,
    },
})
ORDER = ["rawselect-select", "rawselect-poll", "rawselect-epoll", "rawselect-select-l2", "rawselect-epoll-l2", "c-select", "c-poll", "c-epoll",
         "dotnet-async", "dotnet-select", "python"]
SWEEP_SERVERS = ["rawselect-select", "rawselect-poll", "rawselect-epoll", "c-select", "c-poll", "c-epoll"]

# id, title, loadgen mode, conns (loops/sockets), idle conns, size, x for the chart
SCENARIOS = [
    ("tcp-pp-64-c1", "TCP ping-pong 64 B, 1 conn", "tcp-pingpong", 1, 0, 64),
    ("tcp-pp-64-c64", "TCP ping-pong 64 B, 64 conns", "tcp-pingpong", 64, 0, 64),
    ("tcp-pp-64-c512", "TCP ping-pong 64 B, 512 conns", "tcp-pingpong", 512, 0, 64),
    ("tcp-pp-64-c1000", "TCP ping-pong 64 B, 1000 conns", "tcp-pingpong", 1000, 0, 64),
    ("tcp-pp-64-c1-idle1000", "TCP ping-pong 64 B, 1 active + 1000 idle", "tcp-pingpong", 1, 1000, 64),
    ("tcp-pp-16k-c16", "TCP ping-pong 16 KiB, 16 conns", "tcp-pingpong", 16, 0, 16384),
    ("tcp-stream-c1", "TCP stream (64 KiB writes), 1 conn", "tcp-stream", 1, 0, 65536),
    ("tcp-stream-c16", "TCP stream (64 KiB writes), 16 conns", "tcp-stream", 16, 0, 65536),
    ("udp-pp-64-s1", "UDP ping-pong 64 B, 1 socket", "udp-pingpong", 1, 0, 64),
    ("udp-pp-64-s16", "UDP ping-pong 64 B, 16 sockets", "udp-pingpong", 16, 0, 64),
    ("udp-pp-1400-s16", "UDP ping-pong 1400 B, 16 sockets", "udp-pingpong", 16, 0, 1400),
    ("tcp-churn-l16", "TCP connect churn, 16 loops (64 B echo)", "tcp-churn", 16, 0, 64),
]
# The scaling sweep (SWEEP_SERVERS only): one active connection beside N idle ones, and N active
# ones. "1 active + 0 idle" is also the "1 active" point of the second series (the same load).
SWEEP_IDLE = [0, 100, 1000, 10000]
SWEEP_ACTIVE = [1, 100, 1000, 10000]
SWEEP_SCENARIOS = (
    [("sweep-c1-idle%d" % n, "Sweep: TCP ping-pong 64 B, 1 active + %d idle" % n, "tcp-pingpong", 1, n, 64)
     for n in SWEEP_IDLE] +
    [("sweep-c%d" % n, "Sweep: TCP ping-pong 64 B, %d active" % n, "tcp-pingpong", n, 0, 64)
     for n in SWEEP_ACTIVE if n != 1])
# smoke: every mode for every server, and one sweep cell past FD_SETSIZE (1024) per backend
SMOKE_SCENARIOS = ["tcp-pp-16k-c16", "tcp-stream-c16", "udp-pp-64-s16", "tcp-churn-l16"]
SMOKE_SWEEP = [("smoke-c1-idle1100", "Smoke: TCP ping-pong 64 B, 1 active + 1100 idle (past FD_SETSIZE)",
                "tcp-pingpong", 1, 1100, 64)]
ALL_SCENARIOS = SCENARIOS + SWEEP_SCENARIOS + SMOKE_SWEEP
SWEEP_IDS = {s[0] for s in SWEEP_SCENARIOS + SMOKE_SWEEP}

PROFILES = {
    #          runs warmup duration probe_runs setup_timeout
    "full": dict(runs=3, warmup=1.0, duration=2.5, probe_runs=10, setup_timeout=20.0),
    "quick": dict(runs=3, warmup=0.2, duration=0.4, probe_runs=3, setup_timeout=10.0),
    "smoke": dict(runs=1, warmup=0.1, duration=0.4, probe_runs=1, setup_timeout=10.0),
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ----------------------------------------------------------------------------- one run

class Server:
    """A server process started by this driver: stdout read for the listening lines, then
    drained by a thread; stderr to a file."""

    def __init__(self, name, cmd, err_path, env=None):
        self.name = name
        self.err_path = err_path
        self.err = open(err_path, "wb")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd + LISTEN_ARGS, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.err, close_fds=True, start_new_session=True,
                                     env=dict(os.environ, **env) if env else None)
        self.tcp_port = self.udp_port = None
        self.stdout_tail = b""
        self._drain = None

    def wait_listening(self, timeout):
        fd = self.proc.stdout.fileno()
        sel = selectors.DefaultSelector()
        sel.register(fd, selectors.EVENT_READ)
        buf = b""
        deadline = time.monotonic() + timeout
        try:
            while self.tcp_port is None or self.udp_port is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return "no 'listening' lines within %.0f s" % timeout
                if not sel.select(left):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    return "stdout closed before the 'listening' lines (exit code %s)" % self.proc.poll()
                buf += chunk
                for line in buf.decode("utf-8", "replace").splitlines():
                    m = re.match(r"listening (tcp|udp) (.+):(\d+)\s*$", line)
                    if m:
                        if m.group(1) == "tcp":
                            self.tcp_port = int(m.group(3))
                        else:
                            self.udp_port = int(m.group(3))
        finally:
            sel.close()
        self.stdout_tail = buf[-2000:]
        self._drain = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drain.start()
        return None

    def _drain_stdout(self):
        try:
            while True:
                chunk = self.proc.stdout.read1(65536) if hasattr(self.proc.stdout, "read1") else self.proc.stdout.read(4096)
                if not chunk:
                    return
                self.stdout_tail = (self.stdout_tail + chunk)[-2000:]
        except (OSError, ValueError):
            return

    def stop(self, timeout=5.0):
        """SIGTERM, wait; SIGKILL after the timeout. Returns (exit_code, clean, exit_ms)."""
        if self.proc.poll() is not None:
            self.err.close()
            return self.proc.returncode, False, None
        t = time.monotonic()
        try:
            os.kill(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout)
            clean = self.proc.returncode == 0
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
            clean = False
        exit_ms = (time.monotonic() - t) * 1e3
        if self._drain:
            self._drain.join(2)
        self.err.close()
        return self.proc.returncode, clean, exit_ms

    def stderr_text(self, limit=4000):
        try:
            with open(self.err_path, "rb") as f:
                data = f.read()
        except OSError:
            return ""
        return data[-limit:].decode("utf-8", "replace")


def parse_usr1_counters(text):
    """rawselect prints counters on SIGUSR1; the load generator sends one at each edge of the
    measured window. Returns the per-key deltas of numeric key=value pairs between the first two
    counter lines that carry the same keys, or None."""
    lines = []
    for line in text.splitlines():
        if re.search(r"\bloop=\d+ ", line):
            continue  # --loops N: one loop's share, after the summed line (parse_usr1_loops)
        pairs = dict(re.findall(r"([A-Za-z_][\w.\-]*)[=:]\s*(-?\d+(?:\.\d+)?)\b", line))
        if len(pairs) >= 3:
            lines.append(pairs)
    for i in range(len(lines) - 1):
        a, b = lines[i], lines[i + 1]
        if set(a) == set(b):
            return {k: float(b[k]) - float(a[k]) for k in a}
    return None


def parse_usr1_loops(text):
    """rawselect --loops N prints one "loop=K counters ..." line per loop after the summed one, at
    each SIGUSR1. Returns {K: {"tcp_open": at the window's end, "udp_in": datagrams in the window,
    "waits": select/poll/epoll calls in the window}} from the first two lines of each loop, or
    None with a single loop."""
    per = {}
    for line in text.splitlines():
        m = re.search(r"\bloop=(\d+) counters (.*)", line)
        if m:
            per.setdefault(int(m.group(1)), []).append(
                {k: float(v) for k, v in re.findall(r"([a-z_]+)=(-?\d+)", m.group(2))})
    if len(per) < 2 or any(len(v) < 2 for v in per.values()):
        return None
    return {k: {"tcp_open": v[1].get("tcp_open", 0),
                "udp_in": v[1].get("udp_datagrams_in", 0) - v[0].get("udp_datagrams_in", 0),
                "waits": v[1].get("select_calls", 0) - v[0].get("select_calls", 0)} for k, v in per.items()}


def loop_shares(shares, mode):
    """Each loop's share in %: of the open connections (TCP), of the datagrams (UDP)."""
    if not shares:
        return None
    key = "udp_in" if mode.startswith("udp") else "tcp_open"
    total = sum(v[key] for v in shares.values())
    if total <= 0:
        return None
    return [100.0 * shares[k][key] / total for k in sorted(shares)]


def setup_timeout(prof, conns, idle):
    """Connections open at most setup_parallel at a time: allow 10,000 of them on a busy select."""
    return max(prof["setup_timeout"], 10.0 + (conns + idle) / 400.0)


def run_one(name, spec, scen, prof, run_index, logdir, usr1):
    sid, title, mode, conns, idle, size = scen
    setup_s = setup_timeout(prof, conns, idle)
    rec = {"server": name, "scenario": sid, "run": run_index, "ok": False, "error": ""}
    err_path = os.path.join(logdir, "%s.%s.%d.stderr" % (sid, name, run_index))
    srv = Server(name, spec["cmd"], err_path, spec.get("env"))
    try:
        why = srv.wait_listening(10)
        if why:
            rec["error"] = "server: " + why
            return rec
        port = srv.udp_port if mode == "udp-pingpong" else srv.tcp_port
        args = [LOADGEN, "--mode", mode, "--host", "127.0.0.1", "--port", str(port), "--conns", str(conns),
                "--idle", str(idle), "--size", str(size), "--warmup", str(prof["warmup"]),
                "--duration", str(prof["duration"]), "--pid", str(srv.proc.pid),
                "--setup-timeout", str(setup_s), "--setup-parallel", str(spec["setup_parallel"]),
                "--src", SRC_ADDRS, "--label", "%s/%s/%d" % (name, sid, run_index)]
        if usr1:
            args.append("--usr1")
        limit = setup_s + prof["warmup"] + prof["duration"] + 3 + 15
        try:
            p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=limit)
        except subprocess.TimeoutExpired:
            rec["error"] = "loadgen: no result within %.0f s (killed)" % limit
            return rec
        out = p.stdout.decode("utf-8", "replace").strip().splitlines()
        try:
            data = json.loads(out[-1]) if out else None
        except json.JSONDecodeError:
            data = None
        if data is None:
            rec["error"] = "loadgen: exit %d, no JSON: %s" % (p.returncode, p.stderr.decode()[-300:])
            return rec
        rec.update({k: v for k, v in data.items() if k not in ("ok", "error")})
        rec["ok"] = bool(data.get("ok")) and p.returncode == 0
        rec["error"] = data.get("error", "")
        if srv.proc.poll() is not None:
            rec["ok"] = False
            rec["error"] = (rec["error"] + "; " if rec["error"] else "") + \
                "server exited during the run (code %s)" % srv.proc.returncode
        return rec
    finally:
        code, clean, exit_ms = srv.stop()
        rec["server_exit_code"] = code
        rec["server_exit_clean"] = clean
        rec["server_exit_ms"] = exit_ms
        text = srv.stderr_text()
        rec["server_stderr_tail"] = text[-1500:]
        if usr1:
            rec["usr1_delta"] = parse_usr1_counters(text)
            rec["loop_shares"] = parse_usr1_loops(text)
        if rec["ok"] and clean:
            try:
                os.unlink(err_path)
            except OSError:
                pass


def probe_one(name, spec, logdir, i):
    err_path = os.path.join(logdir, "probe.%s.%d.stderr" % (name, i))
    args = [STARTPROBE, "--lines", "2", "--settle-ms", "300", "--timeout-ms", "10000", "--stderr", err_path,
            "--"] + spec["cmd"] + LISTEN_ARGS
    try:
        p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        data = json.loads(p.stdout.decode().strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, json.JSONDecodeError, IndexError) as e:
        data = {"ok": False, "error": "startprobe failed: %s" % e}
    data["server"] = name
    data["run"] = i
    if data.get("ok"):
        try:
            os.unlink(err_path)
        except OSError:
            pass
    return data


# ----------------------------------------------------------------------------- aggregation

def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


CELL_KEYS = ["ops_per_s", "mb_per_s", "lat_p50_us", "lat_p99_us", "lat_p999_us", "server_cpu_us_per_op",
             "server_sched_cpu_us_per_op", "server_cpu_pct", "client_cpu_pct", "server_rss_kb_end", "server_hwm_kb",
             "server_threads", "udp_lost", "udp_sent", "errors", "connect_errors", "other_cpu_pct", "sys_steal_pct"]


def aggregate(records, probes, servers, plan, runs):
    cells = {}
    for scen, scen_servers in plan:
        sid = scen[0]
        for name in scen_servers:
            rs = [r for r in records if r["scenario"] == sid and r["server"] == name]
            ok = [r for r in rs if r["ok"]]
            cell = {"server": name, "scenario": sid, "runs": len(rs), "ok_runs": len(ok),
                    "skipped_runs": sum(1 for r in rs if r.get("skipped")),
                    "errors_seen": sorted({r["error"] for r in rs if not r["ok"] and r["error"] and not r.get("skipped")})}
            # a cell counts when a majority of its runs succeeded (skipped runs count as failed)
            cell["ok"] = len(ok) > 0 and len(ok) * 2 > len(rs)
            for k in CELL_KEYS:
                cell[k] = median([r.get(k) for r in ok]) if ok else None
            # --loops N: each loop's share (median over the runs, loop by loop)
            shares = [loop_shares(r.get("loop_shares"), scen[2]) for r in ok]
            shares = [x for x in shares if x]
            cell["loop_share_pct"] = [median([x[k] for x in shares]) for k in range(len(shares[0]))] if shares else None
            gcs = [r.get("usr1_delta") for r in ok if r.get("usr1_delta")]
            if gcs:
                keys = [k for k in gcs[0] if "gc" in k.lower()]
                cell["gc_in_window"] = {k: max(g.get(k, 0) for g in gcs) for k in keys} if keys else None
            cells["%s|%s" % (sid, name)] = cell
    per_server = {}
    for name in servers:
        ps = [p for p in probes if p["server"] == name]
        okp = [p for p in ps if p.get("ok")]
        spec = SERVERS[name]
        size = os.path.getsize(spec["binary"]) if os.path.exists(spec["binary"]) else None
        c1000 = cells.get("tcp-pp-64-c1000|%s" % name)
        i10k = cells.get("sweep-c1-idle10000|%s" % name)
        per_server[name] = {
            "title": spec["title"],
            "probe_runs": len(ps),
            "probe_ok": len(okp),
            "probe_errors": sorted({p.get("error", "") for p in ps if not p.get("ok")}),
            "listen_ms": median([p.get("listen_ms") for p in okp]),
            "listen_ms_min": min([p["listen_ms"] for p in okp], default=None),
            "idle_rss_kb": median([p.get("idle_rss_kb") for p in okp]),
            "threads_idle": median([p.get("threads") for p in okp]),
            "exit_ms": median([p.get("exit_ms") for p in okp]),
            "rss_after_1000_kb": c1000["server_rss_kb_end"] if c1000 and c1000["ok"] else None,
            "rss_idle10000_kb": i10k["server_rss_kb_end"] if i10k and i10k["ok"] else None,
            "binary_bytes": size,
            "binary_note": spec.get("binary_note", ""),
        }
    return cells, per_server


def machine_busy_pct(seconds):
    """CPU the whole machine used over `seconds`, in % of one CPU (from /proc/stat)."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:11]]
        return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    try:
        a = snap()
        time.sleep(seconds)
        return (snap() - a) / os.sysconf("SC_CLK_TCK") / seconds * 100
    except (OSError, ValueError):
        return None


def machine_info():
    def cmd(args):
        try:
            return subprocess.run(args, capture_output=True, timeout=20).stdout.decode().strip().splitlines()[0]
        except Exception:
            return None
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "gcc": cmd(["gcc", "--version"]),
        "dotnet": cmd(["dotnet", "--version"]),
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "clk_tck": os.sysconf("SC_CLK_TCK"),
    }


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short windows, the matrix only (about 6 minutes)")
    ap.add_argument("--smoke", action="store_true", help="~35 s sanity run; non-zero exit on any failure")
    ap.add_argument("--sweep", action="store_true",
                    help="only the scaling sweep (RawSelect's backends and the C select/poll/epoll servers, "
                         "1 active + N idle and N active, N up to 10,000); the full and quick runs include it")
    ap.add_argument("--no-sweep", action="store_true", help="only the matrix, no scaling sweep")
    ap.add_argument("--servers", default="", help="comma list from: " + ", ".join(ORDER) +
                    " (default: all; the sweep runs only the select/poll/epoll ones)")
    ap.add_argument("--scenarios", default="", help="comma list of scenario ids (default: all)")
    ap.add_argument("--runs", type=int, help="runs per cell (default 3; smoke 1)")
    ap.add_argument("--warmup", type=float)
    ap.add_argument("--duration", type=float, help="measured window, seconds")
    ap.add_argument("--probe-runs", type=int)
    ap.add_argument("--out", help="output folder (default artifacts/bench, smoke: artifacts/bench/smoke)")
    ap.add_argument("--no-usr1", action="store_true", help="never send SIGUSR1 to rawselect")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="before starting, wait up to SECONDS for other processes to leave the CPUs idle")
    ap.add_argument("--list", action="store_true", help="list scenarios and servers, then exit")
    a = ap.parse_args()

    if a.list:
        for s in ALL_SCENARIOS:
            print("%-24s %s" % (s[0], s[1]))
        print("servers:", ", ".join(ORDER))
        print("sweep servers:", ", ".join(SWEEP_SERVERS))
        return 0

    profile = "smoke" if a.smoke else "quick" if a.quick else "full"
    prof = dict(PROFILES[profile])
    for k in ("runs", "warmup", "duration", "probe_runs"):
        v = getattr(a, k)
        if v is not None:
            prof[k] = v
    servers = [s.strip() for s in a.servers.split(",") if s.strip()] or \
        (list(SWEEP_SERVERS) if a.sweep else list(ORDER))
    bad = [s for s in servers if s not in SERVERS]
    if bad or not servers:
        log("bench: unknown server(s): %s (known: %s)" % (", ".join(bad), ", ".join(SERVERS)))
        return 2
    if a.sweep and a.no_sweep:
        log("bench: --sweep and --no-sweep exclude each other")
        return 2
    if a.scenarios:
        want = [s.strip() for s in a.scenarios.split(",") if s.strip()]
        unknown = [w for w in want if w not in {s[0] for s in ALL_SCENARIOS}]
        if unknown:
            log("bench: unknown scenario(s): %s (try --list)" % ", ".join(unknown))
            return 2
        scenarios = [s for s in ALL_SCENARIOS if s[0] in want]
    elif a.sweep:
        scenarios = list(SWEEP_SCENARIOS)
    elif profile == "smoke":
        scenarios = [s for s in SCENARIOS if s[0] in SMOKE_SCENARIOS] + ([] if a.no_sweep else list(SMOKE_SWEEP))
    else:
        # the sweep is part of the full run; --quick stays short (--quick --sweep: a quick sweep)
        scenarios = list(SCENARIOS) + ([] if a.no_sweep or profile != "full" else list(SWEEP_SCENARIOS))

    # the RawSelect backends need `rawselect --backend`
    raw = [s for s in servers if s.startswith("rawselect-")]
    if raw and os.access(RAWSELECT, os.X_OK):
        try:
            h = subprocess.run([RAWSELECT, "--help"], capture_output=True, timeout=5)
            has_backend = b"--backend" in h.stdout + h.stderr
        except (subprocess.TimeoutExpired, OSError):
            has_backend = False
        if not has_backend:
            log("bench: %s has no --backend option: rawselect-select/-poll/-epoll need it; "
                "rebuild it (scripts/build.sh)" % os.path.relpath(RAWSELECT, ROOT))
            return 2

    # what runs: (scenario, the servers that run it, in alternation)
    plan = []
    for scen in scenarios:
        ss = [s for s in servers if s in SWEEP_SERVERS] if scen[0] in SWEEP_IDS else list(servers)
        if ss:
            plan.append((scen, ss))
    if not plan:
        log("bench: nothing to run (the sweep runs only %s)" % ", ".join(SWEEP_SERVERS))
        return 2

    for tool in (LOADGEN, STARTPROBE):
        if not os.access(tool, os.X_OK):
            log("bench: %s is missing (scripts/bench.sh builds it)" % tool)
            return 2
    missing = [s for s in servers if not os.access(SERVERS[s]["binary"], os.R_OK)]
    if missing:
        log("bench: not built: %s" % ", ".join("%s (%s)" % (m, SERVERS[m]["binary"]) for m in missing))
        return 2

    nofile = raise_nofile()
    need = max(sc[3] + sc[4] for sc, _ in plan) + 64
    if nofile < need:
        log("bench: descriptor limit %d < %d needed (the load generator holds one per connection, the server "
            "inherits the limit); raise ulimit -Hn, or leave the 10,000-connection cells out (--no-sweep)"
            % (nofile, need))
        return 2

    # SIGUSR1 counters only for a rawselect that documents them
    usr1 = {}
    for s in servers:
        usr1[s] = False
        if s.startswith("rawselect") and not a.no_usr1:
            try:
                h = subprocess.run(SERVERS[s]["cmd"] + ["--help"], capture_output=True, timeout=5)
                usr1[s] = b"SIGUSR1" in h.stdout + h.stderr
            except (subprocess.TimeoutExpired, OSError):
                pass

    out = a.out or (os.path.join(ART, "smoke") if profile == "smoke" else ART)
    os.makedirs(out, exist_ok=True)
    logdir = os.path.join(out, "logs")
    shutil.rmtree(logdir, ignore_errors=True)
    os.makedirs(logdir, exist_ok=True)

    # other load on the machine skews everything (client and server share 2 CPUs): look first
    busy = machine_busy_pct(1.0)
    deadline = time.monotonic() + a.wait_quiet
    while busy is not None and busy > 10 and time.monotonic() < deadline:
        log("bench: machine busy (%.0f %% of a CPU used by other processes); waiting for it to go quiet" % busy)
        busy = machine_busy_pct(2.0)
    if busy is not None and busy > 10:
        log("bench: WARNING: other processes use %.0f %% of a CPU right now; the results will be skewed "
            "(see the 'other CPU' column; --wait-quiet SECONDS waits for quiet)" % busy)

    t_start = time.monotonic()
    total = sum(len(ss) for _, ss in plan) * prof["runs"]
    log("bench: %s profile, %d scenario(s) (%d of the sweep), %d server(s), %d run(s) each = %d runs; "
        "window %.1f s + %.1f s warm-up"
        % (profile, len(plan), sum(1 for sc, _ in plan if sc[0] in SWEEP_IDS), len(servers), prof["runs"], total,
           prof["duration"], prof["warmup"]))

    # 1. startup probes, in alternation
    probes = []
    for i in range(prof["probe_runs"]):
        for s in servers:
            probes.append(probe_one(s, SERVERS[s], logdir, i))
    for s in servers:
        ps = [p for p in probes if p["server"] == s and p.get("ok")]
        log("  probe %-14s listen %s ms, idle RSS %s KiB (%d/%d ok)%s" % (
            s, report.fmt_num(median([p["listen_ms"] for p in ps])),
            report.fmt_num(median([p["idle_rss_kb"] for p in ps])), len(ps), prof["probe_runs"],
            "" if len(ps) == prof["probe_runs"] else " errors: %s" % sorted(
                {p.get("error") for p in probes if p["server"] == s and not p.get("ok")})))

    # 2. scenarios: rounds of A B C D E
    records = []
    done = 0
    for scen, scen_servers in plan:
        fails = {s: 0 for s in scen_servers}
        for r in range(prof["runs"]):
            for s in scen_servers:
                done += 1
                if fails[s] * 2 > prof["runs"]:
                    # a majority already failed: the cell is lost, save the time
                    records.append({"server": s, "scenario": scen[0], "run": r, "ok": False,
                                    "error": "skipped: earlier runs of this cell failed", "skipped": True})
                    continue
                rec = run_one(s, SERVERS[s], scen, prof, r, logdir, usr1[s])
                records.append(rec)
                if not rec["ok"]:
                    fails[s] += 1
                if rec["ok"]:
                    log("  [%3d/%d] %-22s %-16s %10s ops/s  p99 %8s us  srv %7s us/op  srv %5s%%  cli %5s%%  "
                        "RSS %5s MiB  other %4s%%%s" % (
                        done, total, scen[0], s, report.fmt_num(rec.get("ops_per_s")),
                        report.fmt_num(rec.get("lat_p99_us")), report.fmt_num(rec.get("server_cpu_us_per_op")),
                        report.fmt_num(rec.get("server_cpu_pct")), report.fmt_num(rec.get("client_cpu_pct")),
                        report.fmt_num((rec.get("server_rss_kb_end") or 0) / 1024.0),
                        report.fmt_num(rec.get("other_cpu_pct")),
                        "" if rec.get("server_exit_clean") else "  (server exit %s)" % rec.get("server_exit_code")))
                else:
                    log("  [%3d/%d] %-22s %-16s FAILED: %s" % (done, total, scen[0], s, rec["error"]))

    elapsed = time.monotonic() - t_start
    cells, per_server = aggregate(records, probes, servers, plan, prof["runs"])
    meta = machine_info()
    meta.update({"profile": profile, "runs": prof["runs"], "warmup_s": prof["warmup"],
                 "duration_s": prof["duration"], "probe_runs": prof["probe_runs"], "elapsed_s": round(elapsed, 1),
                 "servers": servers, "reference": REFERENCE, "usr1": usr1, "counterpart": COUNTERPART,
                 "loops_pair": LOOPS_PAIR,
                 "src_addrs": SRC_ADDRS, "sweep_idle": SWEEP_IDLE, "sweep_active": SWEEP_ACTIVE,
                 "busy_before_pct": None if busy is None else round(busy, 1)})
    result = {"meta": meta,
              "scenarios": [dict(zip(("id", "title", "mode", "conns", "idle", "size"), sc),
                                 group="sweep" if sc[0] in SWEEP_IDS else "matrix", servers=ss) for sc, ss in plan],
              "servers": {s: SERVERS[s]["title"] for s in servers},
              "cells": cells, "per_server": per_server, "runs": records, "probes": probes}

    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=False)
    run_cols = ["scenario", "server", "run", "ok", "error", "ops_per_s", "mb_per_s", "lat_p50_us", "lat_p99_us",
                "lat_p999_us", "server_cpu_us_per_op", "server_sched_cpu_us_per_op", "server_cpu_pct",
                "client_cpu_pct", "server_rss_kb_start", "server_rss_kb_end", "server_threads", "setup_s",
                "duration_s", "ops", "udp_sent", "udp_lost", "udp_late", "errors", "connect_errors",
                "other_cpu_pct", "sys_steal_pct", "server_exit_code", "server_exit_clean"]
    with open(os.path.join(out, "runs.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=run_cols, extrasaction="ignore")
        w.writeheader()
        for r in records:
            w.writerow(r)
    cell_cols = ["scenario", "server", "ok", "ok_runs", "runs"] + CELL_KEYS
    with open(os.path.join(out, "cells.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cell_cols, extrasaction="ignore")
        w.writeheader()
        for c in cells.values():
            w.writerow(c)

    md = report.markdown(result)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(md)
    with open(os.path.join(out, "chart.svg"), "w") as f:
        f.write(report.svg(result))
    print(md)
    for line in report.target_lines(result):
        log("bench: target: " + line)
    log("bench: wrote %s/{results.md,chart.svg,results.json,runs.csv,cells.csv} in %.0f s"
        % (os.path.relpath(out, ROOT), elapsed))

    # exit status: smoke fails on any failure; the others only when the harness itself broke
    if profile == "smoke":
        problems = [r for r in records if not r["ok"]] + [p for p in probes if not p.get("ok")]
        unclean = [r for r in records if r["ok"] and not r.get("server_exit_clean")]
        if problems or unclean:
            for r in problems:
                log("smoke: FAILED %s %s: %s" % (r["server"], r.get("scenario", "startup probe"), r.get("error")))
            for r in unclean:
                log("smoke: FAILED %s %s: no clean exit 0 on SIGTERM (code %s)"
                    % (r["server"], r["scenario"], r.get("server_exit_code")))
            return 1
        log("smoke: %d passed, 0 failed" % (len(records) + len(probes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
