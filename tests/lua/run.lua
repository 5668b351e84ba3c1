-- tests/lua/run.lua — one-shot d:run{...} (API.md "Containers"): result table,
-- remove, exit errors, check=false, on_output streaming, stdin feeding, cmd and
-- entrypoint forms, env, workdir, user, labels, tty, timeout, missing image and
-- start failures; remove/auto_remove as the engine's AutoRemove (`docker run
-- --rm`), output through attach whatever the log driver, fast exits, and what an
-- interrupted run leaves (kill -9, SIGINT/SIGTERM of a child luadock, an event
-- loop abort as max_runtime does), compared with the docker CLI where useful.
-- Every container carries luadock's labels plus a label unique to this run of
-- the file; whatever is left is removed by d:cleanup{} (or by id) at the end.
local T = require "testlib"
local docker = require "luadock"
local core = require "luadock.core"
local loop = require "luadock.loop"

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

-- ---- remove / auto_remove (AutoRemove), attach, interruption -----------------

local BIN = (os.getenv("LUADOCK_BINARY_DIR") and os.getenv("LUADOCK_BINARY_DIR") .. "/luadock") or arg[-1]

local function gone(id)
  local ok, e = pcall(d.container, d, id)
  if ok then return false end
  if docker.is_error(e) and e.kind == "not_found" then return true end
  error(e, 0)
end

T.test("remove=true is AutoRemove: right exit codes and output, gone by id", function()
  local seen, chunks = nil, {}
  local r = d:run{ image = IMG, remove = true, labels = lab("autorm"),
    cmd = { "sh", "-c", "echo out; echo err >&2; sleep 1" },
    on_output = function(stream, chunk)
      chunks[#chunks + 1] = stream .. ":" .. chunk
      -- while it runs, the engine holds the removal order
      if not seen then seen = d:container(by_label("autorm")[1].id) end
    end }
  T.eq(r.exit_code, 0)
  T.ok(seen, "inspected while running")
  T.eq(seen.attrs.HostConfig.AutoRemove, true, "HostConfig.AutoRemove")
  T.eq(seen.id, r.id)
  table.sort(chunks)
  T.eq(table.concat(chunks), "stderr:err\nstdout:out\n")
  T.ok(gone(r.id), "gone by id once run returned")

  local r2 = d:run{ image = IMG, cmd = { "sh", "-c", "echo o2; echo e2 >&2; exit 5" }, remove = true,
                    check = false, labels = lab("autorm") }
  T.eq(r2.exit_code, 5)
  T.eq(r2.stdout, "o2\n")
  T.eq(r2.stderr, "e2\n")
  T.ok(gone(r2.id), "non-zero exit: gone by id")

  local e = T.raises_kind(function()
    d:run{ image = IMG, cmd = { "sh", "-c", "echo o3; exit 130" }, remove = true, labels = lab("autorm") }
  end, "exit")
  T.eq(e.exit_code, 130)
  T.eq(e.stdout, "o3\n")
  T.ok(gone(e.id), "raised exit: gone by id")
  T.eq(#by_label("autorm"), 0)
end)

T.test("auto_remove=true means the same as remove=true", function()
  local r = d:run{ image = IMG, cmd = "echo via-auto", auto_remove = true, labels = lab("auto") }
  T.eq(r.exit_code, 0)
  T.eq(r.stdout, "via-auto\n")
  T.ok(gone(r.id), "gone by id")
  local r2 = d:run{ image = IMG, cmd = { "sh", "-c", "echo bad >&2; exit 9" }, auto_remove = true,
                    check = false, labels = lab("auto") }
  T.eq(r2.exit_code, 9)
  T.eq(r2.stderr, "bad\n")
  T.ok(gone(r2.id), "non-zero exit: gone by id")
  local r3 = d:run{ image = IMG, cmd = "echo both", auto_remove = true, remove = true, restart = "no",
                    labels = lab("auto") }
  T.eq(r3.stdout, "both\n")
  T.ok(gone(r3.id))
end)

T.test("log driver none: a one-shot run still returns its output, as docker run does", function()
  local script = "echo hi; echo oops >&2; exit 3"
  local r = d:run{ image = IMG, cmd = { "sh", "-c", script }, remove = true, check = false,
                   log_config = { Type = "none" }, labels = lab("nolog") }
  T.eq(r.stdout, "hi\n")
  T.eq(r.stderr, "oops\n")
  T.eq(r.exit_code, 3)
  T.ok(gone(r.id))
  local cli_out, _, cli_code = T.sh("docker run --rm --log-driver none --label "
    .. T.q(TESTLABEL .. "=" .. RUN .. "-nolog") .. " " .. T.q(IMG) .. " sh -c " .. T.q(script) .. " 2>/dev/null")
  T.eq(cli_out, r.stdout, "the docker CLI prints the same")
  T.eq(cli_code, r.exit_code, "the docker CLI exits the same")

  local chunks = {}
  local r2 = d:run{ image = IMG, cmd = "echo streamed", log_config = { Type = "none" }, labels = lab("nolog"),
                    on_output = function(stream, chunk) chunks[#chunks + 1] = stream .. ":" .. chunk end }
  T.eq(table.concat(chunks), "stdout:streamed\n", "on_output without a log driver")
  T.eq(d:container(r2.id).state, "exited", "no remove: it stays")
  d:container(r2.id):remove()

  local r3 = d:run{ image = IMG, tty = true, remove = true, log_config = { Type = "none" }, labels = lab("nolog"),
                    cmd = { "sh", "-c", "echo tty-out; echo tty-err >&2" } }
  T.ok(r3.stdout:find("tty-out\r\n", 1, true) and r3.stdout:find("tty-err", 1, true), T.show(r3.stdout))
  T.eq(r3.stderr, "", "tty: all output on stdout")
  T.eq(#by_label("nolog"), 0)
end)

T.test("output of fast-exiting containers is never lost", function()
  for i = 1, 20 do
    local r = d:run{ image = IMG, cmd = "echo x", remove = true, labels = lab("fast") }
    T.eq(r.stdout, "x\n", "stdout of run " .. i)
    T.eq(r.exit_code, 0, "exit code of run " .. i)
  end
  for i = 1, 6 do
    local remove = i % 2 == 0
    local r = d:run{ image = IMG, cmd = { "sh", "-c", "echo x; echo y >&2; exit " .. i }, remove = remove,
                     check = false, labels = lab("fast") }
    T.eq({ r.stdout, r.stderr, r.exit_code }, { "x\n", "y\n", i }, "run " .. i)
    if remove then T.ok(gone(r.id)) else d:container(r.id):remove() end
  end
  T.eq(#by_label("fast"), 0)
end)

T.test("start failure with remove=true leaves nothing", function()
  T.raises(function()
    d:run{ image = IMG, cmd = "/no/such/binary", remove = true, labels = lab("startfail-rm") }
  end, "/no/such/binary")
  T.eq(#by_label("startfail-rm"), 0)
end)

T.test("detached remove=true and auto_remove=true: AutoRemove, gone after the exit", function()
  for _, opt in ipairs{ "remove", "auto_remove" } do
    local c = d:run{ image = IMG, cmd = "sleep 1", detach = true, [opt] = true, labels = lab("det-" .. opt) }
    T.eq(c.attrs.HostConfig.AutoRemove, true, opt)
    T.wait_until(function() return gone(c.id) end, 20, "detached " .. opt .. " container removed")
  end
end)

T.test("one-shot runs with remove=true overlap in docker.parallel", function()
  local t0 = docker.clock()
  local function job(word)
    return function()
      return d:run{ image = IMG, cmd = "sh -c 'sleep 1.5; echo " .. word .. "'", remove = true, labels = lab("par") }
    end
  end
  local a, b, c = docker.parallel{ job("a"), job("b"), job("c") }
  local dt = docker.clock() - t0
  T.eq({ a.stdout, b.stdout, c.stdout }, { "a\n", "b\n", "c\n" })
  T.ok(dt < 3.5, string.format("three 1.5 s runs took %.2f s: they did not overlap", dt))
  for _, r in ipairs{ a, b, c } do T.ok(gone(r.id)) end
end)

T.test("an event loop abort (as max_runtime) kills the container; with remove it is gone", function()
  for _, remove in ipairs{ false, true } do
    local case = remove and "abort-rm" or "abort"
    local up = false
    local t = loop.spawn(function()
      return d:run{ image = IMG, cmd = "sh -c 'echo up; sleep 30'", remove = remove, labels = lab(case),
                    on_output = function() up = true end }
    end)
    local t0 = docker.clock()
    while not up and not t.done and docker.clock() - t0 < 20 do loop.step(0.1) end
    T.ok(up, "the run's output arrived")
    loop.abort(t, "max_runtime of 1s exceeded")
    loop.join{ t }
    T.eq(t.ok, false, "the run failed")
    T.ok(docker.is_error(t.err) and t.err.kind == "canceled", "kind canceled: " .. T.show(t.err))
    T.ok(docker.clock() - t0 < 15, "stopped in time")
    local left = by_label(case)
    if remove then
      T.eq(#left, 0, "removed")
    else
      T.eq(#left, 1, "kept without remove")
      T.eq(left[1].state, "exited", "killed")
      left[1]:remove()
    end
  end
end)

T.test("a create cut short by a cancel: the container the engine made anyway is found and removed", function()
  for _, detach in ipairs{ false, true } do
    local case = detach and "cut-det" or "cut"
    local since = core.walltime() - 1
    local t = loop.spawn(function()
      return d:run{ image = IMG, cmd = "sleep 30", detach = detach, labels = lab(case) }
    end)
    loop.step(0)                       -- the create request goes out, then the task waits
    loop.abort(t, "canceled while creating")
    loop.join{ t }
    T.eq(t.ok, false)
    T.ok(docker.is_error(t.err) and t.err.kind == "canceled", T.show(t.err))
    local actions = {}
    for ev in d:events{ since = since, ["until"] = core.walltime() + 0.5, filters = { type = "container",
                        label = { TESTLABEL .. "=" .. RUN .. "-" .. case } } } do
      actions[#actions + 1] = ev.Action
    end
    T.eq(actions[1], "create", "the engine made the container: " .. table.concat(actions, ","))
    T.eq(actions[#actions], "destroy", "and it was removed: " .. table.concat(actions, ","))
    T.eq(#by_label(case), 0, "nothing left")
  end
end)

T.test("the exit code of a container removed before the wait reached it comes from its die event", function()
  local since = core.walltime() - 1
  local r = d:run{ image = IMG, cmd = "sh -c 'exit 7'", check = false, labels = lab("events") }
  T.eq(r.exit_code, 7)
  d:container(r.id):remove()
  T.eq(require("luadock.container.run").exit_code_from_events(d._cli, r.id, since), 7)
end)

-- A child luadock doing one one-shot run of `cmd`; at the first output it prints
-- "<pid> <container id>", and "finished" if the run returns.
local function spawn_run(case, remove, cmd)
  local value = RUN .. "-" .. case
  local code = string.format([[
local d = docker.connect()
local told = false
d:run{ image = %q, cmd = %q, remove = %s, labels = { [%q] = %q },
  on_output = function()
    if told then return end
    told = true
    local c = d:containers{ filters = { label = { %q } } }[1]
    io.stdout:write(require("luadock.core").pid(), " ", c.id, "\n")
    io.stdout:flush()
  end }
print("finished")
]], IMG, cmd, tostring(remove), TESTLABEL, value, TESTLABEL .. "=" .. value)
  local f = assert(io.popen(T.q(BIN) .. " -e " .. T.q(code) .. " 2>&1", "r"))
  local line = f:read("l")
  local pid, id = (line or ""):match("^(%d+) (%x+)$")
  if not pid then
    local rest = f:read("a")
    f:close()
    error("the child did not report its container: " .. tostring(line) .. "\n" .. tostring(rest))
  end
  return { f = f, pid = pid, id = id }
end

local function finish_child(ch)
  local rest = ch.f:read("a")
  local ok = ch.f:close()
  return rest, ok
end

T.test("kill -9 of luadock during a remove=true run: the engine removes the container when it exits", function()
  local ch = spawn_run("kill9", true, "sh -c 'echo up; sleep 4'")
  os.execute("kill -9 " .. ch.pid)
  local rest, ok = finish_child(ch)
  T.ok(not ok and not rest:find("finished", 1, true), "the child was killed: " .. rest)
  -- nothing of luadock survives, yet the container runs on to its end ...
  local ok2, c = pcall(d.container, d, ch.id)
  if ok2 then
    T.eq(c.attrs.HostConfig.AutoRemove, true)
    T.eq(c.state, "running", "still running right after the kill")
  end
  -- ... and then the engine removes it
  T.wait_until(function() return gone(ch.id) end, 20, "container " .. ch.id .. " removed by the engine")
end)

for _, sig in ipairs{ "INT", "TERM" } do
  T.test("SIG" .. sig .. " during a remove=true run: killed and removed before luadock exits", function()
    local t0 = docker.clock()
    local ch = spawn_run("sig" .. sig, true, "sh -c 'echo up; sleep 60'")
    os.execute("kill -" .. sig .. " " .. ch.pid)
    local rest, ok = finish_child(ch)
    T.ok(not ok, "the child failed")
    T.ok(rest:find(sig == "INT" and "interrupted!" or "terminated!", 1, true), "the child's message: " .. rest)
    T.ok(not rest:find("finished", 1, true), "the run did not return normally")
    T.ok(gone(ch.id), "the container is gone when luadock has exited")
    T.ok(docker.clock() - t0 < 30, "took " .. (docker.clock() - t0) .. " s")
  end)
end

T.test("SIGTERM during a run without remove: the container is killed and kept", function()
  local ch = spawn_run("sigkeep", false, "sh -c 'echo up; sleep 60'")
  os.execute("kill -TERM " .. ch.pid)
  local rest, ok = finish_child(ch)
  T.ok(not ok and rest:find("terminated!", 1, true), "the child's message: " .. rest)
  local c = d:container(ch.id)
  T.eq(c.state, "exited", "killed when luadock exited")
  T.eq(c.attrs.State.ExitCode, 137, "by SIGKILL")
  c:remove()
end)

T.test("bad remove/auto_remove input names run and the field; nothing is created", function()
  local function bad(spec, pattern)
    spec.image, spec.cmd, spec.labels = IMG, "true", lab("bad")
    T.raises(function() d:run(spec) end, pattern)
  end
  bad({ remove = "yes" }, "bad argument #1 to 'run' %(field 'remove': boolean expected, got string%)")
  bad({ auto_remove = "yes" }, "bad argument #1 to 'run' %(field 'auto_remove': boolean expected, got string%)")
  bad({ remove = true, auto_remove = false }, "bad argument #1 to 'run' %(field 'remove': conflicts with option 'auto_remove'")
  bad({ remove = true, restart = "always" }, "bad argument #1 to 'run' %(field 'remove': conflicts with restart policy 'always'")
  bad({ auto_remove = true, detach = true, restart_policy = { Name = "on-failure" } },
    "bad argument #1 to 'run' %(field 'auto_remove': conflicts with restart policy 'on%-failure'")
  T.eq(#by_label("bad"), 0, "nothing created")
  -- the docker CLI refuses --rm with --restart as well
  local out, ok, code = T.sh("docker run --rm --restart always " .. T.q(IMG) .. " true 2>&1")
  T.ok(not ok and code == 125 and out:lower():find("conflicting options", 1, true), "CLI: " .. out)
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
