-- tests/lua/cron.lua — the cron engine of issue 5 (scripts/luadock/cron.lua),
-- no engine needed: parsing of every syntax form and of bad specs (errors name
-- the field), then per time zone, in child processes of the same host with TZ
-- set (a Lua process cannot change its own TZ; this file re-runs itself as
-- `TZ=… luadock cron.lua --child MODE`): UTC vectors, America/New_York DST
-- vectors (glibc facts), zones whose DST changes at
-- midnight, and a minute-by-minute brute-force matcher of hand-written specs
-- over all of 2026 that must agree with the chain of next() results (with
-- the documented DST rule modelled independently at transitions). Random
-- specs, thousands of them, are tests/lua/cron_property.lua's.
local T = require "testlib"
local cron = require "luadock.loop.cron"

local SELF = arg and arg[0]
local BIN = (os.getenv("LUADOCK_BINARY_DIR") and os.getenv("LUADOCK_BINARY_DIR") .. "/luadock")
  or arg[-1]
local CHILD = arg and arg[1] == "--child" and arg[2]

-- ---- shared helpers ------------------------------------------------------

-- luadock's own: the "days_from_civil" case below checks it against os.date
local days_from_civil = require("luadock.base.units").days_from_civil

-- Local calendar time of e counted as if it were UTC seconds.
local function wall(e)
  local tm = os.date("*t", e)
  return days_from_civil(tm.year, tm.month, tm.day) * 86400 + tm.hour * 3600 + tm.min * 60 + tm.sec
end

local function localtime(y, mo, d, h, mi)
  return os.time{ year = y, month = mo, day = d, hour = h or 0, min = mi or 0, sec = 0 }
end

