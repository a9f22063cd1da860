-- Shared by every bench script (the Python runner prepends it). wrk gives each thread its
-- own Lua state: setup() numbers the threads so ids minted in different threads never meet.
-- BENCH_SEED (an integer per wrk run) keeps runs apart when they share a database.

local seed = tonumber(os.getenv("BENCH_SEED") or "1")
local thread_count = 0
local threads = {}

function setup(thread)
   thread:set("thread_id", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

counter = 0

-- A version-4-shaped UUID unique per (run seed, thread, request).
function unique_uuid()
   counter = counter + 1
   return string.format("%08x-%04x-4000-8000-%012x", seed, thread_id or 0, counter)
end

-- A valid Ecuadorian cédula for any n below 144 million: province 01-24, third digit 0-5,
-- six digits, then the check digit (weights 2,1,2,1... with digits above 9 folded).
function cedula(n)
   local province = 1 + math.floor(n / 6000000) % 24
   local third = math.floor(n / 1000000) % 6
   local body = string.format("%02d%d%06d", province, third, n % 1000000)
   local sum = 0
   for i = 1, 9 do
      local d = tonumber(body:sub(i, i)) * ((i % 2 == 1) and 2 or 1)
      if d > 9 then d = d - 9 end
      sum = sum + d
   end
   return body .. tostring((10 - sum % 10) % 10)
end

-- A person index unique per (run seed, thread, n): 100k per thread, 8 threads per seed.
function person_index(n)
   return ((seed % 150) * 8 + (thread_id or 0)) * 100000 + n
end

function movement_json(id, n, direction, day)
   local ced = cedula(person_index(n))
   return string.format(
      '{"movement_id":"%s","direction":"%s","occurred_at":"2024-%02d-%02dT%02d:%02d:00-05:00",' ..
      '"control_point":"AIR-UIO","traveller":{"document_type":"PASSPORT",' ..
      '"document_number":"P%s","issuing_country":"ECU","nationality":"ECU",' ..
      '"national_id":"%s","surnames":"PEREZ GOMEZ","given_names":"MARIA JOSE",' ..
      '"birth_date":"1990-05-01","sex":"F"},"transport":{"mode":"AIR","carrier":"AV",' ..
      '"number":"AV8374"},"origin_country":"COL","destination_country":null,' ..
      '"observations":null}',
      id, direction, 1 + day % 12, 1 + day % 28, day % 24, day % 60, ced, ced)
end

json_headers = {["Content-Type"] = "application/json"}
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then json_headers["Authorization"] = "Bearer " .. token end

-- One JSON line the runner parses: latencies in microseconds.
function done(summary, latency, requests)
   local p = {}
   for _, q in ipairs({50, 90, 95, 99, 99.9}) do
      p[#p + 1] = string.format('"%s": %d', tostring(q), latency:percentile(q))
   end
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, ' ..
      '"read": %d, "write": %d, "status": %d, "timeout": %d}, "latency_us": {%s, ' ..
      '"mean": %.1f, "max": %d}}\n',
      summary.requests, summary.duration, summary.bytes, summary.errors.connect,
      summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
      table.concat(p, ", "), latency.mean, latency.max))
end
