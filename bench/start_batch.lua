-- wrk script for bench/load.sh: every request POSTs the same valid 10-item start_batch JSON body
-- (bench/start_batch.json, which the fixed-rate runs with hey send too).
local file = assert(io.open("bench/start_batch.json", "rb"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = file:read("*a")
file:close()
