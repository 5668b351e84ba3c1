-- tests/lua/host_cli.lua — the host executable's command line (API.md "The host
-- executable"): --version, --help, -e (several, in order), -l, a script with
-- arguments, a script from standard input, -H, how uncaught errors print (issue
-- 9: an engine or argument error is one line naming the script's line, like
-- the docker CLI; the script's own errors keep a traceback; --traceback and
-- LUADOCK_TRACEBACK=1 give one to all), unknown options, syntax errors, and
-- `require "luadock" == docker`. Each case runs the binary in a child
-- process; the engine is touched only by ping and by lookups of containers
-- that do not exist.
local T = require "testlib"
local docker = require "luadock"

local BIN = (os.getenv("LUADOCK_BINARY_DIR") and os.getenv("LUADOCK_BINARY_DIR") .. "/luadock") or arg[-1]
local tmp = T.tmpdir()

local function read(path) return T.read(path) or "" end

local write = T.write

-- run(args[, stdin_text[, env[, cwd]]]) -> stdout, stderr, exit code; args is
-- a shell fragment appended to the quoted binary path
local n = 0
local function run(args, stdin_text, env, cwd)
  n = n + 1
  local out, err = tmp .. "/out" .. n, tmp .. "/err" .. n
  local input = "/dev/null"
  if stdin_text then input = write(tmp .. "/in" .. n, stdin_text) end
  local cmd = string.format("cd %s && %s %s %s <%s >%s 2>%s; echo $?", T.q(cwd or "."), env or "",
    T.q(BIN), args, T.q(input), T.q(out), T.q(err))
  local status = T.sh(cmd)
  return read(out), read(err), tonumber(status:match("(%d+)%s*$"))
end

T.test("the binary exists", function()
  T.ok(BIN, "LUADOCK_BINARY_DIR or arg[-1]")
  local f = io.open(BIN, "rb")
  T.ok(f, "cannot open " .. tostring(BIN))
  f:close()
end)

T.test("--version prints the version and exits 0", function()
  local out, err, code = run("--version")
  T.eq(code, 0, "exit code; stderr: " .. err)
  T.ok(out:find(docker.VERSION, 1, true), "version " .. docker.VERSION .. " in: " .. T.show(out))
  local out2, _, code2 = run("-v")
  T.eq(code2, 0)
  T.eq(out2, out, "-v is the same as --version")
end)

T.test("--help prints usage and exits 0", function()
  local out, err, code = run("--help")
  T.eq(code, 0, "exit code; stderr: " .. err)
  T.ok(out:lower():find("usage", 1, true), "usage in: " .. T.show(out))
  T.ok(out:find("-e", 1, true) and out:find("-H", 1, true), "options listed")
  local out2, _, code2 = run("-h")
  T.eq(code2, 0)
  T.eq(out2, out, "-h is the same as --help")
end)

T.test("-e runs code with docker preloaded", function()
  local out, err, code = run("-e " .. T.q("print(docker.VERSION)"))
  T.eq(code, 0, "stderr: " .. err)
  T.eq(out, docker.VERSION .. "\n")
  local out2 = run("-e " .. T.q("io.write(type(docker.connect), ' ', type(docker.run))"))
  T.eq(out2, "function function")
end)

T.test("several -e and -l run in the order given, then the script", function()
  local out, err, code = run("-e " .. T.q("print(1)") .. " -e " .. T.q("print(2)"))
  T.eq(code, 0, "stderr: " .. err)
  T.eq(out, "1\n2\n", "both -e, in order")
  local script = write(tmp .. "/order.lua", "print('script', x, type(pp), type(string_mod))\n")
  local out2, err2, code2 = run("-e 'x = 1' -l pp=luadock.pretty -e'x = x + 1' -l string_mod=string "
    .. "-e 'print(\"e\", x, type(pp.print))' " .. T.q(script))
  T.eq(code2, 0, "stderr: " .. err2)
  T.eq(out2, "e\t2\tfunction\nscript\t2\ttable\ttable\n", "-e, -l, -eCODE and the script in order")
  local out3, err3, code3 = run("-e 'print(1)' -e 'error(\"stop\", 0)' -e 'print(3)' " .. T.q(script))
  T.eq(code3, 1, "an error stops the rest")
  T.eq(out3, "1\n")
  T.eq(err3, "luadock: stop\nstack traceback:\n\t[C]: in function 'error'\n\t(command line):1: in main chunk\n\t[C]: in ?\n")
  local _, err4, code4 = run("-l luadock-no-such-module -e 'print(1)'")
  T.eq(code4, 1, "-l with a missing module fails")
  T.ok(err4:find("module 'luadock-no-such-module' not found", 1, true), T.show(err4))
end)

