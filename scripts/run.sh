#!/usr/bin/env bash
# Builds the server if needed, then runs it with its defaults (TCP 127.0.0.1:5000, UDP 127.0.0.1:6000).
# Extra arguments go to rawselect, e.g. scripts/run.sh --trace
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
exec "$root/artifacts/rawselect" "$@"
