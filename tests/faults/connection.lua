-- faults/connection.lua - no engine at the address (fault catalogue (tests/faults/README.md) #1, #2, #4,
-- #5): a missing socket file, a stale socket file, a refused tcp port, a socket
-- path over 107 bytes, malformed DOCKER_HOST values, fd:// and npipe://. Checked on both
-- layers: luadock.core's `nil, msg, code, detail` and the friendly layer's
-- docker.Error.

local T = require "testlib"
local F = require "_faultlib"
local core = require "luadock.core"
local docker = require "luadock"

local dir = T.tmpdir()

-- Calls fn (which returns core's fail values) and checks them.
local function core_fails(code, kind, pattern, ...)
  local r, msg, c, detail = ...
  T.eq(r, nil, "result")
  T.eq(c, code, "code (message: " .. tostring(msg) .. ")")
  T.eq(type(detail), "table", "detail")
  T.eq(detail.kind, kind, "detail.kind")
  T.eq(detail.message, msg, "detail.message")
  if pattern then T.ok(msg:find(pattern), "message " .. T.show(msg) .. " matches " .. pattern) end
  return msg, detail
end

local function cannot_connect(addr)
  return "^Cannot connect to the Docker daemon at " .. addr:gsub("%p", "%%%0")
    .. "%. Is the docker daemon running%?"
end

T.test("missing socket file: core CONNECT / connection, docker CLI wording, ENOENT", function()
  local sock = dir .. "/" .. F.name("gone") .. "/nope.sock"
  T.ok(not F.exists(sock), "the socket must not exist")
  local cli = assert(core.new { host = "unix://" .. sock, timeout = 5 })
  local msg, detail = core_fails("CONNECT", "connection", cannot_connect("unix://" .. sock),
    cli:system_ping())
  T.ok(msg:find("No such file or directory", 1, true), "names ENOENT: " .. msg)
  T.eq(detail.method, "GET")
  T.eq(detail.path, "/_ping")
  -- a versioned call fails the same way (while negotiating), naming its own path
  local _, d2 = core_fails("CONNECT", "connection", cannot_connect("unix://" .. sock),
    cli:container_list())
  T.eq(d2.path, "/containers/json")
end)

T.test("missing socket file: friendly layer raises docker.Error kind connection", function()
  local sock = dir .. "/" .. F.name("gone") .. ".sock"
  local d = docker.connect { host = "unix://" .. sock, timeout = 5 }
  local e = T.raises_kind(function() d:ping() end, "connection")
  T.ok(docker.is_error(e), "docker.is_error")
  T.eq(e.status, nil, "no HTTP status")
  T.ok(e.message:find(cannot_connect("unix://" .. sock)), "message: " .. e.message)
  T.ok(tostring(e):find("^luadock: Cannot connect to the Docker daemon at unix://"), tostring(e))
  T.raises_kind(function() d:containers() end, "connection")
  T.raises_kind(function() d:version() end, "connection")
end)

T.test("stale socket file (nobody listening): connection, ECONNREFUSED", function()
  -- a socket file whose listener died: socat made it, SIGKILL leaves it behind
  local sock = dir .. "/stale.sock"
  local pid = F.spawn("socat " .. T.q("UNIX-LISTEN:" .. sock) .. " /dev/null")
  F.finally(function()
    F.wait_socket(sock, pid)
    F.kill(pid)
    T.ok(F.is_socket(sock), "the socket file stays after SIGKILL")
    local cli = assert(core.new { host = "unix://" .. sock, timeout = 5 })
    local msg = core_fails("CONNECT", "connection", cannot_connect("unix://" .. sock),
      cli:system_version())
    T.ok(msg:find("Connection refused", 1, true), "names ECONNREFUSED: " .. msg)
    local d = docker.connect { host = "unix://" .. sock, timeout = 5 }
    local e = T.raises_kind(function() d:ping() end, "connection")
    T.ok(e.message:find("Connection refused", 1, true), e.message)
  end, function() F.kill(pid) end)
end)

T.test("path is a directory: connection, not a crash", function()
  local cli = assert(core.new { host = "unix://" .. dir, timeout = 5 })
  core_fails("CONNECT", "connection", cannot_connect("unix://" .. dir), cli:system_ping())
end)

T.test("refused tcp port on 127.0.0.1: connection", function()
  local port = T.free_port()
  local addr = "tcp://127.0.0.1:" .. port
  local cli = assert(core.new { host = addr, timeout = 5, api_version = "1.41" })
  T.eq(cli:host(), addr)
  local t0 = core.clock()
  local msg = core_fails("CONNECT", "connection", cannot_connect(addr), cli:system_version())
  T.ok(msg:find("Connection refused", 1, true), msg)
  T.ok(core.clock() - t0 < 5, "a refusal is immediate")
  local d = docker.connect(addr)
  T.raises_kind(function() d:ping() end, "connection")
end)

T.test("socket path over 107 bytes: clear 'too long' error before connecting", function()
  local long = "/tmp/" .. string.rep("x", 100) .. "/docker.sock"   -- 116 bytes
  T.ok(#long > 107)
  local r, msg, code, detail = core.new { host = "unix://" .. long }
  T.eq(r, nil)
  T.eq(code, "ARG", "code (message: " .. tostring(msg) .. ")")
  T.eq(detail.kind, "bad_request")
  T.ok(msg:find("too long", 1, true), msg)
  T.ok(msg:find(long, 1, true), "names the path: " .. msg)
  T.ok(detail.method == nil or detail.method == "", "no request was made")
  -- exactly 107 bytes is still accepted (the sun_path limit), and then just fails to connect
  local edge = dir .. "/" .. string.rep("y", 107 - #dir - 1)
  T.eq(#edge, 107)
  local cli = assert(core.new { host = "unix://" .. edge, timeout = 5 })
  core_fails("CONNECT", "connection", nil, cli:system_ping())
  -- the friendly layer refuses it as an argument error naming the field
  T.raises(function() docker.connect { host = "unix://" .. long } end,
    "bad argument #1 to 'connect' %(field 'host': .*too long")
  T.raises(function() docker.connect("unix://" .. long) end, "too long")
end)

local MALFORMED = { "tcp://:port", "unknown://x", "something with spaces", "://", "tcp://invalid:port",
  "unix://a://b" }

T.test("malformed host addresses: core refuses them naming DOCKER_HOST", function()
  for _, spec in ipairs(MALFORMED) do
    local r, msg, code, detail = core.new { host = spec }
    T.eq(r, nil, spec)
    T.eq(code, "ARG", spec .. " (" .. tostring(msg) .. ")")
    T.eq(detail.kind, "bad_request", spec)
    T.ok(msg:find("DOCKER_HOST", 1, true), spec .. ": names DOCKER_HOST: " .. msg)
    T.ok(msg:find(spec, 1, true), spec .. ": quotes the value: " .. msg)
    local p, pmsg = core.parse_host(spec)
    T.eq(p, nil, "parse_host " .. spec)
    T.eq(pmsg, msg, "parse_host gives the same message")
  end
end)

T.test("malformed host addresses: friendly connect raises an argument error", function()
  for _, spec in ipairs(MALFORMED) do
    local e = T.raises(function() docker.connect { host = spec } end,
      "bad argument #1 to 'connect' %(field 'host'")
    T.eq(type(e), "string", spec .. ": an ordinary Lua error, not a docker.Error")
    T.ok(e:find("DOCKER_HOST", 1, true), e)
  end
end)

T.test("malformed DOCKER_HOST in the environment: the error names DOCKER_HOST", function()
  for _, spec in ipairs { "tcp://:port", "unknown://x", "something with spaces" } do
    local out, ok = F.run_child({ DOCKER_HOST = spec },
      "local ok, e = pcall(docker.connect); print(ok, docker.is_error(e), e.kind, e.message)"
      .. "; print(tostring(e))", 20)
    T.ok(ok, "child ran: " .. out)
    T.ok(out:find("^false\ttrue\tbad_request\t"), spec .. ": " .. out)
    -- no request was made, so tostring names none: not "... ( )"
    T.ok(not out:find("%(%s*%)"), spec .. ": tostring shows an empty request: " .. out)
    T.ok(out:find("DOCKER_HOST", 1, true) and out:find(spec, 1, true), spec .. ": " .. out)
    -- and the module's default client fails the same way
    out = F.run_child({ DOCKER_HOST = spec }, "docker.ping()", 20)
    T.ok(out:find("DOCKER_HOST", 1, true), spec .. " (docker.ping): " .. out)
  end
end)

T.test("luadock -H with a malformed address names it", function()
  local out, ok = T.sh("timeout -s KILL 20 " .. T.q(F.luadock_binary())
    .. " -H 'tcp://:port' -e 'docker.ping()' 2>&1")
  T.ok(not ok, "exits non-zero: " .. out)
  T.ok(out:find("DOCKER_HOST", 1, true) and out:find("tcp://:port", 1, true), out)
  T.ok(not out:find("luadock: luadock:", 1, true), "the prefix is printed once: " .. out)
end)

T.test("fd:// and npipe:// refused clearly (ssh:// is tests/lua/ssh.lua's)", function()
  for _, spec in ipairs { "fd://", "npipe:////./pipe/docker_engine" } do
    local r, msg, code, detail = core.new { host = spec }
    T.eq(r, nil, spec)
    T.eq(code, "ARG", spec)
    T.eq(detail.kind, "bad_request", spec)
    T.ok(msg:find("unix://, tcp:// and ssh:// only", 1, true), spec .. ": " .. msg)
    T.raises(function() docker.connect(spec) end, "unix://, tcp:// and ssh:// only")
  end
end)

F.kill_all()
T.done()
