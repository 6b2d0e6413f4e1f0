-- wrk script: one GraphQL POST whose body is $APQ_BODY_FILE (a full text or a hash only), with
-- the bearer token from $BENCH_TOKEN.
local dir = os.getenv("BENCH_DIR") or "bench"
package.path = dir .. "/?.lua;" .. package.path
require("common").setup(os.getenv("APQ_BODY_FILE"))
