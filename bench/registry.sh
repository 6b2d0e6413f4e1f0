#!/usr/bin/env bash
# Registry / recommendation / matching API benchmarks on PostgreSQL (see bench/REGISTRY.md).
#   bash bench/registry.sh setup      # fresh DB ppaos_registry_bench, villages, 100k households, accounts
#   bash bench/registry.sh registry   # households(first:50) as coordinator of 52, 50 conns + stmts/request
#   bash bench/registry.sh delay      # same query, 1 conn, APP_DATALOADER_DELAY_US=0 and 1000
#   bash bench/registry.sh recommend  # 2,000 technologies + 1 assessment, recommendTechnologies
#   bash bench/registry.sh matching   # 100k VERIFIED+ACTIVE assessments, 500 techs, runMatching once
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/target/release/api"
WORK=/tmp/ppaos-registry-bench
DATA="$WORK/data"
PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres
DB=ppaos_registry_bench
export APP_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
export APP_PORT=18282 APP_LOG=warn APP_ACCESS_TOKEN_TTL_SECS=3600 APP_LOGIN_MAX_FAILURES=1000
PROVINCE=52
URL=http://127.0.0.1:$APP_PORT/graphql
PSQL=(psql -qAtX "$APP_DATABASE_URL")
mkdir -p "$WORK"
if ! command -v wrk > /dev/null; then
    echo "installing wrk (Debian package)" >&2
    apt-get update -qq && apt-get install -y -qq wrk > /dev/null
fi

wait_quiet() {  # CPU etiquette: wait up to 10 min for other benchmarks
    local i
    for i in $(seq 1 30); do
        if ! pgrep -f 'api import|cargo bench|target/release/deps/matching' > /dev/null; then return 0; fi
        echo "waiting for other benchmarks ($i/30)..." >&2; sleep 20
    done
    echo "WARNING: measuring under contention: $(pgrep -af 'api import|cargo bench|target/release/deps/matching' | head -3)" >&2
}
start_server() {
    stop_server
    "$BIN" serve > "$WORK/server.log" 2>&1 &
    echo $! > "$WORK/server.pid"
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$APP_PORT/livez" > /dev/null && return 0; sleep 0.2; done
    echo "server did not start" >&2; cat "$WORK/server.log" >&2; exit 1
}
stop_server() {
    if [ -s "$WORK/server.pid" ] && kill -0 "$(cat "$WORK/server.pid")" 2> /dev/null; then
        kill "$(cat "$WORK/server.pid")"; sleep 1
    fi
    rm -f "$WORK/server.pid"
}
token() {  # token LOGIN
    curl -sf "$URL" -H 'content-type: application/json' -d "{\"query\":\"mutation(\$i: LoginInput!){ login(input:\$i){ accessToken } }\",\"variables\":{\"i\":{\"login\":\"$1\",\"password\":\"bench-password-0123\"}}}" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])'
}
xact() { "${PSQL[@]}" -c "SELECT xact_commit FROM pg_stat_database WHERE datname='$DB'"; }
stmts_per_request() {  # stmts_per_request BODYFILE N
    local before after i
    before=$(xact)
    for i in $(seq 1 "$2"); do curl -sf "$URL" -H 'content-type: application/json' -H "authorization: Bearer $BENCH_TOKEN" -d @"$1" > /dev/null; done
    sleep 1  # stats are flushed asynchronously
    after=$(xact)
    python3 -c "print('xact_commit per request (approx. statements): %.2f' % (($after - $before) / $2))"
}
run_wrk() {  # run_wrk BODYFILE CONNS SECS LABEL
    wait_quiet
    wrk -t1 -c1 -d3s -s "$ROOT/bench/registry.lua" "$URL" > /dev/null  # warm-up
    local t=2; [ "$2" -lt 2 ] && t=1
    echo "== $4: $2 connections, ${3}s" | tee -a "$WORK/results.txt"
    BENCH_BODY="$1" wrk -t$t -c"$2" -d"${3}s" --latency -s "$ROOT/bench/registry.lua" "$URL" | tee -a "$WORK/results.txt"
}
check_body() {  # check_body BODYFILE: print the response head, fail on errors
    local out; out=$(curl -s "$URL" -H 'content-type: application/json' -H "authorization: Bearer $BENCH_TOKEN" -d @"$1")
    echo "${out:0:400}"
    if echo "$out" | grep -q '"errors"'; then echo "GraphQL errors" >&2; exit 1; fi
}

