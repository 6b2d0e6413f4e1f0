#!/usr/bin/env bash
# APQ hit vs full query (docs/operations.md): bytes sent per request and server CPU per request,
# for the nested agencies query of bench/nested.json, on SQLite, with wrk.
#   bash bench/apq.sh          # release build, fresh DB, admin account, then interleaved rounds
# Environment: APQ_DURATION (10, seconds per round), APQ_ROUNDS (3), APQ_CONNECTIONS (10).
# Not yet run: no result is claimed for it (see docs/operations.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/target/release/api"
WORK=/tmp/ppaos-apq-bench
DURATION=${APQ_DURATION:-10}
ROUNDS=${APQ_ROUNDS:-3}
CONNECTIONS=${APQ_CONNECTIONS:-10}
PORT=18585
URL=http://127.0.0.1:$PORT/graphql
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
rm -rf "$WORK" && mkdir -p "$WORK"
export APP_DATABASE_URL="sqlite://$WORK/apq.sqlite?mode=rwc" APP_HOST=127.0.0.1 APP_PORT=$PORT \
  APP_LOG=warn APP_ACCESS_TOKEN_TTL_SECS=3600
(cd "$ROOT" && cargo build -q --release -p api)
"$BIN" migrate
printf 'bench-password-0123\n' | "$BIN" account create --login bench-admin --role admin >/dev/null
"$BIN" serve & SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/livez" >/dev/null && break; sleep 0.2; done
export BENCH_TOKEN=$(curl -sf "$URL" -H 'content-type: application/json' -d \
  '{"query":"mutation { login(input: {login: \"bench-admin\", password: \"bench-password-0123\"}) { accessToken } }"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])')
# The two bodies: the full text (with its hash, which registers it) and the hash only.
python3 - "$ROOT/bench/nested.json" "$WORK" <<'PY'
import hashlib, json, sys
body = json.load(open(sys.argv[1]))
ext = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(body["query"].encode()).hexdigest()}}
full = dict(body); full["extensions"] = ext
hit = {k: v for k, v in body.items() if k != "query"}; hit["extensions"] = ext
open(sys.argv[2] + "/full.json", "w").write(json.dumps(full, separators=(",", ":")))
open(sys.argv[2] + "/hit.json", "w").write(json.dumps(hit, separators=(",", ":")))
PY
curl -sf "$URL" -H 'content-type: application/json' -H "authorization: Bearer $BENCH_TOKEN" \
  --data-binary @"$WORK/full.json" >/dev/null
cpu() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
echo "| body | bytes up (body) | requests/s | server CPU ms/request |"
echo "|---|---|---|---|"
for round in $(seq "$ROUNDS"); do
  for kind in full hit; do
    before=$(cpu)
    out=$(APQ_BODY_FILE="$WORK/$kind.json" BENCH_DIR="$ROOT/bench" wrk -t2 -c"$CONNECTIONS" \
      -d"${DURATION}s" -s "$ROOT/bench/apq.lua" "$URL")
    after=$(cpu)
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    ticks=$(getconf CLK_TCK)
    ms=$(python3 -c "print(round(($after-$before)*1000/$ticks/max($requests,1), 3))")
    echo "| $kind (round $round) | $(stat -c %s "$WORK/$kind.json") | $rps | $ms |"
  done
done
