-- tests/lua/detached.lua — background containers (API.md "Containers"): the
-- Container fields, published ports (random, fixed, address forms) reached with
-- curl from the host (from the engine's network namespace on engine 2), the state methods, rename/top/diff, logs and lines, wait,
-- remove, the to-be-closed behaviour, and the docker.Error values of failures.
-- Names carry a random suffix; everything is removed at the end (d:cleanup{}).
local T = require "testlib"
local docker = require "luadock"
local core = require "luadock.core"

local d = docker.connect()
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local TESTLABEL = "luadock.test.detached"

local function name(case) return "ld-det-" .. RUN .. "-" .. case end

local HTTPD = "sh -c 'mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www'"

-- A process that ends on SIGTERM (a plain `sleep` as pid 1 ignores it, and every
-- stop would wait the full stop timeout).
local SLEEPER = "sh -c 'trap \"exit 0\" TERM; sleep 300 & wait'"

-- a detached container running `cmd` (default: SLEEPER); stop_timeout (the
-- Engine's own StopTimeout field) keeps stops of httpd (pid 1, no TERM handler) short
local function bg(case, extra)
  local spec = { image = IMG, cmd = SLEEPER, name = name(case), detach = true,
                 stop_timeout = 2, labels = { [TESTLABEL] = RUN } }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return d:run(spec)
end

local function curl(port, host)
  -- in the engine's network: on the second engine its ports live in a namespace
  local out = T.sh(T.in_engine_net(string.format("curl -s --max-time 3 http://%s:%d/ 2>/dev/null",
    host or "127.0.0.1", port)))
  return out
end

local function wait_page(port, host)
  return T.wait_until(function()
    local out = curl(port, host)
    return out == "hello\n" and out
  end, 15, "http page on port " .. port)
end

local function is_container(v) return getmetatable(v) == docker.Container end

T.test("detach=true returns a started Container with its fields", function()
  local t0 = os.time()
  local c <close> = bg("fields", { cmd = HTTPD, ports = { ["80/tcp"] = true },
                                   labels = { [TESTLABEL] = RUN, app = "web" } })
  T.ok(is_container(c), "a Container")
  T.ok(type(c.id) == "string" and #c.id == 64 and c.id:match("^%x+$"), "id: " .. tostring(c.id))
  T.eq(c.short_id, c.id:sub(1, 12), "short_id")
  T.eq(c.name, name("fields"), "name without /")
  T.eq(c.image, IMG, "image")
  T.ok(type(c.status) == "string" and c.status:match("^Up"), "status: " .. tostring(c.status))
  T.eq(c.state, "running", "state")
  T.eq(c.labels["luadock.managed"], "1", "managed label")
  T.eq(c.labels.app, "web", "own label")
  T.eq(math.type(c.created), "integer", "created is an integer")
  T.ok(math.abs(c.created - t0) <= 60, "created near now: " .. tostring(c.created) .. " vs " .. t0)
  T.eq(type(c.attrs), "table", "attrs")
  T.eq(c.attrs.Id, c.id, "attrs is the engine's JSON")
  local b = c.ports["80/tcp"]
  T.ok(type(b) == "table" and b[1], "ports['80/tcp'] has bindings: " .. T.show(c.ports))
  T.eq(math.type(b[1].host_port), "integer", "host_port is an integer")
  T.ok(b[1].host_port > 0, "host_port > 0")
  T.eq(type(b[1].host_ip), "string", "host_ip is a string")
  T.eq(wait_page(b[1].host_port), "hello\n", "page through the published port")
end)

T.test("fixed host port", function()
  local port = T.free_port()
  local c <close> = bg("fixed", { cmd = HTTPD, ports = { ["80/tcp"] = port } })
  T.eq(c.ports["80/tcp"][1].host_port, port)
  T.eq(wait_page(port), "hello\n")
end)

T.test("\"127.0.0.1:PORT\" host side", function()
  local port = T.free_port()
  local c <close> = bg("addr", { cmd = HTTPD, ports = { ["80/tcp"] = "127.0.0.1:" .. port } })
  local b = c.ports["80/tcp"]
  T.eq(#b, 1, "one binding")
  T.eq(b[1].host_ip, "127.0.0.1")
  T.eq(b[1].host_port, port)
  T.eq(wait_page(port), "hello\n")
end)

T.test("an array of host ports publishes several", function()
  local p1, p2 = T.free_port(), T.free_port()
  local c <close> = bg("multi", { cmd = HTTPD, ports = { [80] = { p1, "127.0.0.1:" .. p2 } } })
  local got = {}
  for _, b in ipairs(c.ports["80/tcp"] or {}) do got[b.host_port] = b.host_ip end
  T.ok(got[p1], "binding " .. p1 .. " in " .. T.show(c.ports))
  T.eq(got[p2], "127.0.0.1", "binding " .. p2)
  T.eq(wait_page(p1), "hello\n")
  T.eq(wait_page(p2), "hello\n")
end)

T.test("create gives a created Container; start runs it", function()
  local c <close> = d:create{ image = IMG, cmd = SLEEPER, name = name("create"),
                                labels = { [TESTLABEL] = RUN } }
  T.ok(is_container(c))
  T.eq(c.state, "created")
  T.eq(c.labels["luadock.managed"], "1")
  local r = c:start()
  T.ok(is_container(r) and r.id == c.id, "start returns the Container")
  T.eq(c:reload().state, "running")
end)

T.test("stop, start, restart, pause, unpause, kill change the state", function()
  local c <close> = bg("states")
  local function state() return c:reload().state end
  local r = c:stop{ timeout = 1 }
  T.ok(is_container(r) and r.id == c.id, "stop returns the Container")
  T.eq(state(), "exited", "after stop")
  T.ok(c.status:match("^Exited"), "status after stop: " .. c.status)
  r = c:start()
  T.ok(is_container(r), "start returns the Container")
  T.eq(state(), "running", "after start")
  local started = c.attrs.State.StartedAt
  r = c:restart{ timeout = 1 }
  T.ok(is_container(r), "restart returns the Container")
  T.eq(state(), "running", "after restart")
  T.ok(c.attrs.State.StartedAt ~= started, "restart started it again")
  r = c:pause()
  T.ok(is_container(r), "pause returns the Container")
  T.eq(state(), "paused", "after pause")
  r = c:unpause()
  T.ok(is_container(r), "unpause returns the Container")
  T.eq(state(), "running", "after unpause")
  r = c:kill()
  T.ok(is_container(r), "kill returns the Container")
  T.eq(state(), "exited", "after kill")
  T.eq(c.attrs.State.ExitCode, 137, "killed by SIGKILL")
end)

T.test("kill{signal=} sends that signal", function()
  local c <close> = bg("signal", { cmd = "sh -c 'trap \"exit 43\" USR1; while :; do sleep 0.1; done'" })
  T.eq(c.attrs.Config.StopTimeout, 2, "stop_timeout reached the engine")
  c:kill{ signal = "USR1" }
  T.wait_until(function() return c:reload().state == "exited" end, 10, "exit after USR1")
  T.eq(c.attrs.State.ExitCode, 43, "the trap for USR1 ran")
  c:start()
  c:kill{ signal = 9 }
  T.wait_until(function() return c:reload().state == "exited" end, 10, "exit after signal 9")
  T.eq(c.attrs.State.ExitCode, 137, "killed by signal number 9")
end)

T.test("rename", function()
  local c <close> = bg("rename")
  local new = name("renamed")
  c:rename(new)
  T.eq(d:container(new).id, c.id, "found under the new name")
  T.eq(c:reload().name, new)
  T.raises_kind(function() d:container(name("rename")) end, "not_found")
end)

T.test("top lists the processes", function()
  local c <close> = bg("top")
  local t = c:top()
  T.eq(type(t.Titles), "table")
  T.eq(type(t.Processes), "table")
  T.ok(#t.Processes >= 1, "at least one process")
  local cmdcol
  for i, title in ipairs(t.Titles) do if title == "CMD" or title == "COMMAND" then cmdcol = i end end
  T.ok(cmdcol, "a CMD column in " .. T.show(t.Titles))
  local found = false
  for _, p in ipairs(t.Processes) do if p[cmdcol]:find("sleep 300", 1, true) then found = true end end
  T.ok(found, "sleep 300 listed: " .. T.show(t.Processes))
  local t2 = c:top{ ps_args = "-o pid,comm" }
  T.eq(t2.Titles[#t2.Titles], "COMMAND", "ps_args reach ps: " .. T.show(t2.Titles))
end)

T.test("diff shows changed files", function()
  local c <close> = bg("diff", { cmd = "sh -c 'touch /tmp/newfile-" .. RUN .. "; trap \"exit 0\" TERM; sleep 300 & wait'" })
  local changes = T.wait_until(function()
    for _, ch in ipairs(c:diff()) do
      if ch.Path == "/tmp/newfile-" .. RUN then return ch end
    end
  end, 10, "the new file in diff()")
  T.eq(changes.Kind, 1, "Kind 1 = added")
end)

local LOGCMD = "sh -c 'echo l1; sleep 0.3; echo e1 >&2; sleep 0.3; echo l2; trap \"exit 0\" TERM; sleep 300 & wait'"

T.test("logs: text, tail, timestamps, stdout only, stderr only, on_output", function()
  local c <close> = bg("logs", { cmd = LOGCMD })
  T.wait_until(function() return c:logs():find("l2\n", 1, true) end, 10, "all log lines")
  T.eq(c:logs(), "l1\ne1\nl2\n", "interleaved in order")
  T.eq(c:logs{ tail = 1 }, "l2\n", "tail=1")
  T.eq(c:logs{ tail = 2 }, "e1\nl2\n", "tail=2")
  T.eq(c:logs{ stderr = false }, "l1\nl2\n", "stdout only")
  T.eq(c:logs{ stdout = false }, "e1\n", "stderr only")
  local ts = c:logs{ timestamps = true }
  local n = 0
  for line in ts:gmatch("[^\n]+") do
    n = n + 1
    T.ok(line:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d[%.%d]*Z (.*)$"), "timestamped: " .. line)
  end
  T.eq(n, 3, "three lines with timestamps")
  local got = {}
  local r = c:logs{ on_output = function(stream, chunk) got[#got + 1] = stream .. ":" .. chunk end }
  T.eq(r, nil, "with on_output nothing is collected")
  T.eq(table.concat(got), "stdout:l1\nstderr:e1\nstdout:l2\n", "on_output chunks")
end)

T.test("lines iterator: stream and line without newline", function()
  local c <close> = bg("lines", { cmd = LOGCMD })
  T.wait_until(function() return c:logs():find("l2\n", 1, true) end, 10, "all log lines")
  local got = {}
  for stream, line in c:lines() do got[#got + 1] = { stream, line } end
  T.eq(got, { { "stdout", "l1" }, { "stderr", "e1" }, { "stdout", "l2" } })
  local last = {}
  for stream, line in c:lines{ tail = 1 } do last[#last + 1] = stream .. ":" .. line end
  T.eq(last, { "stdout:l2" }, "tail=1")
end)

local function socket_count()
  local out = T.sh("ls -l /proc/" .. core.pid() .. "/fd 2>/dev/null")
  local n = 0
  for _ in out:gmatch("socket:") do n = n + 1 end
  return n
end

T.test("break out of lines{follow=true} closes the stream promptly", function()
  local c <close> = bg("follow", { cmd = "sh -c 'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done'" })
  local before = socket_count()
  for round = 1, 5 do
    local t0 = docker.clock()
    local n = 0
    for stream, line in c:lines{ follow = true, tail = 0 } do
      T.eq(stream, "stdout")
      T.ok(line:match("^tick%d+$"), "line: " .. T.show(line))
      n = n + 1
      if n == 3 then break end
    end
    T.eq(n, 3, "round " .. round)
    T.ok(docker.clock() - t0 < 5, "round " .. round .. " took " .. (docker.clock() - t0) .. " s")
  end
  local after = socket_count()
  T.ok(after - before < 3, string.format("followed streams left open: %d sockets before, %d after", before, after))
  -- the same client still works
  T.eq(d:ping(), true)
  T.eq(c:reload().state, "running")
  T.ok(c:logs{ tail = 1 }:match("^tick%d+\n$"), "a later logs call works")
end)

T.test("wait returns the exit code as an integer", function()
  local c <close> = bg("wait", { cmd = "sh -c 'sleep 0.5; exit 5'" })
  local code = c:wait()
  T.eq(code, 5)
  T.eq(math.type(code), "integer")
  T.eq(c:reload().state, "exited")
  T.eq(c:wait(), 5, "wait on an exited container returns at once")
end)

T.test("wait with a timeout on a running container raises kind timeout", function()
  local c <close> = bg("waittimeout")
  local t0 = docker.clock()
  T.raises_kind(function() c:wait{ timeout = 1 } end, "timeout")
  local dt = docker.clock() - t0
  T.ok(dt >= 0.9 and dt < 5, "timed out after " .. dt .. " s")
  T.eq(c:reload().state, "running", "container untouched")
  T.eq(d:ping(), true, "client still works")
end)

T.test("remove: running needs force; then it is gone", function()
  local c = bg("remove")
  local e = T.raises_kind(function() c:remove() end, "conflict")
  T.eq(e.status, 409)
  c:remove{ force = true }
  T.raises_kind(function() d:container(c.id) end, "not_found")
end)

T.test("to-be-closed: the container is gone after the scope", function()
  local id
  do
    local c <close> = bg("tbc")
    id = c.id
    T.eq(d:container(id).state, "running")
  end
  T.raises_kind(function() d:container(id) end, "not_found")
end)

T.test("to-be-closed: also when the scope exits by error", function()
  local id
  local _, err = pcall(function()
    local c <close> = bg("tbc-err")
    id = c.id
    T.eq(d:container(id).state, "running", "alive inside the scope")
    error("boom-in-scope")
  end)
  T.ok(tostring(err):find("boom-in-scope", 1, true), "the original error survives: " .. tostring(err))
  T.raises_kind(function() d:container(id) end, "not_found")
end)

T.test("to-be-closed on an already removed container is quiet", function()
  local id
  do
    local c <close> = bg("tbc-removed")
    id = c.id
    c:remove{ force = true }
  end
  T.raises_kind(function() d:container(id) end, "not_found")
end)

T.test("stop, inspect and reload of a removed container raise not_found", function()
  local c = bg("gone")
  c:remove{ force = true }
  T.raises_kind(function() c:stop() end, "not_found")
  T.raises_kind(function() c:reload() end, "not_found")
  T.raises_kind(function() c:start() end, "not_found")
  T.raises_kind(function() c:logs() end, "not_found")
  T.raises_kind(function() d:container(c.id) end, "not_found")
  T.raises_kind(function() c:remove() end, "not_found")
end)

T.test("create with a duplicate name raises kind conflict", function()
  local c <close> = bg("dup")
  local e = T.raises_kind(function()
    d:create{ image = IMG, cmd = "true", name = name("dup"), labels = { [TESTLABEL] = RUN } }
  end, "conflict")
  T.eq(e.status, 409)
  T.ok(tostring(e):find(name("dup"), 1, true), "message names the container: " .. tostring(e))
  T.raises_kind(function() bg("dup") end, "conflict")
end)

T.test("docker.Error fields and tostring format", function()
  local missing = "ld-nosuch-" .. RUN
  local e = T.raises_kind(function() d:container(missing) end, "not_found")
  T.ok(docker.is_error(e), "is_error")
  T.eq(getmetatable(e), docker.Error)
  T.eq(e.status, 404)
  T.eq(e.message, "No such container: " .. missing)
  T.eq(e.method, "GET")
  T.eq(e.path, "/containers/" .. missing .. "/json")
  T.eq(tostring(e), "luadock: 404 No such container: " .. missing .. " (GET /containers/" .. missing .. "/json)")
  T.eq(docker.is_error("x"), false)
  T.eq(docker.is_error({ kind = "not_found", status = 404 }), false)
  local _, plain = pcall(error, "plain")
  T.eq(docker.is_error(plain), false)
end)

T.test("clean-up of this file's containers", function()
  d:cleanup{}
  local left = d:containers{ all = true, filters = { label = { TESTLABEL .. "=" .. RUN } } }
  T.eq(#left, 0, "left: " .. T.show(left))
end)

pcall(d.cleanup, d, {})
T.done()
