--[[
  Reserves one permit on a key whose rate is learnt from the API, and folds in what this
  process learnt since its last call, atomically and in the same round trip: the answers that
  passed (additive increase, only while the key was busy, so an idle crawl does not inflate the
  rate) and the limit the API announced (a jump to it, times a safety factor). Then the GCRA of
  reserve-2.lua at the learnt rate.

  Input:
    KEYS[1]  the bucket (tat, whole µs, as text), as in reserve-2.lua
    KEYS[2]  the end of the key's latest pause, as in reserve-2.lua
    KEYS[3]  the learnt rate, a hash (see includes/adaptive-state.lua)

    ARGV[1]  burst        permits that may be granted back to back, >= 1
    ARGV[2]  successes    answers without a 429 since this process's last call on the key
    ARGV[3]  limit        the announced limit, or 0
    ARGV[4]  windowMs     the announced window, ms, or 0
    ARGV[5]  now          '' for Redis TIME; a time in ms ONLY for tests
    ARGV[6..13]           the adaptive config (includes/adaptive-state.lua)

  Output:
    { grantAt, wait, tat, pauseEnd, rate }: the first four as reserve-2.lua answers them, rate
    the learnt permits per second after this call, as text.
]]
--- @include "now-us"
--- @include "adaptive-state"
local burst = tonumber(ARGV[1])
local successes = tonumber(ARGV[2]) or 0
local limit = tonumber(ARGV[3]) or 0
local windowMs = tonumber(ARGV[4]) or 0
local now = nowUs(ARGV[5])
local cfg = readConfig(6)

local s = readState(KEYS[3], cfg)
local stored = tonumber(redis.call('GET', KEYS[1]))
local busy = stored ~= nil and stored >= now - math.ceil(1000000 / s.r)
announce(s, limit, windowMs, now, cfg)
if busy then grow(s, successes, now, cfg) end
writeState(KEYS[3], s)

local interval = math.ceil(1000000 / s.r)
local base = now
if stored ~= nil then base = math.max(stored, now) end
local grantAt = math.max(now, base - interval * (burst - 1))
local tat = base + interval

local text = string.format('%.0f', tat)
redis.call('SET', KEYS[1], text, 'PX', string.format('%.0f', math.ceil((tat - now) / 1000) + 1000))
local pauseEnd = redis.call('GET', KEYS[2]) or '0'
return { string.format('%.0f', grantAt), string.format('%.0f', grantAt - now), text, pauseEnd,
  string.format('%.4f', s.r) }
