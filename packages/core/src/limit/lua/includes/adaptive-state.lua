--[[
  Included by the adaptive scripts (`--- @include "adaptive-state"`): the learnt rate of a key,
  kept in a hash beside its bucket, and the arithmetic that moves it (AIMD: additive increase
  while answers pass, multiplicative decrease on a 429). Fields, all numbers as text:

    r    the learnt rate, permits per second
    w    the rate at the latest 429 (0: none yet, the rate still doubles its way up)
    c    when the latest cut took effect, µs (Redis' clock): the end of the permits handed out
         before it
    a    the announced rate times the safety factor, permits per second (0: none)
    win  the window the API announced, ms (0: none)

  Config (ARGV, in this order, from `cfgStart`): initial, min, max (permits/s), safety,
  decrease, cooldownMs, probe (share of w per second), holdMs.
]]
local function readConfig(start)
  return {
    initial = tonumber(ARGV[start]),
    min = tonumber(ARGV[start + 1]),
    max = tonumber(ARGV[start + 2]),
    safety = tonumber(ARGV[start + 3]),
    decrease = tonumber(ARGV[start + 4]),
    cooldownUs = tonumber(ARGV[start + 5]) * 1000,
    probe = tonumber(ARGV[start + 6]),
    holdUs = tonumber(ARGV[start + 7]) * 1000,
  }
end

local function readState(key, cfg)
  local v = redis.call('HMGET', key, 'r', 'w', 'c', 'a', 'win')
  local r = tonumber(v[1])
  -- A stored rate outside the bounds (another config, a hand edit) is brought back in.
  if r == nil or r ~= r then r = cfg.initial end
  return {
    r = math.min(cfg.max, math.max(cfg.min, r)),
    w = tonumber(v[2]) or 0,
    c = tonumber(v[3]) or 0,
    a = tonumber(v[4]) or 0,
    win = tonumber(v[5]) or 0,
  }
end

local function writeState(key, s)
  redis.call('HSET', key, 'r', string.format('%.4f', s.r), 'w', string.format('%.4f', s.w),
    'c', string.format('%.0f', s.c), 'a', string.format('%.4f', s.a), 'win', string.format('%.0f', s.win))
  -- Learnt for a day: the next run on this key starts where this one left off.
  redis.call('PEXPIRE', key, 86400000)
end

-- The ceiling of the moment: the user's, and the announced rate when there is one.
local function capOf(s, cfg)
  if s.a > 0 then return math.min(cfg.max, s.a) end
  return cfg.max
end

-- `n` requests answered without a 429 while the key was busy (permits waited on the rate).
local function grow(s, n, now, cfg)
  if n <= 0 then return end
  local cap = capOf(s, cfg)
  for _ = 1, math.min(n, 1000) do
    local step
    if s.w == 0 and s.a == 0 then
      -- Nothing learnt yet: +0.25/s per answer, about x1.25 a second at full use (faster
      -- overshoots further, and the permits handed out at the overshoot all draw 429s).
      step = 0.25
    else
      -- The rate of the last 429 was past the limit: settle a tenth below it, then probe.
      local target = s.a > 0 and s.a or s.w * 0.9
      if s.r < target then
        -- Back towards the last good rate, half the gap a second, at least the probe's pace.
        step = math.max(0.5 * (target - s.r), cfg.probe * target) / s.r
      elseif s.a > 0 then
        step = 0
      else
        -- Past it: probe upwards, slowly at first, then faster the longer no 429 comes
        -- (CUBIC's idea): a limit that was raised is found again within a minute or so.
        local since = (now - s.c) / 10000000
        step = cfg.probe * s.w * math.min(400, math.max(1, since * since)) / s.r
      end
    end
    s.r = math.min(cap, s.r + step)
  end
end

-- A 429 at `now`: cut, unless within the cooldown after the last cut's `c` (those requests
-- left at the rate already cut). `horizon` is when the permits handed out so far end: the
-- cut's effect starts there, so the next cut may come a cooldown after it.
local function cut(s, now, horizon, cfg)
  if now < s.c + cfg.cooldownUs then return false end
  local factor = cfg.decrease
  if s.w == 0 and s.a == 0 then factor = 0.7 end
  s.w = s.r
  s.r = math.max(cfg.min, s.r * factor)
  s.c = horizon
  return true
end

-- The API announced `limit` per `windowMs` (0: not stated; the last stated window is kept).
local function announce(s, limit, windowMs, now, cfg)
  if windowMs > 0 then s.win = windowMs end
  if limit <= 0 or s.win <= 0 then return end
  s.a = math.max(cfg.min, math.min(cfg.max, limit * 1000 / s.win * cfg.safety))
  if now - s.c >= cfg.holdUs then
    s.r = s.a
  else
    -- Soon after a 429 the announcement is a ceiling only: climb back to it by answers.
    s.r = math.min(s.r, s.a)
  end
end
