-- wrk: POST a new filing (a fresh child IIN and idempotency key each time) with the portal key.
-- Each answer comes once the journal holds the record durably (group commit).
local key = os.getenv("KEY")
local parent = os.getenv("PARENT")
local run = tonumber(os.getenv("RUN") or "0")  -- each run of the script files other children
local counter = 0
local thread_id = 0
local threads = {}
local next_id = 1

setup = function(thread)
  thread:set("thread_id", run * 2 + next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- A valid IIN for a birth date in 2024 and a serial, one per n < 12 * 28 * 10000 (nil when no
-- check digit exists).
local function iin(n)
  local month = (n % 12) + 1
  local day = (math.floor(n / 12) % 28) + 1
  local serial = math.floor(n / 336) % 10000
  local text = string.format("24%02d%02d5%04d", month, day, serial)
  local digits = {}
  for i = 1, 11 do digits[i] = tonumber(text:sub(i, i)) end
  local function sum(weights)
    local s = 0
    for i = 1, 11 do s = s + digits[i] * weights[i] end
    return s % 11
  end
  local c = sum({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
  if c == 10 then c = sum({3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2}) end
  if c == 10 then return nil end
  return text .. c
end

request = function()
  local child
  repeat
    counter = counter + 1
    child = iin(thread_id * 400000 + counter)  -- a thread files at most 400,000 in one run
  until child
  local body = string.format(
    '{"schema_version":1,"idempotency_key":"bench-%d-%d","instant_ms":%d,"actor":{"role":"Portal","iin":"%s"},' ..
    '"body_type":"FileApplication","body":{"child_iin":"%s","child_name":"Бенчмарк","locality":1,' ..
    '"queue_type":"General","language":"Kk","priority_category":"general"}}',
    thread_id, counter, os.time() * 1000, parent, child)
  return wrk.format("POST", "/v1/actions", {["Authorization"] = "Bearer " .. key,
                                            ["Content-Type"] = "application/json"}, body)
end
