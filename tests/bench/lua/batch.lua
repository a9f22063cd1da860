-- POST /v1/movements/batch: 1000 new movements per request, 100 travellers x 10 crossings.
local batch_no = 0
function request()
   local items = {}
   for i = 0, 999 do
      local traveller = batch_no * 100 + i % 100
      local crossing = math.floor(i / 100)
      items[#items + 1] = movement_json(unique_uuid(), 50000 + traveller,
         (crossing % 2 == 0) and "EXIT" or "ENTRY", crossing * 20 + traveller % 7)
   end
   batch_no = batch_no + 1
   return wrk.format("POST", "/v1/movements/batch", json_headers,
      '{"movements":[' .. table.concat(items, ",") .. ']}')
end
