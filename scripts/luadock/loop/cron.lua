--[[ luadock.loop.cron: cron expressions and "@every" intervals for luadock.schedule.
cron.parse(spec) checks a spec once and returns a schedule; sched:next(t) is the
epoch second of its next fire strictly after t, in local time (the process TZ,
through os.date only: glibc's mktime resolves ambiguous times differently
depending on its previous calls); cron.next(spec, t) does both; cron.every(seconds or
"1h30m") is a plain interval. Syntax: 5 fields (minute hour day-of-month month
day-of-week) or 6 with seconds first; * ? a-b a,b */n a-b/n a/n; JAN-DEC and
SUN-SAT in any case; weekday 7 is Sunday; when day-of-month and day-of-week are
both restricted (neither is * or ?) a day matching either fires (Vixie);
descriptors @yearly @annually @monthly @weekly @daily @midnight @hourly and
@every <duration> (next(t) = t + duration). This module is pure Lua: it must not
talk to the engine, run jobs or sleep; every search in it is bounded.

DST rule (Debian's Vixie cron, cron(8)): a job is "fixed-time" unless its minute
or its hour field begins with '*' (so "30 2 * * *" and @daily are fixed, while
"0 * * * *", @hourly and "*/15 3 * * *" are wildcard jobs).
 - Clock jumps forward (a gap, e.g. 02:00-03:00 missing): a fixed-time job whose
   wall time falls in the gap fires once, at the first second after the jump
   (03:00:00 on the new clock), even if several of its times fall in the gap.
 - Clock falls back (a fold, e.g. 01:00-02:00 twice): a fixed-time job fires
   only at the first occurrence of a repeated wall time.
 - Wildcard jobs ignore both rules and follow the wall clock: times in a gap do
   not happen (an hourly job goes 01:00 -> 03:00), and times in a fold happen
   twice (an hourly job fires at 01:00 before and at 01:00 after the change);
   "* * * * *" therefore fires every minute of real time.
Unlike Vixie cron the forward rule applies to jumps of any size. Offset changes
are found by probing os.date once a day of the searched range, so two changes
less than a day apart (none in tzdata since 1970) would be missed.
Room loop/: tasks and time (event loop, parallel, schedule, cron); knows no
Docker objects: what a job does with the engine is the job's own code.]]

local argcheck = require "luadock.base.argcheck"
local units = require "luadock.base.units"
local shell = require "luadock.base.shell"
argcheck.mark()

local M = {}

local DAY = 86400
local HORIZON_YEARS = 9          -- Feb 29 can be 8 years away (2096 -> 2104)
local MAX_SEGMENTS = 64          -- offset changes crossed by one search

local MONTHS = { jan = 1, feb = 2, mar = 3, apr = 4, may = 5, jun = 6,
                 jul = 7, aug = 8, sep = 9, oct = 10, nov = 11, dec = 12 }
local WEEKDAYS = { sun = 0, mon = 1, tue = 2, wed = 3, thu = 4, fri = 5, sat = 6 }

-- hi is the largest value a value may name; top is where * and a/n end
-- (weekday 7 is an alias of 0, so * stops at 6).
local FIELDS = {
  second = { lo = 0, hi = 59, top = 59 },
  minute = { lo = 0, hi = 59, top = 59 },
  hour = { lo = 0, hi = 23, top = 23 },
  ["day-of-month"] = { lo = 1, hi = 31, top = 31, q = true },
  month = { lo = 1, hi = 12, top = 12, names = MONTHS },
  ["day-of-week"] = { lo = 0, hi = 7, top = 6, q = true, names = WEEKDAYS },
}
local ORDER5 = { "minute", "hour", "day-of-month", "month", "day-of-week" }
local ORDER6 = { "second", "minute", "hour", "day-of-month", "month", "day-of-week" }

local DESCRIPTORS = {
  ["@yearly"] = "0 0 1 1 *", ["@annually"] = "0 0 1 1 *", ["@monthly"] = "0 0 1 * *",
  ["@weekly"] = "0 0 * * 0", ["@daily"] = "0 0 * * *", ["@midnight"] = "0 0 * * *",
  ["@hourly"] = "0 * * * *",
}

-- ---- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) ----

local days_from_civil = units.days_from_civil

local function civil_from_days(z)
  z = z + 719468
  local era = z // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  return yoe + era * 400 + (m <= 2 and 1 or 0), m, d
end

local MONTH_DAYS = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

-- "Wall seconds": the local calendar time of an instant counted as if it were
-- UTC, so that wall - epoch is the UTC offset in force at that instant.
local function wall_of(e)
  local tm = os.date("*t", e)
  return days_from_civil(tm.year, tm.month, tm.day) * DAY + tm.hour * 3600 + tm.min * 60 + tm.sec
end

local function offset(e)
  return wall_of(e) - e
end

-- The first second x in (a, b] whose offset differs from oa (the offset at a),
-- or nil: probes once a day, then bisects the day where it changed.
local function find_change(a, b, oa)
  local lo = a
  while lo < b do
    local hi = lo + DAY
    if hi > b then hi = b end
    if offset(hi) ~= oa then
      while hi - lo > 1 do
        local mid = (lo + hi) // 2
        if offset(mid) == oa then lo = mid else hi = mid end
      end
      return hi
    end
    lo = hi
  end
  return nil
end

-- ---- parsing ----

local function fail(fname, field, spec, msg)
  argcheck.argerror(fname, 1, field, msg .. " in " .. string.format("%q", spec))
end

local function parse_value(s, F, bad)
  if s:match("^%d+$") then
    local v = math.tointeger(tonumber(s))
    if not v or v < F.lo or v > F.hi then
      bad(string.format("%s is out of range %d-%d", s, F.lo, F.hi))
    end
    return v
  end
  local v = F.names and F.names[s:lower()]
  if v then return v end
  if s == "" then bad("empty value") end
  bad("'" .. s .. "' is not a number" .. (F.names and " or a name" or ""))
end

-- One field into a set (value -> true) and a "next value >= x" table.
-- any: the field is *, ? or */1 somewhere in its list (it covers everything).
local function parse_field(text, name, fname, spec)
  local F = FIELDS[name]
  local function bad(msg) fail(fname, name, spec, msg) end
  local set, any = {}, false
  if text:find(",,", 1, true) or text:find("^,") or text:find(",$") then
    bad("empty list item in '" .. text .. "'")
  end
  for item in text:gmatch("[^,]+") do
    local base, step = item:match("^([^/]*)/(.*)$")
    base = base or item
    if step then
      if not step:match("^%d+$") then bad("step '" .. step .. "' is not a whole number") end
      step = math.tointeger(tonumber(step))
      if not step or step == 0 then bad("step must be at least 1 in '" .. item .. "'") end
    end
    local lo, hi
    if base == "*" or base == "?" then
      if base == "?" and not F.q then bad("'?' is only allowed in day-of-month and day-of-week") end
      lo, hi = F.lo, F.top
      if not step or step == 1 then any = true end
    else
      local a, b = base:match("^([^-]*)%-(.*)$")
      if a then
        if a == "" or b == "" then bad("incomplete range '" .. base .. "'") end
        lo, hi = parse_value(a, F, bad), parse_value(b, F, bad)
        if lo > hi then bad(string.format("range '%s' starts after it ends", base)) end
      else
        lo = parse_value(base, F, bad)
        hi = (step and lo < F.top) and F.top or lo
      end
    end
    for v = lo, hi, step or 1 do set[(name == "day-of-week" and v == 7) and 0 or v] = true end
  end
  local nxt, up = {}, nil
  for v = F.top, F.lo, -1 do
    if set[v] then up = v end
    nxt[v] = up
  end
  return set, nxt, any
end

local Schedule = {}
Schedule.__index = Schedule
Schedule.__name = "luadock.cron"
function Schedule.__tostring(s)
  return "luadock.cron(" .. string.format("%q", s.spec) .. ")"
end

local UNITS = { d = DAY, h = 3600, m = 60, s = 1 }

-- Seconds from a Go-like duration ("1h30m10s", "90s", "5m", "6h", "1d",
-- "1.5h"); nil, message when invalid. A whole number of seconds, at least 1.
function M.duration(s)
  if type(s) ~= "string" then return nil, "duration string expected, got " .. type(s) end
  if s == "" then return nil, "empty duration" end
  local total, rest = 0, s
  while rest ~= "" do
    local num, unit, tail = rest:match("^(%d*%.?%d*)(%a*)(.*)$")
    if not num or not num:find("%d") then
      return nil, "invalid duration '" .. s .. "' (e.g. \"90s\", \"5m\", \"1h30m\", \"1d\")"
    end
    if unit == "" then
      return nil, "missing unit in duration '" .. s .. "' (d, h, m or s)"
    end
    if not UNITS[unit] then return nil, "unknown unit '" .. unit .. "' in duration '" .. s .. "'" end
    total, rest = total + tonumber(num) * UNITS[unit], tail
  end
  if total < 1 then return nil, "duration '" .. s .. "' is shorter than 1 second" end
  if total ~= math.floor(total) then return nil, "duration '" .. s .. "' is not whole seconds" end
  if total > 100 * 366 * DAY then return nil, "duration '" .. s .. "' is longer than 100 years" end
  return math.tointeger(total)
end

local function every_schedule(spec, seconds)
  return setmetatable({ spec = spec, every = seconds, fixed = false }, Schedule)
end

-- cron.every(seconds | "90s"): a schedule firing every that many seconds,
-- counted from the time given to next().
function M.every(v)
  local n, msg
  if type(v) == "number" then
    n = (v >= 1 and v == math.floor(v) and v <= 100 * 366 * DAY) and math.tointeger(v)
    msg = "whole number of seconds (at least 1) expected, got " .. tostring(v)
  elseif type(v) == "string" then
    n, msg = M.duration(v)
  else
    msg = "seconds or a duration string expected, got " .. type(v)
  end
  if not n then argcheck.argerror("every", 1, nil, msg) end
  return every_schedule("@every " .. n .. "s", n)
end

-- Whether a date can ever be chosen by the day-of-month and month fields
-- (the day-of-week field alone always can): a search of the 12 x 31 pairs.
local function can_fire(S)
  if S.dom_any or not S.dow_any then return true end
  for m = 1, 12 do
    if S.month[m] then
      for d = 1, MONTH_DAYS[m] do
        if S.dom[d] then return true end
      end
    end
  end
  return false
end

-- The process's TZ when it names a zone that does not exist (fault #40 of
-- tests/faults/README.md): glibc then silently uses UTC, and every wall-clock
-- job would fire at the wrong hour. TZ may be unset or empty (the system's
-- zone, UTC), a zone file name (":" optional; under TZDIR or
-- /usr/share/zoneinfo, or an absolute path), or a POSIX rule such as
-- "EST5EDT,M3.2.0,M11.1.0" (a name, then an offset with a digit).
local function missing_zone()
  local tz = os.getenv("TZ")
  if not tz or tz == "" then return nil end
  local name = tz:match("^:(.*)$") or tz
  local path = name:sub(1, 1) == "/" and name
    or ((os.getenv("TZDIR") or "/usr/share/zoneinfo") .. "/" .. name)
  local f = io.open(path, "rb")
  if f then
    local magic = f:read(4)
    f:close()
    if magic == "TZif" then return nil end
  end
  if not tz:match("^:") and (name:match("^%a%a%a+[+-]?%d") or name:match("^<[%w+-]+>[+-]?%d")) then
    return nil
  end
  return tz, path
end

-- cron.parse(spec) -> schedule; argument errors name the field and the value.
-- fname is the function named in errors ("cron" unless a wrapper says).
function M.parse(spec, fname)
  fname = fname or "cron"
  if type(spec) ~= "string" then
    argcheck.argerror(fname, 1, nil, "cron expression string expected, got " .. type(spec))
  end
  local text = shell.trim(spec)
  if text == "" then argcheck.argerror(fname, 1, nil, "empty cron expression") end
  if text:match("^CRON_TZ=") or text:match("^TZ=") then
    argcheck.argerror(fname, 1, nil, "per-expression time zones (" .. text:match("^[%u_]+=%S*")
      .. ") are not supported: set TZ for the whole process in " .. string.format("%q", spec))
  end
  if text:sub(1, 1) == "@" then
    local word, rest = text:match("^(@%a+)%s*(.*)$")
    word = word and word:lower()
    if word == "@every" then
      local n, msg = M.duration(rest)
      if not n then argcheck.argerror(fname, 1, nil, "@every: " .. msg) end
      return every_schedule(spec, n)
    end
  end
  local tz, path = missing_zone()   -- wall-clock expressions only: @every needs no zone
  if tz then
    error(string.format("%s: TZ=%s names no time zone (no TZif file %s: is tzdata installed?); "
      .. "the times of %q would silently be UTC", fname, tz, path, spec), 2)
  end
  if text:sub(1, 1) == "@" then
    local word, rest = text:match("^(@%a+)%s*(.*)$")
    word = word and word:lower()
    if not word or not DESCRIPTORS[word] or rest ~= "" then
      argcheck.argerror(fname, 1, nil, "unknown descriptor " .. string.format("%q", text)
        .. " (use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>)")
    end
    text = DESCRIPTORS[word]
  end
  local parts = {}
  for p in text:gmatch("%S+") do parts[#parts + 1] = p end
  if #parts ~= 5 and #parts ~= 6 then
    argcheck.argerror(fname, 1, nil, string.format(
      "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got %d in %q",
      #parts, spec))
  end
  local order = #parts == 6 and ORDER6 or ORDER5
  local S = setmetatable({ spec = spec }, Schedule)
  local sets, nexts, anys = {}, {}, {}
  for i, name in ipairs(order) do
    sets[name], nexts[name], anys[name] = parse_field(parts[i], name, fname, spec)
  end
  if #parts == 5 then sets.second, nexts.second = { [0] = true }, { [0] = 0 } end
  S.second, S.minute, S.hour = sets.second, sets.minute, sets.hour
  S.dom, S.month, S.dow = sets["day-of-month"], sets.month, sets["day-of-week"]
  S.ns, S.nm, S.nh = nexts.second, nexts.minute, nexts.hour
  S.dom_any, S.dow_any = anys["day-of-month"], anys["day-of-week"]
  local mtext, htext = parts[#parts - 4], parts[#parts - 3]
  S.fixed = mtext:sub(1, 1) ~= "*" and htext:sub(1, 1) ~= "*"
  if not can_fire(S) then
    fail(fname, "day-of-month", spec, "never fires (no month in the month field has such a day)")
  end
  return S
end

-- ---- searching ----

-- The first time of day (seconds) at or after h:m:s matching the second,
-- minute and hour fields, or nil.
local function time_of_day(S, h, m, s)
  while h <= 23 do
    local hh = S.nh[h]
    if not hh then return nil end
    if hh > h then m, s = 0, 0 end
    local mm = S.nm[m]
    if mm then
      if mm > m then s = 0 end
      local ss = S.ns[s]
      if ss then return hh * 3600 + mm * 60 + ss end
      h, m, s = hh, mm + 1, 0
      if m > 59 then h, m = hh + 1, 0 end
    else
      h, m, s = hh + 1, 0, 0
    end
  end
  return nil
end

local function day_matches(S, d, wday)
  if S.dom_any or S.dow_any then return S.dom[d] and S.dow[wday] end
  return S.dom[d] or S.dow[wday]
end

-- The first wall second in [from, limit] matching every field, or nil. At
-- most one pass per day (a month per pass when the month does not match).
local function next_wall(S, from, limit)
  local day, rem = from // DAY, from % DAY
  local h, m, s = rem // 3600, rem % 3600 // 60, rem % 60
  local last = limit // DAY
  while day <= last do
    local y, mo, d = civil_from_days(day)
    if not S.month[mo] then
      if mo == 12 then y, mo = y + 1, 1 else mo = mo + 1 end
      day = days_from_civil(y, mo, 1)
    else
      if day_matches(S, d, (day + 4) % 7) then      -- 1970-01-01 was a Thursday
        local tod = time_of_day(S, h, m, s)
        if tod then
          local w = day * DAY + tod
          return w <= limit and w or nil
        end
      end
      day = day + 1
    end
    h, m, s = 0, 0, 0
  end
  return nil
end

-- The next fire strictly after t (integer). Walks real time in stretches of
-- constant UTC offset: within one the wall clock is t + offset, so the next
-- matching wall time maps straight back; at each offset change the DST rule
-- of the header decides what the change does to fixed-time jobs.
local function next_fire(S, t)
  local a, o = t, offset(t)           -- search (a, ...]; offset o holds from a on
  local limit = t + o + HORIZON_YEARS * 366 * DAY
  local minwall = t + o + 1           -- fixed jobs never fire at a wall time below this
  if S.fixed then
    -- t may be in the second pass of a fold that began less than a day ago:
    -- the repeated wall times then already fired in the first pass.
    local x, ox = t - DAY, offset(t - DAY)
    for _ = 1, MAX_SEGMENTS do
      local T = find_change(x, t, ox)
      if not T then break end
      local oT = offset(T)
      if oT < ox and T + ox > minwall then minwall = T + ox end
      x, ox = T, oT
    end
  end
  for _ = 1, MAX_SEGMENTS do
    local from = a + 1 + o
    if S.fixed and minwall > from then from = minwall end
    local w = next_wall(S, from, limit)
    if not w then break end
    local fire = w - o
    local T = find_change(a, fire, o)
    if not T then return fire end
    local o2 = offset(T)
    -- Forward: wall times [T+o, T+o2) never happen. Backward: [T+o2, T+o)
    -- come again; a fixed job matching one of them at or above `from` would
    -- have fired before T, and minwall hides those below `from`.
    if o2 > o and S.fixed and next_wall(S, math.max(from, T + o), T + o2 - 1) then
      return T
    end
    a, o = T - 1, o2
  end
  argcheck.raise(string.format("cron: %q has no fire time within %d years after %s",
    S.spec, HORIZON_YEARS, os.date("%Y-%m-%d %H:%M:%S", t)))
end

local function check_time(fname, n, t)
  local it = type(t) == "number" and t == t and math.tointeger(math.floor(t))
  if not it or it < -(1 << 37) or it > (1 << 37) then    -- about years -2385 to 6325
    argcheck.argerror(fname, n, nil, "epoch seconds expected, got "
      .. (type(t) ~= "number" and type(t) or t ~= t and "NaN" or tostring(t)))
  end
  return it
end

-- sched:next(t) -> the epoch second (integer) of the next fire after t.
function Schedule:next(t)
  t = check_time("next", 1, t)
  if self.every then return t + self.every end
  return next_fire(self, t)
end

-- Parsed schedules by spec, for cron.next; cleared when it grows large.
local cache, cached = {}, 0

-- cron.next(spec, t) -> the next fire after t (parse + next).
function M.next(spec, t)
  local S = cache[spec]
  if not S then
    S = M.parse(spec, "next")
    if cached >= 256 then cache, cached = {}, 0 end
    cache[spec], cached = S, cached + 1
  end
  t = check_time("next", 2, t)
  if S.every then return t + S.every end
  return next_fire(S, t)
end

return M
