-- faults/user_agent.lua - every request luadock sends says who is calling, as
-- the docker CLI (Docker-Client/...) and docker-py (docker-sdk-python/...) do:
-- "User-Agent: luadock/<version> (linux)". Read from a logging socat proxy
-- (socat -v) in front of the engine: the version negotiation ping, ordinary
-- calls, a stream (logs) and a hijacked connection (exec with stdin, whose
-- request luadock writes by hand) each carry it, exactly once.

local T = require "testlib"
local F = require "_faultlib"
local core = require "luadock.core"
local docker = require "luadock"

local dir = T.tmpdir()
local WANT = "User-Agent: luadock/" .. docker.VERSION .. " (linux)"

-- Each request in the proxy's log as { line = "GET /_ping HTTP/1.1", agents = n }.
local function requests(proxy)
  core.sleep(0.3)   -- socat writes its log after forwarding
  local out, current = {}, nil
  for line in (F.read(proxy.log) or ""):gmatch("[^\n]+") do
    local req = line:match("^(%u+ /%S* HTTP/1%.1)")
    if req then
      current = { line = req, agents = 0, other = nil }
      out[#out + 1] = current
    elseif current and line:lower():find("^user%-agent:") then
      line = line:gsub("\\r$", ""):gsub("\r$", "")   -- socat -v writes CR as the text \r
      if line == WANT then current.agents = current.agents + 1 else current.other = line end
    end
  end
  return out
end

F.finally(function()
  local proxy = F.proxy(dir, { fork = true, verbose = true, name = "ua" })
  local d = docker.connect{ host = proxy.host, timeout = 30 }

  T.test("ping, calls, a stream and a hijacked exec all say User-Agent: luadock/<version>", function()
    T.ok(d:ping())
    d:version()
    local c <close> = d:run{ image = T.image, cmd = { "sh", "-c", "echo hi; sleep 2" },
                             detach = true, labels = { ["luadock.test"] = "faults" } }
    T.eq(c:exec{ cmd = "cat", stdin = "fed\n" }.stdout, "fed\n")
    T.eq(c:logs{ follow = true }, "hi\n", "followed to the end")
    local seen = requests(proxy)
    local kinds = { ping = false, version = false, logs = false, exec_start = false }
    for _, r in ipairs(seen) do
      T.eq(r.agents, 1, r.line .. " carries one luadock User-Agent (other: " .. tostring(r.other) .. ")")
      if r.line:find("^GET /_ping") then kinds.ping = true end
      if r.line:find("/version HTTP") then kinds.version = true end
      if r.line:find("/logs%?") then kinds.logs = true end
      if r.line:find("^POST /v[%d.]+/exec/%x+/start") then kinds.exec_start = true end
    end
    T.eq(kinds, { ping = true, version = true, logs = true, exec_start = true },
      "the log holds each kind of request (" .. #seen .. " requests)")
  end)

  d:close()
end, F.kill_all)

T.done()
