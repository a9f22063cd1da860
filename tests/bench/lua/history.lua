-- POST /v1/history/search (or BENCH_PATH: /v1/stays/summary takes the same body) over the
-- cédulas listed (one a line) in BENCH_IDENTITIES.
local path = os.getenv("BENCH_PATH") or "/v1/history/search"
local identities = {}
for line in io.lines(os.getenv("BENCH_IDENTITIES")) do identities[#identities + 1] = line end
local next_one = 0
function request()
   next_one = next_one + 1
   local ced = identities[(next_one + (thread_id or 0) * 7919) % #identities + 1]
   return wrk.format("POST", path, json_headers, string.format(
      '{"identity":{"national_id":"%s"},"purpose":"CERTIFICATE","reference":"BENCH-1"}', ced))
end
