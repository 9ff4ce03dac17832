-- Generic cell rate algorithm, one atomic check per call (KEYS[1]: the key's state).
-- ARGV: interval_us (period / limit), period_us, permits, max_wait_us.
-- The clock is Redis's own TIME, so the gateways' clocks never matter.
-- Returns {allowed (1/0), remaining, wait_us, reset_us}: wait_us is how long an allowed request
-- must wait (or a refused one would have had to), reset_us when the quota is whole again.
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local permits = tonumber(ARGV[3])
local max_wait = tonumber(ARGV[4])

local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then
  tat = now
end
local new_tat = tat + interval * permits
local wait = new_tat - period - now
if wait > max_wait then
  local remaining = math.floor((now + period - tat) / interval)
  if remaining < 0 then remaining = 0 end
  return {0, remaining, wait, tat - now}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
local remaining = math.floor((now + period - new_tat) / interval)
if remaining < 0 then remaining = 0 end
if wait < 0 then wait = 0 end
return {1, remaining, wait, new_tat - now}
