#!/usr/bin/env bash
# Abuse benchmark of the api server: hostile GraphQL requests (deep literals, fragment
# explosions, NUL bytes, oversized bodies, login floods, introspection) for 30 s at 20
# connections, while /livez latency, a normal query's throughput and the server's memory are
# measured. See bench/README.md, "Abuse benchmark".
#
#   bash bench/abuse.sh             # SQLite (a temporary database file)
#   bash bench/abuse.sh postgres    # PostgreSQL on 127.0.0.1:5432 (database ppaos_abuse)
#   ABUSE_DURATION=10 bash bench/abuse.sh
#   ABUSE_EXCLUDE=list-2000-deep,object-1500-deep bash bench/abuse.sh   # leave requests out
#   ABUSE_RESULT_SUFFIX=-before bash bench/abuse.sh   # writes bench/results/abuse-sqlite-before.md
#   ABUSE_LOGIN_CONNECTIONS=0 bash bench/abuse.sh      # without the login flood (default 30)
#
# All traffic goes to 127.0.0.1 only; every wait and every load run is bounded in time, and
# the server is stopped on any exit. It reports a dead server instead of waiting for it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
cd "$ROOT"

SECS="${ABUSE_DURATION:-30}"
[[ "$SECS" =~ ^[0-9]+$ ]] && [ "$SECS" -ge 1 ] || {
    echo "ABUSE_DURATION must be a number of seconds, got '$SECS'" >&2
    exit 2
}
ATTACK_CONNECTIONS=20
LOGIN_CONNECTIONS="${ABUSE_LOGIN_CONNECTIONS:-30}"
NORMAL_CONNECTIONS=4
BIN="$ROOT/target/release/api"
PG_DB=ppaos_abuse
ADMIN_LOGIN=abuse-admin
ADMIN_PASSWORD=flood-tester-secret-0123
VICTIM_LOGIN=abuse-victim
VICTIM_PASSWORD=target-of-floods-secret-0123

case "${1:-sqlite}" in
    sqlite) DB=sqlite ;;
    postgres | pg) DB=postgres ;;
    *)
        echo "usage: bash bench/abuse.sh [sqlite|postgres]" >&2
        exit 2
        ;;
esac

log() { printf '\n==> %s\n' "$*" >&2; }
die() {
    printf 'abuse: FAILED: %s\n' "$*" >&2
    exit 1
}

WORK="$(mktemp -d /tmp/ppaos-abuse.XXXXXX)"
LOADAVG_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"
SERVER_PID=""
MONITOR_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    [ -n "$SERVER_PID" ] && wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
cleanup() {
    [ -n "$MONITOR_PID" ] && kill "$MONITOR_PID" 2>/dev/null || true
    stop_server
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------
# Tools, build, database
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
mkdir -p "$BENCH/results"

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
URL="$BASE/graphql"

case "$DB" in
    sqlite)
        DB_URL="sqlite://$WORK/abuse.sqlite?mode=rwc"
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
        DB_URL="postgres://postgres@127.0.0.1:5432/$PG_DB"
        ;;
esac
export APP_DATABASE_URL="$DB_URL" APP_HOST=127.0.0.1 APP_PORT="$PORT" APP_LOG=warn
export APP_ACCESS_TOKEN_TTL_SECS=3600
export BENCH_DIR="$BENCH" ABUSE_DIR="$WORK/requests"
# Everything else (limits, login lockout, introspection on as in development) is the default.

log "$DB: creating the accounts"
echo "$ADMIN_PASSWORD" | "$BIN" account create --login "$ADMIN_LOGIN" --role admin >&2
echo "$VICTIM_PASSWORD" | "$BIN" account create --login "$VICTIM_LOGIN" --role analyst --area-scope 52 >&2
python3 "$BENCH/abuse_requests.py" write "$ABUSE_DIR"

