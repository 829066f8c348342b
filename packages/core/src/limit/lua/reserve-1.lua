--[[
  Reserves one permit on a key's bucket, atomically: the GCRA arithmetic of `reserveSlot` in
  token-bucket.ts, operation for operation, so Redis and the in-memory limiter agree to the bit
  (both compute in IEEE doubles, in ms).

    interval = periodMs / limit
    base     = max(tat, now)                       (now when the key is absent)
    grantAt  = max(now, base - interval * (burst - 1))
    tat'     = base + interval

  Input:
    KEYS[1]  the bucket; its value is the theoretical arrival time (tat), ms, as text

    ARGV[1]  limit      permits per period, a whole number >= 1
    ARGV[2]  periodMs   the period, ms
    ARGV[3]  burst      permits that may be granted back to back, 1..limit
    ARGV[4]  now        '' to read the clock from Redis TIME (always, in production: client
                        clocks do not matter). A time in ms ONLY for tests, which feed the same
                        times to this script and to the in-memory limiter.

  Output:
    { grantAt, waitMs, tat } as text ('%.17g', which round-trips a double): Redis would
    truncate Lua numbers to integers.

  The key expires a second past its tat: by then it is worth the same as an absent key
  (max(tat, now) = now), and the second of slack keeps it while its tat can still matter.
]]
local limit = tonumber(ARGV[1])
local periodMs = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])

local now
if ARGV[4] ~= nil and ARGV[4] ~= '' then
  now = tonumber(ARGV[4])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
end

local interval = periodMs / limit
local stored = tonumber(redis.call('GET', KEYS[1]))
local base = now
if stored ~= nil then base = math.max(stored, now) end
local grantAt = math.max(now, base - interval * (burst - 1))
local tat = base + interval

local text = string.format('%.17g', tat)
redis.call('SET', KEYS[1], text, 'PX', string.format('%d', math.ceil(tat - now) + 1000))
return { string.format('%.17g', grantAt), string.format('%.17g', grantAt - now), text }
