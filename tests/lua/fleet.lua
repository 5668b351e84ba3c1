-- tests/lua/fleet.lua — many engines from one script: examples/fleet.lua runs
-- one command on the two local engines (Debian 12's 20.10 and the suite's
-- second engine, Docker 28) and on one that accepts connections but never
-- answers, all at once. Each answering engine gives a row with its own
-- version and the command's output; the silent one is one error row (a
-- timeout) and does not stop the others; the exit status says one failed.
-- Given no engines, the example takes every docker CLI context (made here
-- with the docker CLI in a throwaway DOCKER_CONFIG), "default" included.
-- Its containers are removed when they end (remove = true); the test checks
-- that none is left on either engine.
local T = require "testlib"
local F = require "_faultlib"
local docker = require "luadock"

local ENGINE1 = "unix:///var/run/docker.sock"
local ENGINE2 = os.getenv("LUADOCK_ENGINE2_HOST")
  or error("LUADOCK_ENGINE2_HOST is not set: tests/CMakeLists.txt gives it to every test")
local BIN = os.getenv("LUADOCK_BINARY_DIR") .. "/luadock"
local EXAMPLE = os.getenv("LUADOCK_SOURCE_DIR") .. "/examples/fleet.lua"
local dir = T.tmpdir()
local MARK = "fleet-" .. docker.core.random_hex(4)

-- Runs the example with env; returns its rows (a table per line, split on
-- runs of 3+ spaces), its whole output and its exit status.
local function fleet(env, args)
  local vars = { "env -u DOCKER_HOST -u DOCKER_CONTEXT" }
  for k, v in pairs(env) do vars[#vars + 1] = k .. "=" .. T.q(v) end
  local cmd = table.concat(vars, " ") .. " " .. T.q(BIN) .. " " .. T.q(EXAMPLE)
    .. " --image " .. T.q(T.image) .. " --cmd " .. T.q("echo " .. MARK) .. " --timeout 3 "
    .. table.concat(args, " ") .. " 2>&1; echo \"exit=$?\""
  local out = T.sh(cmd)
  local rows = {}
  for line in out:gmatch("[^\n]+") do
    if not line:find("^exit=") then
      local cells = {}
      for cell in (line .. "   "):gmatch("(.-)%s%s%s+") do cells[#cells + 1] = cell end
      rows[#rows + 1] = cells
    end
  end
  return rows, out, tonumber(out:match("exit=(%d+)"))
end

local function version_of(host)
  local d <close> = docker.connect{ host = host }
  return d:version().Version
end

local function row_for(rows, engine)
  for _, r in ipairs(rows) do if r[1] == engine then return r end end
end

F.finally(function()
  local silent = F.listener(dir, "silent", "sleep 30")   -- accepts, never answers
  local v1, v2 = version_of(ENGINE1), version_of(ENGINE2)

  T.test("two engines and a silent one: a row each, the silent one an error", function()
    local rows, out, status = fleet({}, { ENGINE1, ENGINE2, silent.host })
    T.eq(rows[1], { "ENGINE", "VERSION", "RESULT", "TIME" }, out)
    T.eq(#rows, 4, out)
    local r1, r2, r3 = row_for(rows, ENGINE1), row_for(rows, ENGINE2), row_for(rows, silent.host)
    T.eq({ r1[2], r1[3] }, { v1, MARK }, out)
    T.eq({ r2[2], r2[3] }, { v2, MARK }, out)
    T.ok(v1 ~= v2, "two different engines: " .. v1 .. " and " .. v2)
    T.eq(r3[2], "-", out)
    -- no headers in time (luadock's header timeout) or a stalled transfer (curl's
    -- low-speed limit): both are the call's timeout, whichever notices first
    local at = "the Docker daemon at " .. silent.host:gsub("%p", "%%%0")
    T.ok(r3[3]:find("^error: no response from " .. at) or r3[3]:find("^error: timed out talking to " .. at), out)
    T.eq(status, 1, "one engine failed: the exit status says so")
  end)

  T.test("no engines given: every docker CLI context, default included", function()
    local cfg = dir .. "/config"
    for name, host in pairs { ["e1"] = ENGINE1, ["e2"] = ENGINE2, ["silent"] = silent.host } do
      local out, ok = T.sh("docker --config " .. T.q(cfg) .. " context create " .. name
        .. " --docker host=" .. T.q(host) .. " 2>&1")
      T.ok(ok, out)
    end
    local rows, out, status = fleet({ DOCKER_CONFIG = cfg }, {})
    local names = {}
    for i = 2, #rows do names[#names + 1] = rows[i][1] end
    T.eq(names, { "default", "e1", "e2", "silent" }, out)
    T.eq(row_for(rows, "default")[3], MARK, out)
    T.eq(row_for(rows, "e2")[2], v2, out)
    T.ok(row_for(rows, "silent")[3]:find("^error: "), out)
    T.eq(status, 1)
  end)

  T.test("all engines answer: exit status 0; no container is left on either engine", function()
    local rows, out, status = fleet({}, { ENGINE1, ENGINE2 })
    T.eq(#rows, 3, out)
    T.eq(status, 0, out)
    for _, host in ipairs { ENGINE1, ENGINE2 } do
      local d <close> = docker.connect{ host = host }
      for _, c in ipairs(d:containers{ all = true }) do
        T.ok(not (c.attrs.Command or ""):find(MARK, 1, true), "left on " .. host .. ": " .. tostring(c.id))
      end
    end
  end)

  T.test("bad arguments: usage on stderr, exit status 2", function()
    local _, out, status = fleet({}, { "--bogus" })
    T.eq(status, 2)
    T.ok(out:find("unknown option --bogus", 1, true), out)
  end)
end, F.kill_all)

T.done()
