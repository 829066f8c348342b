--[[
  Reserves one permit on several buckets at once (an account's budget and an endpoint's, each
  with its rate), atomically: `reserveLayers` in token-bucket.ts, operation for operation, in
  whole µs, so Redis and the in-memory limiter agree exactly. With one layer it is reserve-2.lua.

    interval_i = ceil(periodMs_i * 1000 / limit_i)                    µs
    grantAt    = max(now, max over i of (max(tat_i, now) - interval_i * (burst_i - 1)))
    tat_i'     = max(tat_i, grantAt) + interval_i                     (tat_i = now when absent)

  Input (a variable number of keys: the caller passes their count first, as EVAL takes it):
    KEYS[2i-1]  layer i's bucket; its value is the theoretical arrival time (tat), whole µs, as text
    KEYS[2i]    the end of layer i's latest pause, whole µs, as text (pause-2.lua writes it)

    ARGV[1]       now         '' to read the clock from Redis TIME. A time in ms ONLY for tests
                              (see reserve-2.lua).
    ARGV[3i-1]    limit_i     permits per period, a whole number >= 1
    ARGV[3i]      periodMs_i  the period, ms
    ARGV[3i+1]    burst_i     permits that may be granted back to back, 1..limit_i

  Output:
    { grantAt, wait, tat_1, pauseEnd_1, tat_2, pauseEnd_2, … } in whole µs, as text; pauseEnd_i
    is '0' when layer i has no pause.

  Each bucket expires a second past its tat, as in reserve-2.lua. The keys of one call must live
  on one Redis node (in a cluster, give them one hash tag).
]]
--- @include "now-us"
local now = nowUs(ARGV[1])
local layers = #KEYS / 2

local stored = {}
local intervals = {}
local grantAt = now
for i = 1, layers do
  local limit = tonumber(ARGV[3 * i - 1])
  local periodMs = tonumber(ARGV[3 * i])
  local burst = tonumber(ARGV[3 * i + 1])
  local interval = math.ceil(periodMs * 1000 / limit)
  local tat = tonumber(redis.call('GET', KEYS[2 * i - 1])) or now
  grantAt = math.max(grantAt, math.max(tat, now) - interval * (burst - 1))
  stored[i] = tat
  intervals[i] = interval
end

local reply = { string.format('%.0f', grantAt), string.format('%.0f', grantAt - now) }
for i = 1, layers do
  local tat = math.max(stored[i], grantAt) + intervals[i]
  local text = string.format('%.0f', tat)
  redis.call('SET', KEYS[2 * i - 1], text, 'PX', string.format('%.0f', math.ceil((tat - now) / 1000) + 1000))
  reply[#reply + 1] = text
  reply[#reply + 1] = redis.call('GET', KEYS[2 * i]) or '0'
end
return reply