# ---------------------------------------------------------------------------------------
# Server and memory monitor
# ---------------------------------------------------------------------------------------
STARTS=0
start_server() {
    STARTS=$((STARTS + 1))
    local server_log="$WORK/server-$STARTS.log"
    if curl -s -o /dev/null --max-time 2 "$BASE/livez"; then
        die "something already answers on $BASE"
    fi
    "$BIN" serve </dev/null >"$server_log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 120); do
        if curl -sf -o /dev/null --max-time 2 "$BASE/readyz"; then
            [ "$(cat "/proc/$SERVER_PID/comm")" = "api" ] || die "pid $SERVER_PID is not the api"
            echo "$SERVER_PID" >"$WORK/server.pid"
            BENCH_TOKEN="$(echo "$ADMIN_PASSWORD" |
                timeout 60 python3 "$BENCH/abuse_requests.py" login "$URL" "$ADMIN_LOGIN")" ||
                die "admin login failed"
            export BENCH_TOKEN
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || {
            tail -n 30 "$server_log" >&2
            die "the server exited during startup (log: $server_log)"
        }
        sleep 0.5
    done
    die "the server was not ready after 60 s (log: $server_log)"
}

# Samples VmHWM/VmRSS of the current server every 0.2 s (a dead process has no
# /proc/<pid>/status left to read): the last sample of each process is in $WORK/mem-<pid>.
monitor() {
    while true; do
        local pid
        pid="$(cat "$WORK/server.pid" 2>/dev/null || true)"
        if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
            awk -v t="$(date +%s.%N)" '/^(VmHWM|VmRSS):/ {printf "%s %s ", $1, $2} END {print "at", t}' \
                "/proc/$pid/status" >"$WORK/mem-$pid.tmp" 2>/dev/null &&
                mv "$WORK/mem-$pid.tmp" "$WORK/mem-$pid"
        fi
        sleep 0.2
    done
}

# peak_kb: the highest VmHWM seen of any server process of this run.
peak_kb() {
    cat "$WORK"/mem-* 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "VmHWM:") v = $(i + 1); if (v > m) m = v} END {print m + 0}'
}

alive() { [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; }

DEATHS=()
ATTACK_T0=""
note_death() {
    local when="$1"
    local rc=0
    wait "$SERVER_PID" 2>/dev/null || rc=$?
    local last_seen
    last_seen="$(awk '{print $NF}' "$WORK/mem-$SERVER_PID" 2>/dev/null || echo 0)"
    if [ -n "${ATTACK_T0:-}" ]; then
        when="$when, $(awk -v a="$ATTACK_T0" -v b="$last_seen" \
            'BEGIN {d = b - a; if (d < 1) print "within its first second"; else printf "about %.0f s after it began", d}')"
    fi
    DEATHS+=("$when (exit status $rc; log $(basename "$WORK/server-$STARTS.log"): $(grep -m1 -E 'panicked|overflow|memory|Killed' "$WORK/server-$STARTS.log" | cut -c1-160 || true))")
    SERVER_PID=""
    log "the server DIED: $when"
}

log "$DB: starting the server on $BASE"
start_server
monitor &
MONITOR_PID=$!

# ---------------------------------------------------------------------------------------
# 1. Each hostile request once (what it answers, how long it takes)
# ---------------------------------------------------------------------------------------
log "$DB: each hostile request once"
PROBES="$WORK/probes.md"
: >"$PROBES"
while IFS=$'\t' read -r name _ _ _; do
    timeout 40 python3 "$BENCH/abuse_requests.py" probe "$BASE" "$ABUSE_DIR" "$name" >>"$PROBES" ||
        echo "| $name | | | probe timed out | | |" >>"$PROBES"
    tail -n 1 "$PROBES" >&2
    if ! alive; then
        note_death "on the single request $name"
        start_server
    fi
done <"$ABUSE_DIR/index.tsv"

# ---------------------------------------------------------------------------------------
# 2. Load: the normal query and /livez without the attack, then with it
# ---------------------------------------------------------------------------------------
# wrk_bg NAME ARGS... : wrk in the background, bounded in time, output in $WORK/wrk-NAME.txt
WRK_PIDS=()
wrk_bg() {
    local name="$1"
    shift
    timeout -k 5 $((SECS + 60)) wrk --timeout 10s --latency -d"${SECS}s" "$@" \
        >"$WORK/wrk-$name.txt" 2>&1 &
    WRK_PIDS+=($!)
}
wait_wrk() {
    for p in "${WRK_PIDS[@]}"; do
        wait "$p" || true
    done
    WRK_PIDS=()
}

run_normal_and_livez() {
    local phase="$1"
    ABUSE_REQUEST=normal.req ABUSE_AUTH=1 wrk_bg "normal-$phase" -t1 -c"$NORMAL_CONNECTIONS" \
        -s "$BENCH/abuse_single.lua" "$URL"
    wrk_bg "livez-$phase" -t1 -c1 -s "$BENCH/livez.lua" "$BASE"
}

log "$DB: ${SECS}s without the attack: normal query at $NORMAL_CONNECTIONS connections, /livez at 1"
run_normal_and_livez quiet
wait_wrk
alive || note_death "during the run without the attack"
alive || start_server
HWM_QUIET_KB="$(peak_kb)"

log "$DB: ${SECS}s under attack: $ATTACK_CONNECTIONS connections of hostile requests, $LOGIN_CONNECTIONS of wrong-password logins"
ATTACK_T0="$(date +%s.%N)"
wrk_bg attack -t2 -c"$ATTACK_CONNECTIONS" -s "$BENCH/abuse.lua" "$URL"
if [ "$LOGIN_CONNECTIONS" -gt 0 ]; then
    ABUSE_REQUEST=login.req ABUSE_AUTH=0 wrk_bg login -t1 -c"$LOGIN_CONNECTIONS" \
        -s "$BENCH/abuse_single.lua" "$URL"
else
    echo "(no login flood: ABUSE_LOGIN_CONNECTIONS=0)" >"$WORK/wrk-login.txt"
fi
run_normal_and_livez attack
wait_wrk
sleep 0.5
ALIVE_AT_END=no
if alive && curl -sf -o /dev/null --max-time 5 "$BASE/livez"; then
    ALIVE_AT_END=yes
else
    alive && ALIVE_AT_END="running, but /livez did not answer within 5 s"
    alive || note_death "during the attack"
fi
HWM_KB="$(peak_kb)"
kill "$MONITOR_PID" 2>/dev/null || true
MONITOR_PID=""
stop_server

# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.0f", v * 60000 }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
        else printf "?" }'
}
# wrk_field FILE rps|p50|p99|requests|errors|statuses
wrk_field() {
    local f="$WORK/wrk-$1.txt"
    case "$2" in
        rps) awk '/^Requests\/sec:/ {print $2; f = 1} END {if (!f) print 0}' "$f" ;;
        p50) to_ms "$(awk '$1 == "50%" {print $2; exit}' "$f")" ;;
        p99) to_ms "$(awk '$1 == "99%" {print $2; exit}' "$f")" ;;
        requests) awk '/requests in/ {print $1; f = 1} END {if (!f) print 0}' "$f" ;;
        errors)
            local e
            e="$(awk '/Socket errors/ {sub(/^ *Socket errors: */, ""); print}' "$f")"
            echo "${e:-none}"
            ;;
        statuses) sed -n 's/^statuses: //p' "$f" ;;
    esac
}

