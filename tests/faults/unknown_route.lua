-- faults/unknown_route.lua - an endpoint the engine does not have (fault #8
-- of tests/faults/README.md). The Engine's router answers a route it does not
-- know with 404 "page not found"; luadock reports that as kind api_version (the
-- engine is older than the endpoint), with the engine's own text, never as
-- not_found (which means a missing object). luadock needs no per-endpoint
-- minimum table: every operation it has exists at its minimum API (1.41), and an
-- older engine is refused when the version is negotiated (faults.api_version).
-- A real engine answers an unknown route on demand (checked first, with curl),
-- but luadock has no call that sends one, so a fake engine replays the real
-- answer, byte for byte, to an ordinary luadock call.

local T = require "testlib"
local F = require "_faultlib"
local core = require "luadock.core"
local docker = require "luadock"

local dir = T.tmpdir()

F.finally(function()

-- the engine's real answer to a route it does not have
local raw = T.sh("curl -s -i --max-time 20 --unix-socket " .. T.q(F.ENGINE_SOCKET)
  .. " http://engine/v1.41/nosuchroute")

T.test("the engine itself answers an unknown route with 404 'page not found'", function()
  T.ok(raw:find("^HTTP/1%.1 404 "), "status line: " .. raw:sub(1, 80))
  T.ok(raw:find('{"message":"page not found"}', 1, true), raw)
end)

T.test("core: a 404 'page not found' is kind api_version, the engine's text kept", function()
  local fake = F.fake_engine(dir, "old", raw)
  local cli = assert(core.new { host = fake.host, timeout = 10 })
  local r, msg, code, detail = cli:container_list({ all = true })
  T.eq(r, nil)
  T.eq(code, 404)
  T.eq(msg, "page not found")
  T.eq(detail.kind, "api_version")
  T.eq(detail.status, 404)
  T.eq(detail.method, "GET")
  T.eq(detail.path, "/containers/json")
  T.ok(F.read(fake.requests):find("GET /v1.41/containers/json", 1, true),
    "negotiated, then the versioned route: " .. F.read(fake.requests))
  T.eq(core.error_kind(404, "page not found"), "api_version")
end)

T.test("friendly: the same answer raises docker.Error kind api_version", function()
  local fake = F.fake_engine(dir, "old2", raw)
  local d = docker.connect { host = fake.host, timeout = 10 }
  local e = T.raises_kind(function() return d:volumes() end, "api_version")
  T.eq(e.status, 404)
  T.eq(e.message, "page not found")
  T.eq(tostring(e), "luadock: 404 page not found (GET /volumes)")
end)

T.test("a missing object's 404 stays not_found (real engine)", function()
  local d = docker.connect { timeout = 30 }
  local name = F.name("nosuch")
  local e = T.raises_kind(function() return d:volume(name) end, "not_found")
  T.eq(e.status, 404)
  T.ok(e.message:find(name, 1, true), e.message)
end)

end, F.kill_all)

T.done()
