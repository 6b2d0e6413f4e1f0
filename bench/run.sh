#!/usr/bin/env bash
# Load benchmark of the api server: `me` and a nested agencies list, driven by wrk at 50
# connections, once on SQLite and once on PostgreSQL. See bench/README.md.
#
#   bash bench/run.sh            # both databases
#   bash bench/run.sh sqlite     # only SQLite
#   bash bench/run.sh postgres   # only PostgreSQL
#   BENCH_DURATION=30s bash bench/run.sh
#
# All traffic goes to 127.0.0.1 only; every wait and every load run is bounded in time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
cd "$ROOT"

DURATION="${BENCH_DURATION:-20s}"
DURATION_SECS="${DURATION%s}"
if ! [[ "$DURATION_SECS" =~ ^[0-9]+$ ]] || [ "$DURATION_SECS" -lt 1 ]; then
    echo "BENCH_DURATION must be a number of seconds like 20s, got '$DURATION'" >&2
    exit 2
fi
WARMUP_SECS=3
REF_SECS=5
CONNECTIONS=50
THREADS=2
PORT=18181
BASE="http://127.0.0.1:$PORT"
URL="$BASE/graphql"
WORK=/tmp/ppaos-bench
ADMIN_LOGIN=bench-admin
ADMIN_PASSWORD=bench-password-0123
AGENCIES=60
ACCOUNTS_PER_AGENCY=5
PG_DB=ppaos_bench
BIN="$ROOT/target/release/api"

case "${1:-both}" in
    both | all) DBS=(sqlite postgres) ;;
    sqlite) DBS=(sqlite) ;;
    postgres | pg) DBS=(postgres) ;;
    *)
        echo "usage: bash bench/run.sh [sqlite|postgres]" >&2
        exit 2
        ;;
esac

log() { printf '\n==> %s\n' "$*" >&2; }
die() {
    printf 'bench: FAILED: %s\n' "$*" >&2
    exit 1
}

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------
# Tools and build
# ---------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    log "installing wrk (Debian package)"
    apt-get update -qq && apt-get install -y -qq wrk
fi
command -v curl >/dev/null || die "curl is required"
command -v python3 >/dev/null || die "python3 is required"

log "building release: cargo build --release -p api"
nice -n 10 cargo build --release -p api
[ -x "$BIN" ] || die "$BIN was not built"

mkdir -p "$WORK" "$BENCH/results"

# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

# Environment shared by `api account create` and the server.
server_env() {
    local db_url="$1"
    export APP_DATABASE_URL="$db_url"
    export APP_HOST=127.0.0.1
    export APP_PORT="$PORT"
    export APP_LOG=warn
    export APP_LOGIN_MAX_FAILURES=1000
    export APP_ACCESS_TOKEN_TTL_SECS=3600
}

# start_server NAME: runs the api in the background (log in $WORK/server-NAME.log), waits
# for /readyz, and leaves its pid in SERVER_PID.
start_server() {
    local server_log="$WORK/server-$1.log"
    if curl -s -o /dev/null --max-time 2 "$BASE/readyz"; then
        die "something already answers on $BASE; stop it first"
    fi
    # A simple command in the background: bash execs the binary, so $! is the api process.
    "$BIN" serve >"$server_log" 2>&1 &
    SERVER_PID=$!
    local comm
    comm="$(cat "/proc/$SERVER_PID/comm" 2>/dev/null || true)"
    for _ in $(seq 1 120); do
        if curl -sf -o /dev/null --max-time 2 "$BASE/readyz"; then
            comm="$(cat "/proc/$SERVER_PID/comm")"
            [ "$comm" = "api" ] || die "pid $SERVER_PID is '$comm', not the api process"
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || {
            tail -n 30 "$server_log" >&2
            die "the server exited during startup (log: $server_log)"
        }
        sleep 0.5
    done
    tail -n 30 "$server_log" >&2
    die "the server was not ready after 60 s (log: $server_log)"
}

# Posts a request body file once with curl; fails unless HTTP 200 with data and no errors.
check_query() {
    local name="$1" body="$2"
    local out="$WORK/check-$name.json"
    local code
    code="$(curl -s -o "$out" -w '%{http_code}' --max-time 30 \
        -H 'content-type: application/json' -H "authorization: Bearer $BENCH_TOKEN" \
        --data-binary "@$body" "$URL")" || die "curl failed for $name"
    [ "$code" = "200" ] || {
        head -c 800 "$out" >&2
        echo >&2
        die "$name: HTTP $code"
    }
    python3 "$BENCH/seed.py" check "$out" >&2 || die "$name: the response has errors"
}

