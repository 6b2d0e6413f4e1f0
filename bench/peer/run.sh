#!/usr/bin/env bash
# The service next to PostGraphile v5 on the same PostgreSQL database (see bench/peer/README.md).
#   bash bench/peer/run.sh setup   # fresh DB ppaos_peer_bench: 5,000 households, assessments, matches, casework; npm install
#   bash bench/peer/run.sh run     # both servers, interleaved wrk rounds, statements, CPU, RSS -> results
#   bash bench/peer/run.sh all     # setup, then run
# Environment: ROUNDS (3), DURATION (10 s per wrk run), CONNS ("10 50").
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# The deployable build (Cargo profile `production`: fat LTO); API_BIN: another build.
BIN="${API_BIN:-$ROOT/target/production/api}"
WORK=/tmp/ppaos-peer-bench
PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres
DB=ppaos_peer_bench
RO_ROLE=ppaos_peer_ro
OURS_PORT=18381
PEER_PORT=18383
AGENCY_ID=00000000-0000-4000-8000-0000000000b1  # seed.sql's bench agency: its staff account reads the inbox
REQUESTS="detail page50 inbox"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-"10 50"}
# Both sides talk to PostgreSQL over TCP without TLS (node-postgres' default; sqlx would try TLS).
OURS_DB_URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
PEER_DB_URL="postgres://$RO_ROLE@127.0.0.1:5432/$DB"
PSQL=(psql -qAtX "postgres://postgres@127.0.0.1:5432/$DB")
NODE="$HERE/node_modules/node/bin/node"
mkdir -p "$WORK"

need_tools() {
    command -v wrk > /dev/null || { echo "installing wrk" >&2; apt-get update -qq && apt-get install -y -qq wrk > /dev/null; }
    pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect 15 main start
    if [ ! -x "$NODE" ] || [ ! -e "$HERE/node_modules/postgraphile/dist/cli-run.js" ]; then
        echo "installing PostGraphile and Node 22 (npm ci in bench/peer)" >&2
        (cd "$HERE" && npm ci --no-audit --no-fund > "$WORK/npm.log" 2>&1) || { cat "$WORK/npm.log" >&2; exit 1; }
    fi
}

setup() {
    need_tools
    [ -x "$BIN" ] || (cd "$ROOT" && cargo build --profile production -p api)
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    [ -s "$WORK/data/households.csv" ] || python3 "$ROOT/bench/gen_households.py" "$WORK/data" 5000
    export APP_DATABASE_URL="$OURS_DB_URL"
    "$BIN" migrate > /dev/null 2>&1
    "$BIN" import areas "$WORK/data/villages.csv" 2> /dev/null | tail -1
    "$BIN" import households "$WORK/data/households.csv" 2> /dev/null | tail -1
    "${PSQL[@]}" -f "$HERE/seed.sql"
    "$BIN" rollup rebuild > /dev/null 2>&1
    echo 'bench-password-0123' | "$BIN" account create --login bench-admin --role admin > /dev/null 2>&1
    echo 'bench-password-0123' | "$BIN" account create --login bench-agency --role agency --agency-id "$AGENCY_ID" > /dev/null 2>&1
    psql -q "$PG_ADMIN_URL" -c "DO \$\$ BEGIN CREATE ROLE $RO_ROLE LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$"
    "${PSQL[@]}" -c "GRANT CONNECT ON DATABASE $DB TO $RO_ROLE" -c "GRANT USAGE ON SCHEMA public TO $RO_ROLE" \
        -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $RO_ROLE"
}

