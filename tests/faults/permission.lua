-- faults/permission.lua - permission denied on the engine's socket (fault #3 of
-- tests/faults/README.md): the client runs as nobody (setpriv --reuid=65534 --regid=65534
-- --clear-groups) against the engine's real socket, which is never chmod-ed,
-- and against a root-only (mode 600) socat proxy socket. Expected: kind
-- "permission" with the docker CLI's "permission denied while trying to
-- connect to the Docker daemon socket at ..." wording, on both layers.

local T = require "testlib"
local F = require "_faultlib"

local SETPRIV = "setpriv --reuid=65534 --regid=65534 --clear-groups "

-- nobody cannot enter T.tmpdir()'s 0700 folders: a 0755 folder of our own
-- holds a copy of the host executable (the build folder may not be readable).
local pubdir = T.sh("mktemp -d /tmp/luadock-faults-XXXXXX"):gsub("%s+$", "")
assert(pubdir ~= "" and os.execute("chmod 755 " .. T.q(pubdir)), "mktemp failed")
local bin = pubdir .. "/luadock"
assert(os.execute("cp " .. T.q(F.luadock_binary()) .. " " .. T.q(bin) .. " && chmod 755 " .. T.q(bin)))

-- Runs `code` as nobody; returns the output and whether it exited 0.
local function as_nobody(code, env)
  local parts = {}
  for k, v in pairs(env or {}) do parts[#parts + 1] = k .. "=" .. T.q(v) end
  -- cd /: the source tree may not be searchable by nobody
  return T.sh("cd / && env " .. table.concat(parts, " ") .. " timeout -s KILL 30 " .. SETPRIV
    .. T.q(bin) .. " -e " .. T.q(code) .. " 2>&1")
end

local function denied_pattern(addr)
  return "permission denied while trying to connect to the Docker daemon socket at "
    .. addr:gsub("%p", "%%%0")
end

-- prints one line per field, so that the parent can check each
local REPORT = [[
local function report(tag, r, msg, code, detail)
  print(tag .. ".result=" .. tostring(r))
  print(tag .. ".code=" .. tostring(code))
  print(tag .. ".kind=" .. tostring(detail and detail.kind))
  print(tag .. ".message=" .. tostring(msg))
end
]]

F.finally(function()

T.test("precondition: nobody is not root and cannot use the engine's socket directly", function()
  local out, ok = T.sh(SETPRIV .. "id -u 2>&1")
  T.ok(ok, "setpriv works (this test must run as root): " .. out)
  T.eq(out, "65534\n")
  out = T.sh(SETPRIV .. "sh -c " .. T.q("test -w " .. F.ENGINE_SOCKET .. " && echo writable") .. " 2>&1")
  T.ok(not out:find("writable"), F.ENGINE_SOCKET .. " is writable by nobody: the test cannot work")
  out, ok = as_nobody("print('hello from ' .. docker.VERSION)")
  T.ok(ok and out:find("hello from"), "the copied host runs as nobody: " .. out)
end)

T.test("core layer as nobody: PERMISSION / permission, docker CLI wording, the group hint", function()
  local code = REPORT .. [[
local core = require "luadock.core"
local cli = assert(core.new{ timeout = 10 })
report("ping", cli:system_ping())
report("list", cli:container_list())
report("version", cli:api_version())
]]
  local out, ok = as_nobody(code, { DOCKER_HOST = "unix://" .. F.ENGINE_SOCKET })
  T.ok(ok, "child exits 0: " .. out)
  for _, tag in ipairs { "ping", "list", "version" } do
    T.ok(out:find(tag .. ".result=nil\n", 1, true), tag .. ": " .. out)
    T.ok(out:find(tag .. ".code=PERMISSION\n", 1, true), tag .. ": " .. out)
    T.ok(out:find(tag .. ".kind=permission\n", 1, true), tag .. ": " .. out)
    local msg = out:match(tag .. "%.message=([^\n]*)")
    T.ok(msg and msg:find("^" .. denied_pattern("unix://" .. F.ENGINE_SOCKET)), tag .. ": " .. tostring(msg))
    T.ok(msg:find("connect: permission denied", 1, true), msg)
    -- the hint B.3 asks for: the group's membership, said to be root-equivalent
    -- (never a suggestion to chmod the socket)
    T.ok(msg:find("(membership of the socket's group is root-equivalent)", 1, true), msg)
    T.ok(not msg:find("chmod", 1, true), msg)
  end
end)

T.test("friendly layer as nobody: docker.Error kind permission (default host)", function()
  local code = [[
local ok, e = pcall(function() return docker.connect():ping() end)
print("ok=" .. tostring(ok))
print("is_error=" .. tostring(docker.is_error(e)))
print("kind=" .. tostring(e.kind))
print("status=" .. tostring(e.status))
print("message=" .. tostring(e.message))
print("tostring=" .. tostring(e))
-- the module's default client too
local ok2, e2 = pcall(docker.ps)
print("ps.kind=" .. tostring(ok2 or e2.kind))
]]
  -- no DOCKER_HOST: the default socket
  local out, ok = as_nobody(code, { DOCKER_HOST = "" })
  T.ok(ok, "child exits 0: " .. out)
  T.ok(out:find("ok=false\n", 1, true), out)
  T.ok(out:find("is_error=true\n", 1, true), out)
  T.ok(out:find("kind=permission\n", 1, true), out)
  T.ok(out:find("status=nil\n", 1, true), out)
  T.ok(out:find("ps.kind=permission\n", 1, true), out)
  local msg = out:match("message=([^\n]*)")
  T.ok(msg and msg:find("^" .. denied_pattern("unix:///var/run/docker.sock")), tostring(msg))
  T.ok(out:find("tostring=luadock: permission denied while trying to connect", 1, true), out)
end)

T.test("uncaught permission error in the host: message on stderr, exit 1", function()
  local out, ok = as_nobody("docker.ping()", { DOCKER_HOST = "" })
  T.ok(not ok, "exits non-zero: " .. out)
  T.ok(out:find("permission denied while trying to connect to the Docker daemon socket at "
    .. "unix:///var/run/docker.sock", 1, true), out)
end)

T.test("root-only (mode 600) proxy socket: permission naming that address", function()
  local sock = pubdir .. "/root-only.sock"
  local log = pubdir .. "/root-only.log"
  local pid = F.spawn("socat " .. T.q("UNIX-LISTEN:" .. sock .. ",fork,mode=600") .. " "
    .. T.q("UNIX-CONNECT:" .. F.ENGINE_SOCKET), log)
  F.finally(function()
    F.wait_socket(sock, pid, log)
    local code = REPORT .. [[
local cli = assert(require("luadock.core").new{ timeout = 10 })
report("ping", cli:system_ping())
local ok, e = pcall(function() return docker.connect():version() end)
print("friendly.kind=" .. tostring(e.kind))
]]
    local out, ok = as_nobody(code, { DOCKER_HOST = "unix://" .. sock })
    T.ok(ok, "child exits 0: " .. out)
    T.ok(out:find("ping.code=PERMISSION\n", 1, true), out)
    T.ok(out:find("ping.kind=permission\n", 1, true), out)
    local msg = out:match("ping%.message=([^\n]*)")
    T.ok(msg and msg:find("^" .. denied_pattern("unix://" .. sock)), tostring(msg))
    T.ok(out:find("friendly.kind=permission\n", 1, true), out)
    -- the same proxy works for root: the failure is the permission, not the proxy
    local core = require "luadock.core"
    local cli = assert(core.new { host = "unix://" .. sock, timeout = 10 })
    T.eq(cli:system_ping(), "OK", "root gets through the proxy")
    cli:close()
  end, function() F.kill(pid) end)
end)

end, function()
  F.kill_all()
  os.execute("rm -rf " .. T.q(pubdir))
end)

T.done()
