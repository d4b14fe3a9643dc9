#!/usr/bin/env python3
"""Renders a benchmark result (results.json written by bench.py) as Markdown tables and an
SVG chart, with the Python standard library only.

    python3 scripts/bench/report.py artifacts/bench/results.json   # rewrites results.md + chart.svg
"""
import json
import math
import os
import sys
from xml.sax.saxutils import escape

# one hue per multiplexer: RawSelect on it drawn solid and thick, the C server on it dashed
COLORS = {"rawselect-select": "#d62728", "c-select": "#d62728", "rawselect-poll": "#1f77b4", "c-poll": "#1f77b4",
          "rawselect-epoll": "#ff7f0e", "c-epoll": "#ff7f0e", "dotnet-async": "#2ca02c",
          "dotnet-select": "#9467bd", "python": "#7f7f7f"}
DASHED = {"c-select", "c-poll", "c-epoll"}

# the targets of issue 9 (server CPU per operation, median ratios in the same run)
TARGET_LOOPS = 1.10         # --loops 2 vs --loops 1 on the same backend, server CPU per op, every cell
TARGET_SPREAD = (40.0, 60.0)  # each of 2 loops' share of the connections at 1000 connections, %
TARGET_COUNTERPART = 1.05   # every RawSelect backend vs the C server on the same multiplexer, every cell
TARGET_EPOLL_IDLE = 1.5     # RawSelect epoll, 1 active + 10000 idle vs 1 active + 0 idle
TARGET_SELECT_PARITY = 1.05  # RawSelect select vs C select, geometric mean over the matrix (2026-11-25: 1.04)
TARGET_RSS_MIB = 6.0        # RawSelect select and epoll, VmRSS with 10,000 idle connections


def fmt_num(v, digits=3):
    """3 significant digits, k/M suffixes for large values."""
    if v is None:
        return "-"
    v = float(v)
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6:
        return "%.*gM" % (digits, v / 1e6)
    if a >= 1e4:
        return "%.*gk" % (digits, v / 1e3)
    if a >= 100:
        return "%.0f" % v
    return "%.*g" % (digits, v)


def fmt_ratio(v, ref):
    if v is None or ref is None or ref == 0:
        return ""
    return " (%.2f×)" % (v / ref)


def is_stream(scen):
    return scen["mode"] == "tcp-stream"


def _cell(result, sid, server):
    return result["cells"].get("%s|%s" % (sid, server))


def _val(cell, key):
    if not cell or not cell.get("ok"):
        return None
    return cell.get(key)


def _group(result, group):
    return [sc for sc in result["scenarios"] if sc.get("group", "matrix") == group]


def _servers_of(result, scens):
    """The run's servers that ran any of scens, in the run's order."""
    ran = set()
    for sc in scens:
        ran.update(sc.get("servers") or result["meta"]["servers"])
    return [s for s in result["meta"]["servers"] if s in ran]


def _counterparts(result):
    cp = result["meta"].get("counterpart") or {}
    return [(r, c) for r, c in cp.items() if r in result["meta"]["servers"] and c in result["meta"]["servers"]]


def _cpu(result, sid, s):
    return _val(_cell(result, sid, s), "server_cpu_us_per_op")


def _ratio(a, b):
    return a / b if a is not None and b else None


def _fmt_x(v):
    return "-" if v is None else "%.2f×" % v


