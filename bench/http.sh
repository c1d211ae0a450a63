#!/usr/bin/env bash
# HTTP baseline: requests/s and latency percentiles, measured with wrk on
# loopback against a release build on the embedded defaults (SQLite in a
# temporary directory), rate limits raised out of the way:
#   /healthz                       liveness, no database
#   /                              a server-rendered page
#   /v1/widgets/{key}/config       the widget's config (key + origin checks, one indexed read)
#   POST /v1/chat (JSON)           a full chat turn against a widget trained on
#                                  12,786 chunks (SciFact abstracts, twice):
#                                  checks, the allowance taken, a conversation
#                                  opened, hybrid retrieval, extractive answer,
#                                  both messages and the question's count stored
#   POST /v1/chat (varied)         the same with 300 different questions in turn
#                                  (each answered once, then from memory)
#   POST /v1/chat (unique)         the same with a question never asked before
#                                  each time: retrieval and quoting every turn
#
#   bench/http.sh [seconds per endpoint, default 10] [connections, default 64]
#
# Besides requests/s and latency it reports the server's CPU time per
# request (user + system over the run), which varies less than requests/s:
# wrk shares the machine; on PostgreSQL also the database's CPU time per
# request (every postgres process, so run it on an otherwise idle server).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
connections="${2:-64}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/witzo/target}"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
# WITZO=path/to/witzo benches that binary instead (e.g. an earlier commit's,
# for a before/after on one machine).
if [ -z "${WITZO:-}" ]; then
  cargo build --release --quiet --bin witzo
fi
witzo="${WITZO:-$CARGO_TARGET_DIR/release/witzo}"

