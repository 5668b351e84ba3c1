-- tests/lua/schedule_clock.lua — luadock.schedule's timing against a faked
-- clock, end to end: a child luadock runs under Debian's libfaketime
-- (fault #39 of tests/faults/README.md), sped up so that hours pass in seconds, in
-- TZ=America/New_York. Checked: the autumn fold (an hourly wildcard job fires
-- at 01:00 EDT and again at 01:00 EST, a fixed 01:30 job once), the spring gap
-- (a fixed 02:30 job fires once at 03:00 EDT, a */20 job skips the missing
-- hour), and a wall-clock step back of a day (an NTP step with the monotonic
-- clock untouched) that replans cron jobs instead of waiting a day. The jobs
-- make no Engine calls: this file tests the scheduler's clock only.
local T = require "testlib"

if T.engine ~= 1 then
  -- Said, not skipped silently: nothing here talks to an engine, and these
  -- faked-clock runs (1 s real = 8 min faked) are best run once, not beside
  -- the first engine's tests.
  T.not_here("every case", "it makes no Engine calls; lua.schedule_clock checks the scheduler's clock")
  T.done()
end

local BIN = (os.getenv("LUADOCK_BINARY_DIR") and os.getenv("LUADOCK_BINARY_DIR") .. "/luadock") or arg[-1]
-- an ASan build must accept libfaketime ahead of its runtime
local ASAN = "ASAN_OPTIONS=" .. T.q((os.getenv("ASAN_OPTIONS") and os.getenv("ASAN_OPTIONS") .. ":" or "")
  .. "verify_asan_link_order=0")

local CHILD = [[
local schedule = require "luadock.schedule"
local core = require "luadock.core"
schedule.configure{ history = HIST, log = false }
for spec, name in pairs(JOBS) do schedule.cron(spec, function() end, { name = name }) end
schedule.run{ ["until"] = core.walltime() + SECONDS }
for _, h in ipairs(schedule.history(nil, 50)) do
  io.write(h.name, " ", os.date("%H:%M:%S %Z", h.started), "\n")
end
]]

local function child(faketime, jobs, seconds)
  local dir = T.tmpdir()
  local parts = {}
  for spec, name in pairs(jobs) do parts[#parts + 1] = string.format("[%q] = %q", spec, name) end
  local code = CHILD:gsub("HIST", string.format("%q", dir .. "/h.tsv"))
    :gsub("JOBS", "{ " .. table.concat(parts, ", ") .. " }"):gsub("SECONDS", tostring(seconds))
  local out = T.sh(string.format("%s TZ=America/New_York timeout -s KILL 120 faketime -f %s %s -e %s 2>&1",
    ASAN, T.q(faketime), T.q(BIN), T.q(code)))
  -- Each run as "<name> HH:MM <zone>": which minute of which hour fired is
  -- what these cases check. The second is left out when it is under 5: at
  -- x480 one faked second is 2 ms of real time, so a loaded machine (the ASan
  -- run) starts a job a faked second or two late ("02:00:01 EST").
  local runs = {}
  for line in out:gmatch("[^\n]+") do
    local name, hm, sec, zone = line:match("^(%S+) (%d%d:%d%d):(%d%d) (%S+)$")
    if name and tonumber(sec) < 5 then line = name .. " " .. hm .. " " .. zone end
    table.insert(runs, 1, line)   -- oldest first
  end
  return runs, out
end

T.test("autumn fold: wildcard jobs fire in both 01:00s, a fixed-time job once", function()
  local runs, out = child("@2026-11-01 00:59:50 x480",
    { ["0 * * * *"] = "hourly", ["30 1 * * *"] = "fixed" }, 2 * 3600 + 20 * 60)
  T.eq(runs, { "hourly 01:00 EDT", "fixed 01:30 EDT", "hourly 01:00 EST",
    "hourly 02:00 EST" }, out)
end)

T.test("spring gap: a fixed-time job in the gap fires once at 03:00, wildcards skip the hour", function()
  local runs, out = child("@2026-03-08 01:29:50 x480",
    { ["30 2 * * *"] = "fixed", ["*/20 * * * *"] = "every20" }, 3600)
  table.sort(runs)
  T.eq(runs, { "every20 01:40 EST", "every20 03:00 EDT", "every20 03:20 EDT",
    "fixed 03:00 EDT" }, out)
end)

T.test("a wall-clock step back of a day replans cron jobs from the new time", function()
  local dir = T.tmpdir()
  local stamp = dir .. "/stamp"
  local f = assert(io.open(stamp, "w")); f:write("@2026-06-01 11:59:00\n"); f:close()
  local lib = T.sh("ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1"):gsub("%s+$", "")
  T.ok(lib ~= "", "libfaketime is installed")
  local code = ([[
local schedule = require "luadock.schedule"
local lines, fired = {}, {}
schedule.configure{ history = false, log = function(l) lines[#lines + 1] = l end }
schedule.cron("*/2 * * * * *", function() fired[#fired + 1] = os.date("!%d %H:%M:%S") end, { name = "s" })
schedule.every(1, function()
  if #fired == 2 then            -- step the wall clock back a day
    local f = io.open(STAMP, "w"); f:write("@2026-05-31 11:59:00\n"); f:close()
  elseif #fired >= 4 then
    io.write(table.concat(fired, ","), "\n", table.concat(lines, "\n"), "\n")
    io.stdout:flush()
    os.exit(0)
  end
end, { name = "stepper" })
schedule.run()
]]):gsub("STAMP", string.format("%q", stamp))
  local out = T.sh(string.format("%s TZ=UTC FAKETIME_TIMESTAMP_FILE=%s FAKETIME_NO_CACHE=1 "
    .. "FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD=%s timeout -s KILL 60 %s -e %s 2>&1",
    ASAN, T.q(stamp), T.q(lib), T.q(BIN), T.q(code)))
  local days = {}
  for day in out:gmatch("(%d%d) 11:%d%d:%d%d") do days[#days + 1] = day end
  T.eq({ days[1], days[2], days[3], days[4] }, { "01", "01", "31", "31" }, out)
  T.ok(out:find("schedule: the clock jumped %-864%d%d s; cron jobs planned from the new time"), out)
end)

T.done()
