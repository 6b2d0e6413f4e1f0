#!/usr/bin/env bash
# A/B of the replica caches kept current by LISTEN/NOTIFY (docs/operations.md "Session cache"):
# the same binary with APP_SESSION_CACHE_SECS and APP_ROLLUP_VERSION_CACHE_SECS at their
# defaults ("on") and at 0 ("off"), on the peer bench's database (run `bash bench/peer/run.sh
# all` first: it creates the data and the household-detail body). Requests, ADMIN, wrk -t2:
# the household detail of bench/peer, and the dashboard of the province with the most
# households (answered from memory after the first request), full and small selection
# (`bench/dashboard_stats.py bodies`). Rounds interleaved.
#   bash bench/cache_ab.sh [ROUNDS] [DURATION] [CONNS]
# On the 300,000-household dashboard bench instead (`bash bench/dashboard.sh setup`), without
# the household detail:
#   CACHE_AB_DB=ppaos_dashboard_bench CACHE_AB_LOGIN=cw-admin CACHE_AB_BODIES="province-small province" \
#       bash bench/cache_ab.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${API_BIN:-$ROOT/target/release/api}"
ROUNDS=${1:-2} DURATION=${2:-15} CONNS=${3:-10}
PEER=/tmp/ppaos-peer-bench
WORK=/tmp/ppaos-cache-ab
DB=${CACHE_AB_DB:-ppaos_peer_bench}
LOGIN=${CACHE_AB_LOGIN:-bench-admin}
BODIES=${CACHE_AB_BODIES:-"detail province-small province"}
DB_URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
PORT=18485
URL=http://127.0.0.1:$PORT/graphql
mkdir -p "$WORK"
if [[ " $BODIES " == *" detail "* ]]; then
    [ -s "$PEER/ours-detail.json" ] || { echo "run bash bench/peer/run.sh all first" >&2; exit 1; }
    cp "$PEER/ours-detail.json" "$WORK/detail.json"
fi
command -v wrk > /dev/null || { apt-get update -qq && apt-get install -y -qq wrk > /dev/null; }
unset RUST_BACKTRACE  # anyhow would capture a backtrace for every error
province=$(psql -qAtX "postgres://postgres@127.0.0.1:5432/$DB" -c \
    "SELECT area_code FROM area_rollup WHERE metric = 'households' AND length(area_code) = 2 GROUP BY 1 ORDER BY sum(n) DESC, 1 LIMIT 1")
district=$(psql -qAtX "postgres://postgres@127.0.0.1:5432/$DB" -c \
    "SELECT area_code FROM area_rollup WHERE metric = 'households' AND parent_code = '$province' GROUP BY 1 ORDER BY sum(n) DESC, 1 LIMIT 1")
python3 "$ROOT/bench/dashboard_stats.py" bodies "$WORK" "$province" "$district"

run() { # run LABEL SESSION_SECS VERSION_SECS BODY
    APP_DATABASE_URL="$DB_URL" APP_HOST=127.0.0.1 APP_PORT=$PORT APP_LOG=warn APP_ACCESS_TOKEN_TTL_SECS=7200 \
        APP_LOGIN_MAX_FAILURES=1000 APP_SESSION_CACHE_SECS=$2 APP_ROLLUP_VERSION_CACHE_SECS=$3 \
        "$BIN" serve > "$WORK/server.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 100); do curl -sf -m 2 "http://127.0.0.1:$PORT/readyz" > /dev/null && break; sleep 0.2; done
    local token; token=$(python3 "$ROOT/bench/casework_seed.py" token "$URL" "$LOGIN")
    BENCH_TOKEN=$token BENCH_BODY=$WORK/$4.json wrk -t2 -c"$CONNS" -d3s -s "$ROOT/bench/casework.lua" "$URL" > /dev/null
    local t0; t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
    local out; out=$(BENCH_TOKEN=$token BENCH_BODY=$WORK/$4.json wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/bench/casework.lua" "$URL")
    local t1; t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
    local rps p99 n
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    echo "$1 $4: $rps req/s, p99 $p99, server CPU $(python3 -c "print(round(($t1-$t0)*1000/$(getconf CLK_TCK)/$n,3))") ms/req; $(echo "$out" | grep answers)"
    kill $pid; wait $pid 2> /dev/null || true
}
for r in $(seq 1 "$ROUNDS"); do
    for body in $BODIES; do
        run "r$r on " 30 30 $body
        run "r$r off" 0 0 $body
    done
done
