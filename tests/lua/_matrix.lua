-- tests/lua/_matrix.lua — the interruption matrix behind
-- tests/lua/interrupt_containers.lua and tests/lua/interrupt_backups.lua:
-- the promises luadock makes to unattended scripts, checked under
-- interruption at many moments of each operation:
--   * a <close> Container is stopped and removed (also inside docker.parallel
--     tasks and a schedule job);
--   * a backup's `stop` services run again, and stay running (the engine does
--     not finish a stop later), with no partial archive under either name;
--   * a one-shot run with remove = true leaves no container;
-- for SIGINT, SIGTERM and a double SIGINT sent every STEP seconds
-- (LUADOCK_MATRIX_STEP, default 0.2) over the operation's run
-- (tests/lua/_interrupt_child.lua runs each one in a child host process),
-- against a service whose PID 1 ignores SIGTERM. kill -9, which nothing can
-- catch, is checked for what it must be recoverable to: cleanup{ stale = true }
-- starts a killed backup's services again, removes its temporary archive and
-- the killed script's containers, also while the killed process is an
-- unreaped zombie. Cases run BATCH at a time. Every object carries this
-- run's label and is removed at the end (M.finish).
local T = require "testlib"
local docker = require "luadock"

local d = docker.connect()
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local L = "luadock.test.im"
local BIN = os.getenv("LUADOCK_BINARY_DIR") .. "/luadock"
local CHILD = os.getenv("LUADOCK_SOURCE_DIR") .. "/tests/lua/_interrupt_child.lua"
local STEP = tonumber(os.getenv("LUADOCK_MATRIX_STEP") or "") or 0.2
local BATCH = 12
local STUBBORN = { "sh", "-c", "trap '' TERM; while true; do sleep 1; done" }
local work = T.tmpdir()

-- How long each operation runs uninterrupted (seconds, measured here on a
-- 2-core machine), so that the interruption points cover all of it.
local SPANS = { close = 1.4, backup = 3.6, run_rm = 3.4, parallel = 1.6, schedule = 4.0 }
local WITH_SERVICE = { backup = true, schedule = true }
local SIGNALS = { { "INT" }, { "TERM" }, { "INT", "INT" } }

local made = { volumes = {}, services = {} }
local function mine() return { [L] = RUN } end

