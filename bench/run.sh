#!/usr/bin/env bash
# npm run bench: raise the open-file limit (10,000 idle connections need as many descriptors
# in the server and in the client process), then run the bench on the pinned Node.
set -euo pipefail
cd "$(dirname "$0")/.."
hard=$(ulimit -Hn)
want=65536
if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then want=$hard; fi
ulimit -n "$want" 2>/dev/null || true
exec node_modules/.bin/node bench/run.ts "$@"
