-- faults/content_type.lua - the Content-Type of every request with a body
-- (fault #13 of tests/faults/README.md): a POST or PUT without the right type
-- gets a 400 from the engine, so luadock must always send application/json for
-- JSON bodies and application/x-tar for archives and build contexts. The
-- requests go to the real engine through a logging socat proxy (socat -v), and
-- the test reads the headers luadock sent from its log; the engine accepting
-- each call shows the type was right for it.

local T = require "testlib"
local F = require "_faultlib"
local docker = require "luadock"

local dir = T.tmpdir()
local made = {}   -- clean-up functions, run last first

-- The header block of the first request in the proxy's log whose request
-- line matches `pattern` (socat -v shows each CR as the two characters \r).
local function request_head(log, pattern)
  local text = F.read(log) or ""
  local at = text:find(pattern)
  T.ok(at, "a request matching " .. pattern .. " went through the proxy")
  local stop = text:find("\n\\r\n", at, true) or #text
  return text:sub(at, stop)
end

local function content_type(head)
  return head:match("\n[Cc]ontent%-[Tt]ype: ([^\\\r\n]*)")
end

F.finally(function()

local proxy = F.proxy(dir, { fork = true, verbose = true, name = "ct" })
local d = docker.connect { host = proxy.host, timeout = 60 }

T.test("JSON bodies are sent as application/json: create, exec, network create, update", function()
  local c = d:create { image = T.image, cmd = { "sleep", "30" }, network = "none" }
  made[#made + 1] = function() c:remove { force = true } end
  c:start()
  T.eq(c:exec { cmd = { "true" } }.exit_code, 0)
  local net = d:network_create { name = F.name("ctnet") }
  made[#made + 1] = function() net:remove() end
  c:update { cpu_shares = 512 }
  for _, line in ipairs {
    "POST /v1%.%d+/containers/create",
    "POST /v1%.%d+/containers/%x+/exec ",
    "POST /v1%.%d+/exec/%x+/start ",
    "POST /v1%.%d+/networks/create ",
    "POST /v1%.%d+/containers/%x+/update ",
  } do
    local head = request_head(proxy.log, line)
    T.eq(content_type(head), "application/json", line .. ":\n" .. head)
  end
end)

T.test("archives and build contexts are sent as application/x-tar", function()
  local c = d:create { image = T.image, cmd = { "sleep", "30" }, network = "none" }
  made[#made + 1] = function() c:remove { force = true } end
  local src = T.write(dir .. "/hello.txt", "hello\n")
  c:copy_in(src, "/tmp")
  local ctx = dir .. "/ctx"
  os.execute("mkdir -p " .. T.q(ctx))
  T.write(ctx .. "/Dockerfile", "FROM " .. T.image .. "\nLABEL luadock.managed=1\n")
  local tag = "luadock-test/" .. F.name("ct") .. ":1"
  d:build { context = ctx, tag = tag, labels = { ["luadock.test"] = "faults" } }
  made[#made + 1] = function() d:image(tag):remove { force = true } end
  for _, line in ipairs {
    "PUT /v1%.%d+/containers/%x+/archive",
    "POST /v1%.%d+/build",
  } do
    local head = request_head(proxy.log, line)
    T.eq(content_type(head), "application/x-tar", line .. ":\n" .. head)
  end
end)

end, function()
  for i = #made, 1, -1 do pcall(made[i]) end   -- through the proxy: before it goes
  F.kill_all()
end)

T.done()
