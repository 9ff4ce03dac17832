-- One rate check, counted as resilience4j's AtomicRateLimiter counts (the local backend), so
-- falling back to it changes where counts live, not how: cycles of period_us from the key's first
-- use; each cycle starts with limit permits (unused ones do not carry over); a request that may
-- wait up to max_wait_us reserves permits of the cycles to come.
-- KEYS[1]: the key's state, a hash {s: first use, c: cycle counted, p: permits left (negative
-- while reserved ahead)}. ARGV: period_us, limit, permits, max_wait_us, idle_ms (the key's TTL).
-- The clock is Redis's own TIME, so the gateways' clocks never matter.
-- Returns {granted (1/0), permits left, wait_us, until the next cycle in us}: wait_us is how long
-- a granted request waits for its permits, or how long a refused one would have had to.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local period = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local permits = tonumber(ARGV[3])
local max_wait = tonumber(ARGV[4])

local state = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
local start, cycle, available = now, 0, limit
if state[1] then
  start, cycle, available = tonumber(state[1]), tonumber(state[2]), tonumber(state[3])
end
local elapsed = now - start
local current = math.floor(elapsed / period)
-- TIME can step back (a clock stepped, a failover to a replica whose clock lags): a cycle never
-- goes back, as resilience4j's nanoTime never does, or a whole limit would be taken away.
if current < cycle then
  current = cycle
end
if current ~= cycle then
  available = math.min(available + (current - cycle) * limit, limit)
  cycle = current
end
local to_next = (current + 1) * period - elapsed
local wait = 0
if available < permits then
  wait = math.floor((permits - available - 1) / limit) * period + to_next
end
local granted = 0
if wait <= max_wait then
  granted = 1
  available = available - permits
end
-- string.format keeps every digit: Redis turns a bare Lua number into at most 14 significant ones.
redis.call('HSET', KEYS[1], 's', string.format('%d', start), 'c', string.format('%d', cycle),
  'p', string.format('%d', available))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if available < 0 then available = 0 end
return {granted, available, wait, to_next}
