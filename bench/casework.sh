#!/usr/bin/env bash
# Casework benchmark on PostgreSQL: agency inbox and case list (see bench/CASEWORK.md).
#   bash bench/casework.sh setup   # release build, fresh DB ppaos_casework_bench, villages of 52,
#                                  # accounts, ~2,000 households + casework seeded through GraphQL
#   bash bench/casework.sh run     # wrk at 1, 10 and 50 connections, SQL statements per request,
#                                  # writes bench/results/casework-postgres.md
#   bash bench/casework.sh         # both
# Environment: CASEWORK_HOUSEHOLDS (2000), CASEWORK_WORKERS (8), CASEWORK_DURATION (20, seconds),
# CASEWORK_CONNECTIONS ("1 10 50"; 1 is an unloaded reference), CASEWORK_STMT_REQUESTS (20),
# CASEWORK_NO_BUILD=1 (use the existing target/release/api), CASEWORK_QUIET_WAIT (900, seconds
# to wait for other engineers' cargo builds/tests before measuring).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/target/release/api"
WORK=/tmp/ppaos-casework-bench
PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres
DB=ppaos_casework_bench
PGLOG=/var/log/postgresql/postgresql-15-main.log
export APP_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
export APP_HOST=127.0.0.1 APP_PORT=18383 APP_LOG=warn APP_ACCESS_TOKEN_TTL_SECS=3600 APP_LOGIN_MAX_FAILURES=1000
URL=http://127.0.0.1:$APP_PORT/graphql
PASSWORD=bench-password-0123
HOUSEHOLDS=${CASEWORK_HOUSEHOLDS:-2000}
WORKERS=${CASEWORK_WORKERS:-8}
DURATION=${CASEWORK_DURATION:-20}
CONNECTIONS=${CASEWORK_CONNECTIONS:-1 10 50}
STMT_N=${CASEWORK_STMT_REQUESTS:-20}
QUIET_WAIT=${CASEWORK_QUIET_WAIT:-900}
OTHERS='cargo (test|build|clippy)'
PSQL=(psql -qAtX "$APP_DATABASE_URL")
STATS=(python3 "$ROOT/bench/casework_stats.py")
SEED=(python3 "$ROOT/bench/casework_seed.py")
mkdir -p "$WORK" "$ROOT/bench/results"

stop_server() {
    if [ -s "$WORK/server.pid" ] && kill -0 "$(cat "$WORK/server.pid")" 2> /dev/null; then
        kill "$(cat "$WORK/server.pid")"
        for _ in $(seq 1 50); do kill -0 "$(cat "$WORK/server.pid")" 2> /dev/null || break; sleep 0.1; done
        kill -9 "$(cat "$WORK/server.pid")" 2> /dev/null || true
    fi
    rm -f "$WORK/server.pid"
}
reset_logging() {  # never leave statement logging on for the bench database
    psql -qAtX "$PG_ADMIN_URL" -c "ALTER DATABASE $DB RESET log_min_duration_statement" > /dev/null 2>&1 || true
}
cleanup() { stop_server; reset_logging; }
trap cleanup EXIT

start_server() {  # start_server LOGFILE
    stop_server
    "$BIN" serve > "$1" 2>&1 &
    echo $! > "$WORK/server.pid"
    for _ in $(seq 1 150); do
        curl -sf -m 2 "http://127.0.0.1:$APP_PORT/readyz" > /dev/null && return 0
        kill -0 "$(cat "$WORK/server.pid")" 2> /dev/null || break
        sleep 0.2
    done
    echo "server did not start" >&2; tail -20 "$1" >&2; exit 1
}
server_pid() { cat "$WORK/server.pid"; }
vm() { grep "^$1:" "/proc/$(server_pid)/status" | awk '{printf "%.1f MiB", $2/1024}'; }
pg_up() {
    pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect 15 main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && return 0; sleep 1; done
    echo "PostgreSQL is not ready" >&2; exit 1
}
build() {  # notes which commit the binary was built from (the tree is shared: it moves)
    if [ "${CASEWORK_NO_BUILD:-}" = 1 ] && [ -x "$BIN" ]; then return 0; fi
    local head dirty
    head="$(git -C "$ROOT" log -1 --format=%h) (\"$(git -C "$ROOT" log -1 --format=%s | cut -c1-60)…\")"
    dirty=$(git -C "$ROOT" status --porcelain -- api entity migration | tr '\n' ' ')
    (cd "$ROOT" && timeout 3600 nice -n 10 cargo build --release -p api)
    echo "$head${dirty:+, with uncommitted changes: $dirty}" > "$WORK/build-info.txt"
}
wait_quiet() {  # etiquette: wait (bounded) while other engineers build or test
    local waited=0
    while pgrep -f "$OTHERS" > /dev/null; do
        if [ "$waited" -ge "$QUIET_WAIT" ]; then
            echo "WARNING: measuring under contention (load $(cut -d' ' -f1-3 /proc/loadavg)): $(pgrep -af "$OTHERS" | head -2 | cut -c1-120)" >&2
            return 0
        fi
        echo "waiting for other builds/tests ($waited/${QUIET_WAIT}s): $(pgrep -af "$OTHERS" | head -1 | cut -c1-100)" >&2
        sleep 15; waited=$((waited + 15))
    done
}
others_now() { pgrep -af "$OTHERS" | cut -c1-100 | tr '\n' ';' || true; }

