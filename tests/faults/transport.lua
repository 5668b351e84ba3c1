-- faults/transport.lua - the transport's promises that only a proxy can show:
-- one client keeps ONE connection for all its ordinary calls (the negotiation
-- ping included), proven through a socat proxy that accepts a single
-- connection and then exits; and plain tcp:// reaches the engine through a
-- loopback TCP proxy (happy path on both layers, with the normalized address
-- in errors). Proxies are killed at the end, also on failure.

local T = require "testlib"
local F = require "_faultlib"
local core = require "luadock.core"
local docker = require "luadock"

local dir = T.tmpdir()

F.finally(function()
  T.test("one client keeps one connection (single-connection proxy)", function()
    local proxy = F.proxy(dir, { name = "single" })    -- no fork: one connection, then exit
    local d = docker.connect{ host = proxy.host, timeout = 5 }
    T.eq(d:api_version(), "1.41", "negotiated through the proxy")
    for _ = 1, 10 do
      T.ok(d:ping(), "ping")
      T.ok(d:version().ApiVersion, "version")
      T.eq(type(d:containers{ all = true, limit = 1 }), "table", "containers")
    end
    -- a second client needs a second connection, which this proxy refuses
    local d2 = docker.connect{ host = proxy.host, timeout = 2 }
    T.raises_kind(function() d2:ping() end, "connection")
    T.ok(d:ping(), "the first client's connection still works")
    F.kill(proxy.pid)
  end)

  T.test("core client: one connection across JSON, text and no-content calls", function()
    local proxy = F.proxy(dir, { name = "single2" })
    local cli = assert(core.new{ host = proxy.host, timeout = 5 })
    for _ = 1, 5 do
      T.eq(cli:system_ping(), "OK")
      T.ok(cli:system_info().ID, "info")
      local _, _, code = cli:container_inspect("luadock-no-such-" .. core.random_hex(4))
      T.eq(code, 404, "an error answer keeps the connection")
    end
    cli:close()
    F.kill(proxy.pid)
  end)

  T.test("tcp:// reaches the engine (loopback proxy)", function()
    local port = T.free_port()
    -- -t 5: after our half-close (stdin EOF) socat keeps relaying output for a while
    local pid = F.spawn("socat -t 5 TCP-LISTEN:" .. port .. ",bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:"
      .. F.ENGINE_SOCKET, dir .. "/tcp.log")
    F.wait_for(function()
      local c = core.new{ host = "tcp://127.0.0.1:" .. port, timeout = 2 }
      return c and c:system_ping() == "OK"
    end, 10, "the tcp proxy")
    local d = docker.connect("tcp://127.0.0.1:" .. port)
    T.eq(d:host(), "tcp://127.0.0.1:" .. port, "normalized address")
    T.ok(d:ping())
    T.eq(d:api_version(), "1.41")
    local r = d:run{ image = T.image, cmd = { "echo", "over tcp" }, remove = true }
    T.eq(r.stdout, "over tcp\n", "a one-shot run over tcp")
    local e = T.raises_kind(function() d:container("luadock-no-such-" .. core.random_hex(4)) end,
      "not_found")
    T.ok(tostring(e):find("GET /containers/", 1, true), "error names the request: " .. tostring(e))
    -- a stdin run uses the hijacked connection, over tcp too
    local r2 = d:run{ image = T.image, cmd = "cat", stdin = "through tcp\n", remove = true }
    T.eq(r2.stdout, "through tcp\n", "stdin over tcp")
    F.kill(pid)
  end)
end, function()
  F.kill_all()
  docker.cleanup{}
end)

T.done()