# Reads a kB field (VmRSS, VmHWM) of the server process from /proc.
status_kb() {
    awk -v f="$1:" '$1 == f {print $2}' "/proc/$SERVER_PID/status"
}

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# Logs the admin in; exports BENCH_TOKEN (read by the wrk scripts) and BENCH_DIR.
login() {
    BENCH_TOKEN="$(echo "$ADMIN_PASSWORD" | python3 "$BENCH/seed.py" login "$URL" "$ADMIN_LOGIN")"
    [ -n "$BENCH_TOKEN" ] || die "login returned no token"
    export BENCH_TOKEN BENCH_DIR="$BENCH"
}

# Converts a wrk latency such as 812.00us, 1.23ms, 1.02s or 2.00m to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        if (u == "us") n = n / 1000; else if (u == "s") n = n * 1000; else if (u == "m") n = n * 60000;
        printf "%.2f", n }'
}

# run_wrk NAME LUA [CONNECTIONS THREADS SECONDS] -> wrk output in $WORK/wrk-$DB-NAME-cN.txt;
# a warm-up run of WARMUP_SECS precedes the measured one.
run_wrk() {
    local name="$1" lua="$2" conns="${3:-$CONNECTIONS}" threads="${4:-$THREADS}"
    local secs="${5:-$DURATION_SECS}"
    local out="$WORK/wrk-$DB-$name-c$conns.txt"
    log "$DB / $name: warm-up ${WARMUP_SECS}s"
    timeout $((WARMUP_SECS + 60)) wrk -t"$threads" -c"$conns" -d"${WARMUP_SECS}s" \
        -s "$lua" "$URL" >/dev/null || die "wrk warm-up failed for $name"
    log "$DB / $name: measured ${secs}s at $conns connections"
    timeout $((secs + 120)) wrk -t"$threads" -c"$conns" -d"${secs}s" \
        --timeout 10s --latency -s "$lua" "$URL" | tee "$out" >&2 ||
        die "wrk failed for $name"
}

# parse_wrk FILE -> "rps p50_ms p99_ms requests non2xx socket_errors"
parse_wrk() {
    local file="$1" rps p50 p99 total non2xx sockerr
    rps="$(awk '/^Requests\/sec:/ {print $2}' "$file")"
    p50="$(awk '$1 == "50%" {print $2; exit}' "$file")"
    p99="$(awk '$1 == "99%" {print $2; exit}' "$file")"
    total="$(awk '/requests in/ {print $1; exit}' "$file")"
    non2xx="$(awk -F': *' '/Non-2xx or 3xx responses/ {print $2}' "$file")"
    sockerr="$(awk '/Socket errors/ {sub(/^ *Socket errors: */, ""); print}' "$file")"
    [ -n "$rps" ] && [ -n "$p50" ] && [ -n "$p99" ] || die "could not parse wrk output in $file"
    echo "$rps|$(to_ms "$p50")|$(to_ms "$p99")|${total:-?}|${non2xx:-0}|${sockerr:-none}"
}

