-- POST of one GraphQL body (file named by $BENCH_BODY) with the bearer token from $BENCH_TOKEN.
local token = os.getenv("BENCH_TOKEN")
local file = os.getenv("BENCH_BODY")
if token == nil or token == "" or file == nil or file == "" then
  -- warm-up invocation may lack BENCH_BODY; fall back to the last body written by registry.sh
  file = file or "/tmp/ppaos-registry-bench/current.json"
end
local f = assert(io.open(file, "r"))
local body = f:read("*a"):gsub("%s+$", "")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (token or "")
wrk.body = body
