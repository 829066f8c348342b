--[[
  Tells a key's learnt rate what the API answered, outside a reservation: a 429 (multiplicative
  decrease, once per cooldown) and, with it or alone, an announced limit. Rare (429s), so a
  round trip of its own; answers that passed travel with the next reservation instead.

  A cut waits out the permits already handed out at the old rate: 429s until the bucket's tat
  at the cut (plus the cooldown, for their answers to come back) cut no more, since those
  requests left at the rate already cut.

  Input:
    KEYS[1]  the learnt rate, a hash (see includes/adaptive-state.lua)
    KEYS[2]  the bucket, as in reserve-2.lua: its tat is when the permits handed out end

    ARGV[1]  throttled   1 for a 429, 0 otherwise
    ARGV[2]  limit       the announced limit, or 0
    ARGV[3]  windowMs    the announced window, ms, or 0
    ARGV[4]  now         '' for Redis TIME; a time in ms ONLY for tests
    ARGV[5..12]          the adaptive config (includes/adaptive-state.lua)

  Output:
    { rate, cut }: the learnt permits per second after this call, as text; cut 1 when this
    429 cut the rate, 0 when not.
]]
--- @include "now-us"
--- @include "adaptive-state"
local throttled = ARGV[1] == '1'
local limit = tonumber(ARGV[2]) or 0
local windowMs = tonumber(ARGV[3]) or 0
local now = nowUs(ARGV[4])
local cfg = readConfig(5)

local s = readState(KEYS[1], cfg)
announce(s, limit, windowMs, now, cfg)
local didCut = false
if throttled then
  local tat = tonumber(redis.call('GET', KEYS[2])) or now
  didCut = cut(s, now, math.max(now, tat), cfg)
end
writeState(KEYS[1], s)
return { string.format('%.4f', s.r), didCut and 1 or 0 }
