-- wrk script: the start_batch.lua request with a Request-ID that no request of any run repeats
-- (a random prefix per run, the thread's number, a counter), so de-duplication keeps every answer.
local file = assert(io.open("bench/start_batch.json", "rb"))
local body = file:read("*a")
file:close()

math.randomseed(os.time())
local run = string.format("%08x", math.random(0, 0x7fffffff))
local threads = 0
local counter = 0

function setup(thread)
  threads = threads + 1
  thread:set("number", threads)
end

function request()
  counter = counter + 1
  local id = run .. "-" .. number .. "-" .. counter
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Request-ID"] = id}, body)
end
