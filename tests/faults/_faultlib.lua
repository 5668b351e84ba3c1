--[[ _faultlib.lua - shared helpers of the fault-injection tests in tests/faults/
(`local F = require "_faultlib"`, found through LUA_PATH; the leading "_" keeps
ctest from running it as a test).

It starts the peers a fault needs - socat proxies in front of the engine's
socket, fake engines that answer with bytes written here, processes that never
answer - each as the leader of its own process group, so that F.kill ends it
and every child it forked (socat's `fork` children survive their parent).
Every process started here is remembered and F.kill_all (called by
F.finally's clean-up and by the tests' ends) kills only those, by pid. Every
wait is bounded. It needs only luadock.core (for the clock and sleep), never
the friendly module, and never touches Docker objects. ]]

local core = require "luadock.core"
local T = require "testlib"

local F = {}

F.ENGINE_SOCKET = (function()
  local h = os.getenv("DOCKER_HOST")
  local p = h and h:match("^unix://(/.+)$")
  return p or "/var/run/docker.sock"
end)()

local started = {}   -- pid -> description, for F.kill_all

-- F.finally(body, cleanup): runs body(); always runs cleanup() afterwards,
-- also when body raised, then re-raises body's error (the same value, so a
-- docker.Error stays a table). An error in cleanup is raised only when body
-- succeeded.
function F.finally(body, cleanup)
  local ok, err = xpcall(body, function(e)
    if type(e) == "string" then return debug.traceback(e, 2) end
    return e
  end)
  local cok, cerr = pcall(cleanup)
  if not ok then error(err, 0) end
  if not cok then error(cerr, 0) end
end

-- F.wait_for(fn, seconds, what): polls fn every 50 ms until it returns a true
-- value (returned) or `seconds` pass; then raises naming `what`.
function F.wait_for(fn, seconds, what)
  local deadline = core.clock() + seconds
  while true do
    local v = fn()
    if v then return v end
    if core.clock() > deadline then
      error("timed out after " .. seconds .. " s waiting for " .. what, 2)
    end
    core.sleep(0.05)
  end
end

function F.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  -- sockets cannot be opened: ask the shell
  local _, ok = T.sh("test -e " .. T.q(path) .. " && echo y")
  return ok
end

function F.is_socket(path)
  local _, ok = T.sh("test -S " .. T.q(path))
  return ok
end

function F.write(path, bytes, mode)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
  if mode then assert(os.execute("chmod " .. mode .. " " .. T.q(path))) end
end

F.read = T.read

-- A process state from /proc: nil when gone, "Z" for a zombie, else a letter.
local function proc_state(pid)
  local s = F.read("/proc/" .. pid .. "/stat")
  return s and s:match("^%d+ %b() (%a)")
end

function F.alive(pid)
  local st = proc_state(pid)
  return st ~= nil and st ~= "Z"
end

-- F.spawn(cmd, log): runs the shell command `cmd` in the background as the
-- leader of a new session and process group; its output goes to `log` (or
-- /dev/null). Returns the pid (which is also the process group id).
function F.spawn(cmd, log)
  local dir = T.tmpdir()
  local pidfile = dir .. "/pid"
  local inner = "echo $$ > " .. T.q(pidfile) .. "; exec " .. cmd
  local line = "setsid sh -c " .. T.q(inner) .. " </dev/null >" .. T.q(log or "/dev/null")
    .. " 2>&1 &"
  assert(os.execute(line), "could not start: " .. cmd)
  local pid = F.wait_for(function()
    local s = F.read(pidfile)
    return s and tonumber(s:match("%d+"))
  end, 5, "the pid of: " .. cmd)
  started[pid] = cmd
  return pid
end

-- F.kill(pid[, signal]): signals the process group `pid` (and the process).
-- With the default KILL, waits (bounded) until the leader is gone.
function F.kill(pid, signal)
  if not pid then return end
  signal = signal or "KILL"
  -- dash's kill takes a negative pid (a process group) right after the signal,
  -- but not after "--"
  os.execute(string.format("kill -%s -%d 2>/dev/null; kill -%s %d 2>/dev/null",
    signal, pid, signal, pid))
  if signal == "KILL" then
    started[pid] = nil
    F.wait_for(function() return not F.alive(pid) end, 5, "process " .. pid .. " to die")
  end
end

