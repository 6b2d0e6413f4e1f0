#!/usr/bin/env bash
# A/B of two server binaries (and of TLS to a loopback PostgreSQL) on the dashboard bench's
# data: province dashboard (full and small selection), ADMIN, 10 connections, 15 s wrk runs,
# rounds interleaved. Needs `bash bench/dashboard.sh setup` (and one `run`, for the bodies).
#   bash bench/dashboard_ab.sh OLD_BINARY NEW_BINARY [ROUNDS]
set -euo pipefail
WORK=/tmp/ppaos-dashboard-bench
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OLD=$1 NEW=$2 ROUNDS=${3:-2}
export APP_HOST=127.0.0.1 APP_PORT=18484 APP_LOG=warn APP_ACCESS_TOKEN_TTL_SECS=7200 APP_LOGIN_MAX_FAILURES=1000
URL=http://127.0.0.1:18484/graphql
BASE=postgres://postgres@127.0.0.1:5432/ppaos_dashboard_bench
run() { # label bin url
  APP_DATABASE_URL="$3" "$2" serve > /tmp/quick-server.log 2>&1 & local pid=$!
  for _ in $(seq 1 100); do curl -sf -m 2 http://127.0.0.1:18484/readyz >/dev/null && break; sleep 0.2; done
  local token; token=$(python3 "$ROOT/bench/casework_seed.py" token "$URL" cw-admin)
  BENCH_TOKEN=$token BENCH_BODY=$WORK/$5.json wrk -t2 -c10 -d3s -s "$ROOT/bench/casework.lua" "$URL" > /dev/null
  local t0; t0=$(awk '{print $14+$15}' /proc/$pid/stat)
  local out; out=$(BENCH_TOKEN=$token BENCH_BODY=$WORK/$5.json wrk -t2 -c10 -d${4}s --latency -s "$ROOT/bench/casework.lua" "$URL")
  local t1; t1=$(awk '{print $14+$15}' /proc/$pid/stat)
  local rps; rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  local p99; p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  local n; n=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "$1 $5: $rps req/s, p99 $p99, server CPU $(python3 -c "print(round(($t1-$t0)*10/$n,3))") ms/req  $(echo "$out" | grep -i 'not 200\|errors' | tr '\n' ' ')"
  kill $pid; wait $pid 2>/dev/null || true
}
for _ in $(seq 1 "$ROUNDS"); do
  for body in province province-small; do
    run "old+tls" "$OLD" "$BASE" 15 $body
    run "new+tls" "$NEW" "$BASE" 15 $body
    run "new+nossl" "$NEW" "$BASE?sslmode=disable" 15 $body
  done
done