write_bodies() {
    local inbox cases n
    inbox='query Inbox($n: Int!) { referrals(filter: {direction: INBOX}, first: $n) { totalCount nodes { id status dueOn isOverdue reason household { id houseNumber members { nodes { role person { givenName familyName phone } } } latestAssessment { incomePerPerson ladder { overall } } matches { nodes { status technology { name } } } } } } }'
    cases='query Cases($n: Int!) { cases(first: $n, filter: {areaCode: \"52\"}) { totalCount nodes { id type phase priority reviewDueOn isReviewOverdue household { id villageCode } ownerAgency { name } referrals { nodes { status toAgency { name } } } } } }'
    for n in 5 20; do
        printf '{"query":"%s","variables":{"n":%d}}\n' "$inbox" "$n" > "$WORK/inbox-$n.json"
        printf '{"query":"%s","variables":{"n":%d}}\n' "$cases" "$n" > "$WORK/cases-$n.json"
    done
}

setup() {
    build
    pg_up
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    "${SEED[@]}" villages "$WORK/villages.csv"
    "$BIN" migrate
    "$BIN" import areas "$WORK/villages.csv" | tail -1
    echo "$PASSWORD" | "$BIN" account create --login cw-admin --role admin --display-name 'Bench admin'
    echo "$PASSWORD" | "$BIN" account create --login cw-coord --role coordinator --area-scope 52 --display-name 'Bench coordinator 52'
    start_server "$WORK/server-seed.log"
    local agency
    agency=$("${SEED[@]}" agencies "$URL" "$WORK/agencies.json")
    echo "$PASSWORD" | "$BIN" account create --login cw-agency --role agency --agency-id "$agency" --display-name 'Bench partner staff'
    /usr/bin/time -f 'seeding client: wall %e s, peak RSS %M KB' \
        timeout 3600 "${SEED[@]}" data "$URL" "$WORK/agencies.json" "$HOUSEHOLDS" --workers "$WORKERS" 2>&1 | tee "$WORK/seed.txt"
    echo "seeding server peak RSS (VmHWM): $(vm VmHWM)" | tee -a "$WORK/seed.txt"
    stop_server
    "${PSQL[@]}" -c "VACUUM ANALYZE"
    "${PSQL[@]}" -F ' ' > "$WORK/data-summary.txt" <<'SQL'
SELECT 'households', count(*) FROM household;
SELECT 'persons (current members)', count(*) FROM membership WHERE end_date IS NULL;
SELECT 'ACTIVE assessments', count(*) FROM assessment WHERE status = 'ACTIVE';
SELECT 'consents / consent_grant rows', (SELECT count(*) FROM consent), (SELECT count(*) FROM consent_grant);
SELECT 'matches by delivering agency', a.name, count(*) FROM "match" m JOIN agency a ON a.id = m.delivering_agency_id GROUP BY a.name;
SELECT 'cases by phase', phase, count(*) FROM support_case GROUP BY phase ORDER BY phase;
SELECT 'cases by owner', coalesce(a.name, '(none)'), count(*) FROM support_case c LEFT JOIN agency a ON a.id = c.owner_agency_id GROUP BY 2 ORDER BY 2;
SELECT 'referrals to', a.name, r.status, count(*) FROM referral r JOIN agency a ON a.id = r.to_agency_id GROUP BY a.name, r.status ORDER BY 2, 3;
SELECT 'interventions', count(*) FROM intervention;
SQL
    cat "$WORK/data-summary.txt"
}

run_one() {  # run_one QUERY CONNECTIONS TOKEN
    local q=$1 c=$2 base="$WORK/wrk-$1-$2" t=2
    [ "$2" -lt 2 ] && t=1
    wait_quiet
    local before; before=$(others_now)
    BENCH_TOKEN=$3 BENCH_BODY="$WORK/$q-20.json" timeout 60 wrk -t$t -c"$c" -d3s -s "$ROOT/bench/casework.lua" "$URL" > /dev/null
    local load; load=$(cut -d' ' -f1-3 /proc/loadavg)
    "${STATS[@]}" cpu "$(server_pid)" "$DB" "$base.cpu0.json"
    echo "== $q, $c connections, ${DURATION}s (load average $load)"
    : > "$base.others"
    ( for _ in $(seq 1 $((DURATION + 5))); do others_now >> "$base.others"; sleep 1; done ) &
    local sampler=$!
    BENCH_TOKEN=$3 BENCH_BODY="$WORK/$q-20.json" timeout $((DURATION + 60)) \
        wrk -t$t -c"$c" -d"${DURATION}s" --latency -s "$ROOT/bench/casework.lua" "$URL" | tee "$base.txt"
    "${STATS[@]}" cpu "$(server_pid)" "$DB" "$base.cpu1.json"
    kill "$sampler" 2> /dev/null || true; wait "$sampler" 2> /dev/null || true
    local after; after=$(tr ';' '\n' < "$base.others" | sed 's/^[0-9]* //' | sort -u | grep . | tr '\n' ';' || true)
    python3 -c 'import json,sys; json.dump({"loadavg": sys.argv[1].split(), "others": (sys.argv[2] + sys.argv[3]).strip()}, open(sys.argv[4], "w"))' \
        "$load" "$before" "$after" "$base.env.json"
}

