-- tests/lua/backup_recovery.lua — a backup killed with kill -9 is recovered
-- (luadock.recovery): a child process starts a backup record, stops the
-- service as docker.backup does, writes a temporary archive and kills itself
-- with SIGKILL at that point; then each recoverer, in a fresh process with
-- the same XDG_STATE_HOME, starts the service again, removes the temporary
-- archive and the record, and says so in one log line: the next backup of
-- that volume, schedule.run starting, and cleanup{ stale = true }. A live
-- process's record, another volume's and another engine's are left alone.
-- Everything made here carries this run's label and is removed at the end.
local T = require "testlib"
local docker = require "luadock"

local d = docker.connect()
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local L = "luadock.test.rec"
local BIN = os.getenv("LUADOCK_BINARY_DIR") .. "/luadock"
local state = T.tmpdir()
local to = T.tmpdir()
local made = {}

local function rand() return docker.core.random_hex(4) end

-- Runs Lua code in a child host with this test's XDG_STATE_HOME; returns
-- what it printed (stdout and stderr).
local function lua_child(code)
  local path = state .. "/child-" .. rand() .. ".lua"
  local f = assert(io.open(path, "w"))
  f:write(code)
  f:close()
  return T.sh("XDG_STATE_HOME=" .. T.q(state) .. " " .. T.q(BIN) .. " " .. T.q(path) .. " 2>&1")
end

