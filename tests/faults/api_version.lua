-- faults/api_version.lua - API version faults (version negotiation;
-- faults #6, #7 of tests/faults/README.md): a pinned version above the engine's (1.99, by
-- option and through DOCKER_API_VERSION) gives kind "api_version" with the
-- engine's own "too new" message; a malformed version is an argument error;
-- negotiation settles on the engine's version (1.41 here), never above it and
-- never above luadock's newest; a pinned older version is the user's choice and
-- is sent as given (20.10 accepts 1.24, and answers 1.11 with its plain-text
-- "too old" 400, which is kind api_version too). What is actually sent is read
-- from a logging socat proxy (socat -v) in front of the engine.

local T = require "testlib"
local F = require "_faultlib"
local core = require "luadock.core"
local docker = require "luadock"

local dir = T.tmpdir()
local TOO_NEW = "^client version 1%.99 is too new%. Maximum supported API version is 1%.41$"

-- Request lines ("GET /v1.41/version") the proxy saw since `from` (a byte offset).
local function requests(proxy, from)
  core.sleep(0.2)   -- socat writes its log after forwarding
  local log = F.read(proxy.log) or ""
  local out = {}
  for line in log:sub((from or 0) + 1):gmatch("[^\n]+") do
    local req = line:match("^(%u+ /%S* HTTP/1%.1)")
    if req then out[#out + 1] = req end
  end
  return out, #log
end

F.finally(function()

local proxy = F.proxy(dir, { fork = true, verbose = true, name = "logged" })

T.test("precondition: this engine speaks 1.41", function()
  local v = assert(core.new { timeout = 30 }:system_version())
  T.eq(v.ApiVersion, "1.41", "these tests are written for Debian 12's 20.10 engine")
end)

T.test("pinned 1.99 (option): core API_VERSION with the engine's 'too new' message", function()
  local cli = assert(core.new { api_version = "1.99", host = proxy.host, timeout = 30 })
  T.eq(cli:api_version(), "1.99", "a pinned version is not negotiated")
  local _, from = requests(proxy)
  for _, call in ipairs {
    { "/version", function() return cli:system_version() end },
    { "/containers/json", function() return cli:container_list() end },
  } do
    local r, msg, code, detail = call[2]()
    T.eq(r, nil, call[1])
    T.eq(code, "API_VERSION", call[1] .. ": " .. tostring(msg))
    T.eq(detail.kind, "api_version", call[1])
    T.eq(detail.status, 400, call[1])
    T.ok(msg:find(TOO_NEW), call[1] .. ": " .. msg)
    T.eq(detail.path, call[1])
  end
  local seen = requests(proxy, from)
  T.eq(seen, { "GET /v1.99/version HTTP/1.1", "GET /v1.99/containers/json HTTP/1.1" },
    "sent as pinned, without a /_ping first")
end)

T.test("pinned 1.99 (option): friendly docker.Error kind api_version", function()
  local d = docker.connect { api_version = "1.99", timeout = 30 }
  T.eq(d:api_version(), "1.99")
  local e = T.raises_kind(function() return d:version() end, "api_version")
  T.eq(e.status, 400)
  T.ok(e.message:find(TOO_NEW), e.message)
  T.eq(tostring(e), "luadock: 400 client version 1.99 is too new. Maximum supported API version "
    .. "is 1.41 (GET /version)")
  T.raises_kind(function() return d:containers() end, "api_version")
end)

T.test("DOCKER_API_VERSION=1.99 in the environment: kind api_version on both layers", function()
  local out, ok = F.run_child({ DOCKER_API_VERSION = "1.99", DOCKER_HOST = "" }, [[
local cli = require("luadock.core").new{}
print("core.version=" .. cli:api_version())
local r, msg, code, detail = cli:system_version()
print("core.code=" .. tostring(code))
print("core.kind=" .. tostring(detail and detail.kind))
print("core.message=" .. tostring(msg))
local d = docker.connect()
print("friendly.version=" .. d:api_version())
local ok, e = pcall(function() return d:info() end)
print("friendly.kind=" .. tostring(ok or e.kind))
print("friendly.message=" .. tostring(ok or e.message))
-- an explicit option wins over the environment
print("option.wins=" .. docker.connect{ api_version = "1.41" }:version().ApiVersion)
]], 60)
  T.ok(ok, "child exits 0: " .. out)
  T.ok(out:find("core.version=1.99\n", 1, true), out)
  T.ok(out:find("core.code=API_VERSION\n", 1, true), out)
  T.ok(out:find("core.kind=api_version\n", 1, true), out)
  T.ok(out:match("core%.message=([^\n]*)"):find(TOO_NEW), out)
  T.ok(out:find("friendly.version=1.99\n", 1, true), out)
  T.ok(out:find("friendly.kind=api_version\n", 1, true), out)
  T.ok(out:match("friendly%.message=([^\n]*)"):find(TOO_NEW), out)
  T.ok(out:find("option.wins=1.41\n", 1, true), out)
end)

T.test("malformed version strings: an argument error, nothing sent", function()
  local _, from = requests(proxy)
  for _, v in ipairs { "abc", "1", "1.", "1.41.2", "1.41abc", "1.-5", "latest" } do
    local r, msg, code, detail = core.new { api_version = v, host = proxy.host }
    T.eq(r, nil, v)
    T.eq(code, "ARG", v .. ": " .. tostring(msg))
    T.eq(detail.kind, "bad_request", v)
    T.ok(msg:find("invalid API version", 1, true) and msg:find(v, 1, true), v .. ": " .. msg)
    local e = T.raises(function() docker.connect { api_version = v, host = proxy.host } end,
      "bad argument #1 to 'connect' %(field 'api_version'")
    T.eq(type(e), "string", v .. ": an ordinary Lua error")
  end
  T.raises(function() docker.connect { api_version = 1.41 } end,
    "bad argument #1 to 'connect' %(field 'api_version': string expected")
  T.eq(requests(proxy, from), {}, "no request was made")
  -- through the environment: a clear error naming the value
  local out = F.run_child({ DOCKER_API_VERSION = "abc" }, [[
local ok, e = pcall(docker.connect)
print("ok=" .. tostring(ok), "kind=" .. tostring(type(e) == "table" and e.kind), tostring(e))
]], 30)
  T.ok(out:find("ok=false", 1, true), out)
  T.ok(out:find("invalid API version", 1, true) and out:find('"abc"', 1, true), out)
end)

T.test("negotiation against this engine picks 1.41 (core and friendly)", function()
  local _, from = requests(proxy)
  local cli = assert(core.new { host = proxy.host, timeout = 30 })
  T.eq(cli:api_version(), "1.41")
  assert(cli:container_list())
  assert(cli:system_info())
  local seen = requests(proxy, from)
  T.eq(seen, { "GET /_ping HTTP/1.1", "GET /v1.41/containers/json HTTP/1.1",
    "GET /v1.41/info HTTP/1.1" }, "one /_ping, then everything at /v1.41")
  local d = docker.connect { host = proxy.host, timeout = 30 }
  T.eq(d:api_version(), "1.41")
  T.eq(d:version().ApiVersion, "1.41")
  -- the module's default client on the real socket as well
  T.eq(docker.connect():api_version(), "1.41")
end)

T.test("negotiation uses min(server, luadock's newest) and refuses a too-old server", function()
  T.eq(core.API_MAX, "1.56")
  T.eq(core.API_MIN, "1.41")
  local function ping_says(name, header)
    local headers = { "Content-Type: text/plain", "Connection: close" }
    if header then table.insert(headers, 1, "Api-Version: " .. header) end
    local fake = F.fake_engine(dir, name, F.http("200 OK",
      { "Api-Version: 9.99", "Content-Type: application/json" }, '{"Version":"fake"}'),
      { ping = F.http("200 OK", headers, "OK") })
    return assert(core.new { host = fake.host, timeout = 5 }), fake
  end
  local cli, fake = ping_says("v143", "1.43")
  T.eq(cli:api_version(), "1.43", "a newer server within luadock's range")
  T.eq(assert(cli:system_version()).Version, "fake")
  T.ok(F.read(fake.requests):find("GET /v1.43/version", 1, true), F.read(fake.requests))
  cli = ping_says("v199", "1.99")
  T.eq(cli:api_version(), "1.56", "capped at luadock's newest")
  cli = ping_says("v141", "1.41")
  T.eq(cli:api_version(), "1.41")
  cli = ping_says("none", nil)
  T.eq(cli:api_version(), "1.41", "no Api-Version header: the oldest luadock speaks")
  cli = ping_says("v130", "1.30")
  local r, msg, code, detail = cli:api_version()
  T.eq(r, nil)
  T.eq(code, "API_VERSION", tostring(msg))
  T.eq(detail.kind, "api_version")
  T.ok(msg:find("1.30", 1, true) and msg:find("1.41", 1, true), msg)
  r, msg, code, detail = cli:system_version()
  T.eq(code, "API_VERSION", "a call negotiating fails the same way: " .. tostring(msg))
  T.eq(detail.path, "/version")
  cli = ping_says("garbled", "one.two")
  r, msg, code, detail = cli:api_version()
  T.eq(r, nil)
  T.eq(code, "PROTOCOL", tostring(msg))
  T.eq(detail.kind, "protocol")
end)

T.test("pinned older versions are the user's choice: sent as given", function()
  local _, from = requests(proxy)
  local cli = assert(core.new { api_version = "1.24", host = proxy.host, timeout = 30 })
  T.eq(cli:api_version(), "1.24")
  local list = assert(cli:container_list({ all = true }))
  T.eq(type(list), "table")
  local d = docker.connect { api_version = "1.24", host = proxy.host, timeout = 30 }
  T.eq(d:api_version(), "1.24")
  T.eq(d:version().ApiVersion, "1.41", "the engine still reports its own version")
  local seen = requests(proxy, from)
  T.eq(seen, { "GET /v1.24/containers/json?all=1 HTTP/1.1", "GET /v1.24/version HTTP/1.1" })
  -- "v1.24" is accepted as 1.24, as the docker CLI does
  T.eq(assert(core.new { api_version = "v1.24" }):api_version(), "1.24")
end)

T.test("pinned 1.11 against 20.10: the real plain-text 'too old' 400 is kind api_version", function()
  local cli = assert(core.new { api_version = "1.11", timeout = 30 })
  local r, msg, code, detail = cli:system_version()
  T.eq(r, nil)
  T.eq(code, "API_VERSION", tostring(msg))
  T.eq(detail.kind, "api_version")
  T.eq(detail.status, 400)
  T.eq(msg, "client version 1.11 is too old. Minimum supported API version is 1.12, please "
    .. "upgrade your client to a newer version")
  local d = docker.connect { api_version = "1.11", timeout = 30 }
  local e = T.raises_kind(function() return d:containers() end, "api_version")
  T.eq(e.message, msg)
end)

end, F.kill_all)

T.done()