pid_of() { cat "$WORK/$1.pid"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pg_ticks() {  # user+system ticks of the PostgreSQL backends serving this database
    local total=0 p t
    for p in $(pgrep -u postgres -f "postgres: .* $DB " || true); do
        t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2> /dev/null || echo 0); total=$((total + t))
    done
    echo "$total"
}
wait_http() {  # wait_http URL: until it answers a POST (any status)
    local i
    for i in $(seq 1 300); do
        curl -s -o /dev/null -m 1 "$1" -H 'content-type: application/json' -d '{"query":"{__typename}"}' && return 0
        sleep 0.05
    done
    echo "no answer from $1" >&2; return 1
}
start_ours() {
    local t0; t0=$(date +%s.%N)
    APP_DATABASE_URL="$OURS_DB_URL" APP_PORT=$OURS_PORT APP_LOG=warn APP_ACCESS_TOKEN_TTL_SECS=3600 \
        APP_LOGIN_MAX_FAILURES=1000 "$BIN" serve > "$WORK/ours.log" 2>&1 &
    echo $! > "$WORK/ours.pid"
    wait_http "http://127.0.0.1:$OURS_PORT/graphql"
    python3 -c "print('%.2f' % ($(date +%s.%N) - $t0))" > "$WORK/ours.start"
}
start_peer() {
    local t0; t0=$(date +%s.%N)
    (cd "$HERE" && PEER_DATABASE_URL="$PEER_DB_URL" PEER_PORT=$PEER_PORT NODE_ENV=production \
        exec "$NODE" node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs) > "$WORK/peer.log" 2>&1 &
    echo $! > "$WORK/peer.pid"
    wait_http "http://127.0.0.1:$PEER_PORT/graphql"
    python3 -c "print('%.2f' % ($(date +%s.%N) - $t0))" > "$WORK/peer.start"
}
stop_all() {
    local s
    for s in ours peer; do
        if [ -s "$WORK/$s.pid" ] && kill -0 "$(pid_of $s)" 2> /dev/null; then kill "$(pid_of $s)"; fi
        rm -f "$WORK/$s.pid"
    done
}

bodies() {  # the same requests in both dialects, for one household and for the bench agency
    local hh hid
    hh=$("${PSQL[@]}" -c "SELECT household_id FROM \"match\" GROUP BY 1 ORDER BY 1 LIMIT 1")
    hid=$(printf 'Household:%s' "$hh" | base64 -w0 | tr '+/' '-_' | tr -d '=')
    python3 - "$WORK" "$hh" "$hid" "$AGENCY_ID" <<'PY'
import json, sys
work, uuid, gid, agency = sys.argv[1:5]
ours_detail = """query HouseholdDetail($id: ID!) { household(id: $id) { id villageCode houseNumber status version
  members(first: 20) { nodes { id role startDate person { id givenName familyName sex birthYear } } }
  assessments(first: 20) { nodes { id status assessedOn overallScore householdSize incomePerPerson
    scores { human physical financial natural social } } }
  matches(first: 20) { nodes { id status score createdAt technology { id name sector } } } } }"""
peer_detail = """query HouseholdDetail($id: UUID!) { householdByRowId(rowId: $id) { id villageCode houseNumber status version
  membershipsByHouseholdId(first: 20, condition: {endDate: null}) { nodes { id role startDate
    personByPersonId { id givenName familyName sex birthYear } } }
  assessmentsByHouseholdId(first: 20) { nodes { id status assessedOn overallScore householdSize
    incomePerPersonSatang human physical financial natural social } }
  matchesByHouseholdId(first: 20) { nodes { id status scoreMillis createdAt
    technologyByTechnologyId { id name sector } } } } }"""
ours_page = """query HouseholdPage { households(first: 50) { nodes { id villageCode houseNumber status
  members(first: 10) { nodes { id role person { id givenName familyName birthYear } } }
  latestAssessment { id assessedOn overallScore }
  matches(first: 10) { nodes { id status technology { id name } } } } } }"""
peer_page = """query HouseholdPage { allHouseholds(first: 50, orderBy: PRIMARY_KEY_ASC) { nodes { id villageCode houseNumber status
  membershipsByHouseholdId(first: 10, condition: {endDate: null}) { nodes { id role
    personByPersonId { id givenName familyName birthYear } } }
  assessmentsByHouseholdId(first: 1, condition: {status: "ACTIVE"}) { nodes { id assessedOn overallScore } }
  matchesByHouseholdId(first: 10) { nodes { id status technologyByTechnologyId { id name } } } } } }"""
# The agency inbox: the 50 newest referrals to the caller's agency. Ids are UUIDv7 (creation
# order). The service lists referrals oldest first by id, so its newest 50 are `last: 50` (the
# page itself comes oldest first); PostGraphile orders by the same key, newest first
# (CREATED_AT_DESC gives the same rows but, with no index on created_at, joins and sorts all
# 1,500 of the agency's referrals: about 5 ms of PostgreSQL time instead of 0.5).
ours_inbox = """query AgencyInbox { referrals(filter: {direction: INBOX}, last: 50) { nodes { id status dueOn createdAt
  acceptedAt completedAt service { id name category }
  case { id type phase priority household { id villageCode houseNumber } } } } }"""
peer_inbox = """query AgencyInbox($agency: UUID!) { allReferrals(condition: {toAgencyId: $agency},
  orderBy: PRIMARY_KEY_DESC, first: 50) { nodes { id status dueOn createdAt
  acceptedAt completedAt serviceByServiceId { id name category }
  supportCaseByCaseId { id caseType phase priority householdByHouseholdId { id villageCode houseNumber } } } } }"""
reqs = {
    "detail": ({"query": ours_detail, "variables": {"id": gid}}, {"query": peer_detail, "variables": {"id": uuid}}),
    "page50": ({"query": ours_page}, {"query": peer_page}),
    "inbox": ({"query": ours_inbox}, {"query": peer_inbox, "variables": {"agency": agency}}),
}
for name, (ours, peer) in reqs.items():
    json.dump(ours, open(f"{work}/ours-{name}.json", "w"))
    json.dump(peer, open(f"{work}/peer-{name}.json", "w"))
PY
}

