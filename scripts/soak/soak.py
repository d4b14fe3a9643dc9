#!/usr/bin/env python3
"""Soak test for rawselect: bounded churn on loopback, every byte and datagram verified.

Started by scripts/soak.sh DURATION_SECONDS. Starts the server (TCP and UDP on IPv4 and IPv6
loopback, ephemeral ports), then for DURATION seconds runs:

  * TCP workers, each repeating a random operation on a fresh connection:
      echo        send a random-size message (0 B to 1 MiB) while reading the echo, half-close,
                  read to EOF; every byte checked, EOF required
      rounds      several request/response rounds of random sizes, then a plain close
      slow-reader send 256 KiB..2 MiB, read the echo in small sips with pauses (backpressure)
      reset       send up to 4 MiB without reading, then close with SO_LINGER 0 (RST), possibly
                  mid-echo; nothing is owed back, the server must just drop the connection
      read-reset  send a message, read and check part of its echo, then RST
      hold        connect, sit idle a moment, echo a little, close
  * UDP workers, each sending batches of datagrams (0 B to the family's maximum, 65507/65527)
    with a bounded amount in flight so no socket buffer overflows, and checking every reply
    came back intact, from the server's address;
  * a sampler reading the server's RSS (/proc/PID/status VmRSS) and descriptor count
    (/proc/PID/fd) twice a second.

Then it waits for every client to finish and for the server to hold no connection, and fails
(exit 1) if any byte or datagram that should have come back did not, if an operation hung or
errored, if the server's counters disagree with what the clients did, if the server's
descriptors are not back to their count at start, or if RSS grew after warm-up by more than the
tolerance (default 1 MiB). Prints a summary. Ends the server it started, by PID.
"""

import argparse
import collections
import os
import random
import re
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")

MiB = 1024 * 1024
UDP_MAX = {socket.AF_INET: 65507, socket.AF_INET6: 65527}


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops = collections.Counter()
        self.bytes_sent = 0          # TCP bytes written by clients in operations that owe their echo
        self.bytes_sent_reset = 0    # TCP bytes written by clients that then reset (the server may miss some)
        self.bytes_verified = 0      # TCP echo bytes received and checked
        self.connects = 0
        self.datagrams_sent = 0
        self.datagrams_verified = 0
        self.udp_bytes_verified = 0
        self.failures = []

    def add(self, **kw):
        with self.lock:
            for k, v in kw.items():
                setattr(self, k, getattr(self, k) + v)

    def op(self, name):
        with self.lock:
            self.ops[name] += 1

    def fail(self, msg):
        with self.lock:
            if len(self.failures) < 50:
                self.failures.append(msg)
        print(f"soak: FAILURE: {msg}", file=sys.stderr, flush=True)


class OpError(Exception):
    pass


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


# ---------------------------------------------------------------------------------------------
# TCP operations. Each takes a connected socket and an rng; raises OpError on a lost/bad byte.

OP_TIMEOUT = 30.0


def pump(sock, data, half_close, expect, deadline, sip=None, sip_pause=0.0):
    """Sends data while reading the echo (non-blocking, one thread). Returns the bytes read.
    With half_close: shuts down the sending side once all is sent and reads until EOF.
    Otherwise stops once `expect` bytes have been read (and, if expect is the whole message,
    everything has been sent)."""
    sock.setblocking(False)
    sel = selectors.DefaultSelector()
    view = memoryview(data)
    sent = 0
    got = bytearray()
    eof = False
    events = selectors.EVENT_READ | (selectors.EVENT_WRITE if data else 0)
    if not data and half_close:
        sock.shutdown(socket.SHUT_WR)
    sel.register(sock, events)
    try:
        while True:
            if half_close and eof:
                break
            if not half_close and len(got) >= expect and (sent >= len(data) or expect < len(data)):
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise OpError(f"timed out: sent {sent}/{len(data)}, got {len(got)}/{expect}")
            for key, mask in sel.select(min(left, 1.0)):
                if mask & selectors.EVENT_WRITE and sent < len(data):
                    try:
                        sent += sock.send(view[sent:sent + 262144])
                    except BlockingIOError:
                        pass
                    if sent == len(data):
                        if half_close:
                            sock.shutdown(socket.SHUT_WR)
                        sel.modify(sock, selectors.EVENT_READ)
                if mask & selectors.EVENT_READ:
                    try:
                        chunk = sock.recv(sip or 262144)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        eof = True
                        if not half_close or sent < len(data):
                            raise OpError(f"early EOF: sent {sent}/{len(data)}, got {len(got)}/{expect}")
                        break
                    got += chunk
                    if len(got) > sent:
                        raise OpError(f"more echo than sent: {len(got)} > {sent}")
                    if sip_pause:
                        time.sleep(sip_pause)
    finally:
        sel.close()
    return bytes(got)


