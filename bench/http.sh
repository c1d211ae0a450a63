#!/usr/bin/env bash
# HTTP baseline: requests/s and latency percentiles of /healthz and of a
# server-rendered dashboard page, measured with wrk on loopback against a
# release build on the embedded defaults (SQLite in a temporary directory).
#
#   bench/http.sh [seconds per endpoint, default 10] [connections, default 64]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
connections="${2:-64}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/witzo/target}"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin witzo

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RUST_LOG=warn "$CARGO_TARGET_DIR/release/witzo" serve --data-dir "$dir/data" --listen "127.0.0.1:$port" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

echo "witzo $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, wrk -t2 -c$connections -d${duration}s"
printf '%-10s %12s %10s %10s %10s\n' endpoint "requests/s" p50 p90 p99
for path in /healthz /; do
  out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$port$path")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p90=$(awk '$1=="90%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
  printf '%-10s %12s %10s %10s %10s %s\n' "$path" "$rps" "$p50" "$p90" "$p99" "$errors"
done
rss=$(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")
echo "peak RSS of the server: $rss"
