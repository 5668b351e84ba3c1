-- tests/lua/repl.lua — the REPL of the host executable (issue 4), driven through
-- a real pseudo-terminal: a private tmux server (-L luadock-test-<rand>) runs
-- `luadock`, the test types with send-keys and reads the screen with
-- capture-pane, polling with bounded waits. Covered: a bare expression prints,
-- a multi-line definition, an error and the REPL going on, engine and argument
-- errors printed as one line at stdin:1 (no traceback), line editing,
-- Ctrl-C at the prompt, history (Up arrow, the history file, reloaded by the
-- next session), Tab completion of a global, a field and a container name from
-- the engine, ps-style printing of a container list, a multi-line string
-- (logs) printed as its lines, Ctrl-C during a follow stream with the same
-- client working after, Ctrl-D ending with exit code 0, os.exit inside the
-- REPL, the terminal settings (stty -g) the same after as before,
-- `-i script.lua`, and plain script mode and -i from a non-terminal standard
-- input; luadock.text.complete's parsing is also checked directly. The tmux server
-- is killed at the end whatever happened (and by a watchdog if this process dies); the one
-- container it needs is created labelled through the friendly layer here and
-- removed here.
local T = require "testlib"
local docker = require "luadock"

local BIN = (os.getenv("LUADOCK_BINARY_DIR") and os.getenv("LUADOCK_BINARY_DIR") .. "/luadock") or arg[-1]
local SOCK = "luadock-test-" .. docker.core.random_hex(6)
local tmp = T.tmpdir()
local HIST = tmp .. "/history"
local WATCHDOG = 150   -- seconds after which a forgotten tmux server kills itself

local function tmux(args)
  return T.sh("tmux -L " .. SOCK .. " " .. args .. " 2>&1")
end

local function have_tmux()
  local _, ok = T.sh("command -v tmux >/dev/null 2>&1")
  return ok
end

-- start(name, args): a new session `name` running `luadock args`. A small
-- shell around it writes luadock's exit code to a file (tmux's own
-- pane_dead_status proved unreliable: the pane's process was at times left
-- unreaped); the shell and the watchdog ignore the Ctrl-C the tests send.
local function exit_file(name)
  return tmp .. "/exit-" .. name
end

local function start(name, args)
  os.remove(exit_file(name))
  local env = string.format("-e LUADOCK_HISTORY=%s", T.q(HIST))
  local f = exit_file(name)
  local cmd = string.format("trap : INT; (trap '' INT; sleep %d; tmux -L %s kill-server) >/dev/null 2>&1 & "
    .. "stty -g > %s; %s %s; code=$?; stty -g > %s; echo $code > %s", WATCHDOG, SOCK,
    T.q(f .. ".tty-before"), T.q(BIN), args or "", T.q(f .. ".tty-after"), T.q(f))
  local out, ok = tmux(string.format("-f /dev/null new-session -d -s %s -x 200 -y 50 %s %s",
    name, env, T.q("exec /bin/sh -c " .. T.q(cmd))))
  T.ok(ok, "tmux new-session: " .. out)
  tmux("set-option -t " .. name .. " remain-on-exit on")
end

local slurp = T.read

-- the terminal settings (stty -g) before luadock started and after it ended
local function tty_settings(name)
  return slurp(exit_file(name) .. ".tty-before"), slurp(exit_file(name) .. ".tty-after")
end

-- exit_code(name): luadock's exit code once it has ended, else nil
local function exit_code(name)
  local text = slurp(exit_file(name))
  return text and tonumber(text:match("%d+"))
end

local function screen(name)
  local out = tmux("capture-pane -p -J -S -1000 -t " .. name)
  return out
end

local function last_line(name)
  local last = ""
  for line in screen(name):gmatch("[^\n]+") do
    if line:find("%S") then last = line end
  end
  return last
end

-- wait_for(name, test, what[, seconds]): polls the screen until test(text)
-- (a function, or a plain substring) holds
local function wait_for(name, test, what, seconds)
  local fn = type(test) == "function" and test or function(s) return s:find(test, 1, true) end
  local deadline = docker.clock() + (seconds or 20)
  local s
  repeat
    s = screen(name)
    if fn(s) then return s end
    docker.sleep(0.05)
  until docker.clock() > deadline
  error("timed out waiting for " .. what .. "; screen:\n" .. s, 2)