-- The chain of fires of spec after `from`, n of them (or until >= stop).
local function chain(spec, from, n, stop)
  local s, out, t = cron.parse(spec), {}, from
  for _ = 1, n or 1e9 do
    t = s:next(t)
    if stop and t >= stop then break end
    out[#out + 1] = t
  end
  return out
end

local function fmt(e) return os.date("%Y-%m-%d %H:%M:%S %Z", e) .. " (" .. e .. ")" end

-- ---- checks run in a child with TZ set -------------------------------------

-- Walks every minute of [t0, t1) testing each spec's matcher against
-- os.date("*t"), then compares with the chain of next(). For fixed-time specs
-- the documented rule is modelled at each offset change found by the walk:
-- a gap adds one fire at its first second if any skipped wall minute
-- matches; a fold drops matches whose wall time was already seen.
local function brute_force(specs, t0, t1)
  local hits, changes, prev = {}, {}, wall(t0 - 60)
  for i = 1, #specs do hits[i] = {} end
  for m = t0, t1 - 1, 60 do
    local tm = os.date("*t", m)
    local w = wall(m)
    if w - prev ~= 60 then changes[#changes + 1] = { at = m, from = prev + 60, to = w } end
    for i, sp in ipairs(specs) do
      if sp.match(tm) then
        local h = hits[i]
        local seen = sp.fixed and changes[#changes] and changes[#changes].to < changes[#changes].from
          and w < changes[#changes].from and m >= changes[#changes].at
        if not seen then h[#h + 1] = m end
      end
    end
    prev = w
  end
  for i, sp in ipairs(specs) do
    local expect = hits[i]
    if sp.fixed then
      for _, c in ipairs(changes) do
        if c.to > c.from then
          local in_gap = false
          for w = c.from, c.to - 60, 60 do
            if sp.match(os.date("!*t", w)) then in_gap = true end
          end
          if in_gap then
            local j = 1
            while expect[j] and expect[j] < c.at do j = j + 1 end
            if expect[j] ~= c.at then table.insert(expect, j, c.at) end
          end
        end
      end
    end
    local got = chain(sp.spec, t0 - 1, nil, t1)
    T.eq(#got, #expect, sp.spec .. ": number of fires in the year")
    for j = 1, #expect do
      if got[j] ~= expect[j] then
        error(string.format("%s: fire #%d is %s, the matcher says %s", sp.spec, j,
          fmt(got[j]), fmt(expect[j])))
      end
    end
  end
  return changes
end

-- Each local date of the year has exactly one fire of a daily spec.
local function one_per_day(spec, y)
  local t0, t1 = localtime(y, 1, 1), localtime(y + 1, 1, 1)
  local got = chain(spec, t0 - 1, nil, t1)
  local ndays = days_from_civil(y + 1, 1, 1) - days_from_civil(y, 1, 1)
  T.eq(#got, ndays, spec .. ": fires in " .. y)
  for i, e in ipairs(got) do
    local tm = os.date("*t", e)
    T.eq(days_from_civil(tm.year, tm.month, tm.day) - days_from_civil(y, 1, 1), i - 1,
      spec .. ": fire #" .. i .. " at " .. fmt(e))
  end
end

local function check_zone()
  local tz = os.getenv("TZ") or ""
  local f = io.open("/usr/share/zoneinfo/" .. tz, "r")
  T.ok(f, "tzdata for " .. tz .. " is installed")
  f:close()
end

local children = {}

children.utc = function()
  T.test("UTC vectors", function()
    T.eq(os.date("%Z", 0), "UTC")
    local now = 1795848539                                    -- Sat 2026-11-28 06:48:59
    T.eq(chain("0 3 * * *", now, 2), { 1795921200, 1795921200 + 86400 })
    T.eq(chain("*/15 * * * *", now, 3), { 1795849200, 1795850100, 1795851000 })
    T.eq(chain("0 0 1 1 *", now, 2), { 1798761600, 1830297600 })
    T.eq(chain("0 12 * * MON-FRI", 1795784400, 2), { 1796040000, 1796126400 })  -- Fri 13:00
    T.eq(chain("30 15 10 * * *", now, 2), { 1795860930, 1795947330 })           -- 6 fields
    T.eq(chain("*/20 * * * * *", now, 3), { 1795848540, 1795848560, 1795848580 })
    T.eq(chain("@every 90s", now, 2), { now + 90, now + 180 })
    T.eq(cron.next("@every 1h30m10s", 100), 5510)
    T.eq(cron.next("0 3 * * *", now), 1795921200)
  end)

  T.test("UTC day-of-month / day-of-week rule", function()
    -- both restricted: either matches (Fri 4, 11, Sun 13, Fri 18 September)
    T.eq(chain("0 0 13 * FRI", 1788220800, 4), { 1788480000, 1789084800, 1789257600, 1789689600 })
    T.eq(chain("0 0 13 * 5", 1788220800, 4), chain("0 0 13 * fri", 1788220800, 4))
    -- one of them * or ?: only the other one counts
    T.eq(chain("0 0 * * FRI", 1788220800, 3), { 1788480000, 1789084800, 1789689600 })
    T.eq(chain("0 0 13 * ?", 1788220800, 2), { 1789257600, 1789257600 + 30 * 86400 })
    T.eq(chain("0 0 ? * 5", 1788220800, 1), { 1788480000 })
    -- */n is a restriction (as in robfig/cron), so the rule is OR again
    T.eq(chain("0 0 */10 * FRI", 1788220800, 4), { 1788480000, 1789084800, 1789689600, 1789689600 + 3 * 86400 })
    -- month ends and leap days
    T.eq(chain("0 0 31 * *", 1769817600, 2), { 1774915200, 1780185600 })
    T.eq(cron.next("0 0 29 2 *", 3981398400), 4233686400)    -- 2096-03-01 -> 2104-02-29
    T.eq(chain("0 0 1 1 *", 0, 60)[60], localtime(2030, 1, 1))
    -- every search is bounded: a schedule that cannot fire raises, quickly
    local never = cron.parse("0 0 1 1 *")
    never.month = {}
    local clock = os.clock()
    T.raises(function() never:next(0) end, "no fire time within 9 years after 1970%-01%-01")
    T.ok(os.clock() - clock < 2, "bounded search took " .. (os.clock() - clock) .. " s")
  end)

  T.test("UTC brute force over 2026", function()
    local changes = brute_force({
      { spec = "*/15 * * * *", match = function(tm) return tm.min % 15 == 0 end },
      { spec = "0 12 * * MON-FRI", fixed = true,
        match = function(tm) return tm.min == 0 and tm.hour == 12 and tm.wday >= 2 and tm.wday <= 6 end },
      { spec = "0 0 13 * FRI", fixed = true,
        match = function(tm) return tm.min == 0 and tm.hour == 0 and (tm.day == 13 or tm.wday == 6) end },
      { spec = "30 2 * * *", fixed = true,
        match = function(tm) return tm.min == 30 and tm.hour == 2 end },
    }, localtime(2026, 1, 1), localtime(2027, 1, 1))
    T.eq(#changes, 0, "no offset changes in UTC")
  end)
end

children.ny = function()
  check_zone()
  T.test("New York: glibc facts", function()
    T.eq(os.time{ year = 2026, month = 3, day = 8, hour = 2, min = 30 }, 1772955000)  -- gap: 03:30 EDT
    T.eq(os.time{ year = 2026, month = 11, day = 1, hour = 1, min = 30, isdst = true }, 1793511000)
    T.eq(os.time{ year = 2026, month = 11, day = 1, hour = 1, min = 30, isdst = false }, 1793514600)
    -- With isdst unset the ambiguous 01:30 is EDT in a fresh process but EST
    -- after the calls above (glibc's mktime keeps its last offset as the next
    -- guess), so cron.lua never uses mktime: its answers cannot depend on that.
    local first = os.time{ year = 2026, month = 11, day = 1, hour = 1, min = 30 }
    T.ok(first == 1793511000 or first == 1793514600)
    T.eq(cron.next("30 1 * * *", 1793505600), 1793511000)
    os.time{ year = 2026, month = 7, day = 1 }
    T.eq(cron.next("30 1 * * *", 1793505600), 1793511000)
  end)

  T.test("New York: spring forward, fixed-time jobs run right after the jump", function()
    local mar7 = localtime(2026, 3, 7, 12)
    T.eq(chain("30 2 * * *", mar7, 2), { 1772953200, 1773037800 })   -- 03:00 EDT, Mar 9 02:30
    T.eq(cron.next("30 2 * * *", 1772953200 - 1), 1772953200)        -- from 01:59:59 EST
    T.eq(cron.next("30 2 * * *", 1772953200), 1773037800)
    T.eq(chain("0 2 * * *", mar7, 1), { 1772953200 })
    T.eq(chain("0,30 2 * * *", mar7, 2), { 1772953200, 1773036000 }) -- once, not twice
    T.eq(chain("0 2,3 * * *", mar7, 2), { 1772953200, 1773036000 })  -- 02:00 and 03:00 coincide
    T.eq(chain("@daily", mar7, 2), { 1772946000, 1772946000 + 86400 - 3600 })
    T.eq(cron.next("0 0 29 2 *", localtime(2096, 3, 1)), localtime(2104, 2, 29))
  end)

  T.test("New York: spring forward, wildcard jobs follow the wall clock", function()
    T.eq(chain("0 * * * *", 1772946000 - 1, 4), { 1772946000, 1772949600, 1772953200, 1772956800 })
    T.eq(chain("@hourly", 1772946000 - 1, 4), { 1772946000, 1772949600, 1772953200, 1772956800 })
    T.eq(chain("30 * * * *", 1772949600, 2), { 1772951400, 1772955000 }) -- 01:30 EST, 03:30 EDT
    T.eq(cron.next("*/15 2 * * *", 1772946000), 1773036000)             -- no 02:xx on Mar 8
    local c = chain("* * * * *", 1772946000, 300)
    for i = 2, #c do T.eq(c[i] - c[i - 1], 60, "every minute of real time") end
  end)

  T.test("New York: fall back, fixed-time jobs run at the first occurrence only", function()
    local oct31 = localtime(2026, 10, 31, 12)
    T.eq(chain("30 1 * * *", oct31, 2), { 1793511000, 1793601000 })   -- 01:30 EDT, Nov 2
    T.eq(cron.next("30 1 * * *", 1793513400), 1793601000)            -- from 01:10 EST
    T.eq(cron.next("30 1 * * *", 1793509200), 1793511000)            -- from 01:00 EDT
    T.eq(chain("0 1 * * *", 1793505600, 2), { 1793509200, 1793599200 })
    T.eq(chain("*/20 30 1 * * *", 1793505600, 4),
      { 1793511000, 1793511020, 1793511040, 1793601000 })
  end)

  T.test("New York: fall back, wildcard jobs run in both passes", function()
    T.eq(chain("0 * * * *", 1793505600 - 1, 4), { 1793505600, 1793509200, 1793512800, 1793516400 })
    T.eq(chain("30 * * * *", 1793505600, 3), { 1793507400, 1793511000, 1793514600 })
    local c = chain("* * * * *", 1793509200, 300)
    for i = 2, #c do T.eq(c[i] - c[i - 1], 60, "every minute of real time") end
  end)

  T.test("New York: one fire per day for daily jobs in 2026", function()
    one_per_day("0 0 * * *", 2026)
    one_per_day("30 2 * * *", 2026)
    one_per_day("30 1 * * *", 2026)
  end)

  T.test("New York: brute force over 2026", function()
    local changes = brute_force({
      { spec = "*/15 * * * *", match = function(tm) return tm.min % 15 == 0 end },
      { spec = "0 * * * *", match = function(tm) return tm.min == 0 end },
      { spec = "30 1 * * *", fixed = true, match = function(tm) return tm.min == 30 and tm.hour == 1 end },
      { spec = "30 2 * * *", fixed = true, match = function(tm) return tm.min == 30 and tm.hour == 2 end },
      { spec = "0 12 * * MON-FRI", fixed = true,
        match = function(tm) return tm.min == 0 and tm.hour == 12 and tm.wday >= 2 and tm.wday <= 6 end },
    }, localtime(2026, 1, 1), localtime(2027, 1, 1))
    T.eq(#changes, 2, "two offset changes in 2026")
    T.eq(changes[1].at, 1772953200)
    T.eq(changes[2].at, 1793512800)
  end)
end

-- Zones whose clocks change at midnight (and Lisbon, which changes at 01:00
-- UTC in current tzdata). gap: daily job on the day 00:00 (or the time) is
-- missing; fold: a fixed job in the repeated hour.
local ZONES = {
  ["America/Santiago"] = { year = 2026, gap = { "0 0 * * *", 1788580800 - 1, { 1788580800, 1788667200, 1788750000 } },
    fold = { "30 23 * * *", 1775314800, { 1775356200, 1775446200 } }, hourly = 1788660000 },
  ["Africa/Cairo"] = { year = 2026, gap = { "0 0 * * *", 1776895200 - 1, { 1776895200, 1776981600, 1777064400 } },
    fold = { "30 23 * * *", 1793264400, { 1793305800, 1793395800 } }, hourly = 1776978000 - 3600 },
  ["America/Sao_Paulo"] = { year = 2018, gap = { "0 0 * * *", 1541214000 - 1, { 1541214000, 1541300400, 1541383200 } },
    fold = { "30 23 * * *", 1518876000, { 1518917400, 1519007400 } }, hourly = 1541296800 - 3600 },
  ["Asia/Beirut"] = { year = 2026, gap = { "0 0 * * *", 1774648800 - 1, { 1774648800, 1774735200, 1774818000 } },
    fold = { "30 23 * * *", 1792832400, { 1792873800, 1792963800 } }, hourly = 1774731600 - 3600 },
  ["Europe/Lisbon"] = { year = 2026, gap = { "30 1 * * *", 1774661400 - 1, { 1774661400, 1774746000, 1774830600 } },
    fold = { "30 1 * * *", 1792839600, { 1792888200, 1792978200 } }, hourly = 1774742400 - 7200 },
}

children.zone = function()
  check_zone()
  local tz = os.getenv("TZ")
  local z = assert(ZONES[tz], "no vectors for " .. tostring(tz))
  T.test(tz .. ": the missing time runs right after the jump, no day skipped", function()
    T.eq(chain(z.gap[1], z.gap[2], #z.gap[3]), z.gap[3])
    one_per_day("0 0 * * *", z.year)
    one_per_day("@midnight", z.year)
    one_per_day(z.gap[1], z.year)
  end)
  T.test(tz .. ": the repeated time runs once", function()
    T.eq(chain(z.fold[1], z.fold[2], #z.fold[3]), z.fold[3])
    one_per_day(z.fold[1], z.year)
  end)
  T.test(tz .. ": hourly and every-minute jobs across the change", function()
    local c = chain("0 * * * *", z.hourly, 6)
    for i = 2, #c do
      T.ok(c[i] - c[i - 1] == 3600 or c[i] - c[i - 1] == 7200, "hourly step " .. fmt(c[i]))
      T.eq(os.date("*t", c[i]).min, 0)
    end
    local m = chain("* * * * *", z.hourly, 300)
    for i = 2, #m do T.eq(m[i] - m[i - 1], 60, "every minute of real time") end
  end)
end

if CHILD then
  assert(children[CHILD], "unknown child mode " .. tostring(CHILD))()
  T.done()
end

-- ---- parsing (no time zone involved) ---------------------------------------

local function values(set, lo, hi)
  local out = {}
  for v = lo, hi do if set[v] then out[#out + 1] = v end end
  return out
end

local function range(a, b, step)
  local out = {}
  for v = a, b, step or 1 do out[#out + 1] = v end
  return out
end

T.test("days_from_civil: the day os.date gives for each day of 1900-2200", function()
  for day = days_from_civil(1900, 1, 1), days_from_civil(2200, 12, 31), 1 do
    local tm = os.date("!*t", day * 86400)
    if days_from_civil(tm.year, tm.month, tm.day) ~= day then
      T.eq(days_from_civil(tm.year, tm.month, tm.day), day, os.date("!%F", day * 86400))
    end
  end
end)

T.test("parse: every syntax form", function()
  local s = cron.parse("*/15 0-6/2 1,15,31 * *")
  T.eq(values(s.minute, 0, 59), { 0, 15, 30, 45 })
  T.eq(values(s.hour, 0, 23), { 0, 2, 4, 6 })
  T.eq(values(s.dom, 1, 31), { 1, 15, 31 })
  T.eq(values(s.month, 1, 12), range(1, 12))
  T.eq(values(s.dow, 0, 6), range(0, 6))
  T.eq(values(s.second, 0, 59), { 0 })
  s = cron.parse("  5/20   9-17 ? JAN-MAR/2 MON-FRI ")
  T.eq(values(s.minute, 0, 59), { 5, 25, 45 })
  T.eq(values(s.hour, 0, 23), range(9, 17))
  T.eq(values(s.dom, 1, 31), range(1, 31))
  T.eq(values(s.month, 1, 12), { 1, 3 })
  T.eq(values(s.dow, 0, 6), range(1, 5))
  s = cron.parse("0 0 * jan,Jun,dec sun,Sat")
  T.eq(values(s.month, 1, 12), { 1, 6, 12 })
  T.eq(values(s.dow, 0, 6), { 0, 6 })
  T.eq(values(cron.parse("0 0 * * 7").dow, 0, 6), { 0 })
  T.eq(values(cron.parse("0 0 * * 5-7").dow, 0, 6), { 0, 5, 6 })
  T.eq(values(cron.parse("0 0 * * */2").dow, 0, 6), { 0, 2, 4, 6 })
  T.eq(values(cron.parse("0 0 * * SAT-7").dow, 0, 6), { 0, 6 })
  s = cron.parse("*/20 30 1 * * *")                       -- 6 fields: seconds first
  T.eq(values(s.second, 0, 59), { 0, 20, 40 })
  T.eq(values(s.minute, 0, 59), { 30 })
  T.eq(values(s.hour, 0, 23), { 1 })
  T.eq(values(cron.parse("0 0 0 * * *").second, 0, 59), { 0 })
  T.eq(values(cron.parse("0 07 * * *").hour, 0, 23), { 7 })
end)

T.test("parse: descriptors", function()
  local same = {
    ["@yearly"] = "0 0 1 1 *", ["@annually"] = "0 0 1 1 *", ["@monthly"] = "0 0 1 * *",
    ["@weekly"] = "0 0 * * 0", ["@daily"] = "0 0 * * *", ["@midnight"] = "0 0 * * *",
    ["@hourly"] = "0 * * * *", ["@Daily"] = "0 0 * * *",
  }
  for d, spec in pairs(same) do
    local a, b = cron.parse(d), cron.parse(spec)
    for _, f in ipairs{ "second", "minute", "hour", "dom", "month", "dow", "fixed", "dom_any", "dow_any" } do
      T.eq(a[f], b[f], d .. " " .. f)
    end
    T.eq(a.spec, d)
  end
  for text, secs in pairs{ ["1h30m10s"] = 5410, ["90s"] = 90, ["5m"] = 300, ["6h"] = 21600,
                           ["1d"] = 86400, ["1.5h"] = 5400, ["2d12h"] = 216000 } do
    T.eq(cron.parse("@every " .. text).every, secs, text)
    T.eq(cron.parse("@every " .. text):next(1000), 1000 + secs, text)
    T.eq(cron.every(text).every, secs, text)
    T.eq(cron.duration(text), secs, text)
  end
  T.eq(cron.every(90):next(1000), 1090)
  T.eq(cron.every(90.0):next(1000.7), 1090)       -- fractions of t are dropped
  T.eq(tostring(cron.parse("0 3 * * *")), 'luadock.cron("0 3 * * *")')
  T.eq(cron.next("@every 5m", 0), 300)
end)

T.test("parse: fixed-time and wildcard jobs (the DST rule)", function()
  for spec, fixed in pairs{ ["30 2 * * *"] = true, ["@daily"] = true, ["@weekly"] = true,
      ["0 0-23 * * *"] = true, ["* 30 2 * * *"] = true, ["0 * * * *"] = false, ["@hourly"] = false,
      ["*/15 3 * * *"] = false, ["* * * * *"] = false, ["0 */2 * * *"] = false,
      ["@every 1h"] = false } do
    T.eq(cron.parse(spec).fixed, fixed, spec)
  end
end)

T.test("parse: bad specs name the field and the value", function()
  local bad = {
    { "61 * * * *", "field 'minute': 61 is out of range 0%-59" },
    { "* 24 * * *", "field 'hour': 24 is out of range 0%-23" },
    { "* * 0 * *", "field 'day%-of%-month': 0 is out of range 1%-31" },
    { "* * 32 * *", "field 'day%-of%-month': 32" },
    { "* * * 13 *", "field 'month': 13 is out of range 1%-12" },
    { "* * * * 8", "field 'day%-of%-week': 8 is out of range 0%-7" },
    { "60 * * * * *", "field 'second': 60 is out of range 0%-59" },
    { "*/0 * * * *", "field 'minute': step must be at least 1" },
    { "0 1-5/0 * * *", "field 'hour': step must be at least 1" },
    { "5-1 * * * *", "field 'minute': range '5%-1' starts after it ends" },
    { "0 0 * * FRI-SUN", "field 'day%-of%-week': range 'FRI%-SUN' starts after it ends" },
    { "0 0 * FOO *", "field 'month': 'FOO' is not a number or a name" },
    { "0 0 * JAN-FOO *", "field 'month': 'FOO'" },
    { "0 0 * * L", "field 'day%-of%-week': 'L' is not a number or a name" },
    { "0 0 * * 1#2", "field 'day%-of%-week': '1#2'" },
    { "MON * * * *", "field 'minute': 'MON' is not a number" },
    { "1.5 * * * *", "field 'minute': '1%.5' is not a number" },
    { "-1 * * * *", "field 'minute': incomplete range '%-1'" },
    { "1,,2 * * * *", "field 'minute': empty list item" },
    { "1, * * * *", "field 'minute': empty list item" },
    { "? * * * *", "field 'minute': '%?' is only allowed in day%-of%-month and day%-of%-week" },
    { "0 ? * * *", "field 'hour': '%?'" },
    { "0 0 ? ? *", "field 'month': '%?'" },
    { "*/x * * * *", "field 'minute': step 'x' is not a whole number" },
    { "0 0 30 2 *", "field 'day%-of%-month': never fires" },
    { "0 0 31 4,6,9,11 *", "never fires" },
    { "0 0 0 30 FEB ?", "never fires" },
    { "99999999999999999999999 * * * *", "field 'minute': 99999999999999999999999 is out of range" },
    { "* * * *", "expected 5 fields .* got 4" },
    { "* * * * * * *", "got 7" },
    { "", "empty cron expression" },
    { "   ", "empty cron expression" },
    { "@foo", "unknown descriptor \"@foo\"" },
    { "@reboot", "unknown descriptor \"@reboot\"" },
    { "@daily 5", "unknown descriptor" },
    { "@every", "@every: empty duration" },
    { "@every 90", "@every: missing unit" },
    { "@every 5x", "@every: unknown unit 'x'" },
    { "@every 500ms", "@every: unknown unit 'ms'" },
    { "@every 0s", "@every: duration '0s' is shorter than 1 second" },
    { "@every 1.5s", "not whole seconds" },
    { "@every -5m", "@every: invalid duration" },
    { "CRON_TZ=Asia/Tokyo 0 3 * * *", "CRON_TZ=Asia/Tokyo%) are not supported" },
  }
  for _, case in ipairs(bad) do
    local err = T.raises(function() cron.parse(case[1]) end, case[2])
    T.ok(tostring(err):find(": bad argument #1 to 'cron' %("), err)
  end
  T.ok(#bad >= 12)
  T.raises(function() cron.parse(nil) end, ": bad argument #1 to 'cron' %(cron expression string expected, got nil%)")
  T.raises(function() cron.parse({}) end, "string expected, got table")
  T.raises(function() cron.next("61 * * * *", 0) end, ": bad argument #1 to 'next' %(field 'minute'")
  T.raises(function() cron.next("0 3 * * *") end, ": bad argument #2 to 'next' %(epoch seconds expected, got nil%)")
  T.raises(function() cron.next("0 3 * * *", 0 / 0) end, "got NaN")
  T.raises(function() cron.next("0 3 * * *", math.huge) end, "epoch seconds expected")
  T.raises(function() cron.next("0 3 * * *", 1 << 40) end, "epoch seconds expected, got 1099511627776")
  T.raises(function() cron.parse("0 3 * * *"):next("soon") end, ": bad argument #1 to 'next' %(epoch seconds expected, got string%)")
  T.raises(function() cron.every(0) end, ": bad argument #1 to 'every' %(whole number of seconds")
  T.raises(function() cron.every(1.5) end, "whole number of seconds")
  T.raises(function() cron.every("90") end, "missing unit")
  T.raises(function() cron.every(true) end, "seconds or a duration string expected, got boolean")
  -- the error points at the caller, not inside luadock
  local line
  local err = T.raises(function()
    line = debug.getinfo(1, "l").currentline; cron.parse("61 * * * *")
  end)
  T.ok(tostring(err):find(":" .. line .. ": bad argument #1 to 'cron' (", 1, true),
    "the position is the caller's: " .. tostring(err))
end)

-- ---- the same tests under several time zones, in child processes ----------

local function run_child(tz, mode)
  local cmd = "TZ=" .. T.q(tz) .. " " .. T.q(BIN) .. " " .. T.q(SELF) .. " --child " .. mode .. " 2>&1"
  local start = os.time()
  local out, ok = T.sh(cmd)
  io.stdout:write((out:gsub("[^\n]+", "    %0")))
  T.ok(ok and out:find(", 0 failed\n$"), "TZ=" .. tz .. " child failed")
  io.stdout:write(string.format("    # TZ=%s: %d s\n", tz, os.time() - start))
end

T.test("TZ=UTC", function() run_child("UTC", "utc") end)
T.test("TZ=America/New_York", function() run_child("America/New_York", "ny") end)
for _, tz in ipairs{ "America/Santiago", "Africa/Cairo", "America/Sao_Paulo", "Asia/Beirut", "Europe/Lisbon" } do
  T.test("TZ=" .. tz, function() run_child(tz, "zone") end)
end

T.done()