T.test("require \"luadock\" is the global docker in the host", function()
  local out, err, code = run("-e " .. T.q("print(require 'luadock' == docker, rawequal(require('luadock'), docker))"))
  T.eq(code, 0, "stderr: " .. err)
  T.eq(out, "true\ttrue\n")
end)

T.test("a script with arguments gets arg like lua", function()
  local script = write(tmp .. "/args.lua",
    "print(#arg, arg[1], arg[2], arg[0])\nlocal a, b = ...\nprint(a, b, select('#', ...))\n")
  local out, err, code = run(T.q(script) .. " first 'second arg'")
  T.eq(code, 0, "stderr: " .. err)
  T.eq(out, "2\tfirst\tsecond arg\t" .. script .. "\nfirst\tsecond arg\t2\n")
end)

T.test("a script without arguments", function()
  local script = write(tmp .. "/noargs.lua",
    "print(#arg, arg[1], arg[2], arg[0])\nlocal a, b = ...\nprint(a, b, select('#', ...))\n")
  local out2, _, code2 = run(T.q(script))
  T.eq(code2, 0)
  T.eq(out2, "0\tnil\tnil\t" .. script .. "\nnil\tnil\t0\n", "no arguments")
end)

T.test("a script from standard input", function()
  local out, err, code = run("", "print(1+1)\n")
  T.eq(code, 0, "stderr: " .. err)
  T.eq(out, "2\n", "echo 'print(1+1)' | luadock")
  local out2, err2, code2 = run("-", "print(docker.VERSION)\n")
  T.eq(code2, 0, "stderr: " .. err2)
  T.eq(out2, docker.VERSION .. "\n", "luadock - < file")
end)

T.test("-H selects the engine", function()
  local host = os.getenv("DOCKER_HOST") or "unix:///var/run/docker.sock"   -- the engine under test
  local out, err, code = run("-H " .. T.q(host) .. " -e " .. T.q("print(docker.ping())"))
  T.eq(code, 0, "stderr: " .. err)
  T.eq(out, "true\n")
  local out2, err2, code2 = run("-H " .. T.q(host) .. " -e " .. T.q("print(docker.ping())"), nil,
    "DOCKER_HOST=unix:///nonexistent-luadock.sock")
  T.eq(code2, 0, "-H wins over DOCKER_HOST; stderr: " .. err2)
  T.eq(out2, "true\n")
end)

T.test("-H with a missing socket: exit 1, one line saying Cannot connect", function()
  local out, err, code = run("-H unix:///nonexistent.sock -e " .. T.q("docker.ping()"))
  T.eq(code, 1, "exit code")
  T.eq(out, "", "nothing on stdout")
  T.ok(err:find("^luadock: %(command line%):1: Cannot connect"), "Cannot connect at -e's line: " .. T.show(err))
  T.ok(err:find("/nonexistent.sock", 1, true), "socket named in: " .. T.show(err))
  T.eq(select(2, err:gsub("\n", "")), 1, "one line: " .. T.show(err))
end)

T.test("an uncaught error: message and traceback on stderr, exit 1", function()
  local out, err, code = run("-e " .. T.q("print('before'); error('boom')"))
  T.eq(code, 1, "exit code")
  T.eq(out, "before\n", "stdout until the error")
  T.ok(err:find("boom", 1, true), "boom in: " .. T.show(err))
  T.ok(err:find("stack traceback", 1, true), "traceback in: " .. T.show(err))
  local script = write(tmp .. "/boom.lua", "local function inner() error('boom-in-script') end\ninner()\n")
  local _, err2, code2 = run(T.q(script))
  T.eq(code2, 1)
  T.ok(err2:find("boom%-in%-script"), "message: " .. T.show(err2))
  T.ok(err2:find("boom.lua:1", 1, true), "position in the script: " .. T.show(err2))
  T.ok(err2:find("inner", 1, true), "traceback names the function: " .. T.show(err2))
end)

local MISSING = "luadock-cli-nosuch-" .. docker.core.random_hex(6)
local NOT_FOUND = "404 No such container: " .. MISSING .. " (GET /containers/" .. MISSING .. "/json)"

