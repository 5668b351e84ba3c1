-- faults/missing_zone.lua - a TZ that names a zone missing from tzdata (fault
-- #40 of tests/faults/README.md). glibc then silently falls back to UTC, so a
-- job for "0 3 * * *" would fire at 03:00 UTC; luadock's cron refuses such a TZ
-- when an expression is parsed, naming TZ and the file it looked for. The
-- missing tzdata package is simulated with TZDIR pointing at an empty folder
-- (tzdata cannot be removed from a shared machine). Each case runs in a child
-- luadock with its own environment. No engine is used.

local T = require "testlib"
local F = require "_faultlib"

local empty = T.tmpdir()
local CODE = [[
local schedule = require "luadock.schedule"
io.write(schedule.next("0 3 * * *", 1700000000), "\n")
]]

local function child(env, code)
  return F.run_child(env, code or CODE, 20)
end

T.test("TZ=Nope/Zone: parsing a cron expression fails, naming TZ and the file", function()
  local out, ok = child { TZ = "Nope/Zone" }
  T.eq(ok, false, "the child failed: " .. out)
  T.ok(out:find("TZ=Nope/Zone names no time zone", 1, true), out)
  T.ok(out:find("/usr/share/zoneinfo/Nope/Zone", 1, true), out)
  T.ok(out:find("would silently be UTC", 1, true), out)
end)

T.test("tzdata missing (TZDIR empty): a real zone name fails the same way", function()
  local out, ok = child { TZ = "America/New_York", TZDIR = empty }
  T.eq(ok, false, out)
  T.ok(out:find("TZ=America/New_York names no time zone (no TZif file " .. empty
    .. "/America/New_York", 1, true), out)
end)

T.test("zones that exist, POSIX rules, :names, an empty TZ: accepted, right times", function()
  -- 1700000000 is 2023-11-14 22:13:20 UTC
  for _, case in ipairs {
    { "America/New_York", 1700035200 },          -- 03:00 EST = 08:00 UTC, Nov 15
    { ":America/New_York", 1700035200 },
    { "EST5EDT,M3.2.0,M11.1.0", 1700035200 },
    { "UTC", 1700017200 },                       -- 03:00 UTC, Nov 15
    { "", 1700017200 },
    { "JST-9", 1700071200 },                     -- 03:00 JST = 18:00 UTC, Nov 15
  } do
    local out, ok = child { TZ = case[1] }
    T.ok(ok, "TZ=" .. case[1] .. ": " .. out)
    T.eq(tonumber(out:match("%d+")), case[2], "TZ=" .. case[1])
  end
end)

T.test("@every needs no zone: accepted under a missing TZ", function()
  local out, ok = child({ TZ = "Nope/Zone" }, [[
local schedule = require "luadock.schedule"
io.write(schedule.next("@every 10m", 1700000000), "\n")
]])
  T.ok(ok, out)
  T.eq(tonumber(out:match("%d+")), 1700000600)
end)

T.done()
