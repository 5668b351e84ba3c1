-- tests/lua/host_cli.lua — the host executable's command line (API.md "The host
-- executable"): --version, --help, -e, a script with arguments, a script from
-- standard input, -H, uncaught errors (message + traceback on stderr, exit 1),
-- unknown options, syntax errors, and `require "luadock" == docker`. Each case
-- runs the binary in a child process; only -H ... ping touches the engine.
local T = require "testlib"
local docker = require "luadock"

local BIN = (os.getenv("LUADOCK_BINARY_DIR") and os.getenv("LUADOCK_BINARY_DIR") .. "/luadock") or arg[-1]
local tmp = T.tmpdir()

local function read(path) return T.read(path) or "" end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

-- run(args[, stdin_text[, env]]) -> stdout, stderr, exit code; args is a shell
-- fragment appended to the quoted binary path
local n = 0
local function run(args, stdin_text, env)
  n = n + 1
  local out, err = tmp .. "/out" .. n, tmp .. "/err" .. n
  local input = "/dev/null"
  if stdin_text then input = write(tmp .. "/in" .. n, stdin_text) end
  local cmd = string.format("%s %s %s <%s >%s 2>%s; echo $?", env or "", T.q(BIN), args,
    T.q(input), T.q(out), T.q(err))
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
  local out, err, code = run("-H unix:///var/run/docker.sock -e " .. T.q("print(docker.ping())"))
  T.eq(code, 0, "stderr: " .. err)
  T.eq(out, "true\n")
  local out2, err2, code2 = run("-H unix:///var/run/docker.sock -e " .. T.q("print(docker.ping())"), nil,
    "DOCKER_HOST=unix:///nonexistent-luadock.sock")
  T.eq(code2, 0, "-H wins over DOCKER_HOST; stderr: " .. err2)
  T.eq(out2, "true\n")
end)

T.test("-H with a missing socket: exit 1, Cannot connect, traceback", function()
  local out, err, code = run("-H unix:///nonexistent.sock -e " .. T.q("docker.ping()"))
  T.eq(code, 1, "exit code")
  T.eq(out, "", "nothing on stdout")
  T.ok(err:find("Cannot connect", 1, true), "Cannot connect in: " .. T.show(err))
  T.ok(err:find("/nonexistent.sock", 1, true), "socket named in: " .. T.show(err))
  T.ok(err:find("stack traceback", 1, true), "traceback in: " .. T.show(err))
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

T.test("an uncaught docker.Error prints its text", function()
  local _, err, code = run("-e " .. T.q("docker.container('luadock-cli-nosuch-container')"))
  T.eq(code, 1)
  T.ok(err:find("luadock: 404 No such container: luadock-cli-nosuch-container", 1, true), "text: " .. T.show(err))
  T.ok(err:find("stack traceback", 1, true), "traceback: " .. T.show(err))
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
  T.ok((read(tmp .. "/term.err") or ""):find("terminated!", 1, true), "stderr says terminated")
end)

T.test("os.exit passes its code", function()
  local _, _, code = run("-e " .. T.q("os.exit(3)"))
  T.eq(code, 3)
  local _, _, code0 = run("-e " .. T.q("os.exit(true)"))
  T.eq(code0, 0)
end)

T.test("an unknown option: usage on stderr, non-zero exit", function()
  local out, err, code = run("--frobnicate")
  T.ok(code ~= 0, "exit code " .. tostring(code))
  T.ok(err:lower():find("usage", 1, true), "usage on stderr: " .. T.show(err))
  T.eq(out, "", "nothing on stdout")
  local _, err2, code2 = run("-e")
  T.ok(code2 ~= 0, "-e without code fails")
  T.ok(err2 ~= "", "and says why")
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