T.test("an engine error: one line naming the script's line, exit 1", function()
  write(tmp .. "/lookup.lua", string.format([[
-- a script whose third line asks for a container that is not there
local d = docker.connect()
local c = d:container(%q)
print("not reached", c)
]], MISSING))
  local out, err, code = run("lookup.lua", nil, nil, tmp)
  T.eq(code, 1, "exit code")
  T.eq(out, "", "nothing on stdout")
  T.eq(err, "luadock: lookup.lua:3: " .. NOT_FOUND .. "\n", "the whole of stderr")
  local _, err2, code2 = run("-e " .. T.q("docker.container('" .. MISSING .. "')"))
  T.eq(code2, 1)
  T.eq(err2, "luadock: (command line):1: " .. NOT_FOUND .. "\n", "from -e")
end)

T.test("an engine error inside the script's function names that function's line", function()
  write(tmp .. "/nested.lua", string.format([[
local function lookup(name)
  local c = docker.container(name)
  return c
end
local ok = pcall(lookup, %q)
assert(not ok)
lookup(%q)
]], MISSING, MISSING))
  local _, err, code = run("nested.lua", nil, nil, tmp)
  T.eq(code, 1)
  T.eq(err, "luadock: nested.lua:2: " .. NOT_FOUND .. "\n")
  -- a docker.Error the script caught and raised again is placed where it was raised
  write(tmp .. "/reraise.lua", string.format([[
local ok, e = pcall(docker.container, %q)
assert(docker.is_error(e))

error(e)
]], MISSING))
  local _, err2 = run("reraise.lua", nil, nil, tmp)
  T.eq(err2, "luadock: reraise.lua:4: " .. NOT_FOUND .. "\n")
end)

T.test("a wrong argument to docker: one line at the script's call", function()
  write(tmp .. "/badarg.lua", "local d = docker.connect()\n\nd:run{ cmd = 'true' }\n")
  local out, err, code = run("badarg.lua", nil, nil, tmp)
  T.eq(code, 1)
  T.eq(out, "")
  T.eq(err, "luadock: badarg.lua:3: bad argument #1 to 'run' (field 'image': string expected, got nil)\n")
end)

T.test("the script's own errors keep their traceback", function()
  write(tmp .. "/own.lua", "local t = nil\nlocal function f() return t.x end\nprint(f())\n")
  local _, err, code = run("own.lua", nil, nil, tmp)
  T.eq(code, 1)
  T.ok(err:find("^luadock: own.lua:2: attempt to index a nil value %(upvalue 't'%)\nstack traceback:\n"),
    "message then traceback: " .. T.show(err))
  T.ok(err:find("own.lua:3: in main chunk", 1, true), "the traceback reaches the main chunk: " .. T.show(err))
  -- an error() of the script's, even right after a docker call
  write(tmp .. "/boom2.lua", "docker.ping()\nerror('boom')\n")
  local _, err2, code2 = run("boom2.lua", nil, nil, tmp)
  T.eq(code2, 1)
  T.ok(err2:find("^luadock: boom2.lua:2: boom\nstack traceback:\n"), T.show(err2))
end)

T.test("--traceback and LUADOCK_TRACEBACK=1: a traceback for engine errors too", function()
  local function check(err, how)
    local first, rest = err:match("^([^\n]*)\n(.*)$")
    T.eq(first, "luadock: lookup.lua:3: " .. NOT_FOUND, how .. ": the first line")
    T.ok(rest:find("^stack traceback:\n"), how .. ": traceback: " .. T.show(err))
    T.ok(rest:find("scripts/luadock/", 1, true), how .. ": through luadock's modules: " .. T.show(err))
    T.ok(rest:find("lookup.lua:3: in main chunk", 1, true), how .. ": down to the script: " .. T.show(err))
  end
  local _, err, code = run("--traceback lookup.lua", nil, nil, tmp)
  T.eq(code, 1)
  check(err, "--traceback")
  local _, err2, code2 = run("lookup.lua", nil, "LUADOCK_TRACEBACK=1", tmp)
  T.eq(code2, 1)
  check(err2, "LUADOCK_TRACEBACK=1")
  local _, err3 = run("lookup.lua", nil, "LUADOCK_TRACEBACK=0", tmp)
  T.eq(err3, "luadock: lookup.lua:3: " .. NOT_FOUND .. "\n", "LUADOCK_TRACEBACK=0 is off")
  local _, err4 = run("--traceback badarg.lua", nil, nil, tmp)
  T.ok(err4:find("^luadock: badarg.lua:3: bad argument #1 to 'run' .-\nstack traceback:\n"),
    "argument errors too: " .. T.show(err4))
end)

