#!/usr/bin/env bash
# Dashboard benchmark on PostgreSQL (see bench/DASHBOARD.md): province and district dashboards
# at 300,000 households, and the cost of keeping the rollups current on import.
#   bash bench/dashboard.sh setup   # release build; fresh DB ppaos_dashboard_bench; 300,000
#                                   # synthetic households imported (households/s, peak RSS);
#                                   # `api rollup check`; assessments, matches, interventions added
#                                   # with SQL; `api rollup rebuild` timed; check again
#   bash bench/dashboard.sh seed    # only the SQL additions, rebuild and check (setup ends with it)
#   bash bench/dashboard.sh peer    # import with and without rollups: the current binary and the
#                                   # commit before rollups (874b28a, built in a git worktree under
#                                   # /tmp), same file, fresh databases, interleaved rounds
#   bash bench/dashboard.sh run     # wrk on the province and district dashboards (ADMIN at 10 and
#                                   # 50 connections, ANALYST at 10), interleaved rounds; SQL
#                                   # statements per request (cache hit and miss)
#   bash bench/dashboard.sh peer-build  # only the build of the commit before rollups (peer does it
#                                   # when its binary is missing)
#   bash bench/dashboard.sh profile # perf profile of the server on the province dashboard (run
#                                   # ends with it)
#   bash bench/dashboard.sh report  # writes bench/results/dashboard-postgres.md from /tmp results
#   bash bench/dashboard.sh         # all four
# Environment: DASHBOARD_HOUSEHOLDS (300000), DASHBOARD_PEER_HOUSEHOLDS (50000),
# DASHBOARD_PEER_ROUNDS (2), DASHBOARD_PEER_COMMIT (874b28a), DASHBOARD_DURATION (20, seconds),
# DASHBOARD_CONNECTIONS ("10 50", ADMIN), DASHBOARD_ANALYST_CONNECTIONS ("10"),
# DASHBOARD_ROUNDS (3), DASHBOARD_STMT_REQUESTS (20), DASHBOARD_NO_BUILD=1 (use the existing
# target/release/api), DASHBOARD_QUIET_WAIT (900, seconds to wait for other engineers' cargo
# builds/tests before each measurement).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/target/release/api"
WORK=/tmp/ppaos-dashboard-bench
PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres
DB=ppaos_dashboard_bench
PEER_DB=ppaos_dashboard_peer
PGLOG=/var/log/postgresql/postgresql-15-main.log
export APP_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
export APP_HOST=127.0.0.1 APP_PORT=18484 APP_LOG=warn APP_ACCESS_TOKEN_TTL_SECS=7200 APP_LOGIN_MAX_FAILURES=1000
URL=http://127.0.0.1:$APP_PORT/graphql
PASSWORD=bench-password-0123   # casework_seed.py's
HOUSEHOLDS=${DASHBOARD_HOUSEHOLDS:-300000}
PEER_N=${DASHBOARD_PEER_HOUSEHOLDS:-50000}
PEER_ROUNDS=${DASHBOARD_PEER_ROUNDS:-2}
PEER_COMMIT=${DASHBOARD_PEER_COMMIT:-874b28a}
PEER_TREE=/tmp/ppaos-pre-rollup
PEER_TARGET=/tmp/ppaos-pre-rollup-target
PEER_BIN="$WORK/api-$PEER_COMMIT"
DURATION=${DASHBOARD_DURATION:-20}
CONNECTIONS=${DASHBOARD_CONNECTIONS:-10 50}
ANALYST_CONNECTIONS=${DASHBOARD_ANALYST_CONNECTIONS:-10}
ROUNDS=${DASHBOARD_ROUNDS:-3}
STMT_N=${DASHBOARD_STMT_REQUESTS:-20}
MISS_N=10
QUIET_WAIT=${DASHBOARD_QUIET_WAIT:-900}
OTHERS='cargo (test|build|clippy)'
DATA="$WORK/data-$HOUSEHOLDS"
PSQL=(psql -qAtX "$APP_DATABASE_URL")
STATS=(python3 "$ROOT/bench/dashboard_stats.py")
CWSTATS=(python3 "$ROOT/bench/casework_stats.py")
SEED=(python3 "$ROOT/bench/casework_seed.py")
mkdir -p "$WORK" "$ROOT/bench/results"
if [ ! -x /usr/bin/time ]; then echo "needs GNU time (/usr/bin/time): apt-get install time" >&2; exit 2; fi

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
remove_worktree() {
    if git -C "$ROOT" worktree list --porcelain | grep -qx "worktree $PEER_TREE"; then
        git -C "$ROOT" worktree remove --force "$PEER_TREE" || true
    fi
}
MADE_WORKTREE=
cleanup() { stop_server; reset_logging; [ -z "$MADE_WORKTREE" ] || remove_worktree; }
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
    if [ "${DASHBOARD_NO_BUILD:-}" = 1 ] && [ -x "$BIN" ]; then return 0; fi
    local head dirty
    head="$(git -C "$ROOT" log -1 --format=%h) (\"$(git -C "$ROOT" log -1 --format=%s | cut -c1-60)…\")"
    dirty=$(git -C "$ROOT" status --porcelain -- api entity migration | tr '\n' ' ')
    (cd "$ROOT" && timeout 3600 nice -n 10 cargo build --release -q -p api)
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
fresh_db() {  # fresh_db NAME
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
}

