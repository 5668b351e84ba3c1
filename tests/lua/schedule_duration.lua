-- tests/lua/schedule_duration.lua — schedule.run{ duration = … } (issue 9:
-- `until` is a Lua keyword, so run also takes a duration from now, in every's
-- syntax: "90s", "5m", "1h30m", "1d" or seconds). It returns "until" once the
-- time is up, after jobs that really ran (they ping the engine); giving both
-- until and duration, or a duration that is not one, is refused naming run and
-- the field, and nothing runs. The history goes to a temporary file.
local T = require "testlib"
local docker = require "luadock"
local core = require "luadock.core"
local schedule = require "luadock.schedule"

local dir = T.tmpdir()
local lines = {}
schedule.configure{ history = dir .. "/history.tsv", log = function(l) lines[#lines + 1] = l end }

local function cancel_all()
  for _, j in ipairs(schedule.jobs()) do j:cancel() end
end

T.test("duration = \"2s\" runs the jobs for about two seconds, then returns \"until\"", function()
  local ticks = 0
  schedule.every(0.25, function() docker.ping(); ticks = ticks + 1 end, { name = "dur-tick" })
  local t0 = core.clock()
  T.eq(schedule.run{ duration = "2s" }, "until")
  local took = core.clock() - t0
  cancel_all()
  T.ok(took >= 1.9 and took < 4, "took " .. took)
  T.ok(ticks >= 5 and ticks <= 9, "ticks " .. ticks)
  T.eq(#schedule.history("dur-tick", 100), ticks, "each run recorded")
end)

T.test("duration in seconds and in compound form", function()
  local ticks = 0
  schedule.every("0.2s", function() ticks = ticks + 1 end, { name = "dur-num" })
  local t0 = core.clock()
  T.eq(schedule.run{ duration = 1.2 }, "until")
  local took = core.clock() - t0
  T.ok(took >= 1.1 and took < 3, "number: took " .. took)
  T.ok(ticks >= 4, "ticks " .. ticks)
  t0 = core.clock()
  T.eq(schedule.run{ duration = "0m1s" }, "until")
  took = core.clock() - t0
  T.ok(took >= 0.9 and took < 3, "\"0m1s\": took " .. took)
  cancel_all()
end)

T.test("until still works; a duration with no job left returns \"idle\" at once", function()
  schedule.every(0.2, function() end, { name = "dur-until" })
  local t0 = core.clock()
  T.eq(schedule.run{ ["until"] = core.walltime() + 1 }, "until")
  T.ok(core.clock() - t0 < 3)
  cancel_all()
  t0 = core.clock()
  T.eq(schedule.run{ duration = "1h" }, "idle")
  T.ok(core.clock() - t0 < 1, "did not wait the hour")
end)

T.test("bad duration or both until and duration: refused naming run and the field", function()
  local ran = false
  schedule.every(0.1, function() ran = true end, { name = "dur-bad" })
  local cases = {
    { { duration = "40s", ["until"] = os.time() + 40 },
      "field 'duration': give either 'until' or 'duration', not both" },
    { { duration = "soon" }, "field 'duration': invalid duration 'soon'" },
    { { duration = "" }, "field 'duration': empty duration" },
    { { duration = -5 }, "field 'duration': must be a non%-negative number" },
    { { duration = 0 / 0 }, "field 'duration': must be a non%-negative number" },
    { { duration = true }, "field 'duration': seconds or a duration string expected, got boolean" },
    { { duration = { 40 } }, "field 'duration': seconds or a duration string expected, got table" },
    { { ["until"] = "tomorrow" }, "field 'until': number expected" },
    { { durations = "40s" }, "field 'durations': unknown option" },
  }
  for i, c in ipairs(cases) do
    local ok, e = pcall(schedule.run, c[1])
    T.ok(not ok and tostring(e):find("bad argument #1 to 'run' %(" .. c[2]), "case " .. i .. ": " .. tostring(e))
  end
  T.ok(not ran, "no job ran")
  cancel_all()
end)

T.test("the help topic of schedule.run tells about duration", function()
  local help = require "luadock.text.help"
  T.ok(help.text("schedule.run"):find("duration = \"40s\"", 1, true), help.text("schedule.run"))
end)

T.done()
