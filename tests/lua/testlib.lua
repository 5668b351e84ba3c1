--[[ testlib.lua - the helper module every Lua test of luadock uses
(`local T = require "testlib"`, found through LUA_PATH set by tests/CMakeLists.txt).
T.test runs one test case under xpcall and prints "ok - name" or "not ok - name:
error" with a traceback; the assertions (T.eq, T.ok, T.raises, T.raises_kind) raise
so a failing case stops at its first failed check; T.done prints the closing
"N passed, N failed" line and exits 0 only if nothing failed. It also offers the
test image name, temporary folders (removed by T.done), file reading, shell
commands, a free loopback port, and what tells the two test engines apart
(T.engine, T.engine_netns, T.in_engine_net, T.not_here). It must not require
luadock itself, so it works under the host executable and stock lua5.4 alike,
and it never touches Docker objects. ]]

local T = {}

T.image = os.getenv("LUADOCK_TEST_IMAGE") or "luadock-test/busybox:1"

-- Which engine this test runs against (tests/CMakeLists.txt sets it): 1 is the
-- system's Docker on the default socket, 2 the second engine (Debian sid's
-- Docker 28, tests/engine2.sh), which lives in a network namespace of its own.
T.engine = tonumber(os.getenv("LUADOCK_ENGINE") or "") or 1
local netns = os.getenv("LUADOCK_ENGINE_NETNS")
T.engine_netns = (netns and netns ~= "") and netns or nil
-- The second engine's address and namespace, for tests that use both engines.
local host2 = os.getenv("LUADOCK_ENGINE2_HOST")
T.engine2_host = (host2 and host2 ~= "") and host2 or nil
local netns2 = os.getenv("LUADOCK_ENGINE2_NETNS")
T.engine2_netns = (netns2 and netns2 ~= "") and netns2 or nil

local passed, failed = 0, 0
local tmpdirs = {}
local ports_given = {}