latency() {
    if [ "$(wrk_field "$1" requests)" = 0 ]; then
        echo "no answers"
    else
        echo "p99 $(wrk_field "$1" p99) ms, p50 $(wrk_field "$1" p50) ms, $(wrk_field "$1" requests) answers"
    fi
}
MB() { awk -v k="$1" 'BEGIN {printf "%.1f", k * 1024 / 1e6}'; }
NQ="$(wrk_field normal-quiet rps)"
NA="$(wrk_field normal-attack rps)"
RATIO="$(awk -v a="$NA" -v q="$NQ" 'BEGIN {if (q > 0) printf "%.2f", a / q; else print "n/a"}')"
LIVEZ_P99="$(wrk_field livez-attack p99)"
verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "**MISSED**"; fi; }
V_ALIVE=$(verdict "$([ ${#DEATHS[@]} -eq 0 ] && [ "$ALIVE_AT_END" = yes ] && echo 1)")
# wrk's percentiles leave out requests that timed out or were still waiting when the run
# ended, so the p99 counts only with no socket errors and with the answers covering the run:
# at least 80% of SECS / (20 ms pause + mean latency), what a client that never waited
# longer than its mean would have sent.
LIVEZ_MEAN="$(to_ms "$(awk '$1 == "Latency" {print $2; exit}' "$WORK/wrk-livez-attack.txt")")"
LIVEZ_EXPECTED="$(awk -v s="$SECS" -v m="$LIVEZ_MEAN" 'BEGIN {if (m == "?") m = 0; printf "%.0f", s * 1000 / (20 + m)}')"
V_LIVEZ=$(verdict "$(awk -v p="$LIVEZ_P99" -v n="$(wrk_field livez-attack requests)" \
    -v e="$LIVEZ_EXPECTED" -v err="$(wrk_field livez-attack errors)" \
    'BEGIN {if (p != "?" && n > 0 && n >= 0.8 * e && err == "none" && p < 50) print 1}')")