run() {
    build
    pg_up
    [ "$("${PSQL[@]}" -c "SELECT count(*) FROM referral" 2> /dev/null || echo 0)" -gt 0 ] || { echo "no data: run 'bash bench/casework.sh setup' first" >&2; exit 1; }
    if ! command -v wrk > /dev/null; then
        echo "installing wrk (Debian package)" >&2
        apt-get update -qq && apt-get install -y -qq wrk > /dev/null
    fi
    reset_logging
    write_bodies
    rm -f "$WORK"/wrk-* "$WORK"/stmts-*
    wait_quiet
    start_server "$WORK/server-run.log"
    local rss_start; rss_start=$(vm VmRSS)
    local coord agency
    coord=$("${SEED[@]}" token "$URL" cw-coord)
    agency=$("${SEED[@]}" token "$URL" cw-agency)
    for n in 5 20; do
        "${STATS[@]}" check "$URL" "$agency" "$WORK/inbox-$n.json" "$n" "$WORK/check-inbox-$n.json"
        "${STATS[@]}" check "$URL" "$coord" "$WORK/cases-$n.json" "$n" "$WORK/check-cases-$n.json"
    done
    for c in $CONNECTIONS; do run_one inbox "$c" "$agency"; done
    for c in $CONNECTIONS; do run_one cases "$c" "$coord"; done
    local hwm; hwm=$(vm VmHWM)
    echo "server peak RSS (VmHWM) over the runs: $hwm (after startup: $rss_start)"
    stop_server

    # statements per request: every statement of the bench database goes to the log
    psql -qAtX "$PG_ADMIN_URL" -c "ALTER DATABASE $DB SET log_min_duration_statement = 0"
    start_server "$WORK/server-stmts.log"
    coord=$("${SEED[@]}" token "$URL" cw-coord)
    agency=$("${SEED[@]}" token "$URL" cw-agency)
    for n in 5 20; do
        "${STATS[@]}" stmts "$URL" "$agency" "$WORK/inbox-$n.json" "$PGLOG" "$DB" "$STMT_N" "$WORK/stmts-inbox-$n.json"
        "${STATS[@]}" stmts "$URL" "$coord" "$WORK/cases-$n.json" "$PGLOG" "$DB" "$STMT_N" "$WORK/stmts-cases-$n.json"
    done
    stop_server
    reset_logging
    for q in inbox cases; do
        "${STATS[@]}" explain "$WORK/stmts-$q-20.json" "$APP_DATABASE_URL" "$WORK/explain-$q.txt"
    done

    python3 - "$WORK/run-info.json" <<EOF
import json, os, subprocess, datetime
def sh(c): return subprocess.run(c, shell=True, capture_output=True, text=True, cwd="$ROOT").stdout.strip()
info = {
  "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
  "commit": open("$WORK/build-info.txt").read().strip() if os.path.exists("$WORK/build-info.txt") else "unknown (built outside casework.sh), HEAD now " + sh("git log -1 --format=%h"),
  "binary": datetime.datetime.fromtimestamp(os.path.getmtime("$BIN"), datetime.timezone.utc).strftime("%H:%M UTC"),
  "pg": sh("psql -qAtX $PG_ADMIN_URL -c 'SHOW server_version'"),
  "cores": os.cpu_count(), "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
  "duration": "$DURATION", "pool": os.environ.get("APP_DATABASE_MAX_CONNECTIONS", "10 (default)"),
  "connections": "$CONNECTIONS".split(), "stmt_n": $STMT_N,
  "vmhwm": "$hwm", "rss_start": "$rss_start",
  "data": [l.rstrip() for l in open("$WORK/data-summary.txt")],
}
json.dump(info, open("$WORK/run-info.json", "w"), indent=1)
EOF
    "${STATS[@]}" report "$WORK" "$ROOT/bench/results/casework-postgres.md"
    cat "$ROOT/bench/results/casework-postgres.md"
}

case "${1:-all}" in
setup) setup ;;
run) run ;;
all) setup; run ;;
*) echo "usage: bash bench/casework.sh [setup|run|all]" >&2; exit 2 ;;
esac