token_for() {  # token_for NAME: the service's bearer token for that request (the inbox: agency staff)
    if [ "$1" = inbox ]; then echo "$AGENCY_TOKEN"; else echo "$TOKEN"; fi
}
login() {  # login LOGIN: an access token of the service
    curl -sf "http://127.0.0.1:$OURS_PORT/graphql" -H 'content-type: application/json' \
        -d '{"query":"mutation($i: LoginInput!){ login(input:$i){ accessToken } }","variables":{"i":{"login":"'"$1"'","password":"bench-password-0123"}}}' \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])'
}
ask() {  # ask SIDE NAME: one request's answer
    local side=$1 name=$2 port auth=()
    port=$OURS_PORT; [ "$side" = peer ] && port=$PEER_PORT
    [ "$side" = ours ] && auth=(-H "authorization: Bearer $(token_for "$name")")
    curl -s "http://127.0.0.1:$port/graphql" -H 'content-type: application/json' "${auth[@]}" -d @"$WORK/$side-$name.json"
}

check() {  # check SIDE NAME: one request, must be 200 with data, no errors and a non-empty top list; prints its size
    local side=$1 name=$2 out
    out=$(ask "$side" "$name")
    if ! echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
top = [v for v in (d.get("data") or {}).values() if isinstance(v, dict)]
sys.exit(0 if d.get("data") and not d.get("errors") and all(t.get("nodes", [1]) for t in top) else 1)'; then
        echo "$side $name failed: ${out:0:600}" >&2; exit 1
    fi
    echo "$side $name: ${#out} bytes"
}

