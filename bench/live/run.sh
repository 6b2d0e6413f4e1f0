#!/usr/bin/env bash
# Live subscriptions under load (bench/live/README.md): a fresh PostgreSQL database with the
# demo registry, the api server, then the load generator against it.
#
#   bash bench/live/run.sh                         # 1,000 subscriptions, 100 writes/s, 20 s
#   SUBS=100 WRITES=20 SECONDS_=10 bash bench/live/run.sh   # small scale
#   API_BIN=target/debug/api bash bench/live/run.sh        # another build of the server
set -euo pipefail
cd "$(dirname "$0")/../.."
SUBS="${SUBS:-1000}"
WRITES="${WRITES:-100}"
SECONDS_="${SECONDS_:-20}"
ACCOUNTS="${ACCOUNTS:-12}"
PORT="${PORT:-18182}"
PG_DB="${PG_DB:-ppaos_live_bench}"
API_BIN="${API_BIN:-target/release/api}"
WORK="${WORK:-/tmp/ppaos-live-bench}"
mkdir -p "$WORK"

if [ "$API_BIN" = target/release/api ] && [ ! -x "$API_BIN" ]; then
    nice -n 10 cargo build --release -p api
fi
(cd bench/live && nice -n 10 cargo build --release --quiet)

psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $PG_DB"

export APP_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$PG_DB"
export APP_HOST=127.0.0.1
export APP_PORT="$PORT"
export APP_LOG=warn
export APP_LOGIN_MAX_FAILURES=1000
export APP_ACCESS_TOKEN_TTL_SECS=3600
# Every subscriber account holds SUBS/ACCOUNTS connections.
export APP_LIVE_MAX_PER_ACCOUNT=$(( SUBS / ACCOUNTS + 1 ))
export APP_DEMO_PASSWORD="${APP_DEMO_PASSWORD:-demo-password-2026}"

echo "seeding the demo registry into $PG_DB …"
# As in production: no RUST_BACKTRACE (with it, every error captures a backtrace, which costs
# far more than the error itself and measures something production does not do).
env -u RUST_BACKTRACE "$API_BIN" seed-demo > "$WORK/seed.log" 2>&1

env -u RUST_BACKTRACE "$API_BIN" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/livez" > /dev/null && break
    sleep 0.2
done

bench/live/target/release/live-bench --port "$PORT" --subs "$SUBS" --writes "$WRITES" \
    --seconds "$SECONDS_" --accounts "$ACCOUNTS" --pid "$SERVER" | tee "$WORK/report.txt"
echo "server: $API_BIN, database $PG_DB; server log: $WORK/server.log"
