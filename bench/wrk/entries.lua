-- bench/ingest.py (issue 20): the same POST for every app. Each request uses the next
-- device token of this thread's share of the token file (one first entry per participant)
-- and a fresh client_id; counts answers by status.
-- args: token file, first token (1-based), wrk threads, diary date, device time, run tag
-- thread_n, counter and counts are globals: wrk's thread:set/get reach only those.
local tokens, nthreads, first, day, device_time, tag = {}, 1, 1, "", "", 0
thread_n, counter, counts = 0, 0, {}
local threads = {}

function setup(thread)
  thread:set("thread_n", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  first, nthreads, day, device_time, tag =
    tonumber(args[2]), tonumber(args[3]), args[4], args[5], tonumber(args[6])
end

function request()
  local i = first + thread_n + counter * nthreads
  counter = counter + 1
  local token = tokens[i] or "exhausted"
  local cid = string.format("%08x-%04x-4000-8000-%012x", tag, thread_n, counter)
  local body = '{"diary_date":"' .. day .. '","score":' .. (counter % 11) ..
    ',"client_id":"' .. cid .. '","device_time":"' .. device_time .. '"}'
  return wrk.format("POST", "/api/v1/me/diary-entries",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total, most = {}, 0
  for _, thread in ipairs(threads) do
    local used = thread:get("counter")
    if used > most then most = used end
    local c = thread:get("counts")
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  for k, n in pairs(total) do io.write(string.format("STATUS %s %d\n", k, n)) end
  io.write(string.format("USED_MAX %d\n", most))
  io.write(string.format("P99_US %d\nP50_US %d\n", latency:percentile(99),
                         latency:percentile(50)))
end
