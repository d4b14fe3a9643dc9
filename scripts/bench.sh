#!/usr/bin/env bash
# Benchmark RawSelect against its baselines: builds what is missing or stale, then runs
# scripts/bench/bench.py. Results go to artifacts/bench/ (results.md, chart.svg, results.json,
# runs.csv, cells.csv); --smoke writes to artifacts/bench/smoke/.
#
#   scripts/bench.sh                 full run: the matrix (9 servers) and the scaling sweep
#                                    (~35 min on 2 cores)
#   scripts/bench.sh --sweep         the scaling sweep alone: RawSelect select/poll/epoll and the
#                                    C select/poll/epoll servers, 1 active + N idle and N active,
#                                    N up to 10,000 (~12 min)
#   scripts/bench.sh --quick         short windows, the matrix only (~6 min once built)
#   scripts/bench.sh --smoke         ~35 s sanity run for CI: exit 1 if a server or the load
#                                    generator fails, or an echoed byte mismatches
#   scripts/bench.sh --servers c-select,dotnet-async --scenarios tcp-pp-64-c1,udp-pp-64-s16
#   scripts/bench.sh --sweep --scenarios sweep-c1-idle10000 --runs 1   one sweep cell
#   scripts/bench.sh --rebuild ...   rebuild everything first (rawselect: scripts/build.sh --force)
#   scripts/bench.sh --list          scenario ids and server names
# RAWSELECT_BIN=PATH measures that rawselect binary instead of building artifacts/rawselect.
# Other options (--no-sweep, --runs, --warmup, --duration, --probe-runs, --out, --no-usr1, --wait-quiet):
# see --help. Needs gcc, python3, and for the .NET baselines the .NET 10 SDK (Native AOT).
# The tools and the method: scripts/bench/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/scripts/bench"
ART="$ROOT/artifacts/bench"
BIN="$ART/bin"
ALL_SERVERS="rawselect-select,rawselect-poll,rawselect-epoll,c-select,c-poll,c-epoll,dotnet-async,dotnet-select,python"

servers="$ALL_SERVERS"
rebuild=0
sweep=0
pass=()
while [ $# -gt 0 ]; do
    case "$1" in
        --servers) [ $# -ge 2 ] || { echo "bench.sh: --servers needs a value" >&2; exit 2; }
                   servers="$2"; pass+=("$1" "$2"); shift 2; continue ;;
        --servers=*) servers="${1#--servers=}" ;;
        --rebuild) rebuild=1; shift; continue ;;
        --sweep) sweep=1 ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; echo; exec python3 "$BENCH/bench.py" --help ;;
        --list) exec python3 "$BENCH/bench.py" --list ;;
    esac
    pass+=("$1")
    shift
done
# the sweep alone runs only the select/poll/epoll servers: build only those
[ "$sweep" = 1 ] && [ "$servers" = "$ALL_SERVERS" ] && servers="rawselect-select,rawselect-poll,rawselect-epoll,c-select,c-poll,c-epoll"
has_server() { case ",$servers," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
has_rawselect() { case ",$servers," in *",rawselect-"*) return 0 ;; *) return 1 ;; esac; }

need() { command -v "$1" >/dev/null 2>&1 || { echo "bench.sh: $1 not found ($2)" >&2; exit 2; }; }
need gcc "apt-get install gcc"
need python3 "apt-get install python3"

# The sweep's 10,000-connection cells hold 10,000 descriptors in the load generator and as many
# in the server (which inherits this limit; RawSelect and the C servers also raise their soft limit
# to the hard one themselves); the matrix needs ~2000 on the client side. bench.py checks what the
# chosen scenarios need and says so.
hard="$(ulimit -Hn)"
[ "$hard" = unlimited ] && hard=65536
[ "$hard" -gt 65536 ] && hard=65536
ulimit -n "$hard" 2>/dev/null || true
if [ "$(ulimit -n)" -lt 2200 ]; then
    echo "bench.sh: the descriptor limit is $(ulimit -n); the 1000-connection scenarios need 2200 and the sweep 10100 (raise ulimit -Hn)" >&2
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

build_c() { # build_c <output> <source> [header folder]: the header folder is on -I and a dependency
    if stale "$1" "$2" ${3:+"$3"}; then
        echo "bench.sh: gcc -O2 $(basename "$2")" >&2
        gcc -O2 -Wall -Wextra ${3:+-I"$3"} -o "$1" "$2"
    fi
}

build_c "$BIN/loadgen" "$BENCH/loadgen.c"
build_c "$BIN/startprobe" "$BENCH/startprobe.c"
for b in select poll epoll; do
    if has_server "c-$b"; then
        build_c "$BIN/c-$b-echo" "$BENCH/baselines/c-$b/c_${b}_echo.c" "$BENCH/baselines/c-common"
    fi
done

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

if has_rawselect && [ -n "${RAWSELECT_BIN:-}" ]; then
    # another build, measured as it is
    [ -x "$RAWSELECT_BIN" ] || { echo "bench.sh: RAWSELECT_BIN=$RAWSELECT_BIN is not an executable" >&2; exit 2; }
elif has_rawselect; then
    # scripts/build.sh is incremental (it rebuilds only when src/ or interop/ changed): always ask
    # it, so the benchmark measures the current source
    if [ -f "$ROOT/scripts/build.sh" ]; then
        flag=()
        [ "$rebuild" = 1 ] && flag=(--force)
        bash "$ROOT/scripts/build.sh" "${flag[@]}" >&2 || { echo "bench.sh: scripts/build.sh failed" >&2; exit 2; }
    fi
    if [ ! -x "$ROOT/artifacts/rawselect" ]; then
        echo "bench.sh: artifacts/rawselect does not exist (and scripts/build.sh did not make it);" >&2
        echo "          run the baselines alone with --servers c-select,c-poll,c-epoll,dotnet-async,dotnet-select,python" >&2
        exit 2
    fi
fi

exec python3 "$BENCH/bench.py" "${pass[@]}"
