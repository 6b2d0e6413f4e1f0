#!/usr/bin/env bash
# Delta-sync benchmark (docs/sync.md): on PostgreSQL, a coordinator of province 52 makes
# SYNC_CHANGES changes through the API (default 10000), then syncs from null in pages of 500
# as a device would, then makes 100 more and syncs incrementally. Reports requests, bytes
# received, seconds and changes (bench/sync_client.py).
#
#   bash bench/sync.sh                       # release build, 10,000 changes
#   SYNC_CHANGES=1000 bash bench/sync.sh     # small scale
#   SYNC_BIN=target/debug/api SYNC_CHANGES=1000 bash bench/sync.sh   # an existing binary
#
# All traffic goes to 127.0.0.1; the server is stopped on any exit; the database
# ppaos_sync_bench is dropped and created again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${SYNC_BIN:-$ROOT/target/release/api}"
CHANGES="${SYNC_CHANGES:-10000}"
WORK=/tmp/ppaos-sync-bench
PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres
DB=ppaos_sync_bench
export APP_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
export APP_HOST=127.0.0.1 APP_PORT=18484 APP_LOG=warn APP_ACCESS_TOKEN_TTL_SECS=3600
export APP_PRUNE_INTERVAL_SECS=0
URL=http://127.0.0.1:$APP_PORT/graphql
PASSWORD=bench-password-0123
mkdir -p "$WORK"

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2> /dev/null; then
        kill "$SERVER_PID"
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2> /dev/null || break; sleep 0.1; done
        kill -9 "$SERVER_PID" 2> /dev/null || true
    fi
}
trap stop_server EXIT

if [ ! -x "$BIN" ]; then
    (cd "$ROOT" && timeout 3600 nice -n 10 cargo build --release -p api)
fi
echo "binary: $BIN ($(git -C "$ROOT" log -1 --format=%h))"
pg_isready -q -h 127.0.0.1 || { echo "PostgreSQL is not ready on 127.0.0.1:5432" >&2; exit 1; }
psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
python3 "$ROOT/bench/casework_seed.py" villages "$WORK/villages.csv"
"$BIN" migrate
"$BIN" import areas "$WORK/villages.csv" | tail -1
echo "$PASSWORD" | "$BIN" account create --login sync-coord --role coordinator --area-scope 52 \
    --display-name 'Sync bench coordinator' > /dev/null
"$BIN" serve > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do
    curl -sf -m 2 "http://127.0.0.1:$APP_PORT/readyz" > /dev/null && break
    kill -0 "$SERVER_PID" 2> /dev/null || { tail -20 "$WORK/server.log" >&2; exit 1; }
    sleep 0.2
done
timeout 3600 python3 "$ROOT/bench/sync_client.py" "$URL" sync-coord "$CHANGES"
echo "server peak RSS: $(awk '/^VmHWM:/ {printf "%.1f MiB", $2/1024}' /proc/$SERVER_PID/status)"
echo "change_log rows: $(psql -qAtX "$APP_DATABASE_URL" -c 'SELECT count(*) FROM change_log')"
