#!/usr/bin/env bash
# CI check: a 60-second soak of the server (scripts/soak.sh). Exits non-zero if anything echoed
# was lost or the server's RSS or descriptors grew after warm-up.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec "$root/scripts/soak.sh" 60
