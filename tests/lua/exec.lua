-- tests/lua/exec.lua — c:exec{...} and d:exec_inspect (API.md "Containers"):
-- exit codes as results (never raised), stdout/stderr kept apart, env, workdir,
-- user, privileged, stdin fed and closed (small, 100 KB with every byte
-- value), tty (everything in stdout), on_output streaming, timeout (kind
-- "timeout", the exec id in the error), detach + exec_inspect, exec on a
-- stopped, paused or removed container, and bad input naming 'exec' and the
-- field. Containers carry a test label and are removed at the end.
local T = require "testlib"
local docker = require "luadock"

local d = docker.connect()
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local TESTLABEL = "luadock.test.exec"
local SLEEPER = "sh -c 'trap \"exit 0\" TERM; sleep 300 & wait'"

local function bg(case, extra)
  local spec = { image = IMG, cmd = SLEEPER, name = "ld-exec-" .. RUN .. "-" .. case, detach = true,
                 stop_timeout = 1, labels = { [TESTLABEL] = RUN } }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return d:run(spec)
end

local ok_setup, shared = pcall(bg, "shared")
if not ok_setup then
  print("not ok - setup: " .. tostring(shared))
  pcall(d.cleanup, d, {})
  os.exit(1)
end
local c = shared

T.test("exit codes are results, stdout and stderr apart", function()
  local r = c:exec{ cmd = "sh -c 'echo out; echo err >&2; exit 3'" }
  T.eq(r.exit_code, 3)
  T.eq(math.type(r.exit_code), "integer")
  T.eq(r.stdout, "out\n")
  T.eq(r.stderr, "err\n")
  T.eq(type(r.id), "string", "the exec id comes along")
  r = c:exec{ cmd = { "true" } }
  T.eq(r, { exit_code = 0, stdout = "", stderr = "", id = r.id })
  T.eq(c:exec{ cmd = "sh -c 'exit 255'" }.exit_code, 255)
  T.eq(c:exec{ cmd = "false" }.exit_code, 1)
end)

T.test("a missing binary is exit code 126/127, not an error", function()
  local r = c:exec{ cmd = "/no/such/binary" }
  T.ok(r.exit_code == 126 or r.exit_code == 127, "exit code " .. tostring(r.exit_code))
end)

T.test("cmd as a string is split like a shell would, without running one", function()
  local r = c:exec{ cmd = [[echo "a  b" 'c d' e\ f $HOME]] }
  T.eq(r.stdout, "a  b c d e f $HOME\n")
end)

T.test("env (map and array), workdir, user", function()
  local r = c:exec{ cmd = { "sh", "-c", "echo $A-$B; pwd; id -u; id -g" },
                    env = { A = "1", B = "two words" }, workdir = "/tmp", user = "1000:1001" }
  T.eq(r.stdout, "1-two words\n/tmp\n1000\n1001\n")
  r = c:exec{ cmd = { "sh", "-c", "echo $X; id -u" }, env = { "X=arr" }, user = 65534 }
  T.eq(r.stdout, "arr\n65534\n")
  r = c:exec{ cmd = "pwd", workdir = "/no/such/dir" }
  -- like `docker exec -w`: the runtime fails to start it and the engine gives
  -- the exit code: 126 on Docker 20.10; Docker 28 reads "no such file or
  -- directory" in the runtime's message as "command not found", 127
  local major = tonumber(d:version().Version:match("^(%d+)"))
  T.eq(r.exit_code, major >= 28 and 127 or 126, "a missing workdir: " .. T.show(r))
  T.ok((r.stdout .. r.stderr):find("no such file", 1, true), "the runtime's message: " .. T.show(r))
end)

T.test("privileged", function()
  -- an unprivileged container cannot remount /proc/sys read-write... but a
  -- privileged exec gets every capability: CapEff shows all bits
  local plain = c:exec{ cmd = "sh -c 'grep CapEff /proc/self/status'" }.stdout
  local priv = c:exec{ cmd = "sh -c 'grep CapEff /proc/self/status'", privileged = true }.stdout
  T.ok(plain:match("^CapEff:%s+%x+"), plain)
  T.ok(priv ~= plain, "privileged has more capabilities: " .. plain .. " vs " .. priv)
end)

T.test("stdin: fed and closed (the process sees end-of-file)", function()
  local r = c:exec{ cmd = "cat", stdin = "hello\nworld\n" }
  T.eq(r.exit_code, 0)
  T.eq(r.stdout, "hello\nworld\n")
  r = c:exec{ cmd = "wc -c", stdin = "" }
  T.eq(r.stdout:match("%d+"), "0", "empty stdin")
  r = c:exec{ cmd = "sh -c 'cat >&2; exit 4'", stdin = "to stderr" }
  T.eq(r, { exit_code = 4, stdout = "", stderr = "to stderr", id = r.id })
end)

