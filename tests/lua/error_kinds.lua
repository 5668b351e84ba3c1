--[[ error_kinds.lua - the matrix of engine errors a user can meet, on both engines
(lua.error_kinds and lua2.error_kinds; faults #7, #9, #10, #11, #22, #24 of
tests/faults/README.md): 404 (missing container, image, volume, network), 409
(name in use, kill of a stopped container, resize of a stopped one, removing a
running one without force, removing a network in use), 500 (start with a missing
device; pull from a registry nobody listens on; 28's 403 and 20.10's 500 for an
overlay network outside a swarm), 503 (the engine's own "not a swarm manager"
answer), a plain-text 400 (a client version too old) and an error
inside a 200 progress stream (push to a registry nobody listens on).

Each case makes the same request twice: once through luadock (friendly layer:
the docker.Error's kind, status, message and tostring), once raw with curl on the
engine's socket, whose answer is the oracle: luadock must report the engine's
own status and message, whichever version answered. Everything created carries
luadock's labels (or, for a tag, a unique name) and is removed at the end. ]]

local T = require "testlib"
local docker = require "luadock"
local core = require "luadock.core"

local SOCKET = (function()
  local h = os.getenv("DOCKER_HOST")
  return h and h:match("^unix://(/.+)$") or "/var/run/docker.sock"
end)()

local d = docker.connect { timeout = 60 }
local function name(prefix) return "ldkinds-" .. prefix .. "-" .. core.random_hex(4) end

-- engine(method, path[, body]): the engine's raw answer to one request:
-- status (integer), content type, body.
local function engine(method, path, body)
  local cmd = "curl -s -i --max-time 30 --unix-socket " .. T.q(SOCKET) .. " -X " .. method
    .. " -H 'X-Registry-Auth: e30='"
    .. (body and (" -H 'Content-Type: application/json' --data-binary " .. T.q(core.json_encode(body))) or "")
    .. " " .. T.q("http://engine" .. path)
  local raw = T.sh(cmd)
  local head, rest = raw:match("^(.-)\r\n\r\n(.*)$")
  T.ok(head, "curl got an answer to " .. method .. " " .. path .. ": " .. raw:sub(1, 200))
  local status = tonumber(head:match("^HTTP/1%.1 (%d+)"))
  local ctype = head:lower():match("\ncontent%-type: ([^\r\n]*)") or ""
  return status, ctype, rest
end

-- The message the engine gave in its error body (JSON or plain text).
local function engine_message(ctype, body)
  if ctype:find("json", 1, true) then
    local v = T.ok(core.json_decode(body), "a JSON error body: " .. body)
    return v.message
  end
  return (body:gsub("%s+$", ""))
end

-- check(e, kind, method, path[, body[, opts]]): e is a docker.Error of `kind`
-- carrying the status and message the engine gives to the same request, and
-- tostring(e) reads "luadock: <status> <message> (<method> <path>)".
-- opts.lead: what luadock puts before the engine's message (a pull names its
-- reference); opts.shown: the path luadock reports when the request's differs
-- (a version prefix).
local function check(e, kind, method, path, body, opts)
  opts = opts or {}
  T.ok(docker.is_error(e), "a docker.Error: " .. T.show(e))
  local status, ctype, ebody = engine(method, path, body)
  T.ok(status >= 400, "the engine refuses " .. method .. " " .. path .. " too: " .. status)
  local msg = (opts.lead or "") .. engine_message(ctype, ebody)
  T.eq(e.kind, kind, "kind of " .. tostring(e))
  T.eq(e.status, status, "status")
  T.eq(e.message, msg, "the engine's own message")
  T.eq(e.method, method)
  T.eq(e.path, opts.shown or (path:gsub("%?.*$", "")))
  T.eq(tostring(e), "luadock: " .. status .. " " .. msg .. " (" .. method .. " " .. e.path .. ")")
  return e, ctype
end

local made = { containers = {}, networks = {}, tags = {} }
local function keep(c) made.containers[#made.containers + 1] = c return c end

local function run_all()

T.test("404: missing container, image, volume and network", function()
  local n = name("gone")
  check(T.raises_kind(function() return d:container(n) end, "not_found"),
    "not_found", "GET", "/containers/" .. n .. "/json")
  local ref = "luadock-test/" .. n .. ":0"
  local e = T.raises_kind(function() return d:image(ref) end, "not_found")
  check(e, "not_found", "GET", e.path)
  T.ok(e.message:find(n, 1, true), "names the image: " .. e.message)
  check(T.raises_kind(function() return d:volume(n) end, "not_found"),
    "not_found", "GET", "/volumes/" .. n)
  e = T.raises_kind(function() return d:network(n) end, "not_found")
  check(e, "not_found", "GET", e.path)
  T.ok(e.message:find(n, 1, true), "names the network: " .. e.message)
end)

T.test("409: create with a name in use", function()
  local n = name("dup")
  keep(d:create { image = T.image, cmd = { "true" }, name = n, network = "none" })
  local e = T.raises_kind(function()
    keep(d:create { image = T.image, cmd = { "true" }, name = n, network = "none" })
  end, "conflict")
  check(e, "conflict", "POST", "/containers/create?name=" .. n,
    { Image = T.image, Cmd = { "true" }, HostConfig = { NetworkMode = "none" } })
  T.ok(e.message:find(n, 1, true), e.message)
end)

T.test("409: kill and resize of a stopped container, remove of a running one", function()
  local stopped = keep(d:create { image = T.image, cmd = { "true" }, network = "none" })
  check(T.raises_kind(function() stopped:kill() end, "conflict"),
    "conflict", "POST", "/containers/" .. stopped.id .. "/kill")
  -- resize: no friendly method (a tty attach resizes); the core layer's detail
  local r, msg, code, detail = d._cli:container_resize(stopped.id, { h = 10, w = 40 })
  T.eq(r, nil, "resize of a stopped container fails")
  local e = require("luadock.base.errors").from_core(msg, code, detail)
  check(e, "conflict", "POST", "/containers/" .. stopped.id .. "/resize?h=10&w=40")
  local running = keep(d:create { image = T.image, cmd = { "sleep", "60" }, network = "none" })
  running:start()
  check(T.raises_kind(function() running:remove() end, "conflict"),
    "conflict", "DELETE", "/containers/" .. running.id)
  T.eq(running:reload().state, "running", "the refused remove left it running")
end)

T.test("409 (20.10: 403 'active endpoints'): removing a network in use is conflict", function()
  local net = d:network_create { name = name("net") }
  made.networks[#made.networks + 1] = net
  local c = keep(d:create { image = T.image, cmd = { "sleep", "60" }, network = net.name })
  c:start()
  local e = T.raises_kind(function() net:remove() end, "conflict")
  local _, _ = check(e, "conflict", "DELETE", "/networks/" .. net.id)
  T.ok(e.status == 403 or e.status == 409, "status " .. tostring(e.status))
  T.ok(e.message:find("active endpoints", 1, true), e.message)
end)

T.test("500: start with a device missing on the host", function()
  local c = keep(d:create { image = T.image, cmd = { "true" }, network = "none",
    devices = { { PathOnHost = "/dev/ldkinds-nosuch", PathInContainer = "/dev/x",
      CgroupPermissions = "rwm" } } })
  local e = T.raises_kind(function() c:start() end, "server")
  check(e, "server", "POST", "/containers/" .. c.id .. "/start")
  T.eq(e.status, 500)
  T.ok(e.message:find("/dev/ldkinds-nosuch", 1, true), e.message)
end)

T.test("500: pull from a registry nobody listens on", function()
  local ref = "127.0.0.1:1/" .. name("pull") .. ":1"
  local e = T.raises_kind(function() d:pull(ref) end, "server")
  check(e, "server", "POST", "/images/create?fromImage=" .. ref:match("^(.*):1$") .. "&tag=1", nil,
    { lead = "cannot pull image '" .. ref .. "': " })
  T.eq(e.status, 500)
  T.ok(e.message:find("127.0.0.1:1", 1, true), e.message)
end)

T.test("503: an engine outside a swarm answers 'not a swarm manager': kind server", function()
  -- luadock has no swarm operations, so the engine's real 503 (GET /services)
  -- is replayed, byte for byte, by a fake engine for an ordinary call
  local F = require "_faultlib"
  local raw = T.sh("curl -s -i --max-time 30 --unix-socket " .. T.q(SOCKET) .. " http://engine/services")
  T.ok(raw:find("^HTTP/1%.1 503 "), "the engine answers 503: " .. raw:sub(1, 120))
  local status, ctype, body = engine("GET", "/services")
  local msg = engine_message(ctype, body)
  T.ok(msg:find("not a swarm manager", 1, true), msg)
  local fake = F.fake_engine(T.tmpdir(), "swarm", raw)
  local ok, err = pcall(function()
    local fd = docker.connect { host = fake.host, timeout = 10 }
    local e = T.raises_kind(function() return fd:containers() end, "server")
    T.eq(e.status, status)
    T.eq(e.message, msg)
    T.eq(tostring(e), "luadock: 503 " .. msg .. " (GET /containers/json)")
    T.eq(core.error_kind(503, msg), "server")
  end)
  F.kill_all()
  if not ok then error(err, 0) end
end)

T.test("an overlay network outside a swarm (20.10: 500, 28: 403): kind server on both", function()
  local n = name("overlay")
  local e = T.raises_kind(function()
    local net = d:network_create { name = n, driver = "overlay" }
    made.networks[#made.networks + 1] = net
  end, "server")
  check(e, "server", "POST", "/networks/create",
    { Name = n, Driver = "overlay", Labels = { ["luadock.managed"] = "1", ["luadock.test"] = "kinds" } })
  T.ok(e.message:find("not a swarm manager", 1, true), e.message)
end)

T.test("plain-text 400 (client version too old): kind api_version, the body as message", function()
  local old = docker.connect { api_version = "1.11", timeout = 30 }
  local e = T.raises_kind(function() return old:version() end, "api_version")
  local _, ctype = check(e, "api_version", "GET", "/v1.11/version", nil, { shown = "/version" })
  T.ok(ctype:find("text/plain", 1, true), "the engine's body is plain text: " .. ctype)
  T.ok(e.message:find("^client version 1%.11 is too old%. Minimum supported API version is 1%.%d+"),
    e.message)
end)

T.test("an error inside a 200 stream (push to a registry nobody listens on)", function()
  local repo = "127.0.0.1:1/" .. name("push")
  d:image(T.image):tag(repo, "x")
  made.tags[#made.tags + 1] = repo .. ":x"
  local events = {}
  local e = T.raises_kind(function()
    d:push(repo .. ":x", { on_progress = function(ev) events[#events + 1] = ev end })
  end, "server")
  -- the oracle: the engine's 200 stream, whose last object carries the error
  local status, _, body = engine("POST", "/images/" .. repo .. "/push?tag=x")
  T.eq(status, 200, "the engine's push answer is a 200 stream")
  local last
  for line in body:gmatch("[^\r\n]+") do last = core.json_decode(line) or last end
  T.ok(last and last.error, "the stream ends with an error object: " .. body)
  T.eq(e.status, nil, "no status: the HTTP answer was 200")
  T.eq(e.message, last.errorDetail and last.errorDetail.message or last.error)
  T.ok(e.message:find("127.0.0.1:1", 1, true), e.message)
  T.eq(e.method, "POST")
  T.eq(e.path, "/images/" .. repo .. "/push")
  T.eq(tostring(e), "luadock: " .. e.message .. " (POST /images/" .. repo .. "/push)")
  T.ok(#events >= 1 and events[1].status and events[1].status:find("The push refers to", 1, true),
    "progress before the error reached on_progress: " .. T.show(events[1]))
end)

end

local ok, err = pcall(run_all)
for _, c in ipairs(made.containers) do pcall(c.remove, c, { force = true }) end
for _, n in ipairs(made.networks) do pcall(n.remove, n) end
for _, ref in ipairs(made.tags) do
  pcall(function() d:image(ref):remove() end)
end
if not ok then error(err, 0) end
T.done()
