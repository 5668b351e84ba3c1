-- tests/lua/stock_lua_check.lua — the built module under stock lua5.4 (ctest
-- lua.stock_lua), not under the luadock host: `require "luadock"` found through
-- package.path (scripts/?.lua;scripts/?/init.lua) and `require "luadock.core"`,
-- the C module, through package.cpath (<build>/lua/?.so), both set by the ctest
-- environment. Standalone on purpose (no testlib): prints "ok - ..." lines and
-- "N passed, N failed", exits non-zero on any failure. Creates only a one-shot
-- container with remove = true.
local passed, failed = 0, 0

local function check(name, fn)
  local ok, err = pcall(fn)
  if ok then
    passed = passed + 1
    print("ok - " .. name)
  else
    failed = failed + 1
    print("not ok - " .. name .. ": " .. tostring(err))
  end
  io.stdout:flush()
end

local function eq(a, b, what)
  if a ~= b then
    error(string.format("%s: got %s, expected %s", what or "value", tostring(a), tostring(b)), 2)
  end
end

local IMAGE = os.getenv("LUADOCK_TEST_IMAGE") or "luadock-test/busybox:1"
local BIN = os.getenv("LUADOCK_BINARY_DIR")

-- The module sits at <build>/lua/luadock/core.so. If the environment's
-- LUA_CPATH does not lead there, say so loudly (it is a harness bug), then add
-- the right directory so the rest still checks the module itself.
local function cpath_reaches_core()
  return package.searchpath("luadock.core", package.cpath) ~= nil
end
local cpath_note
if not cpath_reaches_core() and BIN then
  cpath_note = "package.cpath (" .. package.cpath .. ") does not reach luadock/core.so; added "
    .. BIN .. "/lua/?.so"
  package.cpath = BIN .. "/lua/?.so;" .. package.cpath
end

check("this is stock lua5.4, not the luadock host", function()
  eq(_VERSION, "Lua 5.4", "_VERSION")
  eq(rawget(_G, "docker"), nil, "global docker before require (the host preloads it)")
  eq(package.preload["luadock"], nil, "luadock is not preloaded")
end)

check("package.cpath reaches <build>/lua/luadock/core.so", function()
  if cpath_note then error(cpath_note) end
  local path = package.searchpath("luadock.core", package.cpath)
  assert(path, "luadock.core not on package.cpath: " .. package.cpath)
  assert(path:match("luadock/core%.so$"), "found at " .. path)
  local f = assert(io.open(path, "rb"), "cannot open " .. path)
  assert(f:read(4) == "\127ELF", path .. " is not a shared object")
  f:close()
end)

check("package.path reaches scripts/luadock/init.lua", function()
  local path = package.searchpath("luadock", package.path)
  assert(path, "luadock not on package.path: " .. package.path)
  assert(path:match("scripts/luadock/init%.lua$"), "found at " .. path)
end)

local core, docker

check("require \"luadock.core\" is the C module", function()
  core = require "luadock.core"
  eq(type(core), "table", "type")
  eq(type(core.VERSION), "string", "core.VERSION")
  assert(core.VERSION:match("^%d+%.%d+%.%d+"), "VERSION " .. core.VERSION)
  eq(type(core.new), "function", "core.new")
  local info = debug.getinfo(core.new, "S")
  eq(info.what, "C", "core.new is a C function")
  eq(core.API_MIN, "1.41", "API_MIN")
end)

check("require \"luadock\" works and is cached", function()
  docker = require "luadock"
  eq(type(docker), "table", "type")
  eq(require "luadock", docker, "second require")
  eq(docker.VERSION, core.VERSION, "docker.VERSION")
  eq(type(docker.connect), "function", "docker.connect")
end)

check("docker.connect():ping() is true", function()
  eq(docker.connect():ping(), true, "ping")
  eq(docker.ping(), true, "docker.ping() on the default client")
  -- the engine's own version: 1.41 for Docker 20.10, 1.51 for the second engine's 28
  eq(docker.connect():api_version(), os.getenv("LUADOCK_ENGINE") == "2" and "1.51" or "1.41",
    "api_version")
end)