V_RSS=$(verdict "$(awk -v k="$HWM_KB" 'BEGIN {if (k * 1024 / 1e6 < 200) print 1}')")
V_RATIO=$(verdict "$(awk -v r="$RATIO" 'BEGIN {if (r != "n/a" && r >= 0.5) print 1}')")

commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ "$commit" != unknown ] && ! git -C "$ROOT" diff --quiet HEAD 2>/dev/null; then
    commit="$commit (with uncommitted changes)"
fi
OUT="$BENCH/results/abuse-$DB${ABUSE_RESULT_SUFFIX:-}.md"
{
    echo "# Abuse benchmark: $DB"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- commit: $commit"
    echo "- machine: $(nproc) cores, $(awk '/^MemTotal:/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); wrk and the server share the cores; load average $LOADAVG_AT_START when the script started (other work on the machine shows here)"
    echo "- server: release build, default settings (development: introspection on; login lockout after 5 failures), APP_LOG=warn, database $DB"
    [ -n "${ABUSE_EXCLUDE:-}" ] && echo "- **left out** (ABUSE_EXCLUDE): $ABUSE_EXCLUDE"
    echo "- attack: ${SECS}s, wrk -t2 -c$ATTACK_CONNECTIONS rotating over the $(wc -l <"$ABUSE_DIR/index.tsv") hostile requests below, plus wrk -t1 -c$LOGIN_CONNECTIONS of wrong-password logins for \`$VICTIM_LOGIN\`"
    echo "- measured meanwhile: normal query \`{ areas(first: 20) { nodes { code nameEn } } }\` (admin token) at $NORMAL_CONNECTIONS connections, /livez at 1 connection (~50 requests/s); the same ${SECS}s without the attack first"
    echo
    echo "| target | result | verdict |"
    echo "| --- | --- | --- |"
    if [ ${#DEATHS[@]} -eq 0 ]; then
        echo "| the process never dies | alive at the end: $ALIVE_AT_END, $((STARTS - 1)) restarts | $V_ALIVE |"
    else
        echo "| the process never dies | died ${#DEATHS[@]} time(s): $(printf '%s; ' "${DEATHS[@]}") alive at the end: $ALIVE_AT_END | $V_ALIVE |"
    fi
    echo "| /livez p99 < 50 ms under attack | $(latency livez-attack) of ≈$LIVEZ_EXPECTED expected at that latency (without the attack: $(latency livez-quiet)) | $V_LIVEZ |"
    echo "| peak RSS < 200 MB | VmHWM $(MB "$HWM_KB") MB ($(MB "$HWM_QUIET_KB") MB before the attack) | $V_RSS |"
    echo "| normal query ≥ half its unattacked throughput | $NA vs $NQ requests/s: ratio $RATIO | $V_RATIO |"
    echo
    echo "| wrk run | requests/s | p50 (ms) | p99 (ms) | requests | socket errors | HTTP statuses |"
    echo "| --- | ---: | ---: | ---: | ---: | --- | --- |"
    for run in normal-quiet livez-quiet attack login normal-attack livez-attack; do
        echo "| $run | $(wrk_field "$run" rps) | $(wrk_field "$run" p50) | $(wrk_field "$run" p99) | $(wrk_field "$run" requests) | $(wrk_field "$run" errors) | $(wrk_field "$run" statuses) |"
    done
    echo
    echo "Each hostile request sent once, before the load (size in bytes of the body, or of the URL for GET):"
    echo
    echo "| request | method | size | HTTP | ms | errors (code: message) |"
    echo "| --- | --- | ---: | --- | ---: | --- |"
    cat "$PROBES"
    echo
    echo "<details><summary>raw wrk output</summary>"
    echo
    echo '```'
    for run in normal-quiet livez-quiet attack login normal-attack livez-attack; do
        echo "# $run"
        cat "$WORK/wrk-$run.txt"
        echo
    done
    echo '```'
    echo
    echo "</details>"
} >"$OUT"
log "$DB: results written to ${OUT#"$ROOT"/} (server logs and wrk output in $WORK)"
sed -n '1,/^Each hostile/p' "$OUT"