same_inbox() {  # both sides list the same 50 referrals, with the same service, case and household
    python3 - "$(ask ours inbox)" "$(ask peer inbox)" <<'PY'
import base64, json, sys
def key(gid):  # the row id in a global id: the service's "Type:uuid", PostGraphile's ["Type","uuid"]
    raw = base64.urlsafe_b64decode(gid + "=" * (-len(gid) % 4)).decode()
    return json.loads(raw)[-1] if raw.startswith("[") else raw.split(":", 1)[1]
def row(r, service, case, ctype, household):
    c = r[case]; h = c[household]
    return (key(r["id"]), r["status"], r["dueOn"], key(r[service]["id"]), key(c["id"]), c[ctype], c["phase"],
            c["priority"], key(h["id"]), h["villageCode"], h["houseNumber"])
ours = [row(r, "service", "case", "type", "household")
        for r in json.loads(sys.argv[1])["data"]["referrals"]["nodes"]][::-1]  # newest first
peer = [row(r, "serviceByServiceId", "supportCaseByCaseId", "caseType", "householdByHouseholdId")
        for r in json.loads(sys.argv[2])["data"]["allReferrals"]["nodes"]]
if len(ours) != 50 or ours != peer:
    i = next((i for i, (a, b) in enumerate(zip(ours, peer)) if a != b), min(len(ours), len(peer)))
    sys.exit(f"inbox: the sides differ ({len(ours)} and {len(peer)} referrals; first difference at {i}: "
             f"{ours[i] if i < len(ours) else None} / {peer[i] if i < len(peer) else None})")
print(f"inbox: both sides list the same {len(ours)} referrals with their service, case and household")
PY
}

