--[[
  Claims task digests for a crawl: each one that no one has claimed yet is remembered, once.

  Digests live in hash buckets (small hashes, which Redis keeps as compact listpacks: ~18 bytes
  a digest), one HSETNX each, so that two crawls sharing the store never both claim a digest.

  KEYS[i]  the bucket of the i-th digest (a key may repeat)
  ARGV[i]  the i-th digest, 16 bytes

  Returns: for each digest, 1 when it was new (claimed now), 0 when claimed before.
]]
local claimed = {}
for index = 1, #KEYS do
  claimed[index] = redis.call('HSETNX', KEYS[index], ARGV[index], '')
end
return claimed
