#!/usr/bin/env bash
# Two builds of the service side by side on one request of the peer bench: requests/s, p99,
# server CPU per request and peak RSS, in interleaved rounds (absolute numbers on a shared
# machine are noise; compare the two columns of one run).
#   bash bench/peer/ab.sh BIN_A BIN_B [REQUEST] [CONNS] [SECS] [ROUNDS]
#     REQUEST: detail | page50 | inbox (default detail); CONNS 10; SECS 8; ROUNDS 2
#   PERF=1 ...   also records a profile of BIN_B's last run (perf record, dwarf call graphs)
#                into /tmp/ppaos-peer-bench/perf-ab.data (read it with `perf report -i`).
# Needs the database and request bodies of `bash bench/peer/run.sh setup` and one `run`
# (the bodies are written to /tmp/ppaos-peer-bench by `run`).
set -euo pipefail
A=$1; B=$2; NAME=${3:-detail}; C=${4:-10}; SECS=${5:-8}; ROUNDS=${6:-2}
WORK=/tmp/ppaos-peer-bench; DB=ppaos_peer_bench; PORT=18391
LOGIN=bench-admin; [ "$NAME" = inbox ] && LOGIN=bench-agency
[ -s "$WORK/ours-$NAME.json" ] || { echo "no $WORK/ours-$NAME.json: run bench/peer/run.sh run once" >&2; exit 2; }
cat > "$WORK/ab.lua" <<'LUA'
local f = io.open(os.getenv("BODY"), "r"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer " .. os.getenv("TOKEN")
LUA
one() {  # one LABEL BIN PROFILE
    local label=$1 bin=$2 profile=$3 pid s0 s1 n token pp=""
    APP_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable" APP_PORT=$PORT APP_LOG=warn \
        APP_ACCESS_TOKEN_TTL_SECS=3600 APP_LOGIN_MAX_FAILURES=1000 "$bin" serve > "$WORK/ab-server.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        curl -s -o /dev/null -m1 "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' -d '{"query":"{__typename}"}' && break
        sleep 0.1
    done
    token=$(curl -sf "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
        -d '{"query":"mutation($i: LoginInput!){ login(input:$i){ accessToken } }","variables":{"i":{"login":"'"$LOGIN"'","password":"bench-password-0123"}}}' \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])')
    export TOKEN=$token BODY="$WORK/ours-$NAME.json"
    wrk -t1 -c"$C" -d2s -s "$WORK/ab.lua" "http://127.0.0.1:$PORT/graphql" > /dev/null
    s0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    if [ "$profile" = 1 ]; then
        perf record -F 2000 --call-graph dwarf,16384 -p "$pid" -o "$WORK/perf-ab.data" -- sleep "$SECS" > /dev/null 2>&1 &
        pp=$!
    fi
    wrk -t1 -c"$C" -d"${SECS}s" --latency -s "$WORK/ab.lua" "http://127.0.0.1:$PORT/graphql" > "$WORK/ab-wrk.txt"
    s1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    [ -n "$pp" ] && wait "$pp"
    n=$(grep -o '[0-9]* requests in' "$WORK/ab-wrk.txt" | awk '{print $1}')
    printf '%s\t%s\t%s\t%s\t%s\n' "$label" \
        "$(sed -n 's/^Requests\/sec:[[:space:]]*//p' "$WORK/ab-wrk.txt")" \
        "$(awk '$1 == "99%" {print $2}' "$WORK/ab-wrk.txt")" \
        "$(python3 -c "print('%.3f' % (($s1 - $s0) * 1000 / $(getconf CLK_TCK) / $n))")" \
        "$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")"
    kill "$pid"; wait "$pid" 2> /dev/null || true
}
printf 'build\treq/s\tp99\tserver CPU ms/req\tpeak RSS kB\n'
for r in $(seq 1 "$ROUNDS"); do
    one A "$A" 0
    prof=0; [ "${PERF:-0}" = 1 ] && [ "$r" = "$ROUNDS" ] && prof=1
    one B "$B" "$prof"
done
