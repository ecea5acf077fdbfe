#!/usr/bin/env bash
# Start the provider emulator on a free loopback port, export FLOWOPS_EMULATOR_URL, run the given
# command, then stop the emulator (also on failure). Usage: with-emulator.sh <python> <command...>
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
py="$1"; shift
log=$(mktemp)
PYTHONPATH="$root/tests${PYTHONPATH:+:$PYTHONPATH}" "$py" -m emulator --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  url=$(sed -n 's/^FLOWOPS_EMULATOR_URL=//p' "$log" | head -n1)
  [ -n "$url" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "${url:-}" ] || { echo "emulator did not start" >&2; cat "$log" >&2; exit 1; }
export FLOWOPS_EMULATOR_URL="$url"
echo "emulator at $url"
"$@"