def check(got, data, what):
    if got != data:
        n = min(len(got), len(data))
        i = next((k for k in range(n) if got[k] != data[k]), n)
        raise OpError(f"{what}: echo differs at byte {i} (got {len(got)} bytes, sent {len(data)})")


def random_size(rng, cap=MiB):
    # Log-uniform from 0 to cap: mostly small, some large.
    if rng.random() < 0.05:
        return 0
    return min(cap, int(2 ** rng.uniform(0, 20)))


def op_echo(sock, rng, stats):
    data = rng.randbytes(random_size(rng))
    got = pump(sock, data, True, len(data), time.monotonic() + OP_TIMEOUT)
    check(got, data, "echo")
    stats.add(bytes_sent=len(data), bytes_verified=len(got))


def op_rounds(sock, rng, stats):
    for r in range(rng.randint(2, 12)):
        data = rng.randbytes(max(1, random_size(rng, 128 * 1024)))
        got = pump(sock, data, False, len(data), time.monotonic() + OP_TIMEOUT)
        check(got, data, f"round {r}")
        stats.add(bytes_sent=len(data), bytes_verified=len(got))
    sock.close()


def op_slow_reader(sock, rng, stats):
    data = rng.randbytes(rng.randint(256 * 1024, 2 * MiB))
    got = pump(sock, data, True, len(data), time.monotonic() + OP_TIMEOUT * 2,
               sip=rng.choice([512, 4096, 16384]), sip_pause=0.0005)
    check(got, data, "slow reader")
    stats.add(bytes_sent=len(data), bytes_verified=len(got))


