-- faults/hang.lua - engines that misbehave (fault catalogue (tests/faults/README.md) #17, #18, #21, #22,
-- #7): one that accepts and never answers, one that sends headers and then
-- stalls mid-body, and fake engines answering garbage JSON, an empty 500, a
-- plain-text "client version ... too old" 400, a cut body, nothing at all, or
-- not HTTP. The fakes are socat listeners running a shell script per
-- connection (see _faultlib.fake_engine); they answer GET /_ping like 20.10,
-- so the client's negotiation goes through them as well.

local T = require "testlib"
local F = require "_faultlib"
local core = require "luadock.core"
local docker = require "luadock"

local dir = T.tmpdir()
local LIMIT = 10   -- seconds: every timeout case must end well before this

local function core_fails(code, kind, ...)
  local r, msg, c, detail = ...
  T.eq(r, nil, "result")
  T.eq(c, code, "code (message: " .. tostring(msg) .. ")")
  T.eq(type(detail), "table", "detail")
  T.eq(detail.kind, kind, "detail.kind (message: " .. tostring(msg) .. ")")
  return msg, detail
end

-- Runs fn, returning its results and the seconds it took (docker.clock()).
local function timed(fn)
  local t0 = docker.clock()
  local r = table.pack(fn())
  return docker.clock() - t0, table.unpack(r, 1, r.n)
end

F.finally(function()

-- ---- an engine that accepts and never answers ------------------------------

local hang = F.listener(dir, "hang", "sleep 30")

T.test("accepts, never answers: core calls time out (timeout=1)", function()
  local cli = assert(core.new { host = hang.host, timeout = 1 })
  T.eq(cli:timeout(), 1)
  -- ping (unversioned), then a call that first has to negotiate, then one pinned
  local secs, r, msg, code, detail = timed(function() return cli:system_ping() end)
  core_fails("TIMEOUT", "timeout", r, msg, code, detail)
  T.ok(secs < LIMIT, "ping took " .. secs .. " s")
  T.ok(secs >= 0.9, "ping gave up after " .. secs .. " s, before its timeout")
  T.ok(msg:find(hang.host, 1, true), "names the address: " .. msg)
  T.eq(detail.path, "/_ping")
  secs, r, msg, code, detail = timed(function() return cli:system_version() end)
  core_fails("TIMEOUT", "timeout", r, msg, code, detail)
  T.ok(secs < LIMIT, "version took " .. secs .. " s")
  T.eq(detail.method, "GET")
  T.eq(detail.path, "/version")
  local pinned = assert(core.new { host = hang.host, timeout = 1, api_version = "1.41" })
  secs, r, msg, code, detail = timed(function() return pinned:container_list({ all = true }) end)
  core_fails("TIMEOUT", "timeout", r, msg, code, detail)
  T.ok(secs < LIMIT, "containers took " .. secs .. " s")
  T.eq(detail.path, "/containers/json")
end)

T.test("accepts, never answers: friendly calls raise kind timeout", function()
  local d = docker.connect { host = hang.host, timeout = 1 }
  for _, call in ipairs {
    { "ping", function() return d:ping() end },
    { "version", function() return d:version() end },
    { "containers", function() return d:containers { all = true } end },
  } do
    local secs, e = timed(function() return T.raises_kind(call[2], "timeout") end)
    T.ok(secs < LIMIT, call[1] .. " took " .. secs .. " s")
    T.ok(docker.is_error(e), call[1] .. ": a docker.Error")
    T.eq(e.status, nil, call[1] .. ": no status")
    T.ok(tostring(e):find("^luadock: "), tostring(e))
  end
end)

T.test("accepts, never answers: a stream open (logs) times out too", function()
  local cli = assert(core.new { host = hang.host, timeout = 1, api_version = "1.41" })
  local secs, r, msg, code, detail = timed(function()
    return cli:container_logs("x", { stdout = true, follow = true })
  end)
  core_fails("TIMEOUT", "timeout", r, msg, code, detail)
  T.ok(secs < LIMIT, "logs open took " .. secs .. " s")
end)

T.test("accepts, never answers: attach (plain and hijacked) times out too", function()
  local cli = assert(core.new { host = hang.host, timeout = 1, api_version = "1.41" })
  for _, hijack in ipairs { false, true } do
    local what = hijack and "hijacked attach" or "attach"
    local secs, r, msg, code, detail = timed(function()
      return cli:container_attach("x", { stream = true, stdin = hijack, stdout = true },
        { hijack = hijack })
    end)
    core_fails("TIMEOUT", "timeout", r, msg, code, detail)
    T.ok(secs < LIMIT, what .. " took " .. secs .. " s")
    T.eq(detail.path, "/containers/x/attach", what)
  end
end)

-- The response-header timeout must not cut live streams that are merely quiet.
T.test("a quiet live stream is not a timeout (logs follow, attach; timeout=1)", function()
  local id = F.create_container({ "sh", "-c", "sleep 2; echo late; sleep 60" })
  F.finally(function()
    local cli = assert(core.new { timeout = 1 })
    local logs = assert(cli:container_logs(id, { follow = true, stdout = true }))
    local attach = assert(cli:container_attach(id, { stream = true, stdin = true, stdout = true },
      { hijack = true }))
    for _, s in ipairs { logs, attach } do
      local a, b = s:read(5)
      T.eq(a, "stdout", "output after a quiet while: " .. tostring(b))
      T.eq(b, "late\n")
      T.eq(s:read(1.5), false, "quiet again: a read timeout, not an error")
      s:close()
    end
  end, function() F.remove_container(id) end)
end)

-- ---- headers, then a stall in the middle of the body -------------------------

local stall = F.fake_engine(dir, "stall", F.http("200 OK",
  { "Api-Version: 1.41", "Content-Type: application/json", "Content-Length: 100" }, '{"a":'),
  { stall = 30 })

T.test("headers then a stalled body: core kind timeout (low-speed limit)", function()
  local cli = assert(core.new { host = stall.host, timeout = 1 })
  local secs, r, msg, code, detail = timed(function() return cli:system_version() end)
  core_fails("TIMEOUT", "timeout", r, msg, code, detail)
  T.ok(secs < LIMIT, "version took " .. secs .. " s")
  T.eq(detail.path, "/version")
  T.ok(msg:find(stall.host, 1, true), msg)
end)

T.test("headers then a stalled body: friendly kind timeout", function()
  local d = docker.connect { host = stall.host, timeout = 1, api_version = "1.41" }
  local secs, e = timed(function()
    return T.raises_kind(function() return d:info() end, "timeout")
  end)
  T.ok(secs < LIMIT, "info took " .. secs .. " s")
  T.eq(e.method, "GET")
  T.eq(e.path, "/info")
end)

-- ---- malformed answers ----------------------------------------------------------

T.test("garbage JSON with 200: kind protocol, the first bytes quoted", function()
  local fake = F.fake_engine(dir, "garbage",
    F.http("200 OK", { "Api-Version: 1.41", "Content-Type: application/json" }, "{bad}"))
  local cli = assert(core.new { host = fake.host, timeout = 5 })
  local msg, detail = core_fails("PROTOCOL", "protocol", cli:system_version())
  T.ok(msg:find("{bad}", 1, true), "quotes the body: " .. msg)
  T.eq(detail.path, "/version")
  T.eq(cli:api_version(), "1.41", "negotiated through the fake's /_ping")
  T.ok(F.read(fake.requests):find("GET /_ping HTTP/1.1", 1, true), "negotiated with GET /_ping")
  T.ok(F.read(fake.requests):find("GET /v1.41/version HTTP/1.1", 1, true), F.read(fake.requests))
  local d = docker.connect { host = fake.host, timeout = 5 }
  local e = T.raises_kind(function() return d:containers() end, "protocol")
  T.eq(e.path, "/containers/json")
end)

T.test("garbage JSON without a Content-Length (read to close): kind protocol", function()
  local fake = F.fake_engine(dir, "garbage2", F.http("200 OK",
    { "Api-Version: 1.41", "Content-Type: application/json", "Connection: close", no_length = true },
    '[{"Id": "abc", '))
  local cli = assert(core.new { host = fake.host, timeout = 5, api_version = "1.41" })
  core_fails("PROTOCOL", "protocol", cli:container_list())
end)

T.test("empty 500 body: kind server with the 'requested API version' fallback text", function()
  local fake = F.fake_engine(dir, "empty500", F.http("500 Internal Server Error",
    { "Api-Version: 1.41" }, ""))
  local cli = assert(core.new { host = fake.host, timeout = 5 })
  local msg, detail = core_fails(500, "server", cli:system_version())
  T.eq(detail.status, 500)
  T.ok(msg:find("500", 1, true), "names the status: " .. msg)
  T.ok(msg:find("supports the requested API version", 1, true), msg)
  local d = docker.connect { host = fake.host, timeout = 5 }
  local e = T.raises_kind(function() return d:version() end, "server")
  T.eq(e.status, 500)
  T.ok(tostring(e):find("^luadock: 500 .*API version.* %(GET /version%)$"), tostring(e))
end)

T.test("plain-text 400 'client version 1.11 is too old': kind api_version, text kept", function()
  local text = "client version 1.11 is too old. Minimum supported API version is 1.12, "
    .. "please upgrade your client to a newer version\n"
  local fake = F.fake_engine(dir, "tooold", F.http("400 Bad Request",
    { "Content-Type: text/plain; charset=utf-8" }, text))
  local cli = assert(core.new { host = fake.host, timeout = 5, api_version = "1.11" })
  local msg, detail = core_fails("API_VERSION", "api_version", cli:system_version())
  T.eq(msg, (text:gsub("\n$", "")), "the whole plain-text body, without its newline")
  T.eq(detail.status, 400)
  T.ok(F.read(fake.requests):find("GET /v1.11/version", 1, true), "the pinned version was sent")
  local d = docker.connect { host = fake.host, timeout = 5, api_version = "1.11" }
  local e = T.raises_kind(function() return d:version() end, "api_version")
  T.eq(e.status, 400)
  T.eq(e.message, msg)
end)

T.test("body cut short of its Content-Length: kind truncated", function()
  local fake = F.fake_engine(dir, "short", F.http("200 OK",
    { "Api-Version: 1.41", "Content-Type: application/json", "Content-Length: 100" }, '{"a":1'))
  local cli = assert(core.new { host = fake.host, timeout = 5, api_version = "1.41" })
  local secs, r, msg, code, detail = timed(function() return cli:system_info() end)
  core_fails("TRUNCATED", "truncated", r, msg, code, detail)
  T.ok(secs < LIMIT, secs)
end)

T.test("connection closed without an answer: kind protocol (or connection), quickly", function()
  local fake = F.listener(dir, "nothing", "exit 0")
  local cli = assert(core.new { host = fake.host, timeout = 5, api_version = "1.41" })
  local secs, r, msg, code, detail = timed(function() return cli:system_version() end)
  T.eq(r, nil)
  T.ok(code == "PROTOCOL" or code == "CONNECT", "code " .. tostring(code) .. ": " .. tostring(msg))
  T.ok(detail.kind == "protocol" or detail.kind == "connection", detail.kind)
  T.ok(secs < 4, "took " .. secs .. " s")
end)

T.test("an answer that is not HTTP: kind protocol", function()
  local fake = F.listener(dir, "nothttp", "printf 'SSH-2.0-OpenSSH_9.2\\r\\n'; sleep 2")
  local cli = assert(core.new { host = fake.host, timeout = 5, api_version = "1.41" })
  local secs, r, msg, code, detail = timed(function() return cli:system_version() end)
  core_fails("PROTOCOL", "protocol", r, msg, code, detail)
  T.ok(secs < LIMIT, secs)
end)

T.test("the fakes really answer: a well-formed fake response succeeds", function()
  -- guards the harness itself: the failures above come from the content
  local fake = F.fake_engine(dir, "good", F.http("200 OK",
    { "Api-Version: 1.41", "Content-Type: application/json" }, '{"Version":"fake","ApiVersion":"1.41"}'))
  local cli = assert(core.new { host = fake.host, timeout = 5 })
  local v = assert(cli:system_version())
  T.eq(v.Version, "fake")
  T.eq(docker.connect { host = fake.host, timeout = 5 }:version().Version, "fake")
end)

end, F.kill_all)

T.done()