T.test("control characters in an error reach the terminal escaped", function()
  local _, err, code = run("-e " .. T.q("docker.container('nosuch\\27[2Jx\\194\\155y')"))
  T.eq(code, 1)
  T.ok(not err:find("\27", 1, true), "no raw ESC on stderr: " .. T.show(err))
  T.ok(not err:find("\194\155", 1, true), "no raw C1 CSI on stderr")
  T.ok(err:find("nosuch\\x1b[2Jx\\u{9b}y", 1, true), "escaped text: " .. T.show(err))
end)

T.test("SIGTERM raises an error: <close> values run, exit 1", function()
  local mark = tmp .. "/closed-by-term"
  local script = write(tmp .. "/term.lua", string.format([[
    local f <close> = setmetatable({}, { __close = function()
      local h = io.open(%q, "w"); h:write("closed"); h:close()
    end })
    io.stdout:write("ready\n"); io.stdout:flush()
    while true do end
  ]], mark))
  local cmd = string.format("%s %s > %s 2> %s & pid=$!; i=0; "
    .. "while [ \"$(cat %s 2>/dev/null)\" != ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; "
    .. "kill -TERM $pid; wait $pid; echo $?", T.q(BIN), T.q(script), T.q(tmp .. "/term.out"),
    T.q(tmp .. "/term.err"), T.q(tmp .. "/term.out"))
  local status = T.sh(cmd)
  T.eq(tonumber(status:match("(%d+)%s*$")), 1, "exit code")
  T.eq(read(mark), "closed", "the <close> handler ran")
  local err = read(tmp .. "/term.err") or ""
  T.ok(err:find("^luadock: [^\n]*term.lua:5: terminated!\n$"), "one line, at the script's line: " .. T.show(err))
end)

T.test("os.exit passes its code", function()
  local _, _, code = run("-e " .. T.q("os.exit(3)"))
  T.eq(code, 3)
  local _, _, code0 = run("-e " .. T.q("os.exit(true)"))
  T.eq(code0, 0)
end)

T.test("an unknown option: usage on stderr, non-zero exit", function()
  local out, err, code = run("--frobnicate")
  T.eq(code, 2, "exit code")
  T.ok(err:find("^luadock: unknown option '%-%-frobnicate'\nusage: "), "usage on stderr: " .. T.show(err))
  T.eq(out, "", "nothing on stdout")
  for _, opt in ipairs { "-e", "-l", "-H" } do
    local out2, err2, code2 = run("-e 'print(1)' " .. opt)
    T.eq(code2, 2, opt .. " without a value fails")
    T.eq(out2, "", opt .. ": nothing ran")
    T.ok(err2:find("luadock: '" .. opt .. "' needs an argument\nusage: ", 1, true) == 1, opt .. " says why: " .. T.show(err2))
  end
  local _, err3, code3 = run("-x script.lua")
  T.eq(code3, 2)
  T.ok(err3:find("unknown option '-x'", 1, true), T.show(err3))
end)

T.test("--help tells how errors print and how to get a traceback", function()
  local out = run("--help")
  T.ok(out:find("--traceback", 1, true) and out:find("LUADOCK_TRACEBACK=1", 1, true), T.show(out))
  T.ok(out:find("one line", 1, true), "the one-line form is described: " .. T.show(out))
end)

T.test("a syntax error in a script: exit 1 naming the file", function()
  local script = write(tmp .. "/syntax.lua", "print('x'\nlocal = 3\n")
  local out, err, code = run(T.q(script))
  T.eq(code, 1)
  T.eq(out, "", "nothing ran")
  T.ok(err:find("syntax.lua", 1, true), "file named: " .. T.show(err))
  local _, err2, code2 = run("-e " .. T.q("local = 1"))
  T.eq(code2, 1, "syntax error in -e")
  T.ok(err2 ~= "")
end)

T.test("a missing script file: exit 1 naming it", function()
  local _, err, code = run(T.q(tmp .. "/no-such-script.lua"))
  T.eq(code, 1)
  T.ok(err:find("no-such-script.lua", 1, true), "file named: " .. T.show(err))
end)

T.done()
