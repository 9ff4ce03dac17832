-- wrk script for bench/load.sh: every request POSTs the same valid 10-item start_batch JSON body.
local items = {}
for i = 1, 10 do
  items[i] = string.format('{"email":"user%d@example.com"}', i)
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"token":"tok-bench","trigger_id":8,"data":[' .. table.concat(items, ",") .. ']}'
