--[[
  Grants nothing on a key until now + durationMs, to every caller (the API answered 429 with
  Retry-After): `pauseSlot` in token-bucket.ts, operation for operation, in whole µs. The burst
  is not refilled by the pause.

    pauseEnd = now + round(durationMs * 1000)                 (`pauseEndOf`)
    floor    = pauseEnd + interval * (burst - 1)              (`pauseFloor`)
    tat'     = max(tat, floor)                                (tat = now when the key is absent)
    pauseEnd' = max(stored pauseEnd, pauseEnd)

  Input:
    KEYS[1]  the bucket; its value is the theoretical arrival time (tat), whole µs, as text
    KEYS[2]  the end of the key's latest pause, whole µs, as text

    ARGV[1]  limit       permits per period, a whole number >= 1
    ARGV[2]  periodMs    the period, ms
    ARGV[3]  burst       permits that may be granted back to back, 1..limit
    ARGV[4]  durationMs  how long to grant nothing, ms, >= 0
    ARGV[5]  now         '' to read the clock from Redis TIME. A time in ms ONLY for tests
                         (see reserve-1.lua).

  Output:
    { tat, pauseEnd }: the new tat and the pause's end, whole µs, as text.

  The keys expire a second past the tat and the pause floor, as in reserve-2.lua: after that a
  pause can neither hold a permit back nor keep the tat up (release-3.lua).
]]
--- @include "now-us"
local limit = tonumber(ARGV[1])
local periodMs = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local durationMs = tonumber(ARGV[4])

local now = nowUs(ARGV[5])

local interval = math.ceil(periodMs * 1000 / limit)
local pauseEnd = math.max(
  tonumber(redis.call('GET', KEYS[2])) or 0,
  now + math.floor(durationMs * 1000 + 0.5)
)
local floor = pauseEnd + interval * (burst - 1)
local stored = tonumber(redis.call('GET', KEYS[1]))
local tat = math.max(stored or now, floor)

local text = string.format('%.0f', tat)
redis.call('SET', KEYS[1], text, 'PX', string.format('%.0f', math.ceil((tat - now) / 1000) + 1000))
local endText = string.format('%.0f', pauseEnd)
redis.call('SET', KEYS[2], endText, 'PX', string.format('%.0f', math.ceil((floor - now) / 1000) + 1000))
return { text, endText }