T.test("stdin: 100 KB with every byte value round-trips", function()
  local parts = {}
  for i = 0, 102399 do parts[#parts + 1] = string.char((i * 7 + i // 256) % 256) end
  local data = table.concat(parts)
  T.eq(#data, 102400)
  local r = c:exec{ cmd = "cat", stdin = data }
  T.eq(r.exit_code, 0)
  T.eq(#r.stdout, #data, "length")
  T.ok(r.stdout == data, "bytes equal")
  r = c:exec{ cmd = "wc -c", stdin = data }
  T.eq(r.stdout:match("%d+"), "102400", "the process read it all")
end)

T.test("large output (1 MB stdout and stderr) arrives whole", function()
  local r = c:exec{ cmd = "sh -c 'head -c 1048576 /dev/zero; head -c 524288 /dev/zero >&2'" }
  T.eq(r.exit_code, 0)
  T.eq(#r.stdout, 1048576)
  T.eq(#r.stderr, 524288)
end)

T.test("tty: all output in stdout, terminal line endings", function()
  local r = c:exec{ cmd = "sh -c 'echo a; echo b >&2; test -t 1 && echo tty'", tty = true }
  T.eq(r.exit_code, 0)
  T.eq(r.stderr, "")
  T.eq(r.stdout, "a\r\nb\r\ntty\r\n")
  T.eq(c:exec{ cmd = "sh -c 'exit 9'", tty = true }.exit_code, 9)
  T.eq(c:exec{ cmd = "sh -c 'test -t 1 || echo notty'" }.stdout, "notty\n")
end)

T.test("on_output streams the chunks; nothing is collected", function()
  local got = {}
  local r = c:exec{ cmd = "sh -c 'echo 1; sleep 0.2; echo 2 >&2; sleep 0.2; echo 3'",
                    on_output = function(stream, chunk) got[#got + 1] = stream .. ":" .. chunk end }
  T.eq(r.exit_code, 0)
  T.eq(r.stdout, "")
  T.eq(r.stderr, "")
  T.eq(table.concat(got), "stdout:1\nstderr:2\nstdout:3\n")
end)

T.test("an error inside on_output propagates and the client still works", function()
  T.raises(function()
    c:exec{ cmd = "sh -c 'echo x; sleep 5'", on_output = function() error("stop-here") end }
  end, "stop%-here")
  T.eq(c:exec{ cmd = "echo still" }.stdout, "still\n")
end)

T.test("timeout raises kind timeout promptly, carrying the exec id", function()
  local t0 = docker.clock()
  local e = T.raises_kind(function()
    c:exec{ cmd = "sh -c 'echo early; sleep 30'", timeout = 0.7 }
  end, "timeout")
  local dt = docker.clock() - t0
  T.ok(dt >= 0.6 and dt < 5, "took " .. dt .. " s")
  T.ok(docker.is_error(e), "a docker.Error")
  T.eq(e.stdout, "early\n", "output so far")
  T.eq(type(e.id), "string")
  T.ok(tostring(e):find("0.7 s", 1, true), tostring(e))
  local info = d:exec_inspect(e.id)
  T.eq(info.Running, true, "the engine cannot kill it: still running")
  T.eq(c:exec{ cmd = "echo after" }.stdout, "after\n", "client still works")
  -- a timeout that is not reached changes nothing
  T.eq(c:exec{ cmd = "echo quick", timeout = 30 }.stdout, "quick\n")
end)

T.test("a process that closes its output early: exec waits for its exit code", function()
  local t0 = docker.clock()
  local r = c:exec{ cmd = "sh -c 'exec >/dev/null 2>&1; sleep 1; exit 5'" }
  T.eq(r.exit_code, 5)
  T.ok(docker.clock() - t0 >= 0.9, "waited for the exit")
  T.raises_kind(function()
    c:exec{ cmd = "sh -c 'exec >/dev/null 2>&1; sleep 5'", timeout = 0.8 }
  end, "timeout")
  T.raises_kind(function() c:exec{ cmd = "sh -c 'cat; sleep 30'", stdin = "x", timeout = 0.5 } end, "timeout")
  T.raises_kind(function() c:exec{ cmd = "sleep 30", tty = true, timeout = 0.5 } end, "timeout")
end)

T.test("detach returns { id } at once; exec_inspect gives the state", function()
  local t0 = docker.clock()
  local r = c:exec{ cmd = "sh -c 'sleep 1; exit 6'", detach = true }
  T.ok(docker.clock() - t0 < 1, "returned at once")
  T.eq(type(r.id), "string")
  T.eq(r.exit_code, nil)
  local info = d:exec_inspect(r.id)
  T.eq(info.ID, r.id)
  T.eq(info.Running, true)
  T.eq(info.ContainerID, c.id)
  T.eq(info.ProcessConfig.entrypoint, "sh")
  T.wait_until(function() return not d:exec_inspect(r.id).Running end, 10, "the detached exec to end")
  T.eq(d:exec_inspect(r.id).ExitCode, 6)
  T.eq(docker.exec_inspect(r.id).ExitCode, 6, "module function on the default client")
  -- it really ran: a detached exec writing a file
  c:exec{ cmd = "sh -c 'echo done > /tmp/detached-" .. RUN .. "'", detach = true }
  T.wait_until(function()
    return c:exec{ cmd = "cat /tmp/detached-" .. RUN }.stdout == "done\n"
  end, 10, "the detached exec's file")
end)

T.test("exec_inspect of an unknown id raises not_found", function()
  local e = T.raises_kind(function() d:exec_inspect("nosuchexec" .. RUN) end, "not_found")
  T.eq(e.status, 404)
end)

T.test("exec on a stopped, paused or removed container", function()
  local s = bg("stopped")
  s:stop{ timeout = 1 }
  local e = T.raises_kind(function() s:exec{ cmd = "true" } end, "conflict")
  T.eq(e.status, 409)
  T.ok(tostring(e.message):find("not running", 1, true), tostring(e))
  s:start()
  s:pause()
  T.raises_kind(function() s:exec{ cmd = "true" } end, "conflict")
  s:unpause()
  T.eq(s:exec{ cmd = "echo ok" }.stdout, "ok\n")
  s:remove{ force = true }
  T.raises_kind(function() s:exec{ cmd = "true" } end, "not_found")
end)

T.test("bad input names 'exec' and the field, before any engine call", function()
  local cases = {
    { nil, "#1 to 'exec' %(table expected, got nil%)" },
    { "ls", "#1 to 'exec' %(table expected, got string%)" },
    { {}, "field 'cmd': string or array of strings expected, got nil" },
    { { cmd = 42 }, "field 'cmd': string or array of strings expected, got number" },
    { { cmd = "" }, "field 'cmd': empty command" },
    { { cmd = { "ls", 1 } }, "field 'cmd': item 2: string expected" },
    { { cmd = "echo 'open" }, "field 'cmd': unterminated single quote" },
    { { cmd = "ls", env = "A=1" }, "field 'env': table expected, got string" },
    { { cmd = "ls", env = { A = 1 } }, "field 'env': value of 'A': string expected" },
    { { cmd = "ls", env = { "=x" } }, "field 'env': item 1" },
    { { cmd = "ls", workdir = "tmp" }, "field 'workdir': absolute path expected" },
    { { cmd = "ls", workdir = 5 }, "field 'workdir': string expected" },
    { { cmd = "ls", user = {} }, "field 'user': string expected, got table" },
    { { cmd = "ls", user = "" }, "field 'user': non%-empty string expected" },
    { { cmd = "ls", privileged = "yes" }, "field 'privileged': boolean expected" },
    { { cmd = "ls", tty = 1 }, "field 'tty': boolean expected" },
    { { cmd = "ls", stdin = 5 }, "field 'stdin': string expected, got number" },
    { { cmd = "cat", stdin = "x", tty = true }, "field 'stdin': cannot be fed to a tty" },
    { { cmd = "ls", timeout = -1 }, "field 'timeout': positive number of seconds expected" },
    { { cmd = "ls", timeout = 0 }, "field 'timeout': positive number" },
    { { cmd = "ls", timeout = "5" }, "field 'timeout': positive number of seconds expected, got string" },
    { { cmd = "ls", on_output = true }, "field 'on_output': function expected" },
    { { cmd = "ls", detach = "no" }, "field 'detach': boolean expected" },
    { { cmd = "ls", detach = true, on_output = print }, "field 'on_output': only without detach" },
    { { cmd = "ls", detach = true, stdin = "x" }, "field 'stdin': only without detach" },
    { { cmd = "ls", detach = true, timeout = 1 }, "field 'timeout': only without detach" },
    { { cmd = "ls", nosuch = 1 }, "field 'nosuch': unknown option" },
    { { cmd = "ls", [1] = "x" }, "field '1': unknown option" },
  }
  for i, case in ipairs(cases) do
    local err = T.raises(function() c:exec(case[1]) end, case[2])
    T.ok(type(err) == "string" and err:find("bad argument", 1, true), "case " .. i .. ": " .. tostring(err))
    T.ok(err:find("exec.lua:", 1, true) and not err:find("luadock/exec.lua", 1, true),
      "case " .. i .. " reported at the caller: " .. err)
  end
  T.raises(function() c.exec({ cmd = "ls" }) end, "bad self")
  T.raises(function() d:exec_inspect() end, "#1 to 'exec_inspect' %(exec id string expected, got nil%)")
  T.raises(function() d:exec_inspect("") end, "got empty string")
end)

T.test("bad input creates no exec instance on the engine", function()
  local function count() return #(c:reload().attrs.ExecIDs or {}) end
  local before = count()
  for _ = 1, 5 do pcall(c.exec, c, { cmd = "ls", env = "bad" }) end
  T.ok(count() <= before, "exec instances: " .. before .. " before, " .. count() .. " after")
end)

T.test("clean-up of this file's containers", function()
  local r = d:cleanup{}
  T.ok(#r.containers >= 1, "removed: " .. T.show(r))
  local left = d:containers{ all = true, filters = { label = { TESTLABEL .. "=" .. RUN } } }
  T.eq(#left, 0, "left: " .. T.show(left))
end)

pcall(d.cleanup, d, {})
T.done()
