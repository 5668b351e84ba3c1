-- tests/lua/cron_property.lua — a property test of luadock.loop.cron (issue
-- 12): for thousands of random specs from a fixed seed (lists, ranges, steps,
-- names in any case, weekday 7, "?", both day-of-month/day-of-week rules,
-- 6-field specs with seconds), each parse must give the sets the spec means
-- and sched:next(t) must be the fire a brute-force walk finds: a walk of
-- real time from t + 1 that takes the local calendar of each minute from
-- os.date and checks it, then each of its seconds, against the spec's
-- meaning (worked out here from the text, not read from cron.lua), with the
-- documented DST rule (cron.lua's header) applied at the offset changes the
-- walk meets. Start times are random, and next to each DST change of the
-- zone in 2024-2030. Each zone runs in a child process with TZ set (a Lua
-- process cannot change its own TZ): UTC, America/New_York, Europe/Lisbon
-- and Australia/Lord_Howe (a 30-minute change). No engine is needed.
-- tests/lua/cron.lua holds the hand-written vectors; this file the search.
local T = require "testlib"
local cron = require "luadock.loop.cron"

local SELF = arg and arg[0]
local BIN = (os.getenv("LUADOCK_BINARY_DIR") and os.getenv("LUADOCK_BINARY_DIR") .. "/luadock")
  or arg[-1]
local CHILD = arg and arg[1] == "--child"

local DAY = 86400
local ZONES = { "UTC", "America/New_York", "Europe/Lisbon", "Australia/Lord_Howe" }
local SPECS = tonumber(os.getenv("LUADOCK_CRON_SPECS") or "") or 1000   -- per zone
local WINDOW = 400 * DAY      -- the walk's reach; next() must lie beyond when it finds nothing
local CHAIN = 2               -- fires compared from each start time

-- ---- time ------------------------------------------------------------------

-- luadock's own (tests/lua/cron.lua checks it against os.date)
local days_from_civil = require("luadock.base.units").days_from_civil

-- local calendar of epoch second e, and its "wall" seconds (that calendar
-- time counted as if it were UTC)
local function at(e)
  local tm = os.date("*t", e)
  return tm, days_from_civil(tm.year, tm.month, tm.day) * DAY + tm.hour * 3600 + tm.min * 60 + tm.sec
end

local function offset(e)
  local _, w = at(e)
  return w - e
end

local function fmt(e) return os.date("%Y-%m-%d %H:%M:%S %Z", e) .. " (" .. e .. ")" end

-- Every offset change in [t0, t1): probes a day apart, then bisects.
local function changes(t0, t1)
  local out, lo, o = {}, t0, offset(t0)
  while lo < t1 do
    local hi = lo + DAY
    if offset(hi) ~= o then
      while hi - lo > 1 do
        local mid = (lo + hi) // 2
        if offset(mid) == o then lo = mid else hi = mid end
      end
      out[#out + 1] = hi
      o = offset(hi)
    end
    lo = hi
  end
  return out
end

-- ---- random specs and what they mean ---------------------------------------------

-- A fixed-seed linear congruential generator: r(n) is 0..n-1.
local function rng(seed)
  local s = seed
  return function(n)
    s = (s * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
    return (s >> 33) % n
  end
end

-- hi: the largest value a field may name (weekday 7 is Sunday); top: where
-- * and a/n end
local FIELDS = {
  { name = "second", lo = 0, hi = 59, top = 59 },
  { name = "minute", lo = 0, hi = 59, top = 59 },
  { name = "hour", lo = 0, hi = 23, top = 23 },
  { name = "dom", lo = 1, hi = 31, top = 31, q = true },
  { name = "month", lo = 1, hi = 12, top = 12,
    names = { "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec" } },
  { name = "dow", lo = 0, hi = 7, top = 6, q = true,
    names = { [0] = "sun", "mon", "tue", "wed", "thu", "fri", "sat" } },
}
local MONTH_DAYS = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function any_case(r, s)
  local c = r(3)
  if c == 0 then return s:upper() end
  if c == 1 then return s end
  return s:sub(1, 1):upper() .. s:sub(2)
end

-- how value v may be written: a number (sometimes with a leading 0) or a name
local function text_of(r, F, v)
  if F.names and F.names[v] and r(3) == 0 then return any_case(r, F.names[v]) end
  if v < 10 and r(8) == 0 then return "0" .. v end
  return tostring(v)
end

-- Hours around the DST changes of the zones here (02:00 gaps and 01:00
-- folds; Lisbon's at 01:00 and 02:00; Lord Howe's 02:00-02:30, 01:30-02:00).
local NEAR_CHANGE_HOURS = { 1, 2, 1, 2, 0, 3 }

-- One list item: its text, the values it adds, and whether it covers all.
-- bias: an hour around a DST change; any other field mostly "*".
local function random_item(r, F, bias)
  local function pick()
    if bias and F.name == "hour" then return NEAR_CHANGE_HOURS[1 + r(#NEAR_CHANGE_HOURS)] end
    return F.lo + r(F.hi - F.lo + 1)
  end
  local function steps(a, b, n)
    local vals = {}
    for v = a, b, n do vals[#vals + 1] = v end
    return vals
  end
  local c = r(12)
  if bias and F.name ~= "hour" and F.name ~= "minute" and F.name ~= "second" and r(3) > 0 then c = 0 end
  if bias and F.name == "hour" and c <= 2 then c = 3 end
  if c == 0 or (c == 1 and not F.q) then
    return "*", steps(F.lo, F.top, 1), true
  elseif c == 1 then
    return "?", steps(F.lo, F.top, 1), true
  elseif c == 2 then
    local n = 1 + r(F.top - F.lo + 2)
    return "*/" .. n, steps(F.lo, F.top, n), n == 1
  elseif c <= 5 then
    local v = pick()
    return text_of(r, F, v), { v }, false
  elseif c <= 8 then
    local a, b = pick(), pick()
    if a > b then a, b = b, a end
    if r(3) == 0 then
      local n = 1 + r(10)
      return text_of(r, F, a) .. "-" .. text_of(r, F, b) .. "/" .. n, steps(a, b, n), false
    end
    return text_of(r, F, a) .. "-" .. text_of(r, F, b), steps(a, b, 1), false
  else
    local a, n = pick(), 1 + r(10)
    return text_of(r, F, a) .. "/" .. n, steps(a, a < F.top and F.top or a, n), false
  end
end

-- A field: 1 to 3 items joined by commas.
local function random_field(r, F, bias)
  local texts, set, any = {}, {}, false
  for i = 1, (r(10) < 7 and 1 or 2 + r(2)) do
    local text, vals, all = random_item(r, F, bias)
    texts[i] = text
    for _, v in ipairs(vals) do set[(F.name == "dow" and v == 7) and 0 or v] = true end
    any = any or all
  end
  return table.concat(texts, ","), set, any
end

-- A random spec and its meaning: the sets, the day rule, fixed or wildcard.
-- A biased spec (bias true) fires around DST changes more often.
local function random_spec(r, bias)
  local m = { six = r(4) == 0, bias = bias }
  local texts = {}
  for _, F in ipairs(FIELDS) do
    if F.name == "second" and not m.six then
      m.second = { [0] = true }
    else
      local text, set, any = random_field(r, F, bias)
      texts[#texts + 1], m[F.name], m[F.name .. "_any"] = text, set, any
    end
  end
  m.spec = table.concat(texts, " ")
  local mtext, htext = texts[#texts - 4], texts[#texts - 3]
  -- cron.lua's header: fixed-time unless the minute or the hour field begins with '*'
  m.fixed = mtext:sub(1, 1) ~= "*" and htext:sub(1, 1) ~= "*"
  -- either day field unrestricted: both must match; both restricted: either
  m.both = m.dom_any or m.dow_any
  return m
end

local function day_ok(m, tm)
  local dom, dow = m.dom[tm.day], m.dow[tm.wday - 1]
  if m.both then return dom and dow end
  return dom or dow
end

-- the minute of tm matches every field but the second
local function minute_ok(m, tm)
  return m.month[tm.month] and day_ok(m, tm) and m.hour[tm.hour] and m.minute[tm.min]
end

-- some date of some year can be chosen (false: parse must refuse the spec)
local function can_fire(m)
  if not (m.dow_any and not m.dom_any) then return true end
  for mo = 1, 12 do
    for d = 1, MONTH_DAYS[mo] do
      if m.month[mo] and m.dom[d] then return true end
    end
  end
  return false
end

-- ---- the walk ----------------------------------------------------------------

-- The largest wall second of (t - DAY, t], for the fold rule: a fixed job
-- fires only at a wall time above every wall time already seen.
local function seen_before(t)
  local top = t + offset(t)
  if offset(t - DAY) == offset(t) then return top end
  local p, op = t - DAY, offset(t - DAY)
  for _ = 1, 1440 do
    local q = p + 60
    local oq = offset(q)
    if oq ~= op then
      local change = q - q % 60         -- offsets change on whole minutes
      if change <= p then change = change + 60 end
      top = math.max(top, change - 1 + op)
    end
    p, op = q, oq
  end
  return top
end

-- The first fire after t the spec's meaning gives (or nil within WINDOW),
-- the walk's steps, and "gap" or "fold" when the DST rule decided it.
-- Walks real time a minute at a time, jumping to the next local hour or day
-- when the hour or the date cannot match and the offset stays the same up
-- to there (so no minute it jumps over could match); at each offset change
-- it applies the DST rule: a gap fires a fixed job once, at the change,
-- when one of its times was skipped; a fold repeats only wildcard jobs.
local function walk(m, t)
  local top = m.fixed and seen_before(t) or -math.huge
  local first = t + 1
  local cur = t - t % 60        -- from t's own minute, so a change at t + 1 is met too
  local tm, w = at(cur)
  local steps, folded = 0, nil
  while cur <= t + WINDOW do
    steps = steps + 1
    if minute_ok(m, tm) then
      for s = math.max(first - cur, 0), 59 do
        if m.second[s] then
          if not m.fixed or w + s > top then return cur + s, steps, folded end
          folded = "fold"     -- a repeated wall time: already fired
        end
      end
    end
    if w + 59 > top then top = w + 59 end
    local jump
    if not (m.month[tm.month] and day_ok(m, tm)) then
      jump = DAY - tm.hour * 3600 - tm.min * 60
    elseif not m.hour[tm.hour] then
      jump = 3600 - tm.min * 60
    end
    local nxt, ntm, nw
    if jump and jump > 60 then
      nxt = cur + jump
      ntm, nw = at(nxt)
      if nw - w ~= jump then nxt = nil end      -- the offset changes on the way: go minute by minute
    end
    if not nxt then
      nxt = cur + 60
      ntm, nw = at(nxt)
      if nw - w ~= 60 then
        T.eq(offset(nxt - 1), w - cur, "the offset changes at " .. fmt(nxt) .. ", on a whole minute")
        if nw > w + 60 and m.fixed then
          -- a gap: the wall minutes [w + 60, nw) never happen
          for sk = w + 60, nw - 60, 60 do
            if sk + 59 > top and minute_ok(m, os.date("!*t", sk)) then return nxt, steps, "gap" end
          end
        end
      end
    end
    if nw - 1 > top and nxt - cur > 60 then top = nw - 1 end
    cur, tm, w = nxt, ntm, nw
  end
  return nil, steps
end

-- ---- checks run in a child with TZ set -------------------------------------

local function sorted(set, lo, hi)
  local out = {}
  for v = lo, hi do if set[v] then out[#out + 1] = v end end
  return out
end

-- A start time at or around one of the changes: a second or half an hour
-- or an hour before or after, a day before, or anywhere in the 4 days around.
local function near_change(r, dst)
  local c = dst[1 + r(#dst)]
  local near = ({ -1, 0, 1, -1800, 1800, -3600, 3600, -DAY + 1 })[1 + r(10)]
  return c + (near or (r(4 * DAY) - 2 * DAY))
end

local function run_zone(tz, seed)
  local t0, t1 = os.time{ year = 2024, month = 1, day = 1, hour = 0 }, os.time{ year = 2031, month = 1, day = 1, hour = 0 }
  local dst = changes(t0, t1)
  if tz ~= "UTC" then T.ok(#dst >= 12, tz .. ": DST changes in 2024-2030: " .. #dst) end
  local r = rng(seed)
  local parsed, starts, compared, beyond, steps, refused = 0, 0, 0, 0, 0, 0
  local ruled = { gap = 0, fold = 0 }
  for i = 1, SPECS do
    local m = random_spec(r, #dst > 0 and i % 2 == 0)
    local ok, S = pcall(cron.parse, m.spec)
    if not ok then
      T.ok(tostring(S):find("never fires", 1, true) and not can_fire(m),
        m.spec .. ": refused: " .. tostring(S))
      refused = refused + 1
    else
      T.ok(can_fire(m), m.spec .. ": parsed, but it can never fire")
      parsed = parsed + 1
      for _, F in ipairs(FIELDS) do
        T.eq(sorted(S[F.name], F.lo, F.top), sorted(m[F.name], F.lo, F.top), m.spec .. ": " .. F.name)
      end
      T.eq(S.fixed, m.fixed, m.spec .. ": fixed-time")
      T.eq(S.dom_any or S.dow_any, m.both, m.spec .. ": day rule")
      local ts = { m.bias and near_change(r, dst) or t0 + r(t1 - t0),
                   #dst > 0 and near_change(r, dst) or t0 + r(t1 - t0) }
      for _, t in ipairs(ts) do
        starts = starts + 1
        for _ = 1, CHAIN do             -- from t, then from the fire found (a start on a fire)
          local want, n, rule = walk(m, t)
          steps, compared = steps + n, compared + 1
          if rule then ruled[rule] = ruled[rule] + 1 end
          local got = S:next(t)
          T.ok(math.type(got) == "integer", m.spec .. ": next gave " .. math.type(got))
          if not want then
            beyond = beyond + 1
            T.ok(got > t + WINDOW, string.format("%s: next(%s) = %s, the walk found nothing in %d days",
              m.spec, fmt(t), fmt(got), WINDOW // DAY))
            T.ok(minute_ok(m, os.date("*t", got)) or (m.fixed and offset(got - 1) ~= offset(got)),
              m.spec .. ": far fire " .. fmt(got) .. " matches")
            break
          end
          if got ~= want then
            error(string.format("%s (%s): next(%s) = %s, the walk says %s", m.spec,
              m.fixed and "fixed" or "wildcard", fmt(t), fmt(got), fmt(want)), 0)
          end
          t = got
        end
      end
    end
  end
  T.ok(parsed > SPECS * 0.9, "most random specs parse (" .. parsed .. "/" .. SPECS .. ")")
  io.stdout:write(string.format("# %s: %d specs (%d refused: never fire), %d start times, %d next() "
    .. "compared, %d DST changes, %d fires set by the gap rule, %d by the fold rule, %d beyond %d days, "
    .. "%d walk steps\n", tz, SPECS, refused, starts, compared, #dst, ruled.gap, ruled.fold, beyond,
    WINDOW // DAY, steps))
end

if CHILD then
  local tz = os.getenv("TZ") or ""
  local f = io.open("/usr/share/zoneinfo/" .. tz, "r")
  T.ok(f, "tzdata for " .. tz .. " is installed")
  if f then f:close() end
  T.test(tz .. ": next() agrees with the walk", function()
    run_zone(tz, tonumber(arg[2]))
  end)
  T.done()
end

-- ---- one child per zone --------------------------------------------------------

for i, tz in ipairs(ZONES) do
  T.test("TZ=" .. tz, function()
    local cmd = "TZ=" .. T.q(tz) .. " " .. T.q(BIN) .. " " .. T.q(SELF) .. " --child " .. (20261206 + i) .. " 2>&1"
    local clock = os.time()
    local out, ok = T.sh(cmd)
    io.stdout:write((out:gsub("[^\n]+", "    %0")))
    T.ok(ok and out:find(", 0 failed\n$"), "TZ=" .. tz .. " child failed")
    io.stdout:write(string.format("    # TZ=%s: %d s\n", tz, os.time() - clock))
  end)
end

T.done()