end

local function type_text(name, text)
  tmux("send-keys -t " .. name .. " -l " .. T.q(text))
end

local function keys(name, ...)
  tmux("send-keys -t " .. name .. " " .. table.concat({ ... }, " "))
end

local function count(s, plain)
  local n, i = 0, 1
  while true do
    local a, b = s:find(plain, i, true)
    if not a then return n end
    n, i = n + 1, b + 1
  end
end

-- the prompt is back when the last non-blank line is an empty "> "
local function at_prompt(name)
  return last_line(name):match("^>%s*$") ~= nil
end

local function wait_prompt(name, what, seconds)
  wait_for(name, function() return at_prompt(name) end, what or "the prompt", seconds)
end

-- enter(name, line, expect): type a line, press Enter, wait for `expect`
local function enter(name, line, expect, what)
  local before = count(screen(name), expect)
  type_text(name, line)
  keys(name, "Enter")
  return wait_for(name, function(s) return count(s, expect) > before end, what or expect)
end

T.test("luadock.text.complete.candidates: names, fields, methods, strings", function()
  local C = require "luadock.text.complete"
  C.timeout = 15   -- a busy engine (parallel tests) must not make this flaky
  local function has(list, x)
    for _, v in ipairs(list) do if v == x then return true end end
    return false
  end
  T.ok(has(C.candidates("doc", "doc"), "docker"), "a global")
  T.ok(has(C.candidates("x = fun", "fun"), "function"), "a keyword")
  T.eq(C.candidates("docker.pi", "docker.pi"), { "docker.ping" }, "a field")
  T.ok(has(C.candidates("s = docker.Cont", "docker.Cont"), "docker.Container"), "a field in an assignment")
  repl_probe = setmetatable({ own = 1 }, { __index = { inherited = function() end, value = 2 } })
  local m = C.candidates("repl_probe:", "repl_probe:")
  T.eq(m, { "repl_probe:inherited" }, "only methods after ':', through __index")
  T.ok(has(C.candidates("repl_probe.", "repl_probe."), "repl_probe.value"), "fields through __index")
  T.ok(has(C.candidates("repl_probe.", "repl_probe."), "repl_probe.own"), "own fields")
  T.eq(C.candidates("repl_probe._", "repl_probe._"), {}, "no private names here")
  repl_probe = setmetatable({}, { __index = function() error("must not be called") end })
  T.eq(C.candidates("repl_probe.x", "repl_probe.x"), {}, "an __index function is never called")
  repl_probe = nil
  T.ok(has(C.candidates("x = a..doc", "a..doc"), "a..docker"), "after the .. operator")
  T.eq(C.candidates("x = 1.5", "1.5"), {}, "no completion in a number")
  T.eq(C.candidates("f().x", "f().x"), {}, "no completion after a call")
  T.eq(C.candidates("x = 1 -- doc", "doc"), {}, "no completion in a comment")
  T.eq(C.candidates("x = [[doc", "doc"), {}, "no completion in a long string")
  T.eq(C.candidates('x = "a\\tb', "tb"), {}, "no completion after an escape")
  T.ok(has(C.candidates('docker.image("' .. T.image:sub(1, 8), T.image:sub(1, 8)), T.image),
    "an image name from the engine in docker.image(\"")
end)

if not have_tmux() then
  print("# skipped: tmux is not installed; the REPL needs a pseudo-terminal to test")
  T.done()
end

local NAME = "luadock-repltest-" .. docker.core.random_hex(6)
local ticker
local S = "repl"