# gen_households.py puts 50 households in each village and 5 villages in each subdistrict; the
# 7 SRA provinces have 719 subdistricts, room for 179,750. With 10 villages per subdistrict
# (about the national average) 300,000 households fit in 600 subdistricts.
gen_data() {  # gen_data DIR N
    [ -s "$1/households.csv" ] && return 0
    (cd "$ROOT/bench" && python3 - "$1" "$2" <<'EOF'
import sys
import gen_households as g
g.VILLAGES_PER_SUBDISTRICT = 10
sys.argv = ["gen_households.py"] + sys.argv[1:]
g.main()
EOF
    )
}

# timed_import BIN FILE OUT_PREFIX: writes OUT_PREFIX.txt (the summary line) and OUT_PREFIX.json
timed_import() {
    local out
    wait_quiet
    local load; load=$(cut -d' ' -f1-3 /proc/loadavg)
    out=$(timeout 7200 /usr/bin/time -v "$1" import households "$2" --report "$3.report.csv" 2> "$3.time" | tail -1)
    echo "$out" > "$3.txt"
    python3 - "$3" "$load" "$(others_now)" <<'EOF'
import json, re, sys
p, load, others = sys.argv[1:4]
t = open(p + ".time").read()
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1).split(":")
secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
summary = open(p + ".txt").read().strip()
m = re.search(r"(\d+) created", summary)
json.dump({"secs": secs, "rss_mb": round(rss), "summary": summary, "created": int(m.group(1)) if m else None,
           "load": load, "others": others}, open(p + ".json", "w"))
print("%s | wall %.1f s | peak RSS %.0f MB | load %s" % (summary, secs, rss, load))
EOF
}

setup() {
    build
    pg_up
    gen_data "$DATA" "$HOUSEHOLDS"
    fresh_db "$DB"
    "$BIN" migrate
    "$BIN" import areas "$DATA/villages.csv" | tail -1
    echo "== importing $HOUSEHOLDS households (rollups kept current by the import)"
    timed_import "$BIN" "$DATA/households.csv" "$WORK/import-setup"
    local check1; check1=$("$BIN" rollup check 2>&1 | tail -1)
    echo "rollup check after the import: $check1"

    echo "$check1" > "$WORK/check-after-import.txt"
    seed
}

