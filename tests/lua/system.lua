-- tests/lua/system.lua — the System part of API.md: ping, version, info, df,
-- api_version, docker.VERSION, docker.clock, docker.sleep, module functions on a
-- default client, and the docker.connect variants (good and bad). The module
-- functions' case makes the two containers its lists must show (luadock's
-- labels plus one of its own) and removes them.
local T = require "testlib"
local docker = require "luadock"

-- The engine under test (the second engine's tests set DOCKER_HOST) and the
-- API version luadock settles on with it: the engine's own, 1.41 for the
-- system's Docker 20.10 and 1.51 for the second engine's Docker 28.
local SOCK = os.getenv("DOCKER_HOST") or "unix:///var/run/docker.sock"
local API = T.engine == 2 and "1.51" or "1.41"

T.test("ping returns true", function()
  local d = docker.connect()
  T.eq(d:ping(), true, "d:ping()")
end)

T.test("version has Version and ApiVersion", function()
  local v = docker.connect():version()
  T.eq(type(v), "table", "version() type")
  T.ok(type(v.Version) == "string" and v.Version ~= "", "Version is a non-empty string")
  T.ok(type(v.ApiVersion) == "string" and v.ApiVersion:match("^%d+%.%d+$"), "ApiVersion like 1.41")
  T.ok(type(v.Os) == "string", "Os field")
  T.ok(type(v.Arch) == "string", "Arch field")
end)

T.test("info has Containers, Images, ServerVersion", function()
  local i = docker.connect():info()
  T.eq(type(i), "table")
  T.eq(math.type(i.Containers), "integer", "Containers is an integer")
  T.ok(i.Containers >= 0, "Containers >= 0")
  T.eq(math.type(i.Images), "integer", "Images is an integer")
  T.ok(type(i.ServerVersion) == "string" and i.ServerVersion ~= "", "ServerVersion")
  T.eq(i.Containers, (i.ContainersRunning or 0) + (i.ContainersPaused or 0) + (i.ContainersStopped or 0),
    "Containers = running + paused + stopped")
end)

T.test("df has LayersSize and Images", function()
  local df = docker.connect():df()
  T.eq(type(df), "table")
  T.eq(math.type(df.LayersSize), "integer", "LayersSize is an integer")
  T.eq(type(df.Images), "table", "Images is a table")
  local found = false
  for _, img in ipairs(df.Images) do
    for _, tag in ipairs(img.RepoTags or {}) do
      if tag == T.image then found = true end
    end
  end
  T.ok(found, "df lists the test image " .. T.image)
end)

T.test("api_version is " .. API .. " on this engine", function()
  local d = docker.connect()
  T.eq(d:api_version(), API)
  T.eq(d:api_version(), d:version().ApiVersion, "matches the engine's ApiVersion")
end)

T.test("docker.VERSION is a release string", function()
  T.eq(type(docker.VERSION), "string")
  T.ok(docker.VERSION:match("^%d+%.%d+%.%d+"), "VERSION like 0.1.0: " .. tostring(docker.VERSION))
  local core = require "luadock.core"
  T.eq(docker.VERSION, core.VERSION, "same as luadock.core.VERSION")
end)

T.test("docker.clock is monotonic, float seconds", function()
  local a = docker.clock()
  T.eq(math.type(a), "float", "clock() returns a float")
  local prev = a
  for _ = 1, 1000 do
    local now = docker.clock()
    T.ok(now >= prev, "clock went backwards")
    prev = now
  end
  docker.sleep(0.02)
  T.ok(docker.clock() > a, "clock advances over a sleep")
end)

T.test("docker.sleep(0.1) sleeps at least 0.1 s and not much more", function()
  local t0 = docker.clock()
  local r = docker.sleep(0.1)
  local dt = docker.clock() - t0
  T.ok(dt >= 0.1, "slept only " .. dt .. " s")
  T.ok(dt < 1.0, "slept far too long: " .. dt .. " s")
  T.ok(r ~= nil and r ~= false, "sleep returns a true value")
  local t1 = docker.clock()
  docker.sleep(0)
  T.ok(docker.clock() - t1 < 0.5, "sleep(0) returns at once")
end)

T.test("docker.sleep with bad input raises naming 'sleep'", function()
  T.raises(function() docker.sleep("x") end, "'sleep'")
  T.raises(function() docker.sleep(-1) end, "'sleep'")
  T.raises(function() docker.sleep() end, "'sleep'")
end)

T.test("module functions use a default client", function()
  -- one running and one created container of its own, so the lists below are
  -- never empty and the running-only filter of docker.ps() is seen to work
  local run = string.format("%08x", math.random(0, 0x7fffffff))
  local label = { ["luadock.test.system"] = run }
  local d = docker.connect()
  local up = d:run{ image = T.image, name = "ld-system-" .. run .. "-up", detach = true,
                    cmd = "sh -c 'trap \"exit 0\" TERM; sleep 300 & wait'", stop_timeout = 1, labels = label }
  local ok, err = pcall(function()
    local idle = d:create{ image = T.image, name = "ld-system-" .. run .. "-idle", cmd = "true", labels = label }
    T.eq(docker.ping(), true, "docker.ping()")
    local list = docker.ps()
    T.eq(type(list), "table", "docker.ps() returns a table")
    local seen = {}
    for _, c in ipairs(list) do
      T.eq(c.state, "running", "docker.ps() lists running containers")
      seen[c.id] = true
    end
    T.ok(seen[up.id], "docker.ps() lists the running one")
    T.ok(not seen[idle.id], "docker.ps() leaves out the created one")
    T.eq(type(docker.version().Version), "string", "docker.version()")
    T.eq(docker.api_version(), API, "docker.api_version()")
    T.ok(docker.info().ContainersRunning >= 1, "docker.info() counts the running one")
    local all = docker.containers{ all = true }
    seen = {}
    for _, c in ipairs(all) do
      T.eq(getmetatable(c), docker.Container, "items are Containers")
      seen[c.id] = c
    end
    T.eq(seen[up.id] and seen[up.id].state, "running", "containers{all=true} has the running one")
    T.eq(seen[idle.id] and seen[idle.id].state, "created", "containers{all=true} has the created one")
  end)
  d:cleanup{}
  local left = d:containers{ all = true, filters = { label = { "luadock.test.system=" .. run } } }
  assert(ok, err)
  T.eq(#left, 0, "removed: " .. T.show(left))
end)

T.test("connect() with nil", function()
  local d = docker.connect(nil)
  T.eq(d:ping(), true)
end)

T.test("connect(string)", function()
  local d = docker.connect(SOCK)
  T.eq(d:ping(), true)
  T.eq(d:api_version(), API)
end)

T.test("connect{table} with host, timeout and api_version", function()
  local d = docker.connect{ host = SOCK, timeout = 5, api_version = "1.41" }
  T.eq(d:ping(), true)
  T.eq(d:api_version(), "1.41", "the version asked for is used")
  local d2 = docker.connect{ timeout = 10 }
  T.eq(d2:ping(), true, "table without host uses the default")
  local d3 = docker.connect{ api_version = "1.40" }
  T.eq(d3:api_version(), "1.40", "an older version asked for is used")
  T.eq(type(d3:version().Version), "string", "and works")
end)

T.test("connect honours DOCKER_HOST (child process)", function()
  local bin = (os.getenv("LUADOCK_BINARY_DIR") or "/tmp/build-lua") .. "/luadock"
  local out, ok = T.sh("DOCKER_HOST=unix:///nonexistent-luadock.sock " .. T.q(bin)
    .. " -e 'print(pcall(docker.ping))' 2>&1")
  T.ok(ok, "child ran: " .. out)
  T.ok(out:find("^false"), "ping through DOCKER_HOST=nonexistent fails: " .. out)
  T.ok(out:find("nonexistent%-luadock%.sock"), "error names the socket: " .. out)
end)

T.test("connect with a bad host raises naming it", function()
  local d = docker.connect("unix:///nonexistent/luadock-nope.sock")
  local e = T.raises_kind(function() d:ping() end, "connection")
  T.ok(docker.is_error(e), "a docker.Error")
  T.ok(tostring(e):find("/nonexistent/luadock%-nope%.sock"), "message names the socket: " .. tostring(e))
  T.ok(tostring(e):find("Cannot connect"), "docker CLI wording: " .. tostring(e))
  -- a refused tcp port
  local port = T.free_port()
  local d2 = docker.connect{ host = "tcp://127.0.0.1:" .. port, timeout = 5 }
  local e2 = T.raises_kind(function() d2:ping() end, "connection")
  T.ok(tostring(e2):find(tostring(port), 1, true), "message names the tcp address: " .. tostring(e2))
end)

T.test("connect with a malformed host string raises naming 'connect' and the host", function()
  local err = T.raises(function() docker.connect("something with spaces") end, "'connect'")
  T.ok(tostring(err):find("something with spaces", 1, true), "names the host: " .. tostring(err))
  T.raises(function() docker.connect("unknown://x") end, "unknown://x")
  T.raises(function() docker.connect{ host = "tcp://:port" } end, "field 'host'")
end)

T.test("connect with bad argument types", function()
  T.raises(function() docker.connect(42) end, "bad argument #1 to 'connect'")
  T.raises(function() docker.connect{ timeout = -1 } end, "field 'timeout'")
  T.raises(function() docker.connect{ timeout = "soon" } end, "field 'timeout'")
  T.raises(function() docker.connect{ api_version = 1.41 } end, "field 'api_version'")
  T.raises(function() docker.connect{ api_version = "latest" } end, "field 'api_version'")
  T.raises(function() docker.connect{ hots = SOCK } end, "field 'hots'")
end)

T.test("is_error tells docker.Error from other values", function()
  local ok, e = pcall(function() docker.connect("unix:///nonexistent/x.sock"):ping() end)
  T.eq(ok, false)
  T.eq(docker.is_error(e), true)
  T.eq(getmetatable(e), docker.Error, "metatable is docker.Error")
  T.eq(docker.is_error("luadock: text"), false)
  T.eq(docker.is_error({ kind = "not_found" }), false)
  T.eq(docker.is_error(nil), false)
end)

T.done()