-- F.kill_all(): kills every process group started by F.spawn and still known.
function F.kill_all()
  for pid in pairs(started) do pcall(F.kill, pid) end
end

-- F.wait_socket(path, pid): waits (bounded) until `path` is a socket; raises
-- with the log when the process died first.
function F.wait_socket(path, pid, log)
  F.wait_for(function()
    if F.is_socket(path) then return true end
    if pid and not F.alive(pid) then
      error("the helper process for " .. path .. " died: " .. tostring(log and F.read(log)), 0)
    end
  end, 10, "socket " .. path)
end

-- F.proxy(dir, opts): a socat proxy from dir/<name>.sock to the engine's
-- socket. opts.fork: accept many connections (else exactly one);
-- opts.verbose: log the traffic (socat -v) to the log file.
-- Returns { sock=, host="unix://...", pid=, log= }.
function F.proxy(dir, opts)
  opts = opts or {}
  local sock = dir .. "/" .. (opts.name or "proxy") .. ".sock"
  local log = dir .. "/" .. (opts.name or "proxy") .. ".log"
  local listen = "UNIX-LISTEN:" .. sock .. (opts.fork and ",fork" or "")
  local pid = F.spawn("socat " .. (opts.verbose and "-v " or "") .. T.q(listen) .. " "
    .. T.q("UNIX-CONNECT:" .. F.ENGINE_SOCKET), log)
  F.wait_socket(sock, pid, log)
  return { sock = sock, host = "unix://" .. sock, pid = pid, log = log }
end

-- F.listener(dir, name, system): socat UNIX-LISTEN:dir/name.sock,fork
-- SYSTEM:<system> - every connection runs the shell command `system` with the
-- connection as its stdin and stdout.
function F.listener(dir, name, system)
  local sock = dir .. "/" .. name .. ".sock"
  local log = dir .. "/" .. name .. ".log"
  local pid = F.spawn("socat " .. T.q("UNIX-LISTEN:" .. sock .. ",fork") .. " "
    .. T.q("SYSTEM:" .. system), log)
  F.wait_socket(sock, pid, log)
  return { sock = sock, host = "unix://" .. sock, pid = pid, log = log }
end

