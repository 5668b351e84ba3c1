-- faults/attach_end.lua - why an attach stream ended (faults #16 and #34 of
-- tests/faults/README.md). The end of the stream alone looks the same whether
-- the container exited, the engine detached the client on its detach keys
-- while the container runs on (#34, a real engine), or the engine died
-- mid-attach (#16: a socat proxy in front of the engine's socket, killed by
-- pid while luadock is attached, hijacked with stdin or plain). c:attach asks
-- the engine afterwards: state "exited" with the exit code, "detached", or an
-- error of kind connection when nobody answers any more.

local T = require "testlib"
local F = require "_faultlib"
local core = require "luadock.core"
local docker = require "luadock"

local dir = T.tmpdir()
local d = docker.connect { timeout = 30 }
local made = {}

local function container(cmd, extra)
  local spec = { image = T.image, cmd = cmd, network = "none", stop_timeout = 1 }
  for k, v in pairs(extra or {}) do spec[k] = v end
  local c = d:create(spec)
  made[#made + 1] = c
  c:start()
  return c
end

-- Kills the process group `pid` after `seconds`, from the background (the
-- test itself is blocked in the attach meanwhile).
local function kill_later(pid, seconds)
  assert(os.execute(string.format("(sleep %s; kill -KILL -%d %d) >/dev/null 2>&1 &",
    seconds, pid, pid)))
end

F.finally(function()

-- The engine applies detach keys to a tty attach only (a plain attach copies
-- stdin as it is); closing stdin also ends an attach to a container whose
-- stdin stays open (no StdinOnce), so what tells the keys at work is that
-- the bytes after them never reach the container.
T.test("#34 detach keys in stdin: the rest is not delivered, the container runs on: state detached", function()
  local c = container({ "cat" }, { open_stdin = true, tty = true })
  local t0 = core.clock()
  local r = c:attach { stdin = "abc\n\24def\n", detach_keys = "ctrl-x" }
  T.ok(core.clock() - t0 < 10, "returned after " .. (core.clock() - t0) .. " s")
  T.eq(r.state, "detached", T.show(r))
  T.eq(r.exit_code, nil)
  T.eq(c:reload().state, "running", "the engine says it still runs")
  T.wait_until(function() return c:logs():find("abc", 1, true) end, 5, "cat to echo abc")
  core.sleep(0.3)
  T.ok(not c:logs():find("def", 1, true), "nothing after the keys: " .. T.show(c:logs()))
end)

T.test("#34 the same bytes without detach keys all reach the container", function()
  local c = container({ "cat" }, { open_stdin = true, tty = true })
  local r = c:attach { stdin = "abc\n\24def\n" }
  T.eq(r.state, "detached", "stdin closed, cat runs on: " .. T.show(r))
  T.wait_until(function() return c:logs():find("def", 1, true) end, 5, "cat to echo def")
end)

T.test("#34 stdin that makes the container exit: state exited, its exit code", function()
  local c = container({ "sh", "-c", "head -c 5; exit 3" }, { stdin = true })
  local r = c:attach { stdin = "abc\n\24" }
  T.eq(r.state, "exited", T.show(r))
  T.eq(r.exit_code, 3)
  T.eq(r.stdout, "abc\n\24", "ctrl-x was data")
end)

for _, case in ipairs {
  { "hijacked (stdin)", { cmd = { "sh", "-c", "cat; sleep 60" }, stdin = true }, { stdin = "x\n" } },
  { "plain", { cmd = { "sleep", "60" } }, {} },
} do
  T.test("#16 " .. case[1] .. " attach cut by the engine's death: kind connection, the container runs on", function()
    local c = container(case[2].cmd, { stdin = case[2].stdin })
    local proxy = F.proxy(dir, { fork = true, name = F.name("p") })
    local via = docker.connect { host = proxy.host, timeout = 5 }
    local cv = via:container(c.id)
    kill_later(proxy.pid, 1.5)
    local t0 = core.clock()
    local e = T.raises_kind(function() cv:attach(case[3]) end, "connection")
    local secs = core.clock() - t0
    T.ok(secs > 1 and secs < 15, "ended " .. secs .. " s after the attach began")
    T.ok(e.message:find("the attach stream ended and the engine no longer answers", 1, true), e.message)
    T.eq(e.method, "POST")
    T.eq(e.path, "/containers/" .. c.id .. "/attach")
    T.ok(tostring(e):find(proxy.sock, 1, true), "names the address: " .. tostring(e))
    T.eq(c:reload().state, "running", "the real engine: the container was not touched")
  end)
end

end, function()
  F.kill_all()
  for _, c in ipairs(made) do pcall(c.remove, c, { force = true }) end
end)

T.done()
