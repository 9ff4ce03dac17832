-- wrk script for bench/load.sh's fixed-rate runs: the start_batch.lua request, sent on a schedule
-- of RATE requests/s in all (the environment's RATE, split over the THREADS wrk threads) instead
-- of as fast as answers come back. A thread behind schedule sends at once until it catches up,
-- as an open-loop client would, limited by its connections.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } tg_timespec;
  int clock_gettime(int clock, tg_timespec *now);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("tg_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local file = assert(io.open("bench/start_batch.json", "rb"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = file:read("*a")
file:close()

local interval = tonumber(os.getenv("THREADS")) * 1000 / tonumber(os.getenv("RATE"))
local next_slot = nil

function delay()
  local now = now_ms()
  if next_slot == nil then
    next_slot = now
  end
  local slot = next_slot
  next_slot = next_slot + interval
  return math.max(0, math.floor(slot - now))
end