-- An HTTP/1.1 response as bytes. headers: array of "Name: value" lines; a
-- Content-Length header is added for the body unless headers has one (or
-- headers.no_length is set).
function F.http(status_line, headers, body)
  headers = headers or {}
  local parts = { "HTTP/1.1 ", status_line, "\r\n" }
  local has_length = headers.no_length
  for _, h in ipairs(headers) do
    parts[#parts + 1] = h .. "\r\n"
    if h:lower():find("^content%-length:") then has_length = true end
  end
  if not has_length then parts[#parts + 1] = "Content-Length: " .. #(body or "") .. "\r\n" end
  parts[#parts + 1] = "\r\n"
  parts[#parts + 1] = body or ""
  return table.concat(parts)
end

F.PING = F.http("200 OK", { "Api-Version: 1.41", "Content-Type: text/plain; charset=utf-8",
  "Content-Length: 2", "Connection: close" }, "OK")

-- A fake engine on dir/<name>.sock: each connection reads one request head
-- (its line appended to <name>.requests); GET /_ping (also /vX.Y/_ping) gets
-- the bytes `ping`, any other request the output of the shell command `other`.
local function fake(dir, name, ping, other)
  local pingf = dir .. "/" .. name .. ".ping"
  local script = dir .. "/" .. name .. ".sh"
  F.write(pingf, ping)
  F.write(script, table.concat({
    "cr=$(printf '\\r')",
    "IFS= read -r req || exit 0",
    "printf '%s\\n' \"$req\" >> " .. T.q(dir .. "/" .. name .. ".requests"),
    "while IFS= read -r h; do [ \"$h\" = \"$cr\" ] || [ -z \"$h\" ] && break; done",
    "case \"$req\" in",
    "  *'/_ping '*|*'/_ping?'*) cat " .. T.q(pingf) .. " ;;",
    "  *) " .. other .. " ;;",
    "esac",
    "",
  }, "\n"))
  local l = F.listener(dir, name, "sh " .. script)
  l.requests = dir .. "/" .. name .. ".requests"
  return l
end

-- F.fake_engine(dir, name, response[, opts]): a fake engine on
-- dir/<name>.sock. Each connection reads one request head; GET /_ping
-- (also /vX.Y/_ping) is answered like 20.10 does (Api-Version: 1.41) unless
-- opts.ping is given (its bytes instead); any other request gets the bytes
-- `response`, after which the connection stalls for opts.stall seconds
-- (default 0: closes). Every request line is appended to <name>.requests.
function F.fake_engine(dir, name, response, opts)
  opts = opts or {}
  local resp = dir .. "/" .. name .. ".resp"
  F.write(resp, response)
  return fake(dir, name, opts.ping or F.PING,
    "cat " .. T.q(resp) .. "; sleep " .. tostring(opts.stall or 0))
end

-- F.fake_engine_cmd(dir, name, head, cmd): like F.fake_engine, but a request
-- other than GET /_ping gets the bytes `head` followed by the output of the
-- shell command `cmd` (an endless generator, say: it ends when the client
-- closes the connection and its writes fail).
function F.fake_engine_cmd(dir, name, head, cmd)
  local headf = dir .. "/" .. name .. ".head"
  F.write(headf, head)
  return fake(dir, name, F.PING, "cat " .. T.q(headf) .. "; " .. cmd)
end

-- F.luadock_binary(): the host executable running this test (or the one in
-- $LUADOCK_BINARY_DIR).
function F.luadock_binary()
  local link = T.sh("readlink /proc/" .. core.pid() .. "/exe 2>/dev/null"):gsub("%s+$", "")
  if link:match("/luadock$") then return link end
  local dir = os.getenv("LUADOCK_BINARY_DIR")
  if dir and F.exists(dir .. "/luadock") then return dir .. "/luadock" end
  if arg and arg[-1] and arg[-1]:match("luadock$") and F.exists(arg[-1]) then return arg[-1] end
  error("cannot find the luadock executable (set LUADOCK_BINARY_DIR)", 2)
end

-- F.run_child(env, code, seconds): runs `luadock -e code` with the extra
-- environment `env` (a map) under timeout(1) (KILL after `seconds`). Returns
-- its combined output, whether it exited 0, and its exit status.
function F.run_child(env, code, seconds, prefix)
  local parts = {}
  for k, v in pairs(env or {}) do parts[#parts + 1] = k .. "=" .. T.q(v) end
  local cmd = string.format("env %s timeout -s KILL %d %s%s -e %s 2>&1",
    table.concat(parts, " "), seconds or 30, prefix or "", T.q(F.luadock_binary()), T.q(code))
  return T.sh(cmd)
end

-- ---- containers (through luadock.core on the engine's own socket) ---------

F.LABELS = { ["luadock.managed"] = "1", ["luadock.test"] = "faults" }

local engine_cli
local function engine()
  engine_cli = engine_cli or assert(core.new { host = "unix://" .. F.ENGINE_SOCKET, timeout = 60 })
  return engine_cli
end
F.engine = engine

-- F.create_container(cmd[, opts]): creates (and unless opts.start == false,
-- starts) a container of the test image running `cmd` (an array), labelled
-- luadock.managed=1 and luadock.test=faults. opts.name: its name. Returns the id.
function F.create_container(cmd, opts)
  opts = opts or {}
  local cli = engine()
  local r, msg = cli:container_create({ Image = T.image, Cmd = cmd, Labels = F.LABELS,
    HostConfig = { NetworkMode = "none" } }, { name = opts.name })
  if not r then error("creating a test container failed: " .. tostring(msg), 2) end
  if opts.start ~= false then
    local ok, smsg = cli:container_start(r.Id)
    if not ok then
      cli:container_delete(r.Id, { force = true })
      error("starting a test container failed: " .. tostring(smsg), 2)
    end
  end
  return r.Id
end

-- F.remove_container(id): force-removes a container, but only one carrying
-- luadock.managed=1; a missing one is fine.
function F.remove_container(id)
  if not id then return end
  local cli = engine()
  local t = cli:container_inspect(id)
  if not t then return end
  if ((t.Config or {}).Labels or {})["luadock.managed"] ~= "1" then
    error("refusing to remove unmanaged container " .. id, 2)
  end
  cli:container_delete(id, { force = true, v = true })
end

-- A short random name for Docker objects and socket files.
function F.name(prefix)
  return (prefix or "ldfault") .. "-" .. core.random_hex(6)
end

return F
