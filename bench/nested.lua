-- wrk script: query Agencies($first, $accounts) — agencies with coverage and accounts
-- (body in bench/nested.json, variables {"first":50,"accounts":5}).
local dir = os.getenv("BENCH_DIR") or "bench"
package.path = dir .. "/?.lua;" .. package.path
require("common").setup(dir .. "/nested.json")