-- A volume with a file, and a running service whose PID 1 ignores SIGTERM.
local function service(tag)
  local vol = d:volume_create{ name = "ld-im-" .. RUN .. "-" .. tag, labels = mine() }.name
  made.volumes[#made.volumes + 1] = vol
  d:run{ image = IMG, cmd = "sh -c 'echo data > /v/file'", volumes = { [vol] = "/v" }, remove = true }
  local svc = d:run{ image = IMG, detach = true, cmd = STUBBORN, labels = mine(),
                     name = "ld-im-svc-" .. RUN .. "-" .. tag }
  made.services[#made.services + 1] = svc
  local to = work .. "/" .. tag
  return { vol = vol, svc = svc, to = to }
end

-- Shell code that waits (at most 10 s) until process $p catches SIGINT and
-- SIGTERM (bits 2 and 15 of SigCgt in /proc/$p/status): the moment the
-- host can keep its promises. A signal before that, while the process is
-- still being exec'd and linked, kills it as it would any program; on a
-- loaded machine (two engines' tests side by side) that start alone can
-- take more than 0.2 s, so the moments are counted from there.
local WAIT_ARMED = "n=0; while [ $n -lt 1000 ] && kill -0 $p 2>/dev/null; do "
  .. "m=$(sed -n 's/^SigCgt:[[:space:]]*//p' /proc/$p/status 2>/dev/null); "
  .. "[ -n \"$m\" ] && [ $((0x$m & 16386)) -eq 16386 ] && break; sleep 0.01; n=$((n+1)); done; "

-- Starts the child for case c in the background: signals `sigs` (names for
-- kill, 0.15 s apart) c.at seconds after it can catch them; its exit code
-- goes to c.rcfile.
local function launch(c)
  local args = { T.q(BIN), T.q(CHILD), c.op, c.tag, L }
  if c.res then
    for _, v in ipairs{ c.res.vol, c.res.to, c.res.svc.id } do args[#args + 1] = T.q(v) end
  end
  local kills = {}
  for i, s in ipairs(c.sigs) do
    kills[#kills + 1] = (i > 1 and "sleep 0.15; " or "") .. "kill -" .. s .. " $p 2>/dev/null"
  end
  c.rcfile, c.log = work .. "/" .. c.tag .. ".rc", work .. "/" .. c.tag .. ".log"
  local script = table.concat(args, " ") .. " >" .. T.q(c.log) .. " 2>&1 & p=$!; " .. WAIT_ARMED .. "sleep "
    .. string.format("%.2f", c.at) .. "; " .. table.concat(kills, "; ")
    .. "; wait $p; echo $? >" .. T.q(c.rcfile .. ".tmp") .. "; mv " .. T.q(c.rcfile .. ".tmp") .. " " .. T.q(c.rcfile)
  os.execute("sh -c " .. T.q(script) .. " </dev/null >/dev/null 2>&1 &")
end

local function finished(c) return T.read(c.rcfile) ~= nil end

local function all_exited(batch, seconds)
  T.wait_until(function()
    for _, c in ipairs(batch) do if not finished(c) then return false end end
    return true
  end, seconds, "the children of a batch to exit")
end

local function leftovers(tag)
  return d:containers{ all = true, filters = { label = { L .. "=" .. tag } } }
end

local function files(dir)
  local out = {}
  local p = io.popen("ls -1A " .. T.q(dir) .. " 2>/dev/null")
  for name in p:lines() do out[#out + 1] = name end
  p:close()
  return out
end

-- The promise for case c, once its process has exited. Returns nil or a
-- description of what broke.
local function broken(c)
  local log = T.read(c.log) or ""
  if c.sigs[1] ~= "KILL" and not (log:match("interrupted!\n") or log:match("terminated!\n")
                                  or log:match("done\n")) then
    return "the child ended neither by the signal nor by finishing"
  end
  local ok = pcall(T.wait_until, function() return #leftovers(c.tag) == 0 end, 15)
  if not ok then
    local names = {}
    for _, x in ipairs(leftovers(c.tag)) do names[#names + 1] = x.name .. " " .. x.status end
    return "containers left: " .. table.concat(names, ", ")
  end
  if c.res then
    -- the helper (AutoRemove) may still be finishing its tar: it must go by itself
    local function helpers()
      return d:containers{ all = true, filters = { name = { "luadock-backup-" .. c.res.vol } } }
    end
    if not pcall(T.wait_until, function() return #helpers() == 0 end, 15) then
      local h = helpers()[1]
      if h then return "backup helper left: " .. h.name .. " " .. h.status end
    end
    local svc = d:container(c.res.svc.id)
    if svc.state ~= "running" then return "service is " .. svc.status end
    for _, f in ipairs(files(c.res.to)) do
      if f:match("%.tmp%-") then return "temporary archive left: " .. f end
      local _, good = T.sh("tar tzf " .. T.q(c.res.to .. "/" .. f) .. " >/dev/null 2>&1")
      if not good then return "partial archive: " .. f end
    end
  end
  return nil
end

local M = { T = T, d = d }

-- The matrix for these operations (names of SPANS), as one test case.
function M.matrix(ops)
  local cases = {}
  for _, op in ipairs(ops) do
    local points = math.floor(SPANS[op] / STEP + 0.5)
    for _, sigs in ipairs(SIGNALS) do
      for i = 1, points do
        local tag = string.format("%s-%s-%s-%02d", RUN, op, table.concat(sigs, ""), i)
        cases[#cases + 1] = { op = op, tag = tag, sigs = sigs, at = i * STEP, service = WITH_SERVICE[op] }
      end
    end
  end
  local failures, done_uninterrupted = {}, 0
  T.test(string.format("matrix: %s × SIGINT / SIGTERM / double SIGINT every %.1f s: %d runs",
    table.concat(ops, ", "), STEP, #cases), function()
    for first = 1, #cases, BATCH do
      local batch = { table.unpack(cases, first, math.min(first + BATCH - 1, #cases)) }
      local services = false
      for _, c in ipairs(batch) do
        if c.service then c.res = service(c.tag:sub(#RUN + 2)); services = true end
        launch(c)
      end
      all_exited(batch, 120)
      -- a stop the engine might still finish would show by now (stop_timeout 2)
      if services then docker.sleep(3) end
      for _, c in ipairs(batch) do
        local why = broken(c)
        if why then
          failures[#failures + 1] = string.format("%s %s at %.1fs: %s [log: %s]", c.op,
            table.concat(c.sigs, "+"), c.at, why, (T.read(c.log) or ""):gsub("\n", " | "))
        end
        if (T.read(c.log) or ""):match("done\n") then done_uninterrupted = done_uninterrupted + 1 end
      end
    end
    io.stdout:write(string.format("# %d runs, %d finished before the signal, %d broke a promise\n",
      #cases, done_uninterrupted, #failures))
    if #failures > 0 then error(#failures .. " promise(s) broken:\n" .. table.concat(failures, "\n"), 0) end
    T.ok(done_uninterrupted < #cases / 2, "most runs were really interrupted mid-way")
  end)
end

-- kill -9: nothing runs in the process, so the promise is recovery.
function M.kill9_backup()
  T.test("kill -9 during a backup: cleanup{ stale = true } starts the service again", function()
    local span = SPANS.backup
    local batch = {}
    for i = 1, math.floor(span / (STEP * 2) + 0.5) do
      local tag = string.format("%s-kill9-%02d", RUN, i)
      local c = { op = "backup", tag = tag, sigs = { "KILL" }, at = i * STEP * 2, service = true }
      c.res = service(tag:sub(#RUN + 2))
      batch[#batch + 1] = c
      launch(c)
    end
    all_exited(batch, 60)
    local r = d:cleanup{ stale = true, labels = mine() }
    T.ok(type(r.containers) == "table")
    docker.sleep(3)
    for _, c in ipairs(batch) do
      local why = broken(c)
      T.ok(why == nil, string.format("kill -9 at %.1fs: %s", c.at, tostring(why)))
    end
  end)
end

function M.kill9_zombie()
  T.test("kill -9 of a script with a <close> container, left a zombie: cleanup{ stale = true } removes it", function()
    local tag = RUN .. "-zombie"
    local c = { tag = tag, log = work .. "/zombie.log" }
    -- the shell execs sleep after starting the child, so nobody reaps it
    local script = T.q(BIN) .. " " .. T.q(CHILD) .. " close " .. tag .. " " .. L .. " >" .. T.q(c.log)
      .. " 2>&1 & echo $! >" .. T.q(work .. "/zombie.pid") .. "; exec sleep 20"
    os.execute("sh -c " .. T.q(script) .. " </dev/null >/dev/null 2>&1 &")
    T.wait_until(function() return #leftovers(tag) == 1 and leftovers(tag)[1].state == "running" end, 20,
      "the child's container")
    local pid = T.read(work .. "/zombie.pid"):match("%d+")
    os.execute("kill -9 " .. pid)
    T.wait_until(function()
      local stat = T.read("/proc/" .. pid .. "/stat") or ""
      return stat:match("^%d+ %b() Z")
    end, 10, "the child to be a zombie")
    d:cleanup{ stale = true, labels = { [L] = tag } }
    T.eq(#leftovers(tag), 0, "the zombie's container is removed")
  end)
end

-- Remove what this run made (the children's containers carry the label too)
-- and end the test file.
function M.finish()
  for _, c in ipairs(d:containers{ all = true, filters = { label = { L } } }) do
    if (c.labels[L] or ""):sub(1, #RUN) == RUN then pcall(c.remove, c, { force = true }) end
  end
  for _, v in ipairs(made.volumes) do pcall(function() d:volume(v):remove{ force = true } end) end
  T.done()
end

return M