-- A readable, deterministic rendering of a value for failure messages.
local function show(v, depth, seen)
  depth, seen = depth or 0, seen or {}
  local t = type(v)
  if t == "string" then return string.format("%q", v) end
  if t ~= "table" then return tostring(v) end
  local mt = getmetatable(v)
  if mt and mt.__tostring then return tostring(v) end
  if seen[v] then return "<cycle>" end
  if depth > 4 then return "{...}" end
  seen[v] = true
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  local parts, n = {}, #v
  for i = 1, n do parts[#parts + 1] = show(v[i], depth + 1, seen) end
  for _, k in ipairs(keys) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      local ks = type(k) == "string" and k:match("^[%a_][%w_]*$") and k
        or "[" .. show(k, depth + 1, seen) .. "]"
      parts[#parts + 1] = ks .. " = " .. show(v[k], depth + 1, seen)
    end
  end
  seen[v] = nil
  return "{ " .. table.concat(parts, ", ") .. " }"
end
T.show = show

local function deep_eq(a, b, seen)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  seen = seen or {}
  if seen[a] == b then return true end
  seen[a] = b
  for k, v in pairs(a) do
    if not deep_eq(v, b[k], seen) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

local function prefix(msg)
  return msg and (tostring(msg) .. ": ") or ""
end

-- The text of an error value: strings as they are, tables through __tostring
-- or, for plain tables, their fields.
local function describe(e)
  if type(e) == "string" then return e end
  local ok, s = pcall(show, e)
  return ok and s or tostring(e)
end

-- T.eq(actual, expected[, msg]): equal values; tables are compared deeply.
function T.eq(a, b, msg)
  if not deep_eq(a, b) then
    error(prefix(msg) .. "got " .. show(a) .. ", expected " .. show(b), 2)
  end
  return a
end

-- T.ok(v[, msg]): v is truthy; returns it.
function T.ok(v, msg)
  if not v then error(prefix(msg) .. "expected a true value, got " .. show(v), 2) end
  return v
end

-- T.raises(fn, pattern): fn raises and tostring(error) matches the Lua pattern
-- (any error when pattern is nil); returns the error value.
function T.raises(fn, pattern)
  local ok, err = pcall(fn)
  if ok then error("expected an error, got none", 2) end
  local text = describe(err)
  if pattern and not text:find(pattern) then
    error(string.format("error %q does not match pattern %q", text, pattern), 2)
  end
  return err
end

-- T.raises_kind(fn, kind): fn raises a table whose field kind is `kind`
-- (a docker.Error); returns it.
function T.raises_kind(fn, kind)
  local ok, err = pcall(fn)
  if ok then error("expected an error of kind " .. show(kind) .. ", got none", 2) end
  if type(err) ~= "table" then
    error("expected an error of kind " .. show(kind) .. ", got " .. describe(err), 2)
  end
  if err.kind ~= kind then
    error("expected an error of kind " .. show(kind) .. ", got kind " .. show(err.kind)
      .. ": " .. describe(err), 2)
  end
  return err
end

-- T.test(name, fn): runs one case; prints "ok - name" or "not ok - name: err".
function T.test(name, fn)
  local ok, err = xpcall(fn, function(e)
    return debug.traceback(describe(e), 2)
  end)
  if ok then
    passed = passed + 1
    io.stdout:write("ok - ", name, "\n")
  else
    failed = failed + 1
    local text = tostring(err)
    local first, rest = text:match("^([^\n]*)\n?(.*)$")
    io.stdout:write("not ok - ", name, ": ", first, "\n")
    if rest ~= "" then io.stdout:write((rest:gsub("[^\n]+", "#   %0")), "\n") end
  end
  io.stdout:flush()
  return ok
end

-- T.q(s): s quoted for a POSIX shell.
function T.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- T.sh(cmd): runs cmd through /bin/sh; returns its standard output, whether it
-- exited 0, and its exit code (or signal number).
function T.sh(cmd)
  local f = assert(io.popen(cmd, "r"))
  local out = f:read("a")
  local ok, _, code = f:close()
  return out, ok == true, code
end

-- T.tmpdir(): a new, private (0700) folder; removed by T.done unless
-- LUADOCK_KEEP_TMP is set.
function T.tmpdir()
  for _ = 1, 20 do
    local path = os.tmpname()   -- mkstemp made it a file: reuse the unique name
    os.remove(path)
    if os.execute("mkdir -m 700 " .. T.q(path) .. " 2>/dev/null") then
      tmpdirs[#tmpdirs + 1] = path
      return path
    end
  end
  error("testlib: could not create a temporary folder", 2)
end

-- T.in_engine_net(cmd): the shell command `cmd` made to run in the network of
-- the engine under test, where its containers' published ports and a registry it
-- can pull from live: as it is on the system engine, inside the second engine's
-- network namespace (entered with nsenter, only the network) otherwise.
function T.in_engine_net(cmd)
  if not T.engine_netns then return cmd end
  return "nsenter --net=/run/netns/" .. T.engine_netns .. " sh -c " .. T.q(cmd)
end

-- T.not_here(what, why): says, in the test's output, that `what` is not run on
-- this engine and why (nothing is skipped silently); counted in T.done's line.
local not_run = 0
function T.not_here(what, why)
  not_run = not_run + 1
  io.stdout:write("# not run on engine ", tostring(T.engine), ": ", what, ": ", why, "\n")
  io.stdout:flush()
end

local function parse_ports(text, used)
  for line in text:gmatch("[^\n]+") do
    local hex = line:match("^%s*%d+:%s+%x+:(%x+)%s")
    if hex then used[tonumber(hex, 16)] = true end
  end
end

-- Local tcp ports in use in any state, from /proc/net/tcp and tcp6 (what
-- `ss -tan` shows, without needing iproute2), on the host and in the engine's
-- network namespace.
local function ports_in_use()
  local used = {}
  for _, file in ipairs{ "/proc/net/tcp", "/proc/net/tcp6" } do
    local f = io.open(file, "r")
    if f then
      parse_ports(f:read("a") or "", used)
      f:close()
    end
  end
  if T.engine_netns then
    parse_ports(T.sh(T.in_engine_net("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null")), used)
  end
  return used
end

-- T.free_port(): a tcp port in 20000-40000 that nothing on this machine uses
-- and that this process has not handed out before.
function T.free_port()
  local used = ports_in_use()
  for _ = 1, 500 do
    local port = math.random(20000, 40000)
    if not used[port] and not ports_given[port] then
      ports_given[port] = true
      return port
    end
  end
  error("testlib: no free tcp port found in 20000-40000", 2)
end

-- T.wait_until(fn, seconds, what): calls fn every 0.1 s until it returns a
-- true value (returned) or `seconds` (default 10) pass, then raises naming `what`.
function T.wait_until(fn, seconds, what)
  local docker = package.loaded["luadock"]
  local clock = docker and docker.clock or os.time
  local sleep = docker and docker.sleep or function(s) os.execute("sleep " .. s) end
  local deadline = clock() + (seconds or 10)
  repeat
    local v = fn()
    if v then return v end
    sleep(0.1)
  until clock() > deadline
  error("timed out after " .. (seconds or 10) .. "s waiting for " .. (what or "a condition"), 2)
end

-- T.spawn(cmd, log[, wrap]): starts the shell command cmd in the background
-- (output to log) with a watchdog that kills it when this test process goes
-- away; wrap(script), if given, wraps the whole (T.in_engine_net, say).
-- Returns its pid.
function T.spawn(cmd, log, wrap)
  local me = require("luadock.core").pid()
  local script = string.format(
    "%s >%s 2>&1 </dev/null & r=$!; echo $r; "
      .. "( while kill -0 %d 2>/dev/null && kill -0 $r 2>/dev/null; do sleep 1; done; kill $r 2>/dev/null ) "
      .. ">/dev/null 2>&1 </dev/null &", cmd, T.q(log), me)
  local out = T.sh(wrap and wrap(script) or script)
  return assert(tonumber(out:match("%d+")), "no pid from: " .. cmd)
end

-- T.write(path, data[, mode]): writes the file (raising on failure), then
-- chmods it to mode: a number (printed in octal: tonumber("600", 8)) or a
-- string ("600", "u+x"); returns path.
function T.write(path, data, mode)
  local f = assert(io.open(path, "wb"))
  assert(f:write(data))
  assert(f:close())
  if mode then
    local m = type(mode) == "number" and string.format("%o", mode) or mode
    assert(os.execute("chmod " .. m .. " " .. T.q(path)), "chmod " .. m .. " " .. path)
  end
  return path
end

-- T.read(path): the whole file, or nil when it cannot be opened.
function T.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- T.done(): prints "N passed, N failed" and exits (0 only if nothing failed).
function T.done()
  if not os.getenv("LUADOCK_KEEP_TMP") then
    for _, dir in ipairs(tmpdirs) do os.execute("rm -rf " .. T.q(dir)) end
  end
  io.stdout:write(string.format("%d passed, %d failed%s\n", passed, failed,
    not_run > 0 and string.format(", %d not run on engine %d (said why above)", not_run, T.engine) or ""))
  io.stdout:flush()
  os.exit(failed == 0 and 0 or 1, true)
end

return T