wrk_lua() {
    cat > "$WORK/post.lua" <<'LUA'
local f = io.open(os.getenv("BODY"), "r"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body
wrk.headers["content-type"] = "application/json"
local tok = os.getenv("TOKEN"); if tok and tok ~= "" then wrk.headers["authorization"] = "Bearer " .. tok end
LUA
}

one_run() {  # one_run SIDE NAME CONNS ROUND: wrk, with the server's and PostgreSQL's CPU around it
    local side=$1 name=$2 c=$3 r=$4 port pid tok="" s0 s1 p0 p1 out
    port=$OURS_PORT; [ "$side" = peer ] && port=$PEER_PORT
    [ "$side" = ours ] && tok=$(token_for "$name")
    pid=$(pid_of "$side")
    BODY="$WORK/$side-$name.json" TOKEN="$tok" wrk -t1 -c"$c" -d2s -s "$WORK/post.lua" "http://127.0.0.1:$port/graphql" > /dev/null
    s0=$(cpu_ticks "$pid"); p0=$(pg_ticks)
    out=$(BODY="$WORK/$side-$name.json" TOKEN="$tok" wrk -t1 -c"$c" -d"${DURATION}s" --latency -s "$WORK/post.lua" "http://127.0.0.1:$port/graphql")
    s1=$(cpu_ticks "$pid"); p1=$(pg_ticks)
    echo "$out" > "$WORK/wrk-$side-$name-c$c-r$r.txt"
    python3 - "$side" "$name" "$c" "$r" "$((s1 - s0))" "$((p1 - p0))" "$(getconf CLK_TCK)" <<PY >> "$WORK/runs.tsv"
import re, sys
side, name, c, r, sticks, pticks, hz = sys.argv[1:8]
out = """$out"""
def ms(label):
    m = re.search(r"^\s*" + label + r"%\s+([\d.]+)(us|ms|s)", out, re.M)
    v = float(m.group(1)); return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
total = int(re.search(r"(\d+) requests in", out).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
if non2xx: sys.exit(f"{side} {name}: {non2xx.group(1)} non-2xx responses")
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
cpu = int(sticks) * 1000 / int(hz) / total
pcpu = int(pticks) * 1000 / int(hz) / total
print(f"{side}\t{name}\t{c}\t{r}\t{rps:.1f}\t{ms('50'):.2f}\t{ms('99'):.2f}\t{cpu:.3f}\t{pcpu:.3f}")
PY
    tail -1 "$WORK/runs.tsv"
}

statements() {  # statements SIDE NAME: statements PostgreSQL logs for 20 requests, per request
    local side=$1 name=$2 port log before after user
    port=$OURS_PORT; [ "$side" = peer ] && port=$PEER_PORT
    user=postgres; [ "$side" = peer ] && user=$RO_ROLE
    log=$(ls -t /var/log/postgresql/postgresql-*-main.log | head -1)
    before=$(grep -c "$user@$DB LOG:  \(statement\|execute\)" "$log" || true)
    local auth=()
    [ "$side" = ours ] && auth=(-H "authorization: Bearer $(token_for "$name")")
    local i mark
    for i in $(seq 1 20); do
        [ "$i" = 20 ] && { sleep 0.3; mark=$(wc -l < "$log"); }
        curl -s -o /dev/null "http://127.0.0.1:$port/graphql" -H 'content-type: application/json' \
            "${auth[@]}" -d @"$WORK/$side-$name.json"
    done
    sleep 0.5
    after=$(grep -c "$user@$DB LOG:  \(statement\|execute\)" "$log" || true)
    python3 -c "print('%s\t%s\t%.1f' % ('$side', '$name', ($after - $before) / 20))" >> "$WORK/statements.tsv"
    tail -1 "$WORK/statements.tsv"
    # the last request's statements, as a pgbench script (its parameters inlined)
    python3 "$HERE/pgbench_script.py" "$log" "$mark" "$user@$DB" "$WORK/pgbench-$side-$name.sql" > /dev/null
}

pgbench_run() {  # pgbench_run SIDE NAME CONNS ROUND: the request's own statements, back to back
    local out
    out=$(pgbench -n -M extended -c "$3" -j 1 -T "$DURATION" -f "$WORK/pgbench-$1-$2.sql" \
        "postgres://postgres@127.0.0.1:5432/$DB" 2>&1)
    echo "$out" > "$WORK/pgbench-$1-$2-c$3-r$4.txt"
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)" >> "$WORK/pgbench.tsv"
    tail -1 "$WORK/pgbench.tsv"
}

run() {
    need_tools
    trap stop_all EXIT
    : > "$WORK/runs.tsv"; : > "$WORK/statements.tsv"; : > "$WORK/pgbench.tsv"
    wrk_lua; bodies
    # statements: log every statement of this database for a moment (new connections pick it up)
    "${PSQL[@]}" -c "ALTER DATABASE $DB SET log_statement = 'all'"
    start_ours; start_peer
    TOKEN=$(login bench-admin); AGENCY_TOKEN=$(login bench-agency)
    export TOKEN AGENCY_TOKEN
    for n in $REQUESTS; do check ours $n; check peer $n; done
    same_inbox
    for n in $REQUESTS; do statements ours $n; statements peer $n; done
    stop_all
    "${PSQL[@]}" -c "ALTER DATABASE $DB RESET log_statement"
    start_ours; start_peer
    for n in $REQUESTS; do check ours $n > /dev/null; check peer $n > /dev/null; done
    local r c n
    for r in $(seq 1 "$ROUNDS"); do
        for n in $REQUESTS; do
            for c in $CONNS; do
                one_run ours $n "$c" "$r"; one_run peer $n "$c" "$r"; pgbench_run ours $n "$c" "$r"
            done
        done
    done
    grep VmHWM "/proc/$(pid_of ours)/status" | awk '{print "ours\t" $2}' > "$WORK/rss.tsv"
    grep VmHWM "/proc/$(pid_of peer)/status" | awk '{print "peer\t" $2}' >> "$WORK/rss.tsv"
    stop_all
    python3 "$HERE/report.py" "$WORK" | tee "$ROOT/bench/results/peer-latest.md"
}

case "${1:-}" in
setup) setup ;;
run) run ;;
all) setup; run ;;
*) echo "usage: $0 setup|run|all" >&2; exit 2 ;;
esac
