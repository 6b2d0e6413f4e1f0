#!/usr/bin/env bash
# Household import benchmark (see bench/IMPORT.md): generates N synthetic households
# (bench/gen_households.py), imports them with the release binary into a fresh database, then
# imports the same file again (every household UNCHANGED). Prints households/s and peak RSS.
#
#   bash bench/import.sh                 # 100,000 households, SQLite and PostgreSQL
#   bash bench/import.sh 20000 sqlite    # fewer households, one database
#   PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres bash bench/import.sh 100000 postgres
#   PG_URL='postgres://postgres@localhost/ppaos_import_bench?host=/var/run/postgresql' \
#       bash bench/import.sh 100000 postgres        # the import over the Unix socket
#
# PostgreSQL: the database ppaos_import_bench is dropped and created again on every run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-100000}"
WHICH="${2:-both}"
WORK="/tmp/ppaos-import-bench"
DATA="$WORK/data-$N"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_DB=ppaos_import_bench
PG_URL="${PG_URL:-${PG_ADMIN_URL%/*}/$PG_DB}"
BIN="$ROOT/target/release/api"
LIMIT_SECS="${BENCH_TIMEOUT_SECS:-3600}"

case "$WHICH" in
    both) DBS=(sqlite postgres) ;;
    sqlite | postgres) DBS=("$WHICH") ;;
    *) echo "usage: bench/import.sh [HOUSEHOLDS] [sqlite|postgres|both]" >&2; exit 2 ;;
esac
if [ ! -x /usr/bin/time ]; then
    echo "needs GNU time (/usr/bin/time): apt-get install time" >&2
    exit 2
fi

(cd "$ROOT" && cargo build --release -q -p api)
mkdir -p "$WORK"
if [ ! -s "$DATA/households.csv" ]; then
    python3 "$ROOT/bench/gen_households.py" "$DATA" "$N"
fi
ROWS=$(($(wc -l < "$DATA/households.csv") - 1))
echo "file: $DATA/households.csv ($N households, $ROWS rows, $(du -h "$DATA/households.csv" | cut -f1))"

# One timed import: prints "<label>: <summary line> | wall <s> s | peak RSS <MB> MB".
timed_import() {
    local label="$1" report="$WORK/report-$1.csv" log="$WORK/time-$1.txt" out
    out=$(timeout "$LIMIT_SECS" /usr/bin/time -v "$BIN" import households "$DATA/households.csv" \
        --report "$report" 2> "$log" | tail -1)
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$log")
    echo "$label: $out | wall $wall | peak RSS ${rss} MB"
}

for db in "${DBS[@]}"; do
    case "$db" in
        sqlite)
            rm -f "$WORK"/bench.sqlite*
            export APP_DATABASE_URL="sqlite://$WORK/bench.sqlite?mode=rwc"
            ;;
        postgres)
            if ! pg_isready -q -h 127.0.0.1; then
                pg_ctlcluster --skip-systemctl-redirect 15 main start
                for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
            fi
            psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" \
                -c "CREATE DATABASE $PG_DB" 2> /dev/null
            export APP_DATABASE_URL="$PG_URL"
            ;;
    esac
    export APP_LOG=warn
    "$BIN" migrate
    "$BIN" import areas "$DATA/villages.csv" > /dev/null
    timed_import "$db-first-run"
    timed_import "$db-second-run"
done
