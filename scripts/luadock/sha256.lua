-- luadock.sha256: SHA-256 (FIPS 180-4) of a Lua string as lowercase hex, in
-- pure Lua 5.4 integer arithmetic. luadock needs it for one thing: the docker
-- CLI stores a context under contexts/meta/<sha256 of its name>/, so a
-- context is found the way the CLI finds it (luadock.endpoint). It is slow
-- (pure Lua) and meant for short strings; it must not touch files or the engine.

local M = {}

local MASK = 0xffffffff

-- The first 32 bits of the fractional parts of the square roots (initial
-- hash) and cube roots (round constants) of the first primes, as the
-- standard defines them. A Newton step on the cube root removes pow's error.
local function primes(n)
  local out, k = {}, 2
  while #out < n do
    local prime = true
    for _, p in ipairs(out) do
      if p * p > k then break end
      if k % p == 0 then prime = false break end
    end
    if prime then out[#out + 1] = k end
    k = k + 1
  end
  return out
end

local function frac32(x)
  return math.floor((x - math.floor(x)) * 2^32) & MASK
end

local PRIMES = primes(64)
local H0, K = {}, {}
for i = 1, 8 do H0[i] = frac32(math.sqrt(PRIMES[i])) end
for i = 1, 64 do
  local p = PRIMES[i]
  local r = p ^ (1 / 3)
  r = r - (r * r * r - p) / (3 * r * r)
  K[i] = frac32(r)
end

local function rotr(x, n)
  return ((x >> n) | (x << (32 - n))) & MASK
end

-- sha256.hex(s) -> 64 lowercase hex digits
function M.hex(s)
  local len = #s
  s = s .. "\128" .. string.rep("\0", (55 - len) % 64) .. string.pack(">I8", len * 8)
  local h = { table.unpack(H0) }
  local w = {}
  for chunk = 1, #s, 64 do
    for i = 1, 16 do w[i] = string.unpack(">I4", s, chunk + (i - 1) * 4) end
    for i = 17, 64 do
      local x, y = w[i - 15], w[i - 2]
      local s0 = rotr(x, 7) ~ rotr(x, 18) ~ (x >> 3)
      local s1 = rotr(y, 17) ~ rotr(y, 19) ~ (y >> 10)
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) & MASK
    end
    local a, b, c, d, e, f, g, hh = table.unpack(h)
    for i = 1, 64 do
      local sum1 = rotr(e, 6) ~ rotr(e, 11) ~ rotr(e, 25)
      local choose = (e & f) ~ (~e & g & MASK)
      local t1 = (hh + sum1 + choose + K[i] + w[i]) & MASK
      local sum0 = rotr(a, 2) ~ rotr(a, 13) ~ rotr(a, 22)
      local majority = (a & b) ~ (a & c) ~ (b & c)
      local t2 = (sum0 + majority) & MASK
      hh, g, f, e, d, c, b, a = g, f, e, (d + t1) & MASK, c, b, a, (t1 + t2) & MASK
    end
    local v = { a, b, c, d, e, f, g, hh }
    for i = 1, 8 do h[i] = (h[i] + v[i]) & MASK end
  end
  return string.format(string.rep("%08x", 8), table.unpack(h))
end

return M
