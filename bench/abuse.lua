-- wrk script: rotates over every hostile request listed in $ABUSE_DIR/index.tsv
-- (see abuse_requests.py); each thread starts at a different one.
package.path = (os.getenv("BENCH_DIR") or "bench") .. "/?.lua;" .. package.path
local common = require("abuse_common")

local reqs = {}
local i = 0

function init(args)
  for line in io.lines(common.dir .. "/index.tsv") do
    local name, method, auth, file = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$")
    table.insert(reqs, common.load(file, method, auth == "1"))
  end
  i = math.random(#reqs)
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

common.install_counters()
