#!/usr/bin/env bash
# GraphiQL as a user sees it, offline: builds the server, starts it on a free port with a
# temporary SQLite database, and opens /graphiql in headless Chromium (Debian's chromium,
# driven by playwright-core from npm). It passes when GraphiQL renders, its introspection of
# /graphql succeeds, the documentation explorer shows the schema, the Headers tab is open,
# nothing is fetched from another origin, refused by the CSP, or fails, and a user can sign in
# with the login mutation, put the token in the Headers tab and run `me`. A screenshot is
# left in the temporary folder it prints.
#
#   bash tests/browser/graphiql.sh                  # debug build
#   PROFILE=release bash tests/browser/graphiql.sh
#
# Installs what it needs when missing: chromium, nodejs and npm (apt), playwright-core
# (npm, into ~/.cache/ppaos-browser-tests). Traffic stays on 127.0.0.1; the server is
# stopped on any exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/browser"
PROFILE="${PROFILE:-debug}"
PLAYWRIGHT_VERSION=1.65.1
NODE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/ppaos-browser-tests"
WORK="$(mktemp -d /tmp/ppaos-graphiql.XXXXXX)"
cd "$ROOT"

log() { printf '==> %s\n' "$*" >&2; }

SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    rm -f "$WORK"/graphiql.sqlite*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} (apt)"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi
if [ ! -f "$NODE_DIR/node_modules/playwright-core/package.json" ] ||
    ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$NODE_DIR/node_modules/playwright-core/package.json"; then
    log "installing playwright-core@$PLAYWRIGHT_VERSION (npm) into $NODE_DIR"
    mkdir -p "$NODE_DIR"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm install --prefix "$NODE_DIR" \
        --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION"
fi

log "building the server ($PROFILE)"
if [ "$PROFILE" = release ]; then
    cargo build --release -p api
else
    cargo build -p api
fi
BIN="$ROOT/target/$PROFILE/api"

export GRAPHIQL_TEST_LOGIN=graphiql-test GRAPHIQL_TEST_PASSWORD=offline-docs-browser-0123
log "creating the account $GRAPHIQL_TEST_LOGIN"
echo "$GRAPHIQL_TEST_PASSWORD" | APP_DATABASE_URL="sqlite://$WORK/graphiql.sqlite?mode=rwc" \
    APP_LOG=warn "$BIN" account create --login "$GRAPHIQL_TEST_LOGIN" --role analyst \
    --area-scope 52 >/dev/null

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
log "starting the server on $BASE (database $WORK/graphiql.sqlite)"
APP_DATABASE_URL="sqlite://$WORK/graphiql.sqlite?mode=rwc" APP_HOST=127.0.0.1 APP_PORT="$PORT" \
    APP_LOG=warn "$BIN" serve </dev/null >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
    curl -sf -o /dev/null --max-time 2 "$BASE/readyz" && break
    kill -0 "$SERVER_PID" 2>/dev/null || {
        cat "$WORK/server.log" >&2
        echo "the server exited during startup" >&2
        exit 1
    }
    sleep 0.5
done
curl -sf -o /dev/null --max-time 2 "$BASE/readyz" || {
    echo "the server was not ready after 60 s (log: $WORK/server.log)" >&2
    exit 1
}

log "opening $BASE/graphiql in headless Chromium"
mkdir -p "$WORK/chromium-profile"
NODE_PATH="$NODE_DIR/node_modules" timeout 180 node "$HERE/graphiql.cjs" \
    "$BASE/graphiql" "$WORK/graphiql.png" "$WORK/chromium-profile"
