#!/usr/bin/env bash
# npm run flash -- --port PORT [...]: a thin wrapper; the logic and its one-line errors live in
# tools/flash/cli.ts so they can be tested.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ ! -x "$root/node_modules/.bin/tsx" ]]; then
  echo "E flash: node_modules is missing: run npm install in $root first" >&2
  exit 1
fi
exec "$root/node_modules/.bin/tsx" "$root/tools/flash/cli.ts" "$@"
