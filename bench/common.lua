-- Shared by me.lua and nested.lua: a POST of one GraphQL request body (read from a JSON
-- file beside the scripts, the same file run.sh checks with curl) with the bearer token
-- taken from $BENCH_TOKEN.
local M = {}

function M.setup(body_file)
  local token = os.getenv("BENCH_TOKEN")
  if token == nil or token == "" then
    error("BENCH_TOKEN is not set")
  end
  local f = assert(io.open(body_file, "r"))
  local body = f:read("*a")
  f:close()
  body = body:gsub("%s+$", "")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.body = body
end

return M
