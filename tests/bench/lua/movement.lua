-- POST /v1/movements: every request a new movement_id; each traveller crosses twice
-- (EXIT then ENTRY), so half the writes find an existing person.
function request()
   local n = counter
   local body = movement_json(unique_uuid(), math.floor(n / 2),
      (n % 2 == 0) and "EXIT" or "ENTRY", n)
   return wrk.format("POST", "/v1/movements", json_headers, body)
end
