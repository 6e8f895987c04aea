-- The bench's wrk script. With WRK_VALUE_FILE set, every request carries the next line of
-- that file (cycling) in the header WRK_VALUE_HEADER, after WRK_VALUE_PREFIX (a bearer
-- token, a session cookie), the requests built once up front so the Lua side costs nearly
-- nothing. At the end it prints one JSON line for bench/wrk.ts to read.
local value_file = os.getenv("WRK_VALUE_FILE")
local value_header = os.getenv("WRK_VALUE_HEADER")
local value_prefix = os.getenv("WRK_VALUE_PREFIX") or ""

if value_file then
  local requests = {}
  local next_index = 0

  -- wrk adds the Host header just before init, so the requests are built here.
  function init(args)
    local headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    for value in io.lines(value_file) do
      headers[value_header] = value_prefix .. value
      requests[#requests + 1] = wrk.format(nil, nil, headers)
    end
  end

  function request()
    -- wrk also calls this once before init, to check the script.
    if #requests == 0 then return wrk.format() end
    next_index = next_index % #requests + 1
    return requests[next_index]
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
