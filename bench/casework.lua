-- wrk script of the casework benchmark (bench/casework.sh): POSTs the GraphQL body in the file
-- named by $BENCH_BODY with `Authorization: Bearer $BENCH_TOKEN`, and counts answers that are
-- not HTTP 200 or that carry GraphQL `errors` (wrk itself only counts non-2xx). done() prints
-- "answers: N, not 200: N, with errors: N".
local token = os.getenv("BENCH_TOKEN")
local file = os.getenv("BENCH_BODY")
if token == nil or token == "" or file == nil or file == "" then
  error("BENCH_TOKEN and BENCH_BODY must be set")
end
local f = assert(io.open(file, "r"))
local body = f:read("*a"):gsub("%s+$", "")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = body

local threads = {}
answers, not200, witherrors = 0, 0, 0

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, resp)
  answers = answers + 1
  if status ~= 200 then
    not200 = not200 + 1
  elseif resp:find('"errors"', 1, true) then
    witherrors = witherrors + 1
  end
end

function done(summary, latency, requests)
  local a, n, e = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("answers")
    n = n + t:get("not200")
    e = e + t:get("witherrors")
  end
  io.write(string.format("answers: %d, not 200: %d, with errors: %d\n", a, n, e))
end