dir=$(mktemp -d)
# WITZO_BENCH_POSTGRES=postgres://user@host/admin-db runs the same on a
# fresh PostgreSQL database created (and dropped) there; default SQLite.
# (The server refuses unknown WITZO_ settings, so the variable is unset.)
bench_postgres="${WITZO_BENCH_POSTGRES:-}"
unset WITZO_BENCH_POSTGRES
if [ -n "$bench_postgres" ]; then
  backend=PostgreSQL
  db="witzo_http_$RANDOM$RANDOM"
  psql "$bench_postgres" -qc "CREATE DATABASE $db"
  export WITZO_DATABASE_URL="${bench_postgres%/*}/$db"
  count_chunks() { psql "$WITZO_DATABASE_URL" -Atc "SELECT COUNT(*) FROM chunks"; }
  drop_db() { psql "$bench_postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true; }
else
  backend=SQLite
  count_chunks() {
    python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM chunks").fetchone()[0])' "$dir/data/witzo.db"
  }
  drop_db() { :; }
fi
trap 'drop_db; rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$witzo" admin account create --email bench@example.com --data-dir "$dir/data" >/dev/null
key=$("$witzo" admin widget create --account bench@example.com --name Bench --domain bench.example --data-dir "$dir/data")
# Knowledge: SciFact's 5,183 abstracts written twice as Markdown documents
# (one section per abstract), extracted, chunked and embedded by `witzo ingest`.
"$witzo" admin account set-plan --account bench@example.com --plan enterprise --data-dir "$dir/data" >/dev/null
python3 - "$dir/docs" <<'PY'
import json, os, sys
out = sys.argv[1]
os.makedirs(out)
docs = [json.loads(l) for l in open("../shared/bench/scifact/corpus.jsonl")]
for copy in range(2):
    for start in range(0, len(docs), 500):
        with open(f"{out}/scifact-{copy}-{start}.md", "w") as f:
            for d in docs[start:start + 500]:
                f.write(f"## {d['title']} ({copy})\n\n{d['text']}\n\n")
PY
started=$(date +%s)
# An upload takes at most 10 files.
ls "$dir"/docs/*.md | xargs -n 10 sh -c 'w=$0 k=$1 d=$2; shift 2; files=""; for f; do files="$files --file $f"; done; "$w" ingest --widget "$k" --data-dir "$d" $files >/dev/null' "$witzo" "$key" "$dir/data"
chunks=$(count_chunks)
echo "trained the widget: $chunks chunks in $(( $(date +%s) - started )) s on $backend"

export WITZO_LIMITS__PUBLIC_PER_IP_PER_MINUTE=100000000 WITZO_LIMITS__PUBLIC_PER_IP_BURST=100000000
export WITZO_LIMITS__WIDGET_PER_MINUTE=100000000 WITZO_LIMITS__WIDGET_BURST=100000000
export WITZO_LIMITS__VISITOR_PER_MINUTE=100000000 WITZO_LIMITS__VISITOR_BURST=100000000
RUST_LOG=warn "$witzo" serve --data-dir "$dir/data" --listen "127.0.0.1:$port" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; drop_db; rm -rf "$dir"' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

cat > "$dir/chat.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Origin"] = "https://bench.example"
wrk.body = '{"visitor_id":"v_0123456789abcdef0123456789abcdef","message":"Does vitamin D supplementation reduce the risk of fractures?"}'
LUA

# The same chat turn with 300 SciFact claims asked in turn (varied: each
# is answered once, then from the answers kept in memory, as a widget's
# common questions are), and with a question never asked before each
# time (unique: the claims numbered, so every turn retrieves and quotes).
python3 - "$dir" <<'PY'
import json, sys
claims = [json.loads(l)["text"] for l in open("../shared/bench/scifact/queries.jsonl")][:300]
for name, numbered in (("varied", False), ("unique", True)):
    with open(f"{sys.argv[1]}/{name}.lua", "w") as f:
        f.write('wrk.method = "POST"\n')
        f.write('wrk.headers["Content-Type"] = "application/json"\n')
        f.write('wrk.headers["Origin"] = "https://bench.example"\n')
        f.write("local claims = {\n")
        for claim in claims:
            body = json.dumps({"visitor_id": "v_0123456789abcdef0123456789abcdef", "message": claim[:480]})
            f.write("  %s,\n" % json.dumps(body))
        f.write("}\nlocal n, asked = 0, 0\n")
        # The number in letters (digits would read as a phone number and
        # make every question a lead).
        f.write("local function letters(k)\n  local s = ''\n  repeat\n")
        f.write("    s = string.char(97 + k % 26) .. s\n    k = math.floor(k / 26)\n  until k == 0\n  return s\nend\n")
        f.write("request = function()\n  n = n % #claims + 1\n  asked = asked + 1\n")
        if numbered:
            # Each wrk thread numbers its own questions, its own id first.
            f.write('  local body = claims[n]:sub(1, -3) .. " (" .. letters(id) .. " " .. letters(asked) .. ")\\"}"\n')
        else:
            f.write("  local body = claims[n]\n")
        f.write("  return wrk.format(nil, nil, nil, body)\nend\n")
        if numbered:
            f.write("setup = function(thread)\n  thread:set(\"id\", math.random(1, 1e9))\nend\n")
PY

# The server's CPU time so far (user + system), in clock ticks; on
# PostgreSQL also the database's (every postgres process on the machine).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
db_ticks() {
  [ -n "$bench_postgres" ] || { echo 0; return; }
  for p in $(pgrep postgres); do awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null; done | awk '{s += $1} END {print s + 0}'
}
ticks_per_second=$(getconf CLK_TCK)

run() { # label, extra wrk args…
  local label=$1; shift
  local out before after db_before db_after
  before=$(cpu_ticks)
  db_before=$(db_ticks)
  out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$@")
  after=$(cpu_ticks)
  db_after=$(db_ticks)
  local rps p50 p90 p99 errors requests cpu db_cpu
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p90=$(awk '$1=="90%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  # Server CPU per request: steadier than requests/s, which shares the
  # two cores with wrk.
  cpu=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$ticks_per_second" \
    'BEGIN { if (n > 0) printf "%.0fus", t / hz / n * 1e6; else print "-" }')
  db_cpu=$(awk -v t=$((db_after - db_before)) -v n="$requests" -v hz="$ticks_per_second" \
    'BEGIN { if (n > 0 && t > 0) printf "%.0fus", t / hz / n * 1e6; else print "-" }')
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
  printf '%-16s %12s %10s %10s %10s %10s %10s %s\n' "$label" "$rps" "$p50" "$p90" "$p99" "$cpu" "$db_cpu" "$errors"
}

echo "witzo $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, wrk -t2 -c$connections -d${duration}s"
printf '%-16s %12s %10s %10s %10s %10s %10s\n' endpoint "requests/s" p50 p90 p99 "cpu/req" "db cpu/req"
base="http://127.0.0.1:$port"
run "/healthz" "$base/healthz"
run "/" "$base/"
run "config" -H "Origin: https://bench.example" "$base/v1/widgets/$key/config"
# The first question builds the widget's index (a cold build); then warm.
curl -fs -o /dev/null -H 'Content-Type: application/json' -H 'Origin: https://bench.example' \
  -d '{"visitor_id":"v_0123456789abcdef0123456789abcdef","message":"warm up"}' "$base/v1/chat?key=$key"
run "chat (JSON)" -s "$dir/chat.lua" "$base/v1/chat?key=$key"
run "chat (varied)" -s "$dir/varied.lua" "$base/v1/chat?key=$key"
run "chat (unique)" -s "$dir/unique.lua" "$base/v1/chat?key=$key"
rss=$(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")
echo "peak RSS of the server: $rss"