# Adds synthetic casework history with SQL, rebuilds and checks the rollups, describes the data.
seed() {
    local check1; check1=$(cat "$WORK/check-after-import.txt" 2> /dev/null || echo "?")
    # accounts: cw-admin is the admin casework_seed.py logs in as; an ANALYST without scopes
    if [ "$("${PSQL[@]}" -c "SELECT count(*) FROM account WHERE login = 'cw-admin'")" = 0 ]; then
        echo "$PASSWORD" | "$BIN" account create --login cw-admin --role admin --display-name 'Bench admin' > /dev/null
        echo "$PASSWORD" | "$BIN" account create --login dash-analyst --role analyst --display-name 'Bench analyst' > /dev/null
    fi
    # two agencies and four technologies through GraphQL (for matches and interventions)
    if [ "$("${PSQL[@]}" -c "SELECT count(*) FROM technology")" = 0 ]; then
        start_server "$WORK/server-seed.log"
        "${SEED[@]}" agencies "$URL" "$WORK/agencies.json" > /dev/null
        stop_server
    fi

    # Synthetic casework history with SQL, bypassing the writes (so the rollups are stale until
    # the rebuild below): a spread of household states (once, on the imported DISCOVERED
    # households), one ACTIVE assessment for the households past DISCOVERED, a match for 30% of
    # them, interventions for 15% in the last 11 months (replaced on every run of this step).
    echo "== adding states, assessments, matches and interventions with SQL"
    "${PSQL[@]}" -v ON_ERROR_STOP=1 <<'SQL'
SELECT setseed(0.42);
UPDATE household h SET status = s.status FROM (
  SELECT id, CASE WHEN r < 0.30 THEN 'VERIFIED' WHEN r < 0.68 THEN 'ENROLLED' WHEN r < 0.74 THEN 'GRADUATED'
    WHEN r < 0.78 THEN 'NOT_ELIGIBLE' WHEN r < 0.80 THEN 'NOT_FOUND' WHEN r < 0.81 THEN 'EXITED'
    ELSE 'DISCOVERED' END AS status
  FROM (SELECT id, random() AS r FROM household WHERE status = 'DISCOVERED') x) s
WHERE h.id = s.id AND NOT EXISTS (SELECT 1 FROM household WHERE status <> 'DISCOVERED');
DELETE FROM intervention; DELETE FROM "match"; DELETE FROM assessment;
INSERT INTO assessment (id, household_id, status, assessed_on, human, physical, financial, "natural", social,
  overall_score, overall_level, household_size, income_per_person_satang, income_level, poverty_line_year,
  created_at, activated_at)
SELECT gen_random_uuid(), id, 'ACTIVE', current_date - (random() * 330)::int, hu, ph, fi, na, so, ov,
  CASE WHEN ov <= 174 THEN 'STRUGGLING' WHEN ov <= 249 THEN 'DIFFICULT' WHEN ov <= 324 THEN 'MANAGEABLE' ELSE 'WELL' END,
  coalesce(household_size, 3), inc,
  CASE WHEN inc < 300000 THEN 'BELOW_POVERTY_LINE' WHEN inc < 450000 THEN 'BELOW_POOREST_40'
    WHEN inc < 700000 THEN 'BELOW_MEDIAN' ELSE 'ABOVE_MEDIAN' END,
  2025, now(), now()
FROM (SELECT id, household_size, hu, ph, fi, na, so, (hu + ph + fi + na + so) / 5 AS ov, inc FROM (
  SELECT id, household_size, 100 + (random() * 300)::int AS hu, 100 + (random() * 300)::int AS ph,
    100 + (random() * 300)::int AS fi, 100 + (random() * 300)::int AS na, 100 + (random() * 300)::int AS so,
    (150000 + random() * 900000)::bigint AS inc
  FROM household WHERE status IN ('VERIFIED', 'ENROLLED', 'GRADUATED', 'EXITED')) a) b;
WITH t AS (SELECT id, agency_id, (row_number() OVER (ORDER BY id) - 1)::int AS i FROM technology),
     n AS (SELECT count(*)::int AS c FROM technology),
     picked AS (SELECT household_id, floor(random() * (SELECT c FROM n))::int AS ti, floor(random() * 8)::int AS si
                FROM assessment WHERE random() < 0.30)
INSERT INTO "match" (id, household_id, technology_id, status, score_millis, reasons, delivering_agency_id,
  version, created_at, updated_at)
SELECT gen_random_uuid(), p.household_id, t.id,
  (ARRAY['SUGGESTED','OFFERED','ACCEPTED','IN_TRAINING','ADOPTED','SUSTAINED','DECLINED','DROPPED'])[p.si + 1],
  600, '[]', t.agency_id, 1, now(), now()
FROM picked p JOIN t ON t.i = p.ti;
INSERT INTO intervention (id, household_id, kind, quantity, unit, cost_satang, delivered_on,
  delivering_agency_id, created_at)
SELECT gen_random_uuid(), household_id,
  (ARRAY['TECHNOLOGY_ADOPTION','TRAINING','IN_KIND','CASH','SERVICE','MARKET_LINKAGE','HOUSING_REPAIR'])[1 + floor(random() * 7)::int],
  1 + floor(random() * 10), 'unit', (random() * 500000)::bigint, current_date - (random() * 330)::int,
  (SELECT agency_id FROM technology ORDER BY id LIMIT 1), now()
FROM assessment WHERE random() < 0.15;
SQL
    echo "== api rollup rebuild"
    wait_quiet
    /usr/bin/time -v "$BIN" rollup rebuild > "$WORK/rebuild.txt" 2> "$WORK/rebuild.time"
    cat "$WORK/rebuild.txt"
    local check2; check2=$("$BIN" rollup check 2>&1 | tail -1)
    echo "rollup check after the rebuild: $check2"
    "${PSQL[@]}" -c "VACUUM ANALYZE"

    # the biggest SRA province and its biggest district
    local province district
    province=$("${PSQL[@]}" -c "SELECT area_code FROM area_rollup WHERE metric = 'households' AND length(area_code) = 2 GROUP BY area_code ORDER BY sum(n) DESC, area_code LIMIT 1")
    district=$("${PSQL[@]}" -c "SELECT area_code FROM area_rollup WHERE metric = 'households' AND parent_code = '$province' GROUP BY area_code ORDER BY sum(n) DESC, area_code LIMIT 1")
    echo "$province $district" > "$WORK/areas.txt"
    "${PSQL[@]}" -F ' ' > "$WORK/data-summary.txt" <<SQL
SELECT 'households', count(*) FROM household;
SELECT 'persons (current members)', count(*) FROM membership WHERE end_date IS NULL;
SELECT 'households by status', status, count(*) FROM household GROUP BY status ORDER BY status;
SELECT 'villages with households', count(DISTINCT village_code) FROM household;
SELECT 'ACTIVE assessments', count(*) FROM assessment WHERE status = 'ACTIVE';
SELECT 'matches', count(*) FROM "match";
SELECT 'interventions', count(*) FROM intervention;
SELECT 'potential duplicates flagged by the import', count(*) FROM potential_duplicate;
SELECT 'area_rollup rows', count(*) FROM area_rollup;
SELECT 'household_contribution rows', count(*) FROM household_contribution;
SELECT 'province $province: households', sum(n) FROM area_rollup WHERE metric = 'households' AND area_code = '$province';
SELECT 'province $province: districts', count(*) FROM area WHERE parent_code = '$province';
SELECT 'district $district: households', sum(n) FROM area_rollup WHERE metric = 'households' AND area_code = '$district';
SELECT 'district $district: subdistricts', count(*) FROM area WHERE parent_code = '$district';
SQL
    cat "$WORK/data-summary.txt"
    python3 - "$WORK" "$HOUSEHOLDS" "$check1" "$check2" <<'EOF'
import json, re, sys
work, n, check1, check2 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
imp = json.load(open(work + "/import-setup.json"))
t = open(work + "/rebuild.time").read()
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1).split(":")
secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
json.dump({"households": imp["created"] or n, "import_secs": imp["secs"], "import_rss_mb": imp["rss_mb"],
           "import_summary": imp["summary"], "import_load": imp["load"], "import_others": imp["others"],
           "check_after_import": check1, "check_after_rebuild": check2,
           "rebuild_secs": secs, "rebuild_rss_mb": round(rss), "rebuild_out": open(work + "/rebuild.txt").read().strip(),
           "data": [l.rstrip() for l in open(work + "/data-summary.txt")]},
          open(work + "/setup-info.json", "w"), indent=1)
