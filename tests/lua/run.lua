-- tests/lua/run.lua — one-shot d:run{...} (API.md "Containers"): result table,
-- remove, exit errors, check=false, on_output streaming, stdin feeding, cmd and
-- entrypoint forms, env, workdir, user, labels, tty, timeout, missing image and
-- start failures. Every container carries luadock's labels plus a label unique to
-- this run of the file; whatever is left is removed by d:cleanup{} at the end.
local T = require "testlib"
local docker = require "luadock"

local d = docker.connect()
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local TESTLABEL = "luadock.test.run"

-- labels for one case: { [TESTLABEL] = RUN .. "-" .. case }
local function lab(case, extra)
  local t = { [TESTLABEL] = RUN .. "-" .. case }
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end

local function by_label(case)
  return d:containers{ all = true, filters = { label = { TESTLABEL .. "=" .. RUN .. "-" .. case } } }
end

local function session_id()
  local c = d:create{ image = IMG, cmd = "true", labels = lab("session") }
  local s = c.labels["luadock.session"]
  c:remove{ force = true }
  return s
end

T.test("one-shot run returns stdout, stderr, exit_code, id", function()
  local r = d:run{ image = IMG, cmd = { "echo", "hi" }, remove = true, labels = lab("basic") }
  T.eq(r.exit_code, 0, "exit_code")
  T.eq(math.type(r.exit_code), "integer", "exit_code is an integer")
  T.eq(r.stdout, "hi\n", "stdout")
  T.eq(r.stderr, "", "stderr")
  T.ok(type(r.id) == "string" and r.id:match("^%x+$") and #r.id == 64, "id is a 64-hex id: " .. tostring(r.id))
end)

T.test("stdout and stderr are kept apart", function()
  local r = d:run{ image = IMG, cmd = { "sh", "-c", "echo out1; echo err1 >&2; echo out2; echo err2 >&2" },
                   remove = true, labels = lab("split") }
  T.eq(r.stdout, "out1\nout2\n")
  T.eq(r.stderr, "err1\nerr2\n")
  T.eq(r.exit_code, 0)
end)

T.test("remove=true leaves nothing behind", function()
  local r = d:run{ image = IMG, cmd = "true", remove = true, labels = lab("remove") }
  T.raises_kind(function() d:container(r.id) end, "not_found")
  T.eq(#by_label("remove"), 0, "no container with this case's label")
end)

T.test("without remove the exited container stays", function()
  local r = d:run{ image = IMG, cmd = "true", labels = lab("keep") }
  local c = d:container(r.id)
  T.eq(c.state, "exited")
  T.eq(c.id, r.id)
  c:remove()
  T.raises_kind(function() d:container(r.id) end, "not_found")
end)

T.test("non-zero exit raises kind exit with exit_code, stdout, stderr", function()
  local e = T.raises_kind(function()
    d:run{ image = IMG, remove = true, labels = lab("exit"),
           cmd = { "sh", "-c", "echo partial; echo first-err >&2; echo last-err-line >&2; exit $((40+2))" } }
  end, "exit")
  T.ok(docker.is_error(e), "a docker.Error")
  T.eq(e.exit_code, 42, "exit_code")
  T.eq(e.stdout, "partial\n", "stdout")
  T.eq(e.stderr, "first-err\nlast-err-line\n", "stderr")
  local text = tostring(e)
  T.ok(text:find(IMG, 1, true), "message names the image: " .. text)
  T.ok(text:find("echo partial", 1, true), "message names the command: " .. text)
  T.ok(text:find("%f[%d]42%f[%D]"), "message names the exit code 42: " .. text)
  T.ok(text:find("last-err-line", 1, true), "message has the last stderr lines: " .. text)
  T.eq(#by_label("exit"), 0, "remove=true removed the failed container too")
end)

T.test("exit error message names a plain command and code", function()
  local e = T.raises_kind(function()
    d:run{ image = IMG, cmd = "false", remove = true, labels = lab("false") }
  end, "exit")
  T.eq(e.exit_code, 1)
  T.ok(tostring(e):find("false", 1, true), "names the command 'false': " .. tostring(e))
  local without_image = tostring(e):gsub(IMG:gsub("%p", "%%%0"), "")
  T.ok(without_image:find("%f[%d]1%f[%D]"), "names the code 1: " .. tostring(e))
end)

T.test("check=false returns the result of a failed run", function()
  local r = d:run{ image = IMG, cmd = { "sh", "-c", "echo o; echo e >&2; exit 7" },
                   check = false, remove = true, labels = lab("check") }
  T.eq(r.exit_code, 7)
  T.eq(r.stdout, "o\n")
  T.eq(r.stderr, "e\n")
end)

T.test("on_output streams chunks as they come", function()
  local got = { stdout = {}, stderr = {} }
  local times = {}
  local t0 = docker.clock()
  local r = d:run{ image = IMG, remove = true, labels = lab("stream"),
    cmd = { "sh", "-c", "echo first; echo to-err >&2; sleep 2; echo second" },
    on_output = function(stream, chunk)
      T.ok(stream == "stdout" or stream == "stderr", "stream name: " .. tostring(stream))
      T.eq(type(chunk), "string", "chunk type")
      table.insert(got[stream], chunk)
      times[#times + 1] = { docker.clock() - t0, chunk }
    end }
  T.eq(r.exit_code, 0)
  T.eq(table.concat(got.stdout), "first\nsecond\n", "streamed stdout")
  T.eq(table.concat(got.stderr), "to-err\n", "streamed stderr")
  -- streaming, not collecting: "first" arrived well before "second"
  local t_first, t_second
  for _, e in ipairs(times) do
    if e[2]:find("first", 1, true) and not t_first then t_first = e[1] end
    if e[2]:find("second", 1, true) then t_second = e[1] end
  end
  T.ok(t_first and t_second, "both chunks seen")
  T.ok(t_second - t_first >= 1.0, string.format("first at %.2f s, second at %.2f s: not streamed", t_first, t_second))
end)

T.test("stdin is fed to the process", function()
  local r = d:run{ image = IMG, cmd = "cat", stdin = "hello\n", remove = true, labels = lab("stdin") }
  T.eq(r.stdout, "hello\n")
  T.eq(r.exit_code, 0)
  local r2 = d:run{ image = IMG, cmd = "wc -c", stdin = "", remove = true, labels = lab("stdin") }
  T.eq(r2.stdout:match("%d+"), "0", "empty stdin gives EOF at once")
end)

T.test("200 KB of stdin comes back byte-identical (no deadlock)", function()
  local parts = {}
  local x = 12345
  for i = 1, 200 * 1024 do
    x = (x * 1103515245 + 12345) % 2147483648
    parts[i] = string.char((x >> 16) % 256)
  end
  local big = table.concat(parts)
  T.eq(#big, 204800)
  local t0 = docker.clock()
  local r = d:run{ image = IMG, cmd = "cat", stdin = big, remove = true, timeout = 60, labels = lab("bigstdin") }
  T.eq(#r.stdout, #big, "length back")
  T.ok(r.stdout == big, "content back byte-identical")
  T.ok(docker.clock() - t0 < 30, "took too long")
  local r2 = d:run{ image = IMG, cmd = "wc -c", stdin = big, remove = true, timeout = 60, labels = lab("bigstdin") }
  T.eq(r2.stdout:match("%d+"), "204800", "wc -c")
end)

T.test("cmd as a string is split like a shell", function()
  local r = d:run{ image = IMG, cmd = "sh -c 'echo a b'", remove = true, labels = lab("split") }
  T.eq(r.stdout, "a b\n")
  local r2 = d:run{ image = IMG, cmd = [[echo "x  y" 'z  w' q\ r]], remove = true, labels = lab("split") }
  T.eq(r2.stdout, "x  y z  w q r\n", "quotes and backslash")
  local r3 = d:run{ image = IMG, cmd = "echo $HOME", remove = true, labels = lab("split") }
  T.eq(r3.stdout, "$HOME\n", "no shell runs: $HOME stays literal")
end)

T.test("entrypoint as a string and as an array", function()
  local r = d:run{ image = IMG, entrypoint = "echo", cmd = { "ep", "x" }, remove = true, labels = lab("ep") }
  T.eq(r.stdout, "ep x\n")
  local r2 = d:run{ image = IMG, entrypoint = { "printf", "%s-%s\n" }, cmd = { "a", "b" },
                    remove = true, labels = lab("ep") }
  T.eq(r2.stdout, "a-b\n")
  local r3 = d:run{ image = IMG, entrypoint = "sh -c", cmd = { "echo from-sh" }, remove = true, labels = lab("ep") }
  T.eq(r3.stdout, "from-sh\n")
end)

T.test("env as a map reaches the process", function()
  local r = d:run{ image = IMG, cmd = "env", env = { FOO = "bar", WITH_SPACE = "two words", EMPTY = "" },
                   remove = true, labels = lab("env") }
  T.ok(r.stdout:find("\nFOO=bar\n", 1, true) or r.stdout:find("^FOO=bar\n"), "FOO=bar in:\n" .. r.stdout)
  T.ok(r.stdout:find("WITH_SPACE=two words\n", 1, true), "WITH_SPACE in:\n" .. r.stdout)
  T.ok(r.stdout:find("EMPTY=\n", 1, true), "EMPTY= in:\n" .. r.stdout)
end)

T.test("env as an array reaches the process", function()
  local r = d:run{ image = IMG, cmd = "env", env = { "A1=1", "B2=x=y" }, remove = true, labels = lab("env") }
  T.ok(r.stdout:find("A1=1\n", 1, true), "A1=1 in:\n" .. r.stdout)
  T.ok(r.stdout:find("B2=x=y\n", 1, true), "B2=x=y in:\n" .. r.stdout)
end)

T.test("workdir", function()
  local r = d:run{ image = IMG, cmd = "pwd", workdir = "/tmp", remove = true, labels = lab("wd") }
  T.eq(r.stdout, "/tmp\n")
  local r2 = d:run{ image = IMG, cmd = "pwd", workdir = "/var/www", remove = true, labels = lab("wd") }
  T.eq(r2.stdout, "/var/www\n")
end)

T.test("user", function()
  local r = d:run{ image = IMG, cmd = "id -u", user = "65534", remove = true, labels = lab("user") }
  T.eq(r.stdout, "65534\n")
  local r2 = d:run{ image = IMG, cmd = { "sh", "-c", "id -u; id -g" }, user = "1000:2000", remove = true,
                    labels = lab("user") }
  T.eq(r2.stdout, "1000\n2000\n")
  local r3 = d:run{ image = IMG, cmd = "id -u", remove = true, labels = lab("user") }
  T.eq(r3.stdout, "0\n", "default user is root")
end)

T.test("labels are visible on the container", function()
  local r = d:run{ image = IMG, cmd = "true", labels = lab("labels", { app = "web", ["x.y"] = "z w" }) }
  local c = d:container(r.id)
  T.eq(c.labels.app, "web")
  T.eq(c.labels["x.y"], "z w")
  T.eq(c.labels["luadock.managed"], "1", "luadock.managed=1 added")
  T.ok(type(c.labels["luadock.session"]) == "string" and c.labels["luadock.session"] ~= "", "session label")
  c:remove()
end)

T.test("tty=true: output arrives on stdout through a terminal", function()
  local r = d:run{ image = IMG, tty = true, remove = true, labels = lab("tty"),
                   cmd = { "sh", "-c", "test -t 1 && echo is-a-tty; echo to-err >&2" } }
  T.eq(r.exit_code, 0)
  T.ok(r.stdout:find("is-a-tty", 1, true), "stdout is a terminal: " .. T.show(r.stdout))
  T.ok(r.stdout:find("to-err", 1, true), "stderr merged into stdout: " .. T.show(r.stdout))
  T.ok(r.stdout:find("\r\n", 1, true), "terminal line endings: " .. T.show(r.stdout))
  T.eq(r.stderr, "", "stderr empty with a tty")
  local r2 = d:run{ image = IMG, remove = true, labels = lab("tty"),
                    cmd = { "sh", "-c", "test -t 1 && echo tty || echo no-tty" } }
  T.eq(r2.stdout, "no-tty\n", "without tty stdout is no terminal")
end)

T.test("timeout kills the container and raises kind timeout", function()
  local t0 = docker.clock()
  local e = T.raises_kind(function()
    d:run{ image = IMG, cmd = "sleep 30", timeout = 1, labels = lab("timeout") }
  end, "timeout")
  local dt = docker.clock() - t0
  T.ok(docker.is_error(e), "a docker.Error")
  T.ok(dt >= 0.9, "raised too early: " .. dt)
  T.ok(dt < 8, "took " .. dt .. " s")
  local left = by_label("timeout")
  T.eq(#left, 1, "the container stays (no remove)")
  T.ok(left[1].state ~= "running", "container was killed, state " .. tostring(left[1].state))
  left[1]:remove{ force = true }
end)

T.test("timeout with remove=true kills and removes", function()
  local t0 = docker.clock()
  T.raises_kind(function()
    d:run{ image = IMG, cmd = "sleep 30", timeout = 1, remove = true, labels = lab("timeout-rm") }
  end, "timeout")
  T.ok(docker.clock() - t0 < 8, "took too long")
  T.eq(#by_label("timeout-rm"), 0, "nothing left")
end)

T.test("a run that finishes within its timeout succeeds", function()
  local r = d:run{ image = IMG, cmd = "echo quick", timeout = 20, remove = true, labels = lab("in-time") }
  T.eq(r.stdout, "quick\n")
end)

T.test("missing image with pull=never raises not_found", function()
  local missing = "luadock-test/no-such-image:" .. RUN
  local e = T.raises_kind(function()
    d:run{ image = missing, cmd = "true", pull = "never", remove = true, labels = lab("noimage") }
  end, "not_found")
  T.ok(tostring(e):find(missing, 1, true) or tostring(e):find("no-such-image", 1, true),
    "message names the image: " .. tostring(e))
  T.eq(#by_label("noimage"), 0, "no container created")
end)

T.test("start failure raises and leaves no container behind", function()
  local sess = session_id()
  T.ok(sess, "session label")
  local before = #d:containers{ all = true, filters = { label = { "luadock.session=" .. sess } } }
  local e = T.raises(function()
    d:run{ image = IMG, cmd = "/no/such/binary", labels = lab("startfail") }
  end)
  T.ok(docker.is_error(e), "a docker.Error, got " .. T.show(e))
  T.ok(tostring(e):find("/no/such/binary", 1, true), "message names the binary: " .. tostring(e))
  T.eq(#by_label("startfail"), 0, "no container with this case's label")
  local after = #d:containers{ all = true, filters = { label = { "luadock.session=" .. sess } } }
  T.eq(after, before, "no container of this session left")
end)

T.test("run{} without image raises naming run and image", function()
  T.raises(function() d:run{ cmd = "true" } end, "bad argument #1 to 'run' %(field 'image'")
end)

T.test("clean-up of this file's containers", function()
  d:cleanup{}
  local left = d:containers{ all = true, filters = { label = { TESTLABEL } } }
  for _, c in ipairs(left) do
    T.ok(not c.labels[TESTLABEL]:find("^" .. RUN), "left over: " .. c.name)
  end
end)

pcall(d.cleanup, d, {})
T.done()