local function records()
  local out = T.sh("ls -1A " .. T.q(state .. "/luadock/backups") .. " 2>/dev/null")
  local list = {}
  for name in out:gmatch("[^\n]+") do list[#list + 1] = name end
  return list
end

-- A volume and a running service, then a child that dies by kill -9 right
-- after stopping the service for a backup of that volume (with `helper`:
-- after creating the backup's helper container, before starting it).
local function killed_backup(case, helper)
  local vol = d:volume_create{ name = "ld-rec-" .. RUN .. "-" .. case, labels = { [L] = RUN } }.name
  made[#made + 1] = vol
  local svc = d:run{ image = IMG, detach = true, cmd = "sleep 600", labels = { [L] = RUN },
                     name = "ld-rec-svc-" .. RUN .. "-" .. case, stop_timeout = 1 }
  local tmp = to .. "/." .. vol .. "-20261206T000000Z.tar.gz.tmp-" .. rand()
  local out = lua_child(string.format([[
    local recovery = require "luadock.backup.recovery"
    local d = docker.connect()
    local rec = recovery.begin(d._cli, %q, %q)
    rec:add(%q, %q)
    d:container(%q):stop{ timeout = 1 }
    io.open(%q, "w"):write("partial"):close()
    local helper = %q
    if helper ~= "" then
      rec:add_helper(helper)
      d:create{ image = %q, name = helper, cmd = "true", labels = { [%q] = %q } }
    end
    os.execute("kill -9 " .. docker.core.pid())
    print("not reached")
  ]], vol, tmp, svc.id, svc.name, svc.id, tmp, helper or "", IMG, L, RUN))
  T.ok(not out:match("not reached"), "the child died by kill -9")
  T.eq(d:container(svc.id).state, "exited", "the killed backup left the service stopped")
  T.ok(T.read(tmp) == "partial", "and its temporary archive")
  return vol, svc, tmp
end

local function recovered(svc, tmp, log, vol)
  T.eq(d:container(svc.id).state, "running", "the service runs again")
  T.eq(T.read(tmp), nil, "the temporary archive is gone")
  T.ok(log:match("the backup of volume '" .. vol:gsub("%-", "%%-") .. "' by process %d+ did not finish %(killed%); "
    .. "started again: " .. svc.name:gsub("%-", "%%-")), "one log line says so: " .. log)
end

T.test("the next backup of the volume recovers a killed one", function()
  local vol, svc, tmp = killed_backup("next")
  local log = lua_child(string.format([[
    local r = docker.backup{ volume = %q, to = %q, image = %q }
    print("archive " .. r.archive)
  ]], vol, to, IMG))
  recovered(svc, tmp, log, vol)
  T.ok(log:match("archive "), "and the backup itself ran: " .. log)
  T.eq(records(), {}, "the record is gone")
end)

T.test("a helper a killed backup created but never started is removed", function()
  local helper = "luadock-backup-ld-rec-" .. RUN .. "-" .. rand()
  local vol, svc, tmp = killed_backup("helper", helper)
  T.eq(d:container(helper).state, "created", "the killed backup left its helper Created")
  local log = lua_child(string.format([[
    local r = docker.backup{ volume = %q, to = %q, image = %q }
  ]], vol, to, IMG))
  recovered(svc, tmp, log, vol)
  T.raises_kind(function() d:container(helper) end, "not_found")
  T.eq(records(), {}, "the record is gone")
end)

T.test("schedule.run starting recovers a killed backup", function()
  local vol, svc, tmp = killed_backup("sched")
  local log = lua_child([[
    local schedule = require "luadock.schedule"
    schedule.configure{ history = os.getenv("XDG_STATE_HOME") .. "/h.tsv" }
    print(schedule.run{ duration = 0.1 })
  ]])
  recovered(svc, tmp, log, vol)
  T.eq(records(), {}, "the record is gone")
end)

T.test("cleanup{ stale = true } recovers a killed backup; another volume's next backup does not", function()
  local vol, svc, tmp = killed_backup("clean")
  local other = d:volume_create{ name = "ld-rec-" .. RUN .. "-other", labels = { [L] = RUN } }.name
  made[#made + 1] = other
  local log = lua_child(string.format([[
    docker.backup{ volume = %q, to = %q, image = %q }
  ]], other, to, IMG))
  T.eq(d:container(svc.id).state, "exited", "a backup of another volume leaves it alone")
  T.eq(#records(), 1, "the record stays")
  T.ok(not log:match("did not finish"), log)
  log = lua_child("docker.cleanup{ stale = true, labels = { ['" .. L .. "'] = 'nothing-" .. RUN .. "' } }")
  recovered(svc, tmp, log, vol)
  T.eq(records(), {}, "the record is gone")
end)

T.test("a live backup's record and another engine's are never touched", function()
  local vol = d:volume_create{ name = "ld-rec-" .. RUN .. "-live", labels = { [L] = RUN } }.name
  made[#made + 1] = vol
  local svc = d:run{ image = IMG, detach = true, cmd = "sleep 600", labels = { [L] = RUN }, stop_timeout = 1 }
  svc:stop{ timeout = 1 }
  local dir = state .. "/luadock/backups"
  os.execute("mkdir -p " .. T.q(dir))
  -- this test process is alive: its record must stay
  local session = require "luadock.base.session"
  local live = string.format("pid\t%d\npidstart\t%s\nhost\t%s\nengine\t%s\nvolume\t%s\ntmp\t/nonexistent\ncontainer\t%s\t%s\n",
    session.pid, session.pidstart, session.host, d._cli:host(), vol, svc.id, svc.name)
  local f = assert(io.open(dir .. "/" .. vol .. ".live.stopped", "w")); f:write(live); f:close()
  -- a dead pid, but another engine
  local foreign = live:gsub("pid\t%d+", "pid\t4194000"):gsub("engine\t[^\n]+", "engine\ttcp://127.0.0.1:1")
  f = assert(io.open(dir .. "/" .. vol .. ".foreign.stopped", "w")); f:write(foreign); f:close()
  local log = lua_child(string.format("docker.backup{ volume = %q, to = %q, image = %q }", vol, to, IMG))
  T.ok(not log:match("did not finish"), log)
  T.eq(d:container(svc.id).state, "exited", "left stopped")
  T.eq(#records(), 2, "both records stay")
  os.remove(dir .. "/" .. vol .. ".live.stopped")
  os.remove(dir .. "/" .. vol .. ".foreign.stopped")
end)

for _, c in ipairs(d:containers{ all = true, filters = { label = { L .. "=" .. RUN } } }) do
  pcall(c.remove, c, { force = true })
end
for _, v in ipairs(made) do pcall(function() d:volume(v):remove{ force = true } end) end
T.done()