case "${1:-}" in
setup)
    pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect 15 main start
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    [ -s "$DATA/households.csv" ] || python3 "$ROOT/bench/gen_households.py" "$DATA" 100000
    "$BIN" migrate
    "$BIN" import areas "$DATA/villages.csv" | tail -1
    wait_quiet
    /usr/bin/time -f 'import wall %e s, peak RSS %M KB' "$BIN" import households "$DATA/households.csv" --report "$WORK/rejected.csv" | tail -1
    echo 'bench-password-0123' | "$BIN" account create --login bench-admin --role admin
    echo 'bench-password-0123' | "$BIN" account create --login bench-coord --role coordinator --area-scope $PROVINCE
    "${PSQL[@]}" -c "SELECT left(village_code,2), status, count(*) FROM household GROUP BY 1,2 ORDER BY 1"
    ;;
registry)
    start_server
    export BENCH_TOKEN; BENCH_TOKEN=$(token bench-coord)
    B="$ROOT/bench/registry_households.json"; cp "$B" "$WORK/current.json"
    check_body "$B"
    run_wrk "$B" 50 20 "registry households(first:50) coordinator $PROVINCE"
    stmts_per_request "$B" 100 | tee -a "$WORK/results.txt"
    stop_server
    ;;
delay)
    B="$ROOT/bench/registry_households.json"; cp "$B" "$WORK/current.json"
    for d in 0 1000; do
        APP_DATALOADER_DELAY_US=$d start_server
        export BENCH_TOKEN; BENCH_TOKEN=$(token bench-coord)
        check_body "$B" > /dev/null
        run_wrk "$B" 1 10 "registry households(first:50), APP_DATALOADER_DELAY_US=$d"
        stmts_per_request "$B" 100 | tee -a "$WORK/results.txt"
        stop_server
    done
    ;;
recommend)
    "${PSQL[@]}" <<'SQL'
DELETE FROM match_event;
DELETE FROM "match";
DELETE FROM matching_run;
DELETE FROM technology WHERE name LIKE 'Bench tech %';
DELETE FROM agency WHERE name = 'Bench agency';
INSERT INTO agency (id, name, name_en, agency_type, active, version, created_at, updated_at)
VALUES ('00000000-0000-4000-8000-0000000000a1', 'Bench agency', 'Bench agency', 'CENTRAL_GOV', true, 1, now(), now());
INSERT INTO technology (id, agency_id, name, description, sector, capitals_raised, min_capital_scores,
    requires_land, min_working_age_members, suitable_areas, unit_cost_baht, monthly_income_gain_baht,
    training_days, seats_per_round, readiness_level, active, version, created_at, updated_at)
SELECT md5('bench-tech-' || g)::uuid, '00000000-0000-4000-8000-0000000000a1', 'Bench tech ' || g, NULL,
    (ARRAY['AGRICULTURE','DIGITAL','ENERGY','FISHERY','FOOD_PROCESSING','HANDICRAFT','LIVESTOCK','OTHER','WATER'])[1 + g % 9],
    (ARRAY['["FINANCIAL","NATURAL"]','["HUMAN"]','["PHYSICAL","SOCIAL"]','["FINANCIAL"]','["NATURAL","HUMAN","SOCIAL"]','["PHYSICAL"]','["SOCIAL","FINANCIAL"]'])[1 + g % 7]::json,
    (CASE g % 5
        WHEN 0 THEN '{"human":null,"physical":null,"financial":150,"natural":null,"social":null}'
        WHEN 1 THEN '{"human":200,"physical":null,"financial":null,"natural":null,"social":null}'
        WHEN 2 THEN '{"human":null,"physical":null,"financial":null,"natural":125,"social":175}'
        ELSE '{"human":null,"physical":null,"financial":null,"natural":null,"social":null}' END)::json,
    g % 4 = 0, g % 3, (CASE WHEN g % 3 = 0 THEN '["52"]' WHEN g % 7 = 0 THEN '["46"]' ELSE '[]' END)::json,
    500 + (g * 7919) % 50000, 200 + (g * 104729) % 5000, 1 + g % 14, 20 + (g * 31) % 181, 1 + g % 9,
    true, 1, now(), now()
