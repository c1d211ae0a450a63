#!/usr/bin/env bash
# Several instances, one truth: two `witzo serve` and one `witzo worker`
# (release build) on one PostgreSQL and one Redis, on loopback. Measures,
# with a small load generator (bench/load.py, Python's standard library)
# that alternates requests between the two instances:
#   1. the maximum chat rate (requests/s, p50/p99) over both instances;
#   2. the per-IP limit: N allowed per burst across both (with Redis);
#   3. a soak at half that maximum: errors, p99, and each instance's
#      resident memory at the start and the end.
#
#   bench/cluster.sh [soak seconds, default 300] [probe seconds, default 20]
#
# Needs PostgreSQL at $WITZO_BENCH_POSTGRES (default
# postgres://postgres@127.0.0.1:5432/postgres, a superuser that may create
# a database) and Redis at $WITZO_BENCH_REDIS (default redis://127.0.0.1:6379).
set -euo pipefail
cd "$(dirname "$0")/.."
soak="${1:-300}"
probe="${2:-20}"
admin_url="${WITZO_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
redis="${WITZO_BENCH_REDIS:-redis://127.0.0.1:6379}"
# The server refuses unknown WITZO_ settings.
unset WITZO_BENCH_POSTGRES WITZO_BENCH_REDIS
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/witzo/target}"
cargo build --release --quiet -p witzo-server --bin witzo
witzo="$CARGO_TARGET_DIR/release/witzo"

db="witzo_bench_$RANDOM$RANDOM"
psql "$admin_url" -qc "CREATE DATABASE $db"
database="${admin_url%/*}/$db"
dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db" || true
  rm -rf "$dir"
}
trap cleanup EXIT

export WITZO_DATABASE_URL="$database" WITZO_REDIS_URL="$redis"
export WITZO_REDIS_KEY_PREFIX="witzo-bench-$RANDOM:"
export WITZO_SECRET_KEY="bench-secret-key-of-at-least-32-characters"
export WITZO_DATA_DIR="$dir/data" WITZO_LOG_LEVEL=warn
export WITZO_LIMITS__WIDGET_PER_MINUTE=100000000 WITZO_LIMITS__WIDGET_BURST=100000000
export WITZO_LIMITS__VISITOR_PER_MINUTE=100000000 WITZO_LIMITS__VISITOR_BURST=100000000
# The per-IP limit stays on for step 2 with a small burst, raised after.
"$witzo" migrate >/dev/null
"$witzo" admin account create --email bench@example.com >/dev/null
"$witzo" admin account set-plan --account bench@example.com --plan enterprise >/dev/null
key=$("$witzo" admin widget create --account bench@example.com --name Bench --domain bench.example)
cat > "$dir/hours.md" <<'MD'
## Opening hours

We open at nine in the morning on weekdays and at ten on Saturdays. We are closed on Sundays.

## Delivery

We deliver within the city every weekday before noon; orders over 50 euros ship free.
MD
"$witzo" ingest --widget "$key" --file "$dir/hours.md" >/dev/null

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # start NAME PER_IP_BURST -> prints "pid port"
  local p; p=$(port)
  WITZO_LIMITS__PUBLIC_PER_IP_PER_MINUTE=1 WITZO_LIMITS__PUBLIC_PER_IP_BURST="$2" \
    WITZO_JOBS__WORKERS=0 "$witzo" serve --listen "127.0.0.1:$p" >"$dir/$1.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$p/readyz" >/dev/null && break; sleep 0.1; done
  echo "$pid $p"
}
"$witzo" worker >"$dir/worker.log" 2>&1 &
pids+=($!)

echo "== per-IP limit across two instances (burst 50, Redis) =="
read -r a_pid a_port < <(start a 50); pids+=("$a_pid")
read -r b_pid b_port < <(start b 50); pids+=("$b_pid")
python3 bench/load.py count "http://127.0.0.1:$a_port" "http://127.0.0.1:$b_port" 200
kill "$a_pid" "$b_pid"; wait "$a_pid" "$b_pid" 2>/dev/null || true

read -r a_pid a_port < <(start a 100000000); pids+=("$a_pid")
read -r b_pid b_port < <(start b 100000000); pids+=("$b_pid")
targets=("http://127.0.0.1:$a_port" "http://127.0.0.1:$b_port")

echo "== maximum: chats for ${probe}s, 32 connections, alternating =="
measured=$(python3 bench/load.py max "${targets[@]}" "$key" "$probe" 32)
echo "$measured"
max=$(sed -n 's/^rate \([0-9.]*\).*/\1/p' <<<"$measured")
half=$(python3 -c "print(max(1, int(float('$max') / 2)))")

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
echo "== soak: ${soak}s at $half chats/s (half the maximum) =="
echo "rss start: a $(rss "$a_pid") kB, b $(rss "$b_pid") kB"
python3 bench/load.py soak "${targets[@]}" "$key" "$soak" "$half"
echo "rss end:   a $(rss "$a_pid") kB, b $(rss "$b_pid") kB"