local function body()
  T.test("a bare expression prints its value", function()
    start(S, "")
    wait_prompt(S, "the first prompt")
    enter(S, "1+1", "\n2\n", "2 after 1+1")
    -- a busy engine (parallel tests) must not make completion time out here
    enter(S, 'require("luadock.text.complete").timeout = 15; print("ct=" .. 15)', "\nct=15\n")
    enter(S, 'print("interactive=" .. tostring(docker.interactive))', "\ninteractive=true\n")
    enter(S, 'print("help=" .. tostring(docker.help == nil or help == docker.help))', "\nhelp=true\n")
  end)

  T.test("a multi-line function definition continues with >>", function()
    type_text(S, "function twice(x)")
    keys(S, "Enter")
    wait_for(S, function() return last_line(S):match("^>>%s*$") end, "the continuation prompt")
    type_text(S, "return x * 2")
    keys(S, "Enter")
    type_text(S, "end")
    keys(S, "Enter")
    wait_prompt(S)
    enter(S, "twice(21)", "\n42\n")
  end)

  T.test("an error prints and the REPL goes on", function()
    enter(S, [[error("boom-" .. 7)]], "boom-7")
    wait_prompt(S)
    enter(S, [[print("still" .. "-here")]], "\nstill-here\n")
  end)

  T.test("an engine error or a wrong argument prints one line, no traceback", function()
    local missing = "luadock-repltest-missing-" .. docker.core.random_hex(6)
    wait_prompt(S)
    local line = string.format('docker.container("%s")', missing)
    enter(S, line, "\nluadock: stdin:1: 404 No such container: "
      .. missing .. " (GET /containers/" .. missing .. "/json)\n")
    wait_prompt(S)
    enter(S, "x = docker.run{ cmd = 'true' }",
      "\nluadock: stdin:1: bad argument #1 to 'run' (field 'image': string expected, got nil)\n")
    wait_prompt(S)
    local s = screen(S)
    local since = s:sub(T.ok(s:find(line, 1, true), "the typed line on the screen"))
    T.ok(not since:find("stack traceback", 1, true), "no traceback printed; screen:\n" .. since)
  end)

  T.test("line editing: C-b and Left move the cursor, the fix runs", function()
    type_text(S, "prnt(123)")
    keys(S, "C-b", "C-b", "C-b", "Left", "Left", "Left", "Left")
    type_text(S, "i")
    keys(S, "Enter")
    local s = wait_for(S, "\n123\n", "123 from the edited line")
    T.ok(s:find("> print(123)", 1, true), "the edited line reads print(123)")
    T.ok(not s:find("global 'prnt'", 1, true), "prnt was never called")
  end)

  T.test("Ctrl-C at the prompt drops the line and prompts again", function()
    type_text(S, "this is not lua")
    keys(S, "C-c")
    wait_prompt(S, "a new prompt after Ctrl-C")
    enter(S, [[print("after" .. "-ctrl-c")]], "\nafter-ctrl-c\n")
    T.ok(not screen(S):find("syntax error near 'is'", 1, true), "the dropped line did not run")
  end)

  T.test("history: Up recalls the previous line", function()
    enter(S, [[print("hist".."ory")]], "\nhistory\n")
    wait_prompt(S)
    local before = count(screen(S), "\nhistory\n")
    keys(S, "Up")
    wait_for(S, function() return last_line(S):find([[print("hist".."ory")]], 1, true) end, "the recalled line")
    keys(S, "Enter")
    wait_for(S, function(s) return count(s, "\nhistory\n") > before end, "the recalled line's output")
  end)

  T.test("completion of a global: doc<Tab> -> docker", function()
    wait_prompt(S)
    type_text(S, "print(doc")
    keys(S, "Tab")
    wait_for(S, function() return last_line(S):match("^> print%(docker%s*$") end, "print(docker")
    enter(S, ".VERSION)", "\n" .. docker.VERSION .. "\n")
  end)

  T.test("completion of a field: docker.pi<Tab> -> docker.ping", function()
    wait_prompt(S)
    type_text(S, "print(\"pong=\" .. tostring(docker.pi")
    keys(S, "Tab")
    wait_for(S, function() return last_line(S):find("docker.ping%s*$") end, "docker.ping")
    enter(S, "()))", "\npong=true\n")
  end)

  T.test("completion of a container name from the engine", function()
    ticker = docker.run{ image = T.image, name = NAME, detach = true,
      cmd = { "sh", "-c", "i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.1; done" } }
    wait_prompt(S)
    local prefix = NAME:sub(1, #"luadock-repltest-" + 3)
    type_text(S, 'c = docker.container("' .. prefix)
    keys(S, "Tab")
    wait_for(S, function() return last_line(S):find(NAME, 1, true) end, "the full name " .. NAME)
    enter(S, '")', "\n> ")
    enter(S, 'print("name=" .. c.name)', "\nname=" .. NAME .. "\n")
  end)

  T.test("a list of containers prints as a ps-style table", function()
    -- no escape hatch: a REPL whose printer is missing or broken fails here
    wait_prompt(S)
    local s = enter(S, string.format('docker.ps{ filters = { name = "%s" } }', NAME), "CONTAINER ID")
    T.ok(s:find("CONTAINER ID%s+IMAGE%s+COMMAND"), "the ps-style header")
    T.ok(s:find(ticker.short_id .. "%s+" .. T.image:gsub("%p", "%%%0")), "the container's short id and image in a row")
  end)

  T.test("a multi-line string prints as its lines, escaped", function()
    wait_prompt(S)
    -- the typed line holds none of the expected output: the escapes are Lua's
    local s = enter(S, [["ml-" .. "a\27[1m\nml-" .. "b"]], "\nml-a\\x1b[1m\nml-b\n")
    T.ok(not s:find('"ml-a', 1, true), "not a quoted literal")
    wait_prompt(S)
    T.wait_until(function() return select(2, ticker:logs{}:gsub("tick%-", "")) >= 2 end, 20, "two ticks")
    type_text(S, "c:logs{tail=2}")
    keys(S, "Enter")
    s = wait_for(S, function(text) return text:find("c:logs{tail=2}\ntick%-%d+\ntick%-%d+\n") end, "log lines")
    T.ok(not s:find('"tick-', 1, true), "logs print as lines, not a quoted literal")
    enter(S, '"one-" .. "line"', '\n"one-line"\n', "a single-line string stays quoted")
  end)

  T.test("Ctrl-C stops a follow stream; the same client works after", function()
    wait_prompt(S)
    type_text(S, "for s, l in c:lines{follow=true, tail=1} do print(l) end")
    keys(S, "Enter")
    -- two fresh ticks: the stream is flowing
    local seen = count(screen(S), "tick-")
    wait_for(S, function(s) return count(s, "tick-") >= seen + 2 end, "ticks from the stream")
    local t0 = docker.clock()
    keys(S, "C-c")
    wait_prompt(S, "the prompt after Ctrl-C", 3)
    local took = docker.clock() - t0
    T.ok(took < 3, "prompt back within 3 s, took " .. took)
    local s = enter(S, 'print("ping=" .. tostring(docker.ping()))', "\nping=true\n")
    T.ok(s:find("interrupted", 1, true) or s:find("canceled", 1, true), "the interruption is reported")
    local since = s:sub(T.ok(s:find("c:lines{follow=true, tail=1}", 1, true), "the loop on the screen"))
    T.ok(not since:find("stack traceback", 1, true), "reported without a traceback: " .. since)
    enter(S, 'print("logs=" .. #c:logs{tail=1})', "\nlogs=")
  end)

  T.test("Ctrl-C in the REPL: a <close> container is stopped and removed", function()
    wait_prompt(S)
    local tag = NAME .. "-close"
    type_text(S, string.format('do local w <close> = docker.run{ image = %q, detach = true, cmd = "sleep 60", '
      .. 'stop_timeout = 1, labels = { ["luadock.test.repl"] = %q } }; print("held " .. w.short_id); '
      .. 'docker.sleep(30) end', T.image, tag))
    keys(S, "Enter")
    wait_for(S, function(text) return text:find("held %x+") end, "the container to run")
    keys(S, "C-c")
    wait_prompt(S, "the prompt after Ctrl-C", 10)
    local left = docker.ps{ all = true, filters = { label = { "luadock.test.repl=" .. tag } } }
    T.eq(#left, 0, "the <close> container is gone when the prompt is back")
  end)

  T.test("Ctrl-D exits with code 0 and the history file has the lines", function()
    wait_prompt(S)
    enter(S, [[print("last".."-line")]], "\nlast-line\n")
    wait_prompt(S)
    keys(S, "C-d")
    local code = T.wait_until(function() return exit_code(S) end, 20, "the REPL to exit")
    T.eq(code, 0, "exit code; screen:\n" .. screen(S))
    local before, after = tty_settings(S)
    T.ok(before and before ~= "", "stty -g before")
    T.eq(after, before, "terminal settings restored")
    local f = assert(io.open(HIST, "r"), "history file " .. HIST)
    local text = f:read("a")
    f:close()
    T.ok(text:find([[print("hist".."ory")]], 1, true), "history file has the line: " .. T.show(text))
    T.ok(text:find([[print("last".."-line")]], 1, true), "history file has the last line")
  end)

  T.test("-i script.lua opens the REPL after the script; history is reloaded", function()
    local script = tmp .. "/setup.lua"
    local f = assert(io.open(script, "w"))
    f:write('from_script = 6 * 7\nprint("script-" .. "ran")\n')
    f:close()
    start("dash_i", "-i " .. T.q(script))
    wait_for("dash_i", "script-ran", "the script's output")
    wait_prompt("dash_i", "the prompt after the script")
    enter("dash_i", 'print("seen=" .. from_script)', "\nseen=42\n")
    wait_prompt("dash_i")
    keys("dash_i", "Up", "Up")
    wait_for("dash_i", function() return last_line("dash_i"):find([[print("last".."-line")]], 1, true) end,
      "the last line of the previous session from the history file")
    keys("dash_i", "C-u", "C-d")
    T.eq(T.wait_until(function() return exit_code("dash_i") end, 20, "the REPL to exit"), 0, "exit code")
  end)

  T.test("os.exit inside the REPL: its exit code, the terminal restored", function()
    start("osexit", "")
    wait_prompt("osexit")
    type_text("osexit", "x = 1 +")
    keys("osexit", "Enter")
    wait_for("osexit", function() return last_line("osexit"):match("^>>%s*$") end, "the continuation prompt")
    keys("osexit", "C-c")
    wait_prompt("osexit", "a new prompt after Ctrl-C in a continuation")
    type_text("osexit", "os.exit(3)")
    keys("osexit", "Enter")
    T.eq(T.wait_until(function() return exit_code("osexit") end, 20, "the REPL to exit"), 3, "exit code")
    local before, after = tty_settings("osexit")
    T.eq(after, before, "terminal settings restored")
  end)

  T.test("script mode from a non-terminal stdin: no prompt", function()
    local out, ok = T.sh("echo 'print(40+2)' | " .. T.q(BIN) .. " 2>&1")
    T.ok(ok, "exit 0: " .. out)
    T.eq(out, "42\n")
  end)

  T.test("-i with a non-terminal stdin reads lines without editing", function()
    local out, ok = T.sh("printf 'x = 5\\nx * 8\\nerror(\"oops\")\\nprint(\"go\" .. \"on\")\\n' | "
      .. T.q(BIN) .. " -i /dev/null 2>&1")
    T.ok(ok, "exit 0: " .. out)
    T.ok(out:find("\n?> 40\n") or out:find("40\n", 1, true), "value printed: " .. T.show(out))
    T.ok(out:find("oops", 1, true), "error printed: " .. T.show(out))
    T.ok(out:find("goon", 1, true), "went on after the error: " .. T.show(out))
  end)

  T.test("on a terminal without lineedit.so the REPL says so once and reads plain lines", function()
    -- a copy of the program in a folder of its own finds no lineedit.so
    -- beside it (and none is installed where the test runs)
    local dir = tmp .. "/no-lineedit"
    T.sh("mkdir -p " .. T.q(dir) .. " && cp " .. T.q(BIN) .. " " .. T.q(dir) .. "/luadock")
    local out, ok = T.sh("printf '6*7\\nprint(\"plain\" .. \"lines\")\\n' | timeout 20 script -qec "
      .. T.q(dir .. "/luadock") .. " /dev/null 2>&1")
    out = out:gsub("\r", "")
    T.ok(ok, "exit 0: " .. T.show(out))
    local _, notes = out:gsub("no line editing, history or Tab completion", "")
    T.eq(notes, 1, "one note: " .. T.show(out))
    T.ok(out:find("> 42\n", 1, true), "6*7 printed: " .. T.show(out))
    T.ok(out:find("> plainlines\n", 1, true), "print ran: " .. T.show(out))
  end)
end

local ok, err = pcall(body)
tmux("kill-server")
if ticker then pcall(function() ticker:remove{ force = true } end) end
if not ok then
  T.test("the REPL tests ran to the end", function() error(err, 0) end)
end
T.done()
