-- wrk script: query Me { me { ... } } (body in bench/me.json).
local dir = os.getenv("BENCH_DIR") or "bench"
package.path = dir .. "/?.lua;" .. package.path
require("common").setup(dir .. "/me.json")