def rst_close(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def op_reset(sock, rng, stats):
    total = rng.randint(1, 4 * MiB)
    data = rng.randbytes(min(total, MiB))
    sock.setblocking(False)
    sent = 0
    deadline = time.monotonic() + 2.0
    while sent < total and time.monotonic() < deadline:
        try:
            sent += sock.send(memoryview(data)[: min(len(data), total - sent)])
        except BlockingIOError:
            time.sleep(0.002)  # the server pushes back: its buffer is full, echo pending
    stats.add(bytes_sent_reset=sent)
    rst_close(sock)


def op_read_reset(sock, rng, stats):
    data = rng.randbytes(rng.randint(2, 512 * 1024))
    part = rng.randint(1, len(data) - 1)
    got = pump(sock, data, False, part, time.monotonic() + OP_TIMEOUT)
    # pump may read a little past `part` within one recv: check what it got
    check(got, data[: len(got)], "read-reset")
    stats.add(bytes_sent_reset=len(data), bytes_verified=len(got))
    rst_close(sock)


def op_hold(sock, rng, stats):
    time.sleep(rng.uniform(0, 0.5))
    data = rng.randbytes(rng.randint(1, 64))
    got = pump(sock, data, True, len(data), time.monotonic() + OP_TIMEOUT)
    check(got, data, "hold")
    stats.add(bytes_sent=len(data), bytes_verified=len(got))


TCP_OPS = [(op_echo, 40), (op_rounds, 20), (op_slow_reader, 5), (op_reset, 12), (op_read_reset, 10), (op_hold, 13)]


def tcp_worker(wid, addrs, stop_at, stats, seed):
    rng = random.Random(seed)
    ops, weights = zip(*TCP_OPS)
    while time.monotonic() < stop_at:
        op = rng.choices(ops, weights)[0]
        fam, addr = rng.choice(addrs)
        sock = socket.socket(fam, socket.SOCK_STREAM)
        try:
            sock.settimeout(10)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.connect(addr)
            stats.add(connects=1)
            op(sock, rng, stats)
            stats.op(op.__name__[3:])
        except (OpError, OSError) as e:
            stats.fail(f"tcp worker {wid} {op.__name__[3:]} via {addr[0]}: {type(e).__name__}: {e}")
        finally:
            sock.close()


# ---------------------------------------------------------------------------------------------
# UDP

def udp_worker(wid, fam, addr, stop_at, stats, seed):
    """Batches of datagrams with at most ~68 KiB and 16 datagrams in flight, so neither the
    server's nor this socket's receive buffer (208 KiB by default) can overflow: on loopback
    every datagram must then come back."""
    rng = random.Random(seed)
    sock = socket.socket(fam, socket.SOCK_DGRAM)
    sock.bind(("::1" if fam == socket.AF_INET6 else "127.0.0.1", 0))
    sock.settimeout(5.0)
    server = socket.getaddrinfo(addr[0], addr[1], fam, socket.SOCK_DGRAM)[0][4]
    try:
        while time.monotonic() < stop_at:
            outstanding = collections.Counter()
            budget = 70000
            for _ in range(rng.randint(1, 16)):
                r = rng.random()
                if r < 0.03:
                    size = 0
                elif r < 0.05:
                    size = UDP_MAX[fam]
                elif r < 0.15:
                    size = rng.randint(1400, 40000)
                else:
                    size = rng.randint(1, 1400)
                if size > budget:
                    break
                budget -= size
                payload = rng.randbytes(size)
                sock.sendto(payload, server)
                outstanding[payload] += 1
                stats.add(datagrams_sent=1)
            while sum(outstanding.values()) > 0:
                try:
                    data, src = sock.recvfrom(70000)
                except socket.timeout:
                    n = sum(outstanding.values())
                    stats.fail(f"udp worker {wid} ({addr[0]}): {n} datagram(s) never came back "
                               f"(sizes {sorted(len(p) for p in outstanding.elements())[:10]})")
                    break
                if src[0] != server[0] or src[1] != server[1]:
                    stats.fail(f"udp worker {wid}: reply from {src}, not {server}")
                    continue
                if outstanding[data] <= 0:
                    stats.fail(f"udp worker {wid}: unexpected or corrupted reply of {len(data)} bytes")
                    continue
                outstanding[data] -= 1
                stats.add(datagrams_verified=1, udp_bytes_verified=len(data))
            stats.op("udp_batch")
    finally:
        sock.close()


# ---------------------------------------------------------------------------------------------
# The server

class Server:
    def __init__(self, binary, stderr_path):
        self.stderr_path = stderr_path
        self.stderr_file = open(stderr_path, "w+")
        args = [binary, "--tcp", "127.0.0.1:0", "--tcp", "[::1]:0", "--udp", "127.0.0.1:0", "--udp", "[::1]:0",
                "--log-level", "info"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr_file, stdin=subprocess.DEVNULL,
                                     text=True)
        self.pid = self.proc.pid
        self.tcp, self.udp = [], []
        deadline = time.monotonic() + 10
        while len(self.tcp) + len(self.udp) < 4:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not report its sockets")
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the server exited: {self.stderr()}")
            m = re.match(r"listening (tcp|udp) (\[?[^\]]+\]?):(\d+)$", line.strip())
            if m:
                host = m.group(2).strip("[]")
                fam = socket.AF_INET6 if ":" in host else socket.AF_INET
                (self.tcp if m.group(1) == "tcp" else self.udp).append((fam, (host, int(m.group(3)))))

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def counters(self, label="counters", timeout=5.0):
        """SIGUSR1 -> one 'info: counters k=v ...' line on stderr; returns the newest, parsed."""
        before = self.stderr().count(f"info: {label} ")
        if label == "counters":
            os.kill(self.pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while True:
            text = self.stderr()
            # Lines start with a UTC timestamp ("2026-12-02T01:02:03.456Z info: ...").
            lines = [l for l in (STAMP.sub("", l, count=1) for l in text.splitlines()) if l.startswith(f"info: {label} ")]
            if len(lines) > before or (label != "counters" and lines):
                return {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", lines[-1])}
            if time.monotonic() > deadline:
                raise RuntimeError(f"no '{label}' line on stderr")
            time.sleep(0.02)

    def stop(self, timeout=5.0):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.proc.wait(5)


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("duration", type=float, help="seconds of churn")
    ap.add_argument("--binary", required=True)
    ap.add_argument("--tcp-workers", type=int, default=8)
    ap.add_argument("--udp-workers", type=int, default=2, help="per family")
    ap.add_argument("--warmup", type=float, default=None, help="seconds (default: 15%% of the run, 5 to 60 s)")
    ap.add_argument("--rss-tolerance-kib", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--stderr", default=None, help="where the server's stderr goes (default: a temp file)")
    a = ap.parse_args()
    if a.duration <= 0:
        ap.error("duration must be positive")
    warmup = a.warmup if a.warmup is not None else min(60.0, max(5.0, a.duration * 0.15))
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "little")
    stderr_path = a.stderr or f"/tmp/rawselect-soak-{os.getpid()}.stderr"

    stats = Stats()
    server = Server(a.binary, stderr_path)
    ok = False
    try:
        time.sleep(0.3)
        start_rss, start_fds = rss_kib(server.pid), fd_count(server.pid)
        print(f"soak: server pid {server.pid}; {a.duration:g} s, warm-up {warmup:g} s, seed {seed}; "
              f"tcp {[x[1] for x in server.tcp]}, udp {[x[1] for x in server.udp]}", flush=True)

        t0 = time.monotonic()
        stop_at = t0 + a.duration
        samples = []  # (t, rss, fds)
        sampler_stop = threading.Event()

        def sampler():
            while not sampler_stop.is_set():
                try:
                    samples.append((time.monotonic() - t0, rss_kib(server.pid), fd_count(server.pid)))
                except OSError:
                    return
                sampler_stop.wait(0.5)

        threads = [threading.Thread(target=sampler, daemon=True)]
        for i in range(a.tcp_workers):
            threads.append(threading.Thread(target=tcp_worker, args=(i, server.tcp, stop_at, stats, seed + i), daemon=True))
        k = 0
        for fam, addr in server.udp:
            for _ in range(a.udp_workers):
                threads.append(threading.Thread(target=udp_worker, args=(k, fam, addr, stop_at, stats, seed + 1000 + k),
                                                daemon=True))
                k += 1
        for t in threads:
            t.start()

        last_report = t0
        while time.monotonic() < stop_at:
            time.sleep(1)
            if server.proc.poll() is not None:
                stats.fail(f"the server exited during the run (status {server.proc.returncode})")
                break
            if time.monotonic() - last_report >= 30:
                last_report = time.monotonic()
                s = samples[-1] if samples else (0, -1, -1)
                print(f"soak: t={s[0]:.0f}s ops={sum(stats.ops.values())} bytes={stats.bytes_verified} "
                      f"datagrams={stats.datagrams_verified} rss={s[1]} KiB fds={s[2]}", flush=True)

        for t in threads[1:]:
            t.join(OP_TIMEOUT * 3)
            if t.is_alive():
                stats.fail(f"a worker ({t.name}) is stuck")
        sampler_stop.set()
        threads[0].join()

        # All clients are gone: the server must hold no connection and only its own descriptors.
        try:
            c = server.counters()
            deadline = time.monotonic() + 10
            while c["tcp_open"] != 0 and time.monotonic() < deadline:
                time.sleep(0.2)
                c = server.counters()
        except RuntimeError as e:
            stats.fail(str(e))
            c = {}
        time.sleep(0.5)
        end_rss, end_fds = rss_kib(server.pid), fd_count(server.pid)

        warm = [s for s in samples if s[0] <= warmup]
        after = [s for s in samples if s[0] > warmup]
        warm_rss = max((s[1] for s in warm), default=start_rss)
        warm_fds = warm[-1][2] if warm else start_fds
        peak_after = max((s[1] for s in after), default=end_rss)
        fd_peak = max((s[2] for s in samples), default=end_fds)

        code = server.stop()
        exit_c = {}
        if code is None:
            stats.fail("the server did not exit within 5 s of SIGTERM")
        elif code != 0:
            stats.fail(f"the server exited {code} on SIGTERM")
        else:
            try:
                exit_c = server.counters("exit")
            except RuntimeError as e:
                stats.fail(str(e))

        # Checks.
        if c:
            if c.get("tcp_open", -1) != 0:
                stats.fail(f"{c.get('tcp_open')} connection(s) still open after every client left")
            if c["tcp_accepted"] != stats.connects:
                stats.fail(f"the server accepted {c['tcp_accepted']} connections, the clients made {stats.connects}")
            refused = c["tcp_refused_max_clients"] + c["tcp_refused_fd_limit"]
            if refused:
                stats.fail(f"the server refused {refused} connection(s)")
            # Every byte of a completed operation was read; of a reset one, some may not have been.
            if not stats.bytes_sent <= c["tcp_bytes_in"] <= stats.bytes_sent + stats.bytes_sent_reset:
                stats.fail(f"the server read {c['tcp_bytes_in']} bytes; the clients wrote {stats.bytes_sent} "
                           f"it owed echo for and {stats.bytes_sent_reset} before resetting")
            if c["udp_datagrams_in"] != stats.datagrams_sent:
                stats.fail(f"the server read {c['udp_datagrams_in']} datagrams, the clients sent {stats.datagrams_sent}")
            if c["udp_datagrams_out"] != stats.datagrams_verified:
                stats.fail(f"the server echoed {c['udp_datagrams_out']} datagrams, the clients got {stats.datagrams_verified} back")
            if c["tcp_closed_error"]:
                stats.fail(f"{c['tcp_closed_error']} connection(s) closed on an error")
        if end_fds != start_fds:
            stats.fail(f"descriptors: {start_fds} at start, {end_fds} once every client left")
        if end_rss > warm_rss + a.rss_tolerance_kib:
            stats.fail(f"RSS grew after warm-up: {warm_rss} KiB (peak during warm-up) -> {end_rss} KiB at the end "
                       f"(tolerance {a.rss_tolerance_kib} KiB)")
        if peak_after > warm_rss + a.rss_tolerance_kib:
            stats.fail(f"RSS peaked at {peak_after} KiB after warm-up, above the warm-up peak {warm_rss} KiB "
                       f"+ {a.rss_tolerance_kib} KiB")

        ops = sum(stats.ops.values())
        if ops == 0:
            stats.fail("no operation completed")
        elapsed = time.monotonic() - t0
        print("soak: summary")
        print(f"  duration          {a.duration:g} s of churn ({elapsed:.0f} s with the wind-down), seed {seed}")
        print(f"  operations        {ops} ({', '.join(f'{k} {v}' for k, v in sorted(stats.ops.items()))})")
        print(f"  tcp connections   {stats.connects} made; server accepted {c.get('tcp_accepted', '?')}, "
              f"closed eof {c.get('tcp_closed_eof', '?')}, reset {c.get('tcp_closed_reset', '?')}, "
              f"error {c.get('tcp_closed_error', '?')}")
        print(f"  bytes verified    {stats.bytes_verified} ({stats.bytes_verified / MiB:.1f} MiB echoed and checked; "
              f"{(stats.bytes_sent + stats.bytes_sent_reset) / MiB:.1f} MiB sent, "
              f"{stats.bytes_sent_reset / MiB:.1f} MiB of it by clients that reset; server read {c.get('tcp_bytes_in', '?')})")
        print(f"  datagrams         {stats.datagrams_verified} of {stats.datagrams_sent} verified "
              f"({stats.udp_bytes_verified / MiB:.1f} MiB)")
        print(f"  server RSS        start {start_rss} KiB, after warm-up {warm_rss} KiB (peak), "
              f"peak after warm-up {peak_after} KiB, end {end_rss} KiB")
        print(f"  server fds        start {start_fds}, after warm-up {warm_fds}, peak {fd_peak}, end {end_fds}")
        if samples:
            marks = [samples[min(len(samples) - 1, int(len(samples) * q))] for q in (0.1, 0.25, 0.5, 0.75, 0.99)]
            print("  RSS over the run  " + ", ".join(f"t={m[0]:.0f}s {m[1]} KiB" for m in marks))
        print(f"  server counters   select_calls {c.get('select_calls', '?')}, gc_collections {exit_c.get('gc_collections', '?')}, "
              f"exit status {code}")
        if stats.failures:
            print(f"soak: FAILED ({len(stats.failures)} problem(s)):")
            for f in stats.failures:
                print(f"  - {f}")
        else:
            print("soak: PASSED")
            ok = True
    finally:
        server.kill()
        if ok and a.stderr is None:
            try:
                os.unlink(stderr_path)
            except OSError:
                pass
        elif not ok:
            print(f"soak: server stderr kept in {stderr_path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
