-- POST /v1/certificate-requests: a new oficio number per request, same subject
-- (BENCH_SUBJECT, a cédula whose history the runner seeded).
local subject = os.getenv("BENCH_SUBJECT")
local today = os.date("%Y-%m-%d")
local year = os.date("%Y")
function request()
   counter = counter + 1
   local number = string.format("FGE-B%d-%s-%04d%02d-O", seed % 100000, year, counter,
      thread_id or 0)
   return wrk.format("POST", "/v1/certificate-requests", json_headers, string.format(
      '{"oficio":{"number":"%s","date":"%s","addressee":"Subsecretaría de Migración",' ..
      '"signatory_name":"Dra. Ana Torres","signatory_role":"Fiscal"},' ..
      '"subject":{"national_id":"%s"}}', number, today, subject))
end
