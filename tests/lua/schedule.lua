-- tests/lua/schedule.lua — the event loop, docker.parallel and luadock.schedule
-- (API.md "Scheduling and backups", "Concurrency") against the real engine:
-- calls in loop tasks overlap (a wait on a container that only another task
-- kills), docker.sleep yields, results in order and errors naming the function;
-- every/cron runs recorded in the history file, a failing job logged while the
-- loop goes on, a due run skipped while the last still runs, max_runtime killing
-- and removing the run's containers, the engine unreachable for one tick (a
-- socat socket that is stopped and started again), events followed by a spawned
-- task while timers fire, run_now and cancel, the history surviving a restart,
-- SIGTERM finishing the running job then returning (and a second one aborting),
-- and bad input. Containers made here carry this run's label and are removed.
local T = require "testlib"
local F = require "_faultlib"
local docker = require "luadock"
local loop = require "luadock.loop"
local schedule = require "luadock.schedule"

local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local L = "luadock.test.sched"
local LABELS = { [L] = RUN }
local BIN = F.luadock_binary()
local dir = T.tmpdir()

local lines = {}
schedule.configure{ history = dir .. "/history.tsv", log = function(l) lines[#lines + 1] = l end }

local function ours()
  return docker.containers{ all = true, filters = { label = { L .. "=" .. RUN } } }
end

local function reset(name)
  lines = {}
  for _, j in ipairs(schedule.jobs()) do j:cancel() end
  schedule.configure{ history = dir .. "/" .. name .. ".tsv" }
end

local function logged(pattern)
  local n = 0
  for _, l in ipairs(lines) do if l:find(pattern) then n = n + 1 end end
  return n
end

local function in_seconds(s) return require("luadock.core").walltime() + s end

-- ---- the loop and docker.parallel -------------------------------------------

T.test("calls in loop tasks overlap: a wait ends because another task kills", function()
  local c = docker.run{ image = IMG, cmd = { "sleep", "20" }, detach = true, labels = LABELS }
  local trace = {}
  local code = docker.parallel{
    function()
      trace[#trace + 1] = "wait"
      local code = c:wait()
      trace[#trace + 1] = "waited"
      return code
    end,
    function()
      docker.sleep(0.3)
      trace[#trace + 1] = "kill"
      c:kill()
    end,
  }
  T.eq(trace, { "wait", "kill", "waited" })
  T.eq(code, 137, "the container was killed, not ended by itself")
  c:remove{ force = true }
end)

T.test("docker.sleep in tasks lets the others run; results come in order", function()
  local trace = {}
  local function sleeper(name, s)
    return function()
      trace[#trace + 1] = name .. ">"
      docker.sleep(s)
      trace[#trace + 1] = "<" .. name
      return name
    end
  end
  local a, b, v = docker.parallel{ sleeper("a", 0.4), sleeper("b", 0.1),
    function() return docker.version().ApiVersion end }
  T.eq({ a, b }, { "a", "b" })
  T.ok(v:match("^1%.%d+$"), v)
  T.eq(trace, { "a>", "b>", "<b", "<a" })
  T.eq(loop.count(), 0, "no task left")
end)

T.test("parallel: max bounds the tasks at once; a failure is re-raised naming which", function()
  local now, peak = 0, 0
  local fns = {}
  for i = 1, 5 do
    fns[i] = function()
      now = now + 1
      peak = math.max(peak, now)
      docker.sleep(0.05)
      now = now - 1
      return i * 10
    end
  end
  T.eq({ docker.parallel(fns, { max = 2 }) }, { 10, 20, 30, 40, 50 })
  T.eq(peak, 2)
  local done = {}
  local ok, e = pcall(docker.parallel, {
    function() docker.sleep(0.1) done[1] = true end,
    function() error("boom") end,
    function() return docker.container("ld-sched-nosuch-" .. RUN):inspect() end,
  })
  T.ok(not ok and done[1], "raised after all had finished")
  T.ok(tostring(e):find("function #2 failed", 1, true) and tostring(e):find("boom", 1, true), tostring(e))
  local e3 = T.raises_kind(function()
    docker.parallel{ function() return docker.container("ld-sched-nosuch-" .. RUN):inspect() end }
  end, "not_found")
  T.ok(tostring(e3):find("function #1 failed", 1, true), tostring(e3))
  T.eq({ docker.parallel{} }, {})
end)

T.test("timeouts and stream reads still work inside tasks", function()
  local hang = F.listener(T.tmpdir(), "hang", "sleep 30")
  local ticks, out = 0, nil
  local t0 = docker.clock()
  local ok, e = pcall(docker.parallel, {
    function()   -- the version handshake of a new client waits without blocking too
      local d <close> = docker.connect{ host = hang.host, timeout = 1 }
      return d:containers{}
    end,
    function()
      for _ = 1, 5 do docker.sleep(0.1) ticks = ticks + 1 end
      out = docker.run{ image = IMG, cmd = { "sh", "-c", "echo one; sleep 0.3; echo two" },
                        labels = LABELS, remove = true }.stdout
    end,
  })
  T.ok(not ok and docker.is_error(e) and e.kind == "timeout", tostring(e))
  T.eq(e.path, "/containers/json", "the error names the call, not the handshake")
  T.ok(docker.clock() - t0 < 15, "the header timeout applies inside a task")
  T.eq(ticks, 5, "the other task ran while the first waited")
  T.eq(out, "one\ntwo\n", "a container's output read inside a task")
  -- opening a stream waits for its headers without blocking the others
  local ticks2 = 0
  local opener = loop.spawn(function()
    local d <close> = docker.connect{ host = hang.host, api_version = "1.41" }
    for _ in d:events{} do end
  end)
  local ticker = loop.spawn(function()
    for _ = 1, 5 do docker.sleep(0.1) ticks2 = ticks2 + 1 end
    loop.abort(opener, "enough")
  end)
  loop.join({ opener, ticker })
  T.eq(ticks2, 5)
  T.ok(not opener.ok and tostring(opener.err):find("enough", 1, true), T.show(opener.err))
  F.kill(hang.pid)
end)

local function cpu_seconds()
  local stat = F.read("/proc/self/stat")
  local rest = stat:match("^.*%)%s+(.*)$")
  local f = {}
  for x in rest:gmatch("%S+") do f[#f + 1] = x end
  return (tonumber(f[12]) + tonumber(f[13])) / 100     -- utime, stime (fields 14, 15)
end

T.test("the loop survives what tasks leave behind: a closed client, an unread stream, an abort in s:iter", function()
  local core = require "luadock.core"
  local c = docker.run{ image = IMG, cmd = { "sh", "-c", "while true; do echo tick; sleep 0.05; done" },
                        detach = true, labels = LABELS }
  -- a client closed while a task waits in it: that call fails "canceled"
  local d = docker.connect()
  local waiter = loop.spawn(function() return d:container(c.id):wait() end)
  local until_t = docker.clock() + 1.5      -- time to inspect, then wait with the engine
  while docker.clock() < until_t do loop.step(0.05) end
  T.eq(waiter.wait, require("luadock.core").IO, "waiting in the call")
  d:close()
  loop.join({ waiter })
  T.ok(not waiter.ok and docker.is_error(waiter.err) and waiter.err.kind == "canceled", T.show(waiter.err))
  -- a followed log stream nobody reads does not make the loop spin
  local cli = assert(core.new{})
  local s = assert(cli:container_logs(c.id, { follow = true, stdout = true }))
  local before = cpu_seconds()
  docker.parallel{ function() docker.sleep(1) end }
  T.ok(cpu_seconds() - before < 0.5, "cpu " .. (cpu_seconds() - before))
  s:close()
  -- an abort raises out of a `for … in s:iter()` loop instead of ending it
  local s2 = assert(cli:container_logs(c.id, { follow = true, stdout = true }))
  local items = 0
  local reader = loop.spawn(function()
    for _ in s2:iter() do items = items + 1 end
    return "ended quietly"
  end)
  loop.step(0.2)
  loop.abort(reader, "stop reading")
  loop.join({ reader })
  T.ok(not reader.ok and tostring(reader.err):find("stop reading", 1, true), T.show(reader.err))
  s2:close()
  cli:close()
  c:remove{ force = true }
end)

-- ---- schedule ---------------------------------------------------------------

T.test("every and cron jobs run, are logged and recorded; a failing job does not stop the loop", function()
  reset("basic")
  local ticks, fails = 0, 0
  schedule.every(0.3, function() ticks = ticks + 1; docker.ping() end, { name = "tick" })
  schedule.every("1s", function() fails = fails + 1; error("planned failure " .. fails) end,
    { name = "bad", run_now = true })
  schedule.cron("* * * * * *", function() return docker.version() end, { name = "cron-1s" })
  T.eq(schedule.run{ ["until"] = in_seconds(3) }, "until")
  T.ok(ticks >= 5, "ticks " .. ticks)
  T.ok(fails >= 2, "the failing job ran again: " .. fails)
  local h = schedule.history("tick", 100)
  T.eq(#h, ticks)
  T.eq(h[1].name, "tick")
  T.ok(h[1].ok and h[1].error == nil and h[1].seconds >= 0)
  T.ok(math.abs(h[1].started - os.time()) < 10, "started is an epoch time")
  T.ok(h[1].started >= h[#h].started, "newest first")
  local bad = schedule.history("bad", 1)[1]
  T.ok(not bad.ok and bad.error:find("planned failure", 1, true), T.show(bad))
  T.ok(#schedule.history("cron-1s") >= 2)
  T.eq(#schedule.history("tick", 2), 2)
  T.ok(logged("tick ok") == ticks, table.concat(lines, "\n"))
  T.ok(logged("bad failed %d.%d+s: .*planned failure") == fails, table.concat(lines, "\n"))
end)

T.test("a run due while the last still runs is skipped and logged", function()
  reset("overlap")
  local runs, busy, overlapped = 0, false, false
  schedule.every(0.25, function()
    if busy then overlapped = true end
    busy = true
    runs = runs + 1
    docker.sleep(0.9)
    busy = false
  end, { name = "slow" })
  schedule.run{ ["until"] = in_seconds(3) }
  T.ok(not overlapped, "never two at once")
  T.ok(runs >= 2, "runs " .. runs)
  T.ok(logged("slow skipped: the run started at") >= 2, table.concat(lines, "\n"))
  T.eq(#schedule.history("slow", 100), runs, "skips are not runs")
end)

T.test("max_runtime kills the run's containers, fails the run, and the loop goes on", function()
  reset("maxrt")
  local started_at, after_kill
  local job = schedule.every(0.2, function()
    started_at = docker.clock()
    local ok, e = pcall(docker.run, { image = IMG, cmd = { "sleep", "30" }, labels = LABELS })
    after_kill = e      -- the run goes on after the cut and may clean up
    error(e, 0)
  end, { name = "long", max_runtime = "1s" })
  local quick = 0
  schedule.every(0.3, function() quick = quick + 1 end, { name = "quick" })
  T.eq(schedule.run{ ["until"] = in_seconds(3) }, "until")
  job:cancel()
  local h = schedule.history("long", 10)
  T.ok(#h >= 1)
  T.ok(not h[1].ok and h[1].error:find("max_runtime of 1s exceeded", 1, true), T.show(h[1]))
  T.ok(h[1].seconds < 10, "stopped, not waited for: " .. h[1].seconds)
  T.ok(docker.is_error(after_kill), "the job saw an error: " .. tostring(after_kill))
  T.ok(logged("long max_runtime 1s exceeded: stopping it %(1 container%(s%) killed%)") >= 1,
    table.concat(lines, "\n"))
  T.ok(quick >= 5, "other jobs kept running: " .. quick)
  T.eq(#ours(), 0, "the run's containers are removed")
end)

T.test("an unreachable engine fails that run; the next tick succeeds", function()
  reset("unreach")
  local pdir = T.tmpdir()
  local proxy = F.proxy(pdir, { fork = true, name = "engine" })
  local n = 0
  schedule.every(0.5, function()
    n = n + 1
    if n == 2 then                         -- the engine goes away for this tick
      F.kill(proxy.pid)
      os.remove(proxy.sock)
    elseif n == 3 then                     -- and is back for the next
      proxy = F.proxy(pdir, { fork = true, name = "engine" })
    end
    local d <close> = docker.connect(proxy.host)
    return d:ping()
  end, { name = "remote" })
  schedule.run{ ["until"] = in_seconds(2.5) }
  F.kill(proxy.pid)
  local h = schedule.history("remote", 10)
  T.ok(#h >= 3, T.show(h))
  local first, second, third = h[#h], h[#h - 1], h[#h - 2]
  T.eq({ first.ok, second.ok, third.ok }, { true, false, true })
  T.ok(second.error:find("Cannot connect to the Docker daemon", 1, true), second.error)
end)

T.test("a spawned task follows engine events while timers fire", function()
  reset("events")
  local seen, ticks = {}, 0
  schedule.spawn(function()
    for ev in docker.events{ filters = { label = { L .. "=" .. RUN }, type = { "container" } } } do
      seen[#seen + 1] = ev.Action or ev.status
    end
  end, { name = "follow" })
  schedule.every(0.2, function() ticks = ticks + 1 end, { name = "ticker" })
  local made = false
  schedule.every(0.5, function(job)
    if made then return end
    made = true
    docker.run{ image = IMG, cmd = { "true" }, labels = LABELS, remove = true }
  end, { name = "maker" })
  schedule.run{ ["until"] = in_seconds(3) }
  local s = table.concat(seen, ",")
  T.ok(s:find("create", 1, true) and s:find("start", 1, true) and s:find("die", 1, true), s)
  T.ok(ticks >= 8, "timers fired while the events stream was open: " .. ticks)
  T.eq(loop.count(), 0, "the follower was closed when run returned")
end)

T.test("job:run_now outside run, job:cancel, and the history surviving a restart", function()
  reset("restart")
  local file = dir .. "/restart.tsv"
  local job = schedule.every("1h", function() return docker.ping() end, { name = "manual" })
  T.eq(job:run_now(), true)
  local failing = schedule.every("1h", function() error("nope") end, { name = "manual-bad" })
  local ok, err = failing:run_now()
  T.ok(ok == false and err:find("nope", 1, true), tostring(err))
  T.eq(job:cancel(), true)
  T.eq(job:cancel(), false)
  failing:cancel()
  T.eq(#schedule.jobs(), 0)
  -- another process appends to the same file, then this one reads both
  local out, exited = F.run_child({ XDG_STATE_HOME = "" }, string.format([[
    local schedule = require "luadock.schedule"
    schedule.configure{ history = %q }
    local job = schedule.every(0.2, function() docker.ping() end, { name = "manual" })
    schedule.every(0.5, function() job:cancel() end, { name = "canceller" })
    print(schedule.run{ ["until"] = os.time() + 2 })]], file), 30)
  T.ok(exited and out:find("until", 1, true), out)
  local h = schedule.history("manual", 100)
  T.ok(#h >= 3, "this process's run and the child's: " .. T.show(h))
  T.ok(#h <= 5, "cancel stopped the child's job: " .. #h)
  for l in io.lines(file) do T.ok(select(2, l:gsub("\t", "")) == 4, l) end
end)

T.test("the default history file is under $XDG_STATE_HOME/luadock/", function()
  local state = T.tmpdir()
  local out, exited = F.run_child({ XDG_STATE_HOME = state }, [[
    local schedule = require "luadock.schedule"
    local job = schedule.every("1h", function() end, { name = "xdg" })
    print(job:run_now(), schedule.configure().history, #schedule.history("xdg"))]], 30)
  T.ok(exited, out)
  T.ok(out:find("true\t" .. state .. "/luadock/schedule-history.tsv\t1", 1, true), out)
end)

local function child(script, signals)
  local work = T.tmpdir()
  local path = work .. "/child.lua"
  local f = assert(io.open(path, "w"))
  f:write((script:gsub("WORK", work)))
  f:close()
  os.execute(string.format("( %s %s >%s 2>&1 & echo $! >%s; wait $!; echo $? >%s ) >/dev/null 2>&1 &",
    T.q(BIN), T.q(path), T.q(work .. "/log"), T.q(work .. "/pid"), T.q(work .. "/rc")))
  T.wait_until(function() return F.read(work .. "/started") end, 20, "the job to start")
  local pid = F.read(work .. "/pid"):match("%d+")
  for _, sig in ipairs(signals) do
    os.execute("kill -" .. sig .. " " .. pid)
    docker.sleep(0.2)
  end
  local rc = T.wait_until(function()
    local v = F.read(work .. "/rc")
    return v and v:match("%d+")
  end, 30, "the child to exit")
  return rc, F.read(work .. "/log") or "", F.read(work .. "/done"), work
end

local SIGNAL_CHILD = [[
local schedule = require "luadock.schedule"
schedule.configure{ history = "WORK/history.tsv" }
schedule.every(0.2, function()
  io.open("WORK/started", "w"):close()
  docker.sleep(1.5)
  docker.ping()
  io.open("WORK/done", "w"):close()
end, { name = "job" })
print("returned", schedule.run())
]]

T.test("SIGTERM lets the running job finish, then run returns", function()
  local rc, log, done, work = child(SIGNAL_CHILD, { "TERM" })
  T.eq(rc, "0", log)
  T.ok(done, "the job finished: " .. log)
  T.ok(log:find("returned\tSIGTERM", 1, true), log)
  T.ok(log:find("schedule: SIGTERM, stopping after the running jobs", 1, true), log)
  T.ok(F.read(work .. "/history.tsv"):find("^job\t[^\t]+\t[%d.]+\tok\t\n$"), "one ok run recorded")
end)

T.test("a second signal stops at once", function()
  local rc, log, done = child(SIGNAL_CHILD, { "INT", "INT" })
  T.ok(rc ~= "0", "exit code " .. rc)
  T.ok(log:find("interrupted!", 1, true), log)
  T.ok(not done, "the job was cut short")
end)

T.test("examples/backup-schedule.lua: one log line per run, keep 2, nothing left", function()
  local state = T.tmpdir()
  local src = os.getenv("LUADOCK_SOURCE_DIR") or "."
  local out = T.sh(string.format("cd %s && XDG_STATE_HOME=%s timeout -s KILL 90 %s examples/backup-schedule.lua"
    .. " --every 2s --keep 2 --for 10 2>%s", T.q(src), T.q(state), T.q(BIN), T.q(state .. "/log")))
  local log = F.read(state .. "/log") or ""
  T.ok(out:find("Stopped (until)", 1, true), out .. log)
  local runs = select(2, log:gsub("backup schedule%-demo%-[%x]+ ok [%d.]+s\n", ""))
  T.ok(runs >= 3, "more runs than kept archives: " .. runs .. "\n" .. log)
  for line in log:gmatch("[^\n]+") do   -- a run line each, or a skip when a backup ran long
    T.ok(line:find(" ok [%d.]+s$") or line:find(" skipped: the run started at ", 1, true), line)
  end
  local kept = select(2, out:gsub("\nschedule%-demo%-%x+%-%d+T%d+Z%.tar%.gz", ""))
  T.eq(kept, 2, out)
  T.eq(#docker.volumes{ filters = { name = { "schedule-demo-" } } }, 0, "demo volume removed")
  local hist = F.read(state .. "/luadock/schedule-history.tsv") or ""
  T.eq(select(2, hist:gsub("\n", "")), runs, hist)
end)

T.test("bad input names the function and the field", function()
  local fn = function() end
  local cases = {
    { function() schedule.every("0s", fn) end, "#1 to 'every'" },
    { function() schedule.every("abc", fn) end, "#1 to 'every' %(invalid duration" },
    { function() schedule.every(-1, fn) end, "#1 to 'every'" },
    { function() schedule.every(5, "fn") end, "#2 to 'every' %(function expected, got string" },
    { function() schedule.every(5, fn, { name = 1 }) end, "#3 to 'every' %(field 'name': string expected" },
    { function() schedule.every(5, fn, { name = "" }) end, "#3 to 'every' %(field 'name'" },
    { function() schedule.every(5, fn, { max_runtime = "x" }) end, "#3 to 'every' %(field 'max_runtime'" },
    { function() schedule.every(5, fn, { max_runtime = 0 }) end, "#3 to 'every' %(field 'max_runtime'" },
    { function() schedule.every(5, fn, { run_now = "yes" }) end, "#3 to 'every' %(field 'run_now'" },
    { function() schedule.every(5, fn, { bogus = 1 }) end, "#3 to 'every' %(field 'bogus': unknown option" },
    { function() schedule.every(5, fn, "opts") end, "#3 to 'every' %(table expected" },
    { function() schedule.cron("61 * * * *", fn) end, "to 'cron' %(.*minute" },
    { function() schedule.cron(nil, fn) end, "#1 to 'cron'" },
    { function() schedule.cron("@daily", 5) end, "#2 to 'cron'" },
    { function() schedule.run{ ["until"] = "soon" } end, "#1 to 'run' %(field 'until': number expected" },
    { function() schedule.run{ forever = true } end, "#1 to 'run' %(field 'forever': unknown option" },
    { function() schedule.history(5) end, "#1 to 'history'" },
    { function() schedule.history("x", 0) end, "#2 to 'history'" },
    { function() schedule.configure{ history = 5 } end, "#1 to 'configure' %(field 'history'" },
    { function() schedule.configure{ log = "stderr" } end, "#1 to 'configure' %(field 'log'" },
    { function() schedule.spawn(nil) end, "#1 to 'spawn'" },
    { function() schedule.next("nope", 0) end, "to 'next'" },
    { function() docker.parallel("fns") end, "#1 to 'parallel'" },
    { function() docker.parallel{ fn, 5 } end, "#1 to 'parallel' %(item 2: function expected" },
    { function() docker.parallel({ fn }, { max = 0 }) end, "#2 to 'parallel' %(field 'max'" },
    { function() docker.parallel({ fn }, { limit = 2 }) end, "#2 to 'parallel' %(field 'limit': unknown option" },
  }
  local before = #schedule.jobs()
  for i, c in ipairs(cases) do
    local ok, e = pcall(c[1])
    T.ok(not ok and tostring(e):find("bad argument " .. (c[2]:sub(1, 1) == "#" and "" or ".*") .. c[2]),
      "case " .. i .. ": " .. tostring(e))
  end
  T.eq(#schedule.jobs(), before, "nothing registered")
end)

for _, c in ipairs(ours()) do pcall(c.remove, c, { force = true }) end
T.done()
