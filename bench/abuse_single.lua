-- wrk script: one request file from $ABUSE_DIR, POST, with the bearer token when
-- ABUSE_AUTH=1. abuse.sh uses it for the login attack and for the normal query.
package.path = (os.getenv("BENCH_DIR") or "bench") .. "/?.lua;" .. package.path
local common = require("abuse_common")

local req

function init(args)
  req = common.load(os.getenv("ABUSE_REQUEST"), "POST", os.getenv("ABUSE_AUTH") == "1")
end

function request()
  return req
end

common.install_counters()
