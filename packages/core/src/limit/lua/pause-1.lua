--[[
  Grants nothing on a key until now + durationMs, to every caller (the API answered 429 with
  Retry-After): `pauseSlot` in token-bucket.ts, operation for operation, in whole µs. The burst
  is not refilled by the pause.

    until = now + round(durationMs * 1000) + interval * (burst - 1)
    tat'  = max(tat, until)                         (tat = now when the key is absent)

  Input:
    KEYS[1]  the bucket; its value is the theoretical arrival time (tat), whole µs, as text

    ARGV[1]  limit       permits per period, a whole number >= 1
    ARGV[2]  periodMs    the period, ms
    ARGV[3]  burst       permits that may be granted back to back, 1..limit
    ARGV[4]  durationMs  how long to grant nothing, ms, >= 0
    ARGV[5]  now         '' to read the clock from Redis TIME. A time in ms ONLY for tests
                         (see reserve-1.lua).

  Output:
    the new tat, whole µs, as text.

  The key expires a second past its tat, as in reserve-1.lua.
]]
--- @include "now-us"
local limit = tonumber(ARGV[1])
local periodMs = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local durationMs = tonumber(ARGV[4])

local now = nowUs(ARGV[5])

local interval = math.ceil(periodMs * 1000 / limit)
local untilUs = now + math.floor(durationMs * 1000 + 0.5) + interval * (burst - 1)
local stored = tonumber(redis.call('GET', KEYS[1]))
local tat = math.max(stored or now, untilUs)

local text = string.format('%.0f', tat)
redis.call('SET', KEYS[1], text, 'PX', string.format('%.0f', math.ceil((tat - now) / 1000) + 1000))
return text
