#!/usr/bin/env bash
# Benchmark RawSelect against its baselines: builds what is missing or stale, then runs
# scripts/bench/bench.py. Results go to artifacts/bench/ (results.md, chart.svg, results.json,
# runs.csv, cells.csv); --smoke writes to artifacts/bench/smoke/.
#
#   scripts/bench.sh                 full run (~12 min on 2 cores)
#   scripts/bench.sh --quick         short windows, same matrix (< 3 min once built)
#   scripts/bench.sh --smoke         ~25 s sanity run for CI: exit 1 if a server or the load
#                                    generator fails, or an echoed byte mismatches
#   scripts/bench.sh --servers c-select,dotnet-async --scenarios tcp-pp-64-c1,udp-pp-64-s16
#   scripts/bench.sh --rebuild ...   rebuild everything first (rawselect: scripts/build.sh --force)
#   scripts/bench.sh --list          scenario ids and server names
# Other options (--runs, --warmup, --duration, --probe-runs, --out, --no-usr1, --wait-quiet):
# see --help. Needs gcc, python3, and for the .NET baselines the .NET 10 SDK (Native AOT).
# The tools and the method: scripts/bench/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/scripts/bench"
ART="$ROOT/artifacts/bench"
BIN="$ART/bin"
ALL_SERVERS="rawselect,c-select,dotnet-async,dotnet-select,python"

servers="$ALL_SERVERS"
rebuild=0
pass=()
while [ $# -gt 0 ]; do
    case "$1" in
        --servers) [ $# -ge 2 ] || { echo "bench.sh: --servers needs a value" >&2; exit 2; }
                   servers="$2"; pass+=("$1" "$2"); shift 2; continue ;;
        --servers=*) servers="${1#--servers=}" ;;
        --rebuild) rebuild=1; shift; continue ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; echo; exec python3 "$BENCH/bench.py" --help ;;
        --list) exec python3 "$BENCH/bench.py" --list ;;
    esac
    pass+=("$1")
    shift
done
has_server() { case ",$servers," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

need() { command -v "$1" >/dev/null 2>&1 || { echo "bench.sh: $1 not found ($2)" >&2; exit 2; }; }
need gcc "apt-get install gcc"
need python3 "apt-get install python3"

# 1000 connections plus 1000 idle ones on the client side, ~1000 on the server side
hard="$(ulimit -Hn)"
[ "$hard" = unlimited ] && hard=65536
[ "$hard" -gt 65536 ] && hard=65536
ulimit -n "$hard" 2>/dev/null || true
if [ "$(ulimit -n)" -lt 2200 ]; then
    echo "bench.sh: the descriptor limit is $(ulimit -n); the 1000-connection scenarios need 2200 (raise ulimit -Hn)" >&2
    exit 2
fi

mkdir -p "$BIN"

# stale <output> <source>...: true when the output is missing or older than a source file
stale() {
    local out="$1"; shift
    [ "$rebuild" = 1 ] && return 0
    [ -e "$out" ] || return 0
    [ -n "$(find "$@" -type f -newer "$out" -print -quit 2>/dev/null)" ]
}

build_c() { # build_c <output> <source>
    if stale "$1" "$2"; then
        echo "bench.sh: gcc -O2 $(basename "$2")" >&2
        gcc -O2 -Wall -Wextra -o "$1" "$2"
    fi
}

build_c "$BIN/loadgen" "$BENCH/loadgen.c"
build_c "$BIN/startprobe" "$BENCH/startprobe.c"
if has_server c-select; then build_c "$BIN/c-select-echo" "$BENCH/baselines/c-select/c_select_echo.c"; fi

for n in dotnet-async dotnet-select; do
    has_server "$n" || continue
    out="$ART/$n/$n-echo"
    if stale "$out" "$BENCH/baselines/$n" "$BENCH/baselines/dotnet-common" "$BENCH/baselines"/Directory.*; then
        need dotnet "the .NET 10 SDK builds the .NET baselines; or leave $n out of --servers"
        echo "bench.sh: dotnet publish $n (Native AOT)" >&2
        DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet publish "$BENCH/baselines/$n/$n-echo.csproj" \
            -c Release -r linux-x64 -p:PublishAot=true --nologo -v quiet \
            --artifacts-path "$ART/obj" -o "$ART/$n" >&2
        touch "$out"
    fi
done

if has_server rawselect; then
    # scripts/build.sh is incremental (it rebuilds only when src/ or interop/ changed): always ask
    # it, so the benchmark measures the current source
    if [ -f "$ROOT/scripts/build.sh" ]; then
        flag=()
        [ "$rebuild" = 1 ] && flag=(--force)
        bash "$ROOT/scripts/build.sh" "${flag[@]}" >&2 || { echo "bench.sh: scripts/build.sh failed" >&2; exit 2; }
    fi
    if [ ! -x "$ROOT/artifacts/rawselect" ]; then
        echo "bench.sh: artifacts/rawselect does not exist (and scripts/build.sh did not make it);" >&2
        echo "          run the baselines alone with --servers c-select,dotnet-async,dotnet-select,python" >&2
        exit 2
    fi
fi

exec python3 "$BENCH/bench.py" "${pass[@]}"