FROM generate_series(1, 2000) g;
SQL
    # one household of the province with an ACTIVE assessment (by SQL)
    HH=$("${PSQL[@]}" -c "SELECT id FROM household WHERE village_code LIKE '$PROVINCE%' ORDER BY id LIMIT 1")
    "${PSQL[@]}" -c "UPDATE assessment SET status='SUPERSEDED', closed_at=now() WHERE household_id='$HH' AND status='ACTIVE'" \
        -c "INSERT INTO assessment (id, household_id, status, assessed_on, human, physical, financial, \"natural\", social,
              overall_score, overall_level, household_size, income_per_person_satang, income_level, poverty_line_year,
              has_land, created_at, activated_at)
            VALUES (md5('bench-assess-$HH')::uuid, '$HH', 'ACTIVE', current_date, 150, 225, 200, 175, 275, 205, 'DIFFICULT',
              4, 250000, 'BELOW_POVERTY_LINE', 2563, true, now(), now())
            ON CONFLICT (id) DO UPDATE SET status = 'ACTIVE', closed_at = NULL"
    "${PSQL[@]}" -c "VACUUM ANALYZE"  # as autovacuum would after the bulk rewrite above
    HID=$(printf 'Household:%s' "$HH" | base64 -w0 | tr '+/' '-_' | tr -d '=')
    B="$WORK/registry_recommend.json"
    printf '{"query":"query R($h: ID!) { recommendTechnologies(householdId: $h, first: 10) { score technology { id name } reasons { factor contribution } } }","variables":{"h":"%s"}}\n' "$HID" > "$B"
    cp "$B" "$WORK/current.json"
    start_server
    export BENCH_TOKEN; BENCH_TOKEN=$(token bench-coord)
    check_body "$B"
    run_wrk "$B" 50 20 "recommendTechnologies(first:10), 2000 technologies"
    run_wrk "$B" 1 20 "recommendTechnologies(first:10), 2000 technologies"
    stop_server
    ;;
matching)
    wait_quiet
    "${PSQL[@]}" <<'SQL'
\timing on
UPDATE household SET status = 'VERIFIED';
INSERT INTO assessment (id, household_id, status, assessed_on, human, physical, financial, "natural", social,
    overall_score, overall_level, household_size, income_per_person_satang, income_level, poverty_line_year,
    has_land, created_at, activated_at)
SELECT md5('bench-assess-' || x.id)::uuid, x.id, 'ACTIVE', current_date, x.h, x.p, x.f, x.n, x.s,
    round((x.h + x.p + x.f + x.n + x.s) / 5.0),
    CASE WHEN round((x.h + x.p + x.f + x.n + x.s) / 5.0) < 175 THEN 'STRUGGLING'
         WHEN round((x.h + x.p + x.f + x.n + x.s) / 5.0) < 250 THEN 'DIFFICULT'
         WHEN round((x.h + x.p + x.f + x.n + x.s) / 5.0) < 325 THEN 'MANAGEABLE' ELSE 'WELL' END,
    x.size, x.inc * 100,
    CASE WHEN x.inc <= 2762 THEN 'BELOW_POVERTY_LINE' WHEN x.inc <= 5346 THEN 'BELOW_POOREST_40'
         WHEN x.inc <= 6531 THEN 'BELOW_MEDIAN' ELSE 'ABOVE_MEDIAN' END,
    2563, x.land, now(), now()
FROM (SELECT hh.id,
        100 + ('x' || substr(md5(hh.id::text || 'h'), 1, 6))::bit(24)::int % 301 AS h,
        100 + ('x' || substr(md5(hh.id::text || 'p'), 1, 6))::bit(24)::int % 301 AS p,
        100 + ('x' || substr(md5(hh.id::text || 'f'), 1, 6))::bit(24)::int % 301 AS f,
        100 + ('x' || substr(md5(hh.id::text || 'n'), 1, 6))::bit(24)::int % 301 AS n,
        100 + ('x' || substr(md5(hh.id::text || 's'), 1, 6))::bit(24)::int % 301 AS s,
        500 + ('x' || substr(md5(hh.id::text || 'i'), 1, 6))::bit(24)::int % 9000 AS inc,
        1 + ('x' || substr(md5(hh.id::text || 'z'), 1, 6))::bit(24)::int % 7 AS size,
        ('x' || substr(md5(hh.id::text || 'l'), 1, 2))::bit(8)::int % 2 = 0 AS land
      FROM household hh
      WHERE NOT EXISTS (SELECT 1 FROM assessment a WHERE a.household_id = hh.id AND a.status = 'ACTIVE')) x;
