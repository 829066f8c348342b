--[[
  Gives back a reserved permit that will not be used: `releaseSlot` in token-bucket.ts,
  operation for operation. The newest reservation goes back at once; an older one has later
  permits behind it, which keep their times, so its tat is kept in a sorted set and goes back
  once those have gone back too. Reservations cancelled together thus all go back, in any order.

    released = released without the tats <= now           (a tat in the past is worth now)
    if reservedTat == tat:
      tat' = tat - interval, then tat' - interval again while tat' > floor and tat' was released
      tat' = max(tat', floor)                             (a release does not shorten a pause)
    else if now < reservedTat < tat:
      add reservedTat to released

  where floor = pauseEnd + interval * (burst - 1), or 0 when the key has no pause.

  Input:
    KEYS[1]  the bucket; its value is the theoretical arrival time (tat), whole µs, as text
    KEYS[2]  the end of the key's latest pause, whole µs, as text (pause-2.lua writes it)
    KEYS[3]  a sorted set of the tats released out of order, scored by themselves

    ARGV[1]  limit        permits per period, a whole number >= 1
    ARGV[2]  periodMs     the period, ms
    ARGV[3]  burst        permits that may be granted back to back, 1..limit
    ARGV[4]  reservedTat  the tat (µs) that reserve-2.lua returned with the permit
    ARGV[5]  now          '' to read the clock from Redis TIME. A time in ms ONLY for tests
                          (see reserve-2.lua).

  Output:
    1 when the tat moved back, 0 when not (kept for later, or nothing to give back).

  The set expires with the bucket, a second past its tat; its tats are all below that tat.
]]
--- @include "now-us"
local stored = tonumber(redis.call('GET', KEYS[1]))
if stored == nil then return 0 end

local now = nowUs(ARGV[5])
local reserved = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', string.format('%.0f', now))

if reserved ~= stored then
  if reserved < stored and reserved > now then
    redis.call('ZADD', KEYS[3], ARGV[4], string.format('%.0f', reserved))
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
  end
  return 0
end

local interval = math.ceil(tonumber(ARGV[2]) * 1000 / tonumber(ARGV[1]))
local floor = 0
local pauseEnd = tonumber(redis.call('GET', KEYS[2]))
if pauseEnd ~= nil then floor = pauseEnd + interval * (tonumber(ARGV[3]) - 1) end

local tat = stored - interval
while tat > floor and redis.call('ZREM', KEYS[3], string.format('%.0f', tat)) == 1 do
  tat = tat - interval
end
tat = math.max(tat, floor)

local ttl = math.ceil((tat - now) / 1000) + 1000
if ttl > 0 then
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', string.format('%.0f', ttl))
else
  redis.call('DEL', KEYS[1])
end
return 1