# ---------------------------------------------------------------------------------------
# One pass per database
# ---------------------------------------------------------------------------------------
bench_db() {
    DB="$1"
    local db_url
    case "$DB" in
        sqlite)
            rm -f "$WORK"/bench.sqlite "$WORK"/bench.sqlite-*
            db_url="sqlite://$WORK/bench.sqlite?mode=rwc"
            ;;
        postgres)
            if ! pg_isready -q -h 127.0.0.1; then
                log "starting PostgreSQL 15"
                pg_ctlcluster --skip-systemctl-redirect 15 main start
                for _ in $(seq 1 30); do
                    pg_isready -q -h 127.0.0.1 && break
                    sleep 1
                done
                pg_isready -q -h 127.0.0.1 || die "PostgreSQL is not ready on 127.0.0.1:5432"
            fi
            psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"
            psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $PG_DB"
            db_url="postgres://postgres@127.0.0.1:5432/$PG_DB"
            ;;
    esac
    server_env "$db_url"

    log "$DB: creating the admin account"
    echo "$ADMIN_PASSWORD" | "$BIN" account create --login "$ADMIN_LOGIN" --role admin >&2

    log "$DB: starting the server on $BASE (seeding instance)"
    start_server "$DB-seed"
    echo "server pid $SERVER_PID" >&2
    login

    log "$DB: seeding $AGENCIES agencies x $ACCOUNTS_PER_AGENCY accounts"
    local t0 t1
    t0=$(date +%s.%N)
    timeout 600 python3 "$BENCH/seed.py" seed "$URL" "$AGENCIES" "$ACCOUNTS_PER_AGENCY" >&2 ||
        die "seeding failed"
    t1=$(date +%s.%N)
    local seed_secs seed_hwm_kb
    seed_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
    # Account creation hashes 300 passwords with argon2id (19 MiB each); that memory is not
    # what serving costs, so the load runs on a fresh server process over the same database.
    seed_hwm_kb="$(status_kb VmHWM)"
    stop_server

    log "$DB: restarting the server for the load runs"
    start_server "$DB"
    echo "server pid $SERVER_PID" >&2
    local start_rss_kb
    start_rss_kb="$(status_kb VmRSS)"
    login

    log "$DB: checking each query once with curl"
    check_query me "$BENCH/me.json"
    check_query nested "$BENCH/nested.json"

    local rss_before
    rss_before="$(status_kb VmRSS)"

    run_wrk me "$BENCH/me.lua"
    run_wrk nested "$BENCH/nested.lua"
    # Reference: one connection, no queueing, so the latency is the server's own time.
    run_wrk me "$BENCH/me.lua" 1 1 "$REF_SECS"
    run_wrk nested "$BENCH/nested.lua" 1 1 "$REF_SECS"

    kill -0 "$SERVER_PID" 2>/dev/null || die "the server died during the run"
    local hwm_kb rss_kb
    hwm_kb="$(status_kb VmHWM)"
    rss_kb="$(status_kb VmRSS)"
    stop_server

    local me nested me1 nested1
    me="$(parse_wrk "$WORK/wrk-$DB-me-c$CONNECTIONS.txt")"
    nested="$(parse_wrk "$WORK/wrk-$DB-nested-c$CONNECTIONS.txt")"
    me1="$(parse_wrk "$WORK/wrk-$DB-me-c1.txt")"
    nested1="$(parse_wrk "$WORK/wrk-$DB-nested-c1.txt")"
    local hwm_mb rss_mb before_mb start_mb seed_hwm_mb
    hwm_mb="$(mib "$hwm_kb")"
    rss_mb="$(mib "$rss_kb")"
    before_mb="$(mib "$rss_before")"
    start_mb="$(mib "$start_rss_kb")"
    seed_hwm_mb="$(mib "$seed_hwm_kb")"

    local me_p99 me_verdict rss_verdict
    me_p99="$(echo "$me" | cut -d'|' -f3)"
    me_verdict=$(awk -v p="$me_p99" 'BEGIN {print (p < 5) ? "met" : "MISSED"}')
    rss_verdict=$(awk -v m="$hwm_mb" 'BEGIN {print (m < 100) ? "met" : "MISSED"}')

    local out="$BENCH/results/latest-$DB.md"
    {
        echo "# Benchmark results: $DB"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
        echo "- machine: $(nproc) cores, $(awk '/^MemTotal:/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); wrk and the server share the cores"
        echo "- load: wrk -t$THREADS -c$CONNECTIONS -d${DURATION_SECS}s --latency (after a ${WARMUP_SECS}s warm-up), POST $URL"
        echo "- data: $AGENCIES agencies x $ACCOUNTS_PER_AGENCY accounts (seeded in ${seed_secs}s)"
        echo "- server: APP_LOG=warn, database $DB"
        echo
        echo "| query | connections | requests/s | p50 (ms) | p99 (ms) | requests | non-2xx | socket errors |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
        for row in "me|$CONNECTIONS|$me" "nested|$CONNECTIONS|$nested" \
            "me (reference, ${REF_SECS}s)|1|$me1" "nested (reference, ${REF_SECS}s)|1|$nested1"; do
            IFS='|' read -r label conns rps p50 p99 total non2xx sockerr <<<"$row"
            echo "| $label | $conns | $rps | $p50 | $p99 | $total | $non2xx | $sockerr |"
        done
        echo
        echo "nested = agencies(first: 50) with coverage and accounts(first: 5) each."
        echo
        echo "Server memory (MiB): peak RSS (VmHWM) of the serving process over both load runs **$hwm_mb**;"
        echo "its RSS at startup $start_mb, before the load $before_mb, after it $rss_mb."
        echo "The seeding process (60 agencies, 300 argon2id account creations) peaked at $seed_hwm_mb."
        echo
        echo "Targets: \`me\` p99 < 5 ms: **$me_verdict** ($me_p99 ms); peak RSS < 100 MiB: **$rss_verdict** ($hwm_mb MiB = $(awk -v k="$hwm_kb" 'BEGIN {printf "%.1f", k * 1024 / 1e6}') MB)."
        echo
        echo "<details><summary>raw wrk output</summary>"
        echo
        echo '```'
        for f in me-c$CONNECTIONS nested-c$CONNECTIONS me-c1 nested-c1; do
            echo "# $f"
            cat "$WORK/wrk-$DB-$f.txt"
            echo
        done
        echo '```'
        echo
        echo "</details>"
    } >"$out"
    log "$DB: results written to ${out#"$ROOT"/}"
}

for db in "${DBS[@]}"; do
    bench_db "$db"
done

log "summary"
for db in "${DBS[@]}"; do
    sed -n '1,/^Targets:/p' "$BENCH/results/latest-$db.md"
    echo
done
