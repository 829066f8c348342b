--[[
  Included by the limiter's scripts (`--- @include "now-us"`): `nowUs(override)` is the time in
  whole µs, from Redis TIME, so client clocks do not matter; `override` (ms, as text) is for
  tests only, which feed the same times to a script and to the in-memory limiter.
]]
local function nowUs(override)
  if override ~= nil and override ~= '' then
    return math.floor(tonumber(override) * 1000 + 0.5)
  end
  -- Redis 3.2 and 4 replicate scripts verbatim and refuse writes after TIME unless told to
  -- replicate effects; from Redis 5 that is the default and this is a no-op.
  if redis.replicate_commands then redis.replicate_commands() end
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000000 + tonumber(time[2])
end