check("a one-shot run works under stock lua", function()
  local r = docker.run{ image = IMAGE, cmd = { "echo", "stock-lua" }, remove = true }
  eq(r.exit_code, 0, "exit_code")
  eq(r.stdout, "stock-lua\n", "stdout")
  local r2 = docker.run{ image = IMAGE, cmd = "cat", stdin = "fed\n", remove = true }
  eq(r2.stdout, "fed\n", "stdin through a hijacked attach")
end)

check("errors are docker.Error values", function()
  local ok, e = pcall(docker.container, "luadock-stock-nosuch-" .. tostring(os.time()))
  eq(ok, false, "pcall result")
  eq(docker.is_error(e), true, "is_error")
  eq(e.kind, "not_found", "kind")
  assert(tostring(e):match("^luadock: 404 No such container"), tostring(e))
  local ok2, e2 = pcall(docker.run, {})
  eq(ok2, false, "bad argument raises")
  assert(type(e2) == "string" and e2:find("bad argument #1 to 'run' (field 'image'", 1, true), tostring(e2))
end)

check("docker.clock and docker.sleep", function()
  local t0 = docker.clock()
  docker.sleep(0.05)
  assert(docker.clock() - t0 >= 0.05, "slept too little")
end)

check("the event loop: docker.parallel and a schedule", function()
  local trace = {}
  local a, v = docker.parallel{
    function() docker.sleep(0.2) trace[#trace + 1] = "a" return "a" end,
    function() trace[#trace + 1] = "v" return docker.version().ApiVersion end,
  }
  eq(a, "a", "first result")
  assert(v:match("^1%.%d+$"), tostring(v))
  eq(table.concat(trace, ","), "v,a", "the sleep let the other run")
  local schedule = require "luadock.schedule"
  local lines = {}
  schedule.configure{ history = false, log = function(l) lines[#lines + 1] = l end }
  local n = 0
  local job = schedule.every(0.2, function() n = n + 1 docker.ping() end, { name = "stock" })
  eq(schedule.run{ duration = 2 }, "until", "run returns")
  job:cancel()
  assert(n >= 3 and #lines == n, n .. " runs, " .. #lines .. " lines")
end)

check("lists print as docker tables; docker.pp", function()
  local list = docker.ps{ all = true, filters = { label = { "luadock.nosuch=" .. tostring(os.time()) } } }
  assert(tostring(list):match("^CONTAINER ID%s+IMAGE%s+COMMAND"), tostring(list))
  local out = {}
  local real = io.stdout
  io.stdout = { write = function(_, ...) for _, v in ipairs{ ... } do out[#out + 1] = v end end,
                flush = function() end }
  local ok, err = pcall(docker.pp, { a = 1 })
  io.stdout = real
  assert(ok, err)
  assert(table.concat(out):match("a = 1"), table.concat(out))
end)

-- Under stock lua5.4 the promises hold too: a <close> container is removed
-- when the script gets SIGINT (lua.c's own handler would not let its stop run).
check("SIGINT under stock lua5.4: the <close> container is removed", function()
  local label = "luadock.test.stock=" .. tostring(os.time()) .. "-" .. tostring(math.random(1e6))
  local k, v = label:match("^([^=]+)=(.*)$")
  local script = string.format([[
    local docker = require "luadock"
    local c <close> = docker.run{ image = %q, detach = true, cmd = "sleep 60", stop_timeout = 1,
                                  labels = { [%q] = %q } }
    print("up") io.stdout:flush()
    docker.sleep(30)
  ]], IMAGE, k, v)
  local f = assert(io.popen("lua5.4 -e '" .. script:gsub("'", "'\\''") .. "' & p=$!; "
    .. "sleep 2; kill -INT $p; wait $p; echo status=$?", "r"))
  local out = f:read("a")
  f:close()
  assert(out:match("up\n"), out)
  assert(not out:match("status=0"), out)
  local left = docker.ps{ all = true, filters = { label = { label } } }
  eq(#left, 0, "containers left after SIGINT (" .. out .. ")")
end)

print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
