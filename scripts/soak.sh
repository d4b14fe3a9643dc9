#!/usr/bin/env bash
# Soak test: DURATION_SECONDS of bounded churn against the Native-AOT binary on loopback (TCP
# clients connecting, echoing random sizes, half-closing, resetting; UDP senders alongside).
# Every byte and datagram owed is verified; the server's RSS and descriptor count are sampled.
# Fails (exit 1) if anything was lost or if RSS/descriptors grew after warm-up. Prints a summary.
#   scripts/soak.sh DURATION_SECONDS [soak.py options, e.g. --seed N --tcp-workers 8]
# The server is built first if needed (scripts/build.sh) and is ended by PID at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "usage: scripts/soak.sh DURATION_SECONDS [options]" >&2
  exit 2
fi
duration="$1"; shift
"$root/scripts/build.sh"
exec python3 "$root/scripts/soak/soak.py" "$duration" --binary "${RAWSELECT_BIN:-$root/artifacts/rawselect}" "$@"