EOF
    case "$check1$check2" in
        "0 differing rows0 differing rows") ;;
        *) echo "rollup check did not report equal rollups" >&2; exit 1 ;;
    esac
}

peer_build() {  # the binary of the commit before rollups, kept as $PEER_BIN
    [ -x "$PEER_BIN" ] && return 0
    remove_worktree
    git -C "$ROOT" worktree add --detach "$PEER_TREE" "$PEER_COMMIT"
    MADE_WORKTREE=1
    # seed the separate target directory with this tree's release dependencies (registry
    # crates are reused; the worktree's own and path crates are built again)
    if [ ! -d "$PEER_TARGET/release" ] && [ -d "$ROOT/target/release/deps" ]; then
        mkdir -p "$PEER_TARGET/release"
        cp -a "$ROOT/target/release/deps" "$ROOT/target/release/build" "$ROOT/target/release/.fingerprint" "$PEER_TARGET/release/"
    fi
    echo "== building $PEER_COMMIT (release, nice) in $PEER_TREE"
    (cd "$PEER_TREE" && CARGO_TARGET_DIR="$PEER_TARGET" timeout 5400 nice -n 15 cargo build --release -q -p api)
    cp "$PEER_TARGET/release/api" "$PEER_BIN"
    remove_worktree
    rm -rf "$PEER_TARGET"
}

