--[[
  Gives back a reserved permit that will not be used: `releaseSlot` in token-bucket.ts. Only the
  newest reservation on a key can be returned (its tat is still the stored one); an older one
  has later permits behind it, and returning it would let those run early.

    tat' = tat - interval      when the stored tat is the reservation's tat; else unchanged

  Input:
    KEYS[1]  the bucket; its value is the theoretical arrival time (tat), whole µs, as text

    ARGV[1]  limit        permits per period, a whole number >= 1
    ARGV[2]  periodMs     the period, ms
    ARGV[3]  reservedTat  the tat (µs) that reserve-1.lua returned with the permit
    ARGV[4]  now          '' to read the clock from Redis TIME. A time in ms ONLY for tests
                          (see reserve-1.lua).

  Output:
    1 when the permit was given back, 0 when it could not be (not the newest, or expired).
]]
--- @include "now-us"
local stored = tonumber(redis.call('GET', KEYS[1]))
if stored == nil or stored ~= tonumber(ARGV[3]) then return 0 end

local now = nowUs(ARGV[4])

local tat = stored - math.ceil(tonumber(ARGV[2]) * 1000 / tonumber(ARGV[1]))
local ttl = math.ceil((tat - now) / 1000) + 1000
if ttl > 0 then
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', string.format('%.0f', ttl))
else
  redis.call('DEL', KEYS[1])
end
return 1