def _geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def markdown(result):
    meta = result["meta"]
    matrix = _group(result, "matrix")
    sweep = _group(result, "sweep")
    servers = _servers_of(result, matrix)
    ref = meta["reference"] if meta["reference"] in servers else None
    titles = result["servers"]
    out = []
    w = out.append
    w("# RawSelect benchmark (%s run)\n" % meta["profile"])
    w("%s UTC; %s CPU(s) (%s), Linux %s; gcc %s; .NET SDK %s; Python %s. Load generator and server share the "
      "machine." % (meta["date_utc"], meta["cpus"], meta.get("cpu_model") or "?", meta["kernel"],
                    (meta.get("gcc") or "?").split()[-1], meta.get("dotnet") or "?", meta["python"]))
    w("Each cell is the median of %d run(s) (servers alternate A B C … per round, a fresh server process per "
      "run); warm-up %.1f s, measured window %.1f s; whole benchmark took %.0f s.\n"
      % (meta["runs"], meta["warmup_s"], meta["duration_s"], meta["elapsed_s"]))
    if matrix and ref:
        w("Ratios are against **%s** (`%s`): throughput higher is better; CPU per op and latency lower is "
          "better.\n" % (titles[ref], ref))
    elif matrix:
        w("The reference server (`%s`) was not part of this run: no ratios.\n" % meta["reference"])

    head = "| Scenario | " + " | ".join(titles[s] for s in servers) + " |"
    sep = "|---|" + "---:|" * len(servers)

    def table(title, key, note, stream_key=None, better="high"):
        if not matrix:
            return
        w("## %s\n" % title)
        if note:
            w(note + "\n")
        w(head)
        w(sep)
        for scen in matrix:
            k = stream_key if (stream_key and is_stream(scen)) else key
            refv = _val(_cell(result, scen["id"], ref), k) if ref else None
            row = []
            for s in servers:
                c = _cell(result, scen["id"], s)
                v = _val(c, k)
                if c is None:
                    row.append("")
                elif v is None:
                    row.append("FAIL")
                else:
                    mark = "" if c["ok_runs"] == c["runs"] else " ⚠%d/%d" % (c["ok_runs"], c["runs"])
                    row.append(fmt_num(v) + (fmt_ratio(v, refv) if s != ref else "") + mark)
            label = scen["title"] + (" — MB/s" if (stream_key and is_stream(scen)) else "")
            w("| %s | %s |" % (label, " | ".join(row)))
        w("")

    table("Throughput", "ops_per_s", "Round trips per second (churn: connections per second; stream: MB/s "
          "echoed).", stream_key="mb_per_s")
    table("Server CPU per operation (µs)", "server_cpu_us_per_op",
          "utime+stime of the server process from `/proc/PID/stat` over the measured window, divided by the "
          "operations in it (stream: per 64 KiB echoed; churn: per connection). Includes the kernel work the "
          "server's syscalls do, on loopback also the delivery to the client's socket.")
    table("p99 latency (µs)", "lat_p99_us",
          "Client-side, from sending a request to its whole echo verified (churn: from connect() to the echo; "
          "stream: from a write to its last byte echoed, queueing included).")
    pairs = [(r, c) for r, c in _counterparts(result) if r in servers and c in servers]
    if matrix and pairs:
        w("## RawSelect against the C server on the same multiplexer (server CPU per operation)\n")
        w("Each RawSelect backend divided by its C counterpart, same cell, same run (lower is better; the target "
          "is at most %.2f× in every cell).\n" % TARGET_COUNTERPART)
        w("| Scenario | " + " | ".join("%s / %s" % (r, c) for r, c in pairs) + " |")
        w("|---|" + "---:|" * len(pairs))
        for scen in matrix:
            w("| %s | %s |" % (scen["title"], " | ".join(
                _fmt_x(_ratio(_cpu(result, scen["id"], r), _cpu(result, scen["id"], c))) for r, c in pairs)))
        w("")
    loops_section(result, w, matrix, servers)
    if sweep:
        sweep_section(result, w)
    w("## Targets\n")
    for line in target_lines(result):
        w("- " + line)
    w("")

    w("## Details (medians)\n")
    w("Bound: which side was saturated in that cell: `client` (load generator ≥ 90 % of a core), `server` "
      "(server ≥ 90 %), `both`, `cpu` (the two together ≥ 180 % of the 2 cores), or `wake-ups` (neither: "
      "both sides spend the gaps waiting to be woken). Other CPU: what the rest of the machine used in the "
      "window (`/proc/stat` busy time minus server and client), in % of one CPU: above ~10 % the cell is "
      "disturbed.\n")
    w("| Scenario | Server | ops/s | MB/s | p50 µs | p99 µs | p99.9 µs | srv µs/op | srv CPU % | cli CPU % "
      "| bound | other CPU % | srv threads | runs ok |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    for scen in result["scenarios"]:
        for s in meta["servers"]:
            c = _cell(result, scen["id"], s)
            if c is None:
                continue
            if not c["ok"]:
                w("| %s | %s | FAIL | | | | | | | | | | | %d/%d |" % (scen["title"], titles[s], c["ok_runs"],
                                                                 c["runs"]))
                continue
            sc, cc = c.get("server_cpu_pct") or 0, c.get("client_cpu_pct") or 0
            bound = ("both" if sc >= 90 and cc >= 90 else "client" if cc >= 90 else "server" if sc >= 90
                     else "cpu" if sc + cc >= 180 else "wake-ups")
            extra = ""
            if scen["mode"] == "udp-pingpong" and c.get("udp_lost"):
                extra = " (lost %d)" % c["udp_lost"]
            if scen["mode"] == "tcp-churn" and (c.get("errors") or c.get("connect_errors")):
                extra = " (errors %d)" % ((c.get("errors") or 0) + (c.get("connect_errors") or 0))
            w("| %s | %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d |" % (
                scen["title"], titles[s], fmt_num(c["ops_per_s"]), extra, fmt_num(c["mb_per_s"]),
                fmt_num(c["lat_p50_us"]), fmt_num(c["lat_p99_us"]), fmt_num(c["lat_p999_us"]),
                fmt_num(c["server_cpu_us_per_op"]), fmt_num(c["server_cpu_pct"]), fmt_num(c["client_cpu_pct"]),
                bound, fmt_num(c.get("other_cpu_pct")), fmt_num(c.get("server_threads")), c["ok_runs"], c["runs"]))
    w("")

    w("## Per server\n")
    w("exec → listening: from `posix_spawn` to the last `listening` line read from the server's stdout "
      "(median and best of %d). Idle RSS: 300 ms after listening. RSS after the 1000-connection run: VmRSS at the "
      "end of the measured window of *TCP ping-pong 64 B, 1000 conns*, connections still open (median).\n"
      % meta["probe_runs"])
    w("| Server | exec → listening ms (median / best) | idle RSS MiB | RSS after 1000 conns MiB | "
      "RSS 1 + 10000 idle MiB | binary | threads (idle) | SIGTERM → exit ms |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|")
    for s in meta["servers"]:
        p = result["per_server"][s]
        mib = lambda kb: "-" if kb is None else "%.2f" % (kb / 1024.0)  # noqa: E731
        size = "-" if p["binary_bytes"] is None else "%.2f MB" % (p["binary_bytes"] / 1e6)
        if p["binary_note"]:
            size += " (%s)" % p["binary_note"]
        lm = "-" if p["listen_ms"] is None else "%.2f / %.2f" % (p["listen_ms"], p["listen_ms_min"])
        if p["probe_ok"] < p["probe_runs"]:
            lm += " ⚠%d/%d ok" % (p["probe_ok"], p["probe_runs"])
        w("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            titles[s], lm, mib(p["idle_rss_kb"]), mib(p["rss_after_1000_kb"]), mib(p.get("rss_idle10000_kb")),
            size, fmt_num(p["threads_idle"]), fmt_num(p["exit_ms"])))
    w("")

    gc_rows = [(scen, _cell(result, scen["id"], s)) for scen in result["scenarios"] for s in meta["servers"]
               if _cell(result, scen["id"], s) and _cell(result, scen["id"], s).get("gc_in_window")]
    if gc_rows:
        w("## Garbage collections in the measured window (rawselect, from its SIGUSR1 counters)\n")
        for scen, c in gc_rows:
            w("- %s: %s" % (scen["title"], ", ".join("%s +%g" % kv for kv in c["gc_in_window"].items())))
        w("")

    fails = []
    for scen in result["scenarios"]:
        for s in meta["servers"]:
            c = _cell(result, scen["id"], s)
            if c and c["ok_runs"] < c["runs"]:
                skipped = c.get("skipped_runs") or 0
                fails.append("- %s / %s: %d of %d runs failed%s: %s" % (
                    titles[s], scen["title"], c["runs"] - c["ok_runs"] - skipped, c["runs"],
                    " (%d more skipped)" % skipped if skipped else "", "; ".join(c["errors_seen"]) or "?"))
    for s in meta["servers"]:
        p = result["per_server"][s]
        if p["probe_errors"]:
            fails.append("- %s / startup probe: %s" % (titles[s], "; ".join(p["probe_errors"])))
    unclean = {}
    for r in result["runs"]:
        if r.get("ok") and not r.get("server_exit_clean"):
            unclean.setdefault(r["server"], []).append(r.get("server_exit_code"))
    for s, codes in unclean.items():
        fails.append("- %s: no clean exit 0 after SIGTERM in %d run(s) (exit codes %s)"
                     % (titles[s], len(codes), sorted(set(codes), key=str)))
    if fails:
        w("## Failures\n")
        out.extend(fails)
        w("")

    # CPU cross-check: /proc/PID/stat ticks vs schedstat nanoseconds
    devs = []
    for c in result["cells"].values():
        a, b = c.get("server_cpu_us_per_op"), c.get("server_sched_cpu_us_per_op")
        if c.get("ok") and a and b:
            devs.append(abs(a - b) / b)
    w("## Notes\n")
    noisy = [c for c in result["cells"].values() if c.get("ok") and (c.get("other_cpu_pct") or 0) > 10]
    if (meta.get("busy_before_pct") or 0) > 10 or noisy:
        w("- **WARNING: the machine was not quiet.** Other processes used %s %% of a CPU before the start, and "
          "more than 10 %% of a CPU during %d cell(s) (median per cell up to %s %%). Those numbers are skewed; "
          "rerun on an idle machine (`--wait-quiet 120` waits for one)." % (
              fmt_num(meta.get("busy_before_pct")), len(noisy),
              fmt_num(max([c.get("other_cpu_pct") or 0 for c in noisy], default=0))))
    if devs:
        devs.sort()
        w("- CPU cross-check: `/proc/PID/stat` counts in clock ticks (1/%d s); the sum of "
          "`/proc/PID/task/*/schedstat` (nanoseconds) differs from it by %.1f %% at the median and %.1f %% at "
          "worst over all cells. Longer windows (the full run) shrink the tick error." % (
              meta.get("clk_tck") or 100, 100 * devs[len(devs) // 2], 100 * devs[-1]))
    w("- Raw data: `results.json` (every run, every probe, server stderr tails), `runs.csv`, `cells.csv`; "
      "chart: `chart.svg`.")
    w("")
    return "\n".join(out)


# ----------------------------------------------------------------------------- sweep

def sweep_points(result):
    """The two series of the sweep: [(label, [(x, N, scenario id)])]. x is the number of connections the
    server holds (1 + N idle; N active), so both fit one log axis; 1 active + 0 idle is also 1 active."""
    ids = {sc["id"] for sc in _group(result, "sweep")}
    meta = result["meta"]
    idle = [(1 + n, n, "sweep-c1-idle%d" % n) for n in meta.get("sweep_idle", [])]
    active = [(n, n, "sweep-c1-idle0" if n == 1 else "sweep-c%d" % n) for n in meta.get("sweep_active", [])]
    return [("1 active + N idle", [p for p in idle if p[2] in ids]),
            ("N active", [p for p in active if p[2] in ids])]


def sweep_section(result, w):
    scens = _group(result, "sweep")
    servers = _servers_of(result, scens)
    titles = result["servers"]
    series = sweep_points(result)
    w("## Scaling sweep: server CPU per round trip (µs)\n")
    w("TCP ping-pong 64 B. First one active connection while N others sit idle (every select or poll call "
      "still hands the kernel all of them), then N connections all active; 1 + 0 idle and 1 active are the "
      "same cell. Server CPU (utime+stime, `/proc/PID/stat`) over the window ÷ round trips; median of %d "
      "run(s), servers alternating, a fresh process per run.\n" % result["meta"]["runs"])
    cols = [(lab, n, sid) for lab, pts in series for _, n, sid in pts]
    hdr = ["1 + %d idle" % n if lab.startswith("1 active") else "%d active" % n for lab, n, _ in cols]
    if not cols:
        # the smoke cell, or a hand-picked one
        cols = [("", 0, sc["id"]) for sc in scens]
        hdr = [sc["title"].split(", ", 1)[-1] for sc in scens]
    w("| Server | " + " | ".join(hdr) + " |")
    w("|---|" + "---:|" * len(cols))
    for s in servers:
        w("| %s | %s |" % (titles[s], " | ".join(fmt_num(_cpu(result, sid, s)) for _, _, sid in cols)))
    w("")
    pairs = [(r, c) for r, c in _counterparts(result) if r in servers and c in servers]
    if pairs:
        w("Ratios, RawSelect backend / the C server on the same multiplexer (target ≤ %.2f× in every cell):\n"
          % TARGET_COUNTERPART)
        w("| Ratio | " + " | ".join(hdr) + " |")
        w("|---|" + "---:|" * len(cols))
        for r, c in pairs:
            w("| %s / %s | %s |" % (r, c, " | ".join(_fmt_x(_ratio(_cpu(result, sid, r), _cpu(result, sid, c)))
                                                  for _, _, sid in cols)))
        w("")
    if any(sc["id"] == "sweep-c1-idle10000" for sc in scens) and any(sc["id"] == "sweep-c1-idle0" for sc in scens):
        w("What 10,000 idle connections cost each server: CPU per round trip at 1 active + 10000 idle ÷ at 1 active "
          "+ 0 idle (RawSelect epoll's target: ≤ %.1f×), and the server's VmRSS at the end of the 10,000-idle "
          "window, connections open (RawSelect select and epoll: ≤ %g MiB).\n" % (TARGET_EPOLL_IDLE, TARGET_RSS_MIB))
        w("| Server | 1 + 10000 idle ÷ 1 + 0 idle | RSS at 1 + 10000 idle MiB | peak RSS (VmHWM) MiB |")
        w("|---|---:|---:|---:|")
        for s in servers:
            c = _cell(result, "sweep-c1-idle10000", s)
            rss, hwm = _val(c, "server_rss_kb_end"), _val(c, "server_hwm_kb")
            w("| %s | %s | %s | %s |" % (
                titles[s], _fmt_x(_ratio(_cpu(result, "sweep-c1-idle10000", s), _cpu(result, "sweep-c1-idle0", s))),
                "-" if rss is None else "%.2f" % (rss / 1024.0), "-" if hwm is None else "%.2f" % (hwm / 1024.0)))
        w("")


def _loop_pairs(result, servers):
    lp = result["meta"].get("loops_pair") or {}
    return [(m, one) for m, one in lp.items() if m in servers and one in servers]


def _spread(result, sid, s):
    c = _cell(result, sid, s)
    return c.get("loop_share_pct") if c and c.get("ok") else None


def _fmt_spread(shares):
    return "–" if not shares else "/".join("%.0f" % x for x in shares) + " %"


def loops_section(result, w, matrix, servers):
    """--loops 2 beside --loops 1: the cost per operation and how the kernel spread the work."""
    pairs = _loop_pairs(result, servers)
    if not matrix or not pairs:
        return
    w("## RawSelect --loops 2 against --loops 1 (server CPU per operation, and each loop's share)\n")
    w("The two-loop server divided by the one-loop server on the same backend, same cell, same run (target: at "
      "most %.2f× in every cell), and each loop's share of the work in %% (TCP: of the connections open at the "
      "end of the window; UDP: of the datagrams in it; from the per-loop SIGUSR1 lines; target at 1000 "
      "connections: %.0f–%.0f %% each). The load generator shares the 2 cores, so throughput cannot scale here; "
      "the cost per operation and the spread are what carry to a larger machine.\n" % (TARGET_LOOPS, TARGET_SPREAD[0], TARGET_SPREAD[1]))
    w("| Scenario | " + " | ".join("%s / %s | spread" % (m, one) for m, one in pairs) + " |")
    w("|---|" + "---:|---:|" * len(pairs))
    for scen in matrix:
        w("| %s | %s |" % (scen["title"], " | ".join(
            "%s | %s" % (_fmt_x(_ratio(_cpu(result, scen["id"], m), _cpu(result, scen["id"], one))),
                         _fmt_spread(_spread(result, scen["id"], m))) for m, one in pairs)))
    w("")


def target_lines(result):
    """Issue 9's targets, each `name: met|NOT MET|not measured (detail)`, from this run's medians."""
    out = []
    meta = result["meta"]
    everything = [sc for sc in result["scenarios"]]
    servers = meta["servers"]

    def verdict(ok):
        return "not measured" if ok is None else "met" if ok else "NOT MET"

    # 1. every backend vs its counterpart in every cell both ran
    cp = meta.get("counterpart") or {}
    for r in cp:
        c = cp[r]
        if r not in servers or c not in servers:
            out.append("%s within %.2f× of %s (CPU per op, every cell): not measured (not in this run)"
                       % (r, TARGET_COUNTERPART, c))
            continue
        rs = [(_ratio(_cpu(result, sc["id"], r), _cpu(result, sc["id"], c)), sc) for sc in everything]
        rs = [(x, sc) for x, sc in rs if x is not None]
        if not rs:
            out.append("%s within %.2f× of %s (CPU per op, every cell): not measured (no cell where both ran)"
                       % (r, TARGET_COUNTERPART, c))
            continue
        worst, wsc = max(rs, key=lambda t: t[0])
        over = sum(1 for x, _ in rs if x > TARGET_COUNTERPART)
        out.append("%s within %.2f× of %s (CPU per op, every cell): %s (worst %.2f× in %s; %d of %d cells above; "
                   "geometric mean %.2f×)" % (r, TARGET_COUNTERPART, c, verdict(worst <= TARGET_COUNTERPART), worst,
                                             wsc["id"], over, len(rs), _geomean([x for x, _ in rs])))

    # 1b. --loops 2 costs no more per operation than --loops 1, and the kernel spreads the work
    for m, one in (meta.get("loops_pair") or {}).items():
        if m not in servers or one not in servers:
            out.append("%s within %.2f× of %s (CPU per op, every cell): not measured (not in this run)" % (m, TARGET_LOOPS, one))
            continue
        rs = [(_ratio(_cpu(result, sc["id"], m), _cpu(result, sc["id"], one)), sc) for sc in _group(result, "matrix")]
        rs = [(x, sc) for x, sc in rs if x is not None]
        if not rs:
            out.append("%s within %.2f× of %s (CPU per op, every cell): not measured (no cell where both ran)" % (m, TARGET_LOOPS, one))
        else:
            worst, wsc = max(rs, key=lambda t: t[0])
            out.append("%s within %.2f× of %s (CPU per op, every cell): %s (worst %.2f× in %s; %d of %d cells above; "
                       "geometric mean %.2f×)" % (m, TARGET_LOOPS, one, verdict(worst <= TARGET_LOOPS), worst, wsc["id"],
                                                 sum(1 for x, _ in rs if x > TARGET_LOOPS), len(rs), _geomean([x for x, _ in rs])))
        sh = _spread(result, "tcp-pp-64-c1000", m)
        ok = None if not sh else all(TARGET_SPREAD[0] <= x <= TARGET_SPREAD[1] for x in sh)
        out.append("%s at 1000 connections: each loop serves %.0f–%.0f %% of them: %s%s" % (
            m, TARGET_SPREAD[0], TARGET_SPREAD[1], verdict(ok), "" if not sh else " (%s)" % _fmt_spread(sh)))

    # 2. epoll: 10000 idle costs (almost) nothing
    a, b = _cpu(result, "sweep-c1-idle10000", "rawselect-epoll"), _cpu(result, "sweep-c1-idle0", "rawselect-epoll")
    x = _ratio(a, b)
    out.append("rawselect-epoll at 1 active + 10000 idle within %.1f× of its own 1 active + 0 idle: %s%s" % (
        TARGET_EPOLL_IDLE, verdict(None if x is None else x <= TARGET_EPOLL_IDLE),
        "" if x is None else " (%.2f×: %s vs %s µs per round trip)" % (x, fmt_num(a), fmt_num(b))))
    ce = _ratio(_cpu(result, "sweep-c1-idle10000", "c-epoll"), _cpu(result, "sweep-c1-idle0", "c-epoll"))
    if ce is not None:
        out[-1] += "; c-epoll: %.2f×" % ce

    # 3. the default backend keeps parity with C select over the matrix
    matrix = _group(result, "matrix")
    rs = [(_ratio(_cpu(result, sc["id"], "rawselect-select"), _cpu(result, sc["id"], "c-select")), sc) for sc in matrix]
    rs = [(x, sc) for x, sc in rs if x is not None]
    g = _geomean([x for x, _ in rs])
    detail = ""
    if rs:
        lo, hi = min(rs, key=lambda t: t[0]), max(rs, key=lambda t: t[0])
        detail = " (geometric mean %.2f× over %d matrix cells; %.2f× in %s to %.2f× in %s; 2026-11-25: 1.04×)" % (
            g, len(rs), lo[0], lo[1]["id"], hi[0], hi[1]["id"])
    out.append("rawselect-select keeps parity with c-select over the matrix (geometric mean of CPU per op ≤ %.2f×): "
               "%s%s" % (TARGET_SELECT_PARITY, verdict(None if g is None else g <= TARGET_SELECT_PARITY), detail))

    # 4. memory with 10,000 idle connections
    parts, oks = [], []
    for s in ("rawselect-select", "rawselect-epoll", "rawselect-poll"):
        kb = _val(_cell(result, "sweep-c1-idle10000", s), "server_rss_kb_end")
        if kb is None:
            continue
        parts.append("%s %.2f MiB" % (s, kb / 1024.0))
        if s != "rawselect-poll":
            oks.append(kb / 1024.0 <= TARGET_RSS_MIB)
    out.append("RSS with 10,000 idle connections ≤ %g MiB (select and epoll): %s%s" % (
        TARGET_RSS_MIB, verdict(all(oks) if oks else None), " (%s)" % ", ".join(parts) if parts else ""))
    return out


# ----------------------------------------------------------------------------- SVG

def _nice_log_ticks(lo, hi):
    ticks = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi * 1.0001:
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo / 1.0001 <= v <= hi * 1.0001:
                ticks.append(v)
        e += 1
    return ticks


def _nice_lin_ticks(hi, n=5):
    if hi <= 0:
        return [0, 1]
    raw = hi / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    return [i * step for i in range(int(hi / step) + 2)]


def svg(result):
    meta = result["meta"]
    matrix_servers = _servers_of(result, _group(result, "matrix"))
    sweep_scens = _group(result, "sweep")
    sweep_servers = _servers_of(result, sweep_scens)
    has_matrix = any(sc["id"].startswith("tcp-pp-64-") for sc in _group(result, "matrix"))
    has_sweep = any(len(pts) >= 2 for _, pts in sweep_points(result))
    servers = matrix_servers
    titles = result["servers"]
    sweep = [("tcp-pp-64-c1", 1), ("tcp-pp-64-c64", 64), ("tcp-pp-64-c512", 512), ("tcp-pp-64-c1000", 1000)]
    row_h = 420
    W, H = 1260, 90 + row_h * (int(has_matrix) + int(has_sweep)) + 40
    pw, ph = 330, 300
    top = 80
    lefts = [80, 500, 920]
    what = ("TCP ping-pong 64 B against the number of connections, and one active connection with 1000 idle ones "
            "beside it (select scans every descriptor on every call)." if has_matrix else
            "The scaling sweep: server CPU per round trip, one line per server; RawSelect solid, C dashed." if has_sweep
            else "No chartable scenario in this run.")
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
             'font-family="Helvetica, Arial, sans-serif" font-size="12">' % (W, H, W, H),
             '<rect width="100%" height="100%" fill="white"/>',
             '<text x="%d" y="26" font-size="17" font-weight="bold">RawSelect benchmark: echo servers on %s CPU(s), '
             '%s run (median of %d)</text>' % (20, meta["cpus"], meta["profile"], meta["runs"]),
             '<text x="20" y="46" fill="#555">%s</text>' % escape(what)]

    if has_matrix:
        def val(sid, s, key):
            c = result["cells"].get("%s|%s" % (sid, s))
            return c.get(key) if c and c.get("ok") else None

        xs = [1, 64, 512, 1000]
        xlo, xhi = math.log10(0.7), math.log10(1500)

        def X(left, x):
            return left + (math.log10(x) - xlo) / (xhi - xlo) * pw

        def frame(left, title, ylabel):
            parts.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>' % (left, top, pw, ph))
            parts.append('<text x="%d" y="%d" font-weight="bold">%s</text>' % (left, top - 10, escape(title)))
            parts.append('<text transform="translate(%d,%d) rotate(-90)" text-anchor="middle" fill="#333">%s</text>'
                         % (left - 55, top + ph / 2, escape(ylabel)))

        def xaxis(left):
            for x in xs:
                px = X(left, x)
                parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (px, top, px, top + ph))
                parts.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (px, top + ph + 16, x))
            parts.append('<text x="%d" y="%d" text-anchor="middle" fill="#333">connections (log scale)</text>'
                         % (left + pw / 2, top + ph + 34))

        # panel 1: throughput, linear y
        frame(lefts[0], "Throughput (round trips/s)", "round trips / s")
        xaxis(lefts[0])
        ymax = max([val(sid, s, "ops_per_s") or 0 for sid, _ in sweep for s in servers] + [1])
        ticks = _nice_lin_ticks(ymax)
        ytop = ticks[-1] if ticks[-1] >= ymax else ymax

        def Y1(v):
            return top + ph - v / ytop * ph
        for t in ticks:
            if t <= ytop:
                parts.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>' % (lefts[0], Y1(t),
                                                                                            lefts[0] + pw, Y1(t)))
                parts.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (lefts[0] - 5, Y1(t) + 4, fmt_num(t)))
        for s in servers:
            pts = [(X(lefts[0], x), Y1(val(sid, s, "ops_per_s"))) for sid, x in sweep if val(sid, s, "ops_per_s")]
            _series(parts, pts, s)

        # panel 2: server CPU per op, log y
        frame(lefts[1], "Server CPU per round trip (µs, log)", "server CPU µs / round trip")
        xaxis(lefts[1])
        def log_range(vals):
            vals = [v for v in vals if v]
            return (min(vals) / 1.5, max(vals) * 1.5) if vals else (1, 10)

        def Ylog(v, lo, hi):
            return top + ph - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * ph

        lo, hi = log_range([val(sid, s, "server_cpu_us_per_op") for sid, _ in sweep for s in servers])

        def Y2(v):
            return Ylog(v, lo, hi)
        for t in _nice_log_ticks(lo, hi):
            parts.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>' % (lefts[1], Y2(t),
                                                                                        lefts[1] + pw, Y2(t)))
            parts.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (lefts[1] - 5, Y2(t) + 4, fmt_num(t)))
        for s in servers:
            pts = [(X(lefts[1], x), Y2(val(sid, s, "server_cpu_us_per_op"))) for sid, x in sweep
                   if val(sid, s, "server_cpu_us_per_op")]
            _series(parts, pts, s)

        # panel 3: 1 active with 0 vs 1000 idle, grouped bars, log y
        left = lefts[2]
        lo, hi = log_range([val(sid, s, "server_cpu_us_per_op") for s in servers
                            for sid in ("tcp-pp-64-c1", "tcp-pp-64-c1-idle1000")])
        parts.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>' % (left, top, pw, ph))
        parts.append('<text x="%d" y="%d" font-weight="bold">1 active conn: alone vs + 1000 idle (µs/op, log)</text>'
                     % (left, top - 10))
        for t in _nice_log_ticks(lo, hi):
            parts.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>' % (left, Y2(t), left + pw, Y2(t)))
            parts.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (left - 5, Y2(t) + 4, fmt_num(t)))
        gw = pw / max(len(servers), 1)
        for i, s in enumerate(servers):
            gx = left + i * gw
            for j, (sid, opacity) in enumerate((("tcp-pp-64-c1", 0.45), ("tcp-pp-64-c1-idle1000", 1.0))):
                v = val(sid, s, "server_cpu_us_per_op")
                bx = gx + gw * (0.15 + 0.35 * j)
                if v:
                    y = Y2(v)
                    parts.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="%.2f"/>'
                                 % (bx, y, gw * 0.33, top + ph - y, COLORS.get(s, "#777"), opacity))
                    parts.append('<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%s</text>'
                                 % (bx + gw * 0.165, y - 3, fmt_num(v)))
                else:
                    ran = result["cells"].get("%s|%s" % (sid, s)) is not None
                    parts.append('<text x="%.1f" y="%d" text-anchor="middle" font-size="10" fill="%s">%s</text>'
                                 % (bx + gw * 0.165, top + ph - 4, "#a00" if ran else "#888", "fail" if ran else "n/a"))
            parts.append('<text transform="translate(%.1f,%d) rotate(-35)" text-anchor="end" font-size="9">%s</text>'
                         % (gx + gw / 2, top + ph + 12, escape(s.replace("rawselect-", "RawSelect "))))
        parts.append('<text x="%d" y="%d" text-anchor="middle" fill="#333">pale: 1 conn alone; solid: + 1000 idle</text>'
                     % (left + pw / 2, top + ph + 66))


    if has_sweep:
        stop = 80 + row_h * int(has_matrix)
        if has_matrix:
            parts.append('<text x="20" y="%d" fill="#555">The scaling sweep: server CPU per round trip against the '
                         'connections held, log-log, one line per server; RawSelect solid, the C server on the same '
                         'multiplexer dashed.</text>' % (stop - 36))
        _sweep_svg(parts, result, sweep_servers, stop)

    # legend: every server drawn
    lx, ly = 80, H - 48
    drawn = [s for s in meta["servers"] if (has_matrix and s in matrix_servers) or (has_sweep and s in sweep_servers)]
    for s in drawn:
        c = COLORS.get(s, "#777")
        label = titles.get(s, s)
        if lx + 40 + 7 * len(label) > W - 10:  # wrap
            lx, ly = 80, ly + 20
        parts.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="%d"%s/>'
                     % (lx, ly, lx + 24, ly, c, 4 if s.startswith("rawselect") else 2,
                        ' stroke-dasharray="5,3"' if s in DASHED else ""))
        parts.append('<circle cx="%d" cy="%d" r="3.5" fill="%s"/>' % (lx + 12, ly, c))
        parts.append('<text x="%d" y="%d">%s</text>' % (lx + 30, ly + 4, escape(label)))
        lx += 40 + 7 * len(label)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _sweep_svg(parts, result, servers, top):
    """Two log-log panels: server CPU per round trip against connections held, one line per server."""
    pw, ph = 520, 300
    lefts = [80, 700]
    cells = result["cells"]

    def cpu(sid, s):
        c = cells.get("%s|%s" % (sid, s))
        return c.get("server_cpu_us_per_op") if c and c.get("ok") else None

    series = sweep_points(result)
    vals = [cpu(sid, s) for _, pts in series for _, _, sid in pts for s in servers]
    vals = [v for v in vals if v]
    lo, hi = (min(vals) / 1.5, max(vals) * 1.5) if vals else (1, 10)
    xlo, xhi = math.log10(0.7), math.log10(15000)

    def X(left, x):
        return left + (math.log10(x) - xlo) / (xhi - xlo) * pw

    def Y(v):
        return top + ph - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * ph

    for (label, pts), left in zip(series, lefts):
        parts.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>' % (left, top, pw, ph))
        parts.append('<text x="%d" y="%d" font-weight="bold">Sweep: %s (server CPU µs per round trip, log-log)</text>'
                     % (left, top - 10, escape(label)))
        parts.append('<text transform="translate(%d,%d) rotate(-90)" text-anchor="middle" fill="#333">server CPU µs '
                     '/ round trip</text>' % (left - 55, top + ph / 2))
        for t in _nice_log_ticks(lo, hi):
            parts.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>' % (left, Y(t), left + pw, Y(t)))
            parts.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (left - 5, Y(t) + 4, fmt_num(t)))
        for x, n, _ in pts:
            px = X(left, x)
            parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (px, top, px, top + ph))
            parts.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                         % (px, top + ph + 16, ("1+%d" % n) if label.startswith("1 active") else "%d" % n))
        parts.append('<text x="%d" y="%d" text-anchor="middle" fill="#333">%s</text>' % (
            left + pw / 2, top + ph + 34, "connections held: 1 active + N idle (log scale)"
            if label.startswith("1 active") else "connections, all active (log scale)"))
        for s in servers:
            _series(parts, [(X(left, x), Y(cpu(sid, s))) for x, _, sid in pts if cpu(sid, s)], s)


def _series(parts, pts, s):
    if not pts:
        return
    c = COLORS.get(s, "#777")
    parts.append('<polyline fill="none" stroke="%s" stroke-width="%d"%s points="%s"/>'
                 % (c, 3 if s.startswith("rawselect") else 2, ' stroke-dasharray="5,3"' if s in DASHED else "",
                    " ".join("%.1f,%.1f" % p for p in pts)))
    for x, y in pts:
        parts.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>' % (x, y, c))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "artifacts",
                                                              "bench", "results.json")
    with open(path) as f:
        result = json.load(f)
    d = os.path.dirname(os.path.abspath(path))
    md = markdown(result)
    with open(os.path.join(d, "results.md"), "w") as f:
        f.write(md)
    with open(os.path.join(d, "chart.svg"), "w") as f:
        f.write(svg(result))
    print(md)


if __name__ == "__main__":
    main()