peer() {
    build
    pg_up
    wait_quiet
    peer_build
    local data="$WORK/peer-data-$PEER_N"
    [ -s "$data/households.csv" ] || python3 "$ROOT/bench/gen_households.py" "$data" "$PEER_N"
    rm -f "$WORK"/peer-r*
    for r in $(seq 1 "$PEER_ROUNDS"); do
        for which in cur old; do
            local bin=$BIN; [ "$which" = old ] && bin=$PEER_BIN
            fresh_db "$PEER_DB"
            APP_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$PEER_DB "$bin" migrate
            APP_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$PEER_DB "$bin" import areas "$data/villages.csv" > /dev/null
            echo "== round $r, $which ($bin)"
            APP_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$PEER_DB \
                timed_import "$bin" "$data/households.csv" "$WORK/peer-r$r-$which"
        done
    done
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PEER_DB WITH (FORCE)"
    python3 - "$WORK" "$PEER_N" "$PEER_ROUNDS" "$PEER_COMMIT" <<'EOF'
import json, sys
work, n, rounds, commit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
runs = []
for r in range(1, rounds + 1):
    for which in ("cur", "old"):
        x = json.load(open("%s/peer-r%d-%s.json" % (work, r, which)))
        runs.append({"round": r, "which": "with rollups" if which == "cur" else "without (%s)" % commit,
                     "secs": x["secs"], "hps": (x["created"] or n) / x["secs"], "rss_mb": x["rss_mb"],
                     "load": x["load"], "others": x["others"], "summary": x["summary"]})
json.dump({"households": n, "rounds": rounds, "commit": commit, "runs": runs}, open(work + "/peer-info.json", "w"), indent=1)
for x in runs:
    print("round %d %-22s %7.1f s %7.0f households/s  RSS %d MB" % (x["round"], x["which"], x["secs"], x["hps"], x["rss_mb"]))
EOF
}

run_one() {  # run_one LABEL BODY CONNECTIONS TOKEN ROUND
    local label=$1 body="$WORK/$2.json" c=$3 base="$WORK/wrk-$1-$3-r$5"
    wait_quiet
    local before; before=$(others_now)
    BENCH_TOKEN=$4 BENCH_BODY="$body" timeout 60 wrk -t2 -c"$c" -d3s -s "$ROOT/bench/casework.lua" "$URL" > /dev/null
    local load; load=$(cut -d' ' -f1-3 /proc/loadavg)
    "${CWSTATS[@]}" cpu "$(server_pid)" "$DB" "$base.cpu0.json"
    echo "== $label, $c connections, ${DURATION}s, round $5 (load average $load)"
    : > "$base.others"
    ( for _ in $(seq 1 $((DURATION + 5))); do others_now >> "$base.others"; sleep 1; done ) &
    local sampler=$!
    BENCH_TOKEN=$4 BENCH_BODY="$body" timeout $((DURATION + 60)) \
        wrk -t2 -c"$c" -d"${DURATION}s" --latency -s "$ROOT/bench/casework.lua" "$URL" > "$base.txt"
    "${CWSTATS[@]}" cpu "$(server_pid)" "$DB" "$base.cpu1.json"
    kill "$sampler" 2> /dev/null || true; wait "$sampler" 2> /dev/null || true
    grep -E "Requests/sec|    99%|    50%|answers:|Socket|Non-2xx" "$base.txt" | tr -s ' ' | tr '\n' ' '; echo
    local after; after=$(tr ';' '\n' < "$base.others" | sed 's/^[0-9]* //' | sort -u | grep . | tr '\n' ';' || true)
    python3 -c 'import json,sys; json.dump({"loadavg": sys.argv[1].split(), "others": (sys.argv[2] + sys.argv[3]).strip()}, open(sys.argv[4], "w"))' \
        "$load" "$before" "$after" "$base.env.json"
}

