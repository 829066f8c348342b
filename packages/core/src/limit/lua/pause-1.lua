--[[
  Grants nothing on a key until now + durationMs, to every caller (the API answered 429 with
  Retry-After): `pauseSlot` in token-bucket.ts, operation for operation. The burst is not
  refilled by the pause.

    until = now + durationMs + interval * (burst - 1)
    tat'  = max(tat, until)                         (tat = now when the key is absent)

  Input:
    KEYS[1]  the bucket; its value is the theoretical arrival time (tat), ms, as text

    ARGV[1]  limit       permits per period, a whole number >= 1
    ARGV[2]  periodMs    the period, ms
    ARGV[3]  burst       permits that may be granted back to back, 1..limit
    ARGV[4]  durationMs  how long to grant nothing, ms, >= 0
    ARGV[5]  now         '' to read the clock from Redis TIME. A time in ms ONLY for tests
                         (see reserve-1.lua).

  Output:
    the new tat, as text ('%.17g').

  The key expires a second past its tat, as in reserve-1.lua.
]]
local limit = tonumber(ARGV[1])
local periodMs = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local durationMs = tonumber(ARGV[4])

local now
if ARGV[5] ~= nil and ARGV[5] ~= '' then
  now = tonumber(ARGV[5])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
end

local interval = periodMs / limit
local untilMs = now + durationMs + interval * (burst - 1)
local stored = tonumber(redis.call('GET', KEYS[1]))
local tat = math.max(stored or now, untilMs)

local text = string.format('%.17g', tat)
redis.call('SET', KEYS[1], text, 'PX', string.format('%d', math.ceil(tat - now) + 1000))
return text
