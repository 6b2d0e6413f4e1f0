-- Shared by the abuse benchmark's wrk scripts: reads request files written by
-- `abuse_requests.py write` (first line the path, the rest the body) into ready-made requests.
local M = {}

M.dir = os.getenv("ABUSE_DIR") or error("ABUSE_DIR is not set")

function M.load(file, method, auth)
  local f = assert(io.open(M.dir .. "/" .. file, "rb"))
  local content = f:read("*a")
  f:close()
  local nl = content:find("\n", 1, true)
  local path, body = content:sub(1, nl - 1), content:sub(nl + 1)
  local headers = {}
  if auth then
    local token = os.getenv("BENCH_TOKEN")
    if token == nil or token == "" then
      error("BENCH_TOKEN is not set")
    end
    headers["Authorization"] = "Bearer " .. token
  end
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", path, headers, body)
  end
  return wrk.format("GET", path, headers)
end

-- Counts answers by HTTP status in each thread; done() prints the totals.
local threads = {}
statuses = {}

function M.install_counters()
  function setup(thread)
    table.insert(threads, thread)
  end
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
  function done(summary, latency, requests)
    local total = {}
    for _, t in ipairs(threads) do
      for status, n in pairs(t:get("statuses")) do
        total[status] = (total[status] or 0) + n
      end
    end
    local keys = {}
    for status in pairs(total) do
      table.insert(keys, status)
    end
    table.sort(keys)
    local parts = {}
    for _, status in ipairs(keys) do
      table.insert(parts, status .. "=" .. total[status])
    end
    io.write("statuses: " .. table.concat(parts, " ") .. "\n")
  end
end

return M