run() {
    build
    pg_up
    [ -s "$WORK/areas.txt" ] && [ "$("${PSQL[@]}" -c "SELECT count(*) FROM area_rollup" 2> /dev/null || echo 0)" -gt 0 ] \
        || { echo "no data: run 'bash bench/dashboard.sh setup' first" >&2; exit 1; }
    if ! command -v wrk > /dev/null; then
        echo "installing wrk (Debian package)" >&2
        apt-get update -qq && apt-get install -y -qq wrk > /dev/null
    fi
    reset_logging
    local province district
    read -r province district < "$WORK/areas.txt"
    "${STATS[@]}" bodies "$WORK" "$province" "$district"
    rm -f "$WORK"/wrk-* "$WORK"/stmts-* "$WORK"/miss-* "$WORK"/check-*
    wait_quiet
    start_server "$WORK/server-run.log"
    local rss_start; rss_start=$(vm VmRSS)
    local admin analyst
    admin=$("${SEED[@]}" token "$URL" cw-admin)
    analyst=$("${SEED[@]}" token "$URL" dash-analyst)
    "${STATS[@]}" check "$URL" "$admin" "$WORK/province.json" "$WORK/check-admin-province.json"
    "${STATS[@]}" check "$URL" "$admin" "$WORK/district.json" "$WORK/check-admin-district.json"
    "${STATS[@]}" check "$URL" "$admin" "$WORK/province-small.json" "$WORK/check-admin-province-small.json"
    "${STATS[@]}" check "$URL" "$analyst" "$WORK/province.json" "$WORK/check-analyst-province.json"
    "${STATS[@]}" check "$URL" "$analyst" "$WORK/district.json" "$WORK/check-analyst-district.json"
    for r in $(seq 1 "$ROUNDS"); do
        for c in $CONNECTIONS; do
            run_one admin-province province "$c" "$admin" "$r"
            run_one admin-province-small province-small "$c" "$admin" "$r"
            run_one admin-district district "$c" "$admin" "$r"
        done
        for c in $ANALYST_CONNECTIONS; do
            run_one analyst-province province "$c" "$analyst" "$r"
            run_one analyst-district district "$c" "$analyst" "$r"
        done
    done
    local hwm; hwm=$(vm VmHWM)
    echo "server peak RSS (VmHWM) over the runs: $hwm (after startup: $rss_start)"
    # cache misses, sequential latency (no statement logging)
    for q in province district; do
        "${STATS[@]}" miss "$URL" "$admin" "$WORK/$q.json" "$APP_DATABASE_URL" "$province" - "$DB" "$MISS_N" "$WORK/miss-admin-$q.json"
        "${STATS[@]}" miss "$URL" "$analyst" "$WORK/$q.json" "$APP_DATABASE_URL" "$province" - "$DB" "$MISS_N" "$WORK/miss-analyst-$q.json"
    done
    stop_server

    # statements per request: every statement of the bench database goes to the log
    psql -qAtX "$PG_ADMIN_URL" -c "ALTER DATABASE $DB SET log_min_duration_statement = 0"
    start_server "$WORK/server-stmts.log"
    admin=$("${SEED[@]}" token "$URL" cw-admin)
    analyst=$("${SEED[@]}" token "$URL" dash-analyst)
    "${CWSTATS[@]}" stmts "$URL" "$admin" "$WORK/province-small.json" "$PGLOG" "$DB" "$STMT_N" "$WORK/stmts-admin-province-small.json"
    for q in province district; do
        "${CWSTATS[@]}" stmts "$URL" "$admin" "$WORK/$q.json" "$PGLOG" "$DB" "$STMT_N" "$WORK/stmts-admin-$q.json"
        "${CWSTATS[@]}" stmts "$URL" "$analyst" "$WORK/$q.json" "$PGLOG" "$DB" "$STMT_N" "$WORK/stmts-analyst-$q.json"
        "${STATS[@]}" miss "$URL" "$admin" "$WORK/$q.json" "$APP_DATABASE_URL" "$province" "$PGLOG" "$DB" 5 "$WORK/miss-stmts-admin-$q.json"
        "${STATS[@]}" miss "$URL" "$analyst" "$WORK/$q.json" "$APP_DATABASE_URL" "$province" "$PGLOG" "$DB" 5 "$WORK/miss-stmts-analyst-$q.json"
    done
    stop_server
    reset_logging

    python3 - "$WORK/run-info.json" <<EOF
import json, os, subprocess, datetime
def sh(c): return subprocess.run(c, shell=True, capture_output=True, text=True, cwd="$ROOT").stdout.strip()
conns = "$CONNECTIONS".split()
aconns = "$ANALYST_CONNECTIONS".split()
info = {
  "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
  "commit": open("$WORK/build-info.txt").read().strip() if os.path.exists("$WORK/build-info.txt") else "unknown (built outside dashboard.sh), HEAD now " + sh("git log -1 --format=%h"),
  "pg": sh("psql -qAtX $PG_ADMIN_URL -c 'SHOW server_version'"),
  "cores": os.cpu_count(), "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
  "duration": "$DURATION", "rounds": $ROUNDS, "pool": os.environ.get("APP_DATABASE_MAX_CONNECTIONS", "10 (default)"),
  "conns": {"admin-province": conns, "admin-province-small": conns, "admin-district": conns, "analyst-province": aconns, "analyst-district": aconns},
  "stmt_n": $STMT_N, "miss_n": $MISS_N, "province": "$province", "district": "$district",
  "vmhwm": "$hwm", "rss_start": "$rss_start",
}
json.dump(info, open("$WORK/run-info.json", "w"), indent=1)
EOF
    profile
    report
}