UPDATE technology SET active = (name ~ '^Bench tech ([1-9]|[1-9][0-9]|[1-4][0-9][0-9]|500)$');
SELECT 'verified households with ACTIVE assessment', count(*) FROM assessment WHERE status = 'ACTIVE';
SQL
    "${PSQL[@]}" -c "ANALYZE"
    SEATS=$("${PSQL[@]}" -c "SELECT string_agg(format('{\"technologyId\":\"%s\",\"seats\":%s}',
        rtrim(translate(encode(convert_to('Technology:' || id, 'UTF8'), 'base64'), '+/', '-_'), '='), seats_per_round), ',')
        FROM technology WHERE active")
    B="$WORK/registry_matching.json"
    printf '{"query":"mutation M($i: RunMatchingInput!) { runMatching(input: $i) { run { householdsConsidered pairsConsidered matchesCreated totalBenefit greedyBenefit } } }","variables":{"i":{"areaCode":"%s","seats":[%s]}}}\n' "$PROVINCE" "$SEATS" > "$B"
    APP_LOG=info NO_COLOR=1 start_server  # info: the run's own timing line
    PID=$(cat "$WORK/server.pid")
    BENCH_TOKEN=$(token bench-coord)
    echo "== runMatching province $PROVINCE, $("${PSQL[@]}" -c "SELECT count(*) FROM technology WHERE active") technologies" | tee -a "$WORK/results.txt"
    echo "VmHWM before: $(grep VmHWM /proc/$PID/status)" | tee -a "$WORK/results.txt"
    ( while kill -0 "$PID" 2> /dev/null; do top -b -n1 -p "$PID" | tail -1; sleep 5; done ) > "$WORK/top.log" 2>&1 &
    TOPPID=$!
    curl -s -m 300 -o "$WORK/matching-response.json" -w 'HTTP %{http_code}, wall %{time_total} s\n' "$URL" \
        -H 'content-type: application/json' -H "authorization: Bearer $BENCH_TOKEN" -d @"$B" | tee -a "$WORK/results.txt" || true
    echo "VmHWM after: $(grep VmHWM /proc/$PID/status)" | tee -a "$WORK/results.txt"
    head -c 1000 "$WORK/matching-response.json" | tee -a "$WORK/results.txt"; echo
    python3 -c '
import json,sys
r=json.load(open(sys.argv[1]))["data"]["runMatching"]["run"]
print("benefit gain over greedy: %.2f%%" % (100*(float(r["totalBenefit"])/float(r["greedyBenefit"])-1)))' "$WORK/matching-response.json" | tee -a "$WORK/results.txt" || true
    kill "$TOPPID" 2> /dev/null || true
    grep -o 'matching run stored.*' "$WORK/server.log" | tee -a "$WORK/results.txt" || true
    stop_server
    ;;
matching-all)
    # Supplement: the generator spreads households over 7 provinces (13,250 in 52), so this moves
    # all 100,000 into province 52's villages (synthetic data) and runs matching again on them.
    "${PSQL[@]}" -c "DELETE FROM match_event" -c "DELETE FROM \"match\"" -c "DELETE FROM matching_run" \
        -c "WITH v AS (SELECT code, row_number() OVER (ORDER BY code) - 1 AS k, count(*) OVER () AS n FROM area WHERE level = 'VILLAGE' AND code LIKE '$PROVINCE%'),
                 h AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM household)
            UPDATE household SET village_code = v.code FROM h, v WHERE household.id = h.id AND v.k = h.k % v.n" \
        -c "ANALYZE" -c "SELECT count(*) FROM household WHERE village_code LIKE '$PROVINCE%'"
    exec bash "$0" matching
    ;;
*) echo "usage: bench/registry.sh setup|registry|delay|recommend|matching|matching-all" >&2; exit 2 ;;
esac
