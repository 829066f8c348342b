--[[
  Reserves one permit on a key's bucket, atomically: the GCRA arithmetic of `reserveSlot` in
  token-bucket.ts, operation for operation, in whole microseconds, so Redis and the in-memory
  limiter agree exactly (a double holds every integer µs up to 2^53).

    interval = ceil(periodMs * 1000 / limit)              µs
    base     = max(tat, now)                              (now when the key is absent)
    grantAt  = max(now, base - interval * (burst - 1))
    tat'     = base + interval

  Input:
    KEYS[1]  the bucket; its value is the theoretical arrival time (tat), whole µs, as text
    KEYS[2]  the end of the key's latest pause, whole µs, as text (pause-2.lua writes it)

    ARGV[1]  limit      permits per period, a whole number >= 1
    ARGV[2]  periodMs   the period, ms
    ARGV[3]  burst      permits that may be granted back to back, 1..limit
    ARGV[4]  now        '' to read the clock from Redis TIME (always, in production: client
                        clocks do not matter). A time in ms ONLY for tests, which feed the same
                        times to this script and to the in-memory limiter.

  Output:
    { grantAt, wait, tat, pauseEnd } in whole µs, as text: Redis would truncate Lua numbers to
    integers of 64 bits anyway, but text keeps one format for every reply. pauseEnd is '0' when
    the key has no pause: the caller learns of pauses asked by other processes, so that its
    permits still waiting are rechecked against them.

  The key expires a second past its tat: by then it is worth the same as an absent key
  (max(tat, now) = now), and the second of slack keeps it while its tat can still matter.
]]
--- @include "now-us"
local limit = tonumber(ARGV[1])
local periodMs = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])

local now = nowUs(ARGV[4])

local interval = math.ceil(periodMs * 1000 / limit)
local stored = tonumber(redis.call('GET', KEYS[1]))
local base = now
if stored ~= nil then base = math.max(stored, now) end
local grantAt = math.max(now, base - interval * (burst - 1))
local tat = base + interval

local text = string.format('%.0f', tat)
redis.call('SET', KEYS[1], text, 'PX', string.format('%.0f', math.ceil((tat - now) / 1000) + 1000))
local pauseEnd = redis.call('GET', KEYS[2]) or '0'
return { string.format('%.0f', grantAt), string.format('%.0f', grantAt - now), text, pauseEnd }