# Where the server's CPU goes on the province dashboard (ADMIN, 10 connections, cache hits):
# `perf record` of the server during a 12 s wrk run; the top of the flat profile goes to
# perf-top.txt (the report quotes it). Skipped without perf.
profile() {
    command -v perf > /dev/null || { echo "no perf: profile skipped" >&2; return 0; }
    pg_up
    wait_quiet
    start_server "$WORK/server-profile.log"
    local admin; admin=$("${SEED[@]}" token "$URL" cw-admin)
    BENCH_TOKEN=$admin BENCH_BODY="$WORK/province.json" timeout 60 wrk -t2 -c10 -d3s -s "$ROOT/bench/casework.lua" "$URL" > /dev/null
    BENCH_TOKEN=$admin BENCH_BODY="$WORK/province.json" timeout 60 wrk -t2 -c10 -d12s -s "$ROOT/bench/casework.lua" "$URL" > "$WORK/profile-wrk.txt" &
    local w=$!
    sleep 2
    timeout 60 perf record -q -F 499 -g -p "$(server_pid)" -o "$WORK/perf.data" -- sleep 8 > /dev/null 2>&1 || true
    wait "$w" || true
    stop_server
    perf report -i "$WORK/perf.data" --no-children --stdio --percent-limit 0.8 -g none 2> /dev/null \
        | grep -E '^ +[0-9]' | sed -E 's/ +/ /g' | cut -c1-170 > "$WORK/perf-top.txt" || true
    perf report -i "$WORK/perf.data" --no-children --stdio -g none --sort dso 2> /dev/null \
        | grep -E '^ +[0-9]' | sed -E 's/ +/ /g' > "$WORK/perf-dso.txt" || true
    head -25 "$WORK/perf-top.txt"
}

report() {
    "${STATS[@]}" report "$WORK" "$ROOT/bench/results/dashboard-postgres.md"
    cat "$ROOT/bench/results/dashboard-postgres.md"
}

case "${1:-all}" in
setup) setup ;;
seed) seed ;;
peer-build) peer_build ;;
peer) peer ;;
run) run ;;
profile) profile ;;
report) report ;;
all) setup; peer; run ;;
*) echo "usage: bash bench/dashboard.sh [setup|seed|peer-build|peer|run|profile|report|all]" >&2; exit 2 ;;
esac
