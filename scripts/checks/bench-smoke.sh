#!/usr/bin/env bash
# CI check: the benchmark still runs end to end (every server, every mode, every byte verified).
# It measures nothing worth reading: that is scripts/bench.sh --quick or the full run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec "$root/scripts/bench.sh" --smoke
