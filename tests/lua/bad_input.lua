-- tests/lua/bad_input.lua — wrong arguments (API.md "Errors"): each must raise an
-- ordinary Lua error (a string, not a docker.Error) that names the function and
-- the field, as in `bad argument #1 to 'run' (field 'image': string expected, got
-- nil)`, before anything reaches the engine: every run/create/list/cleanup case is
-- also tried on a client whose socket does not exist, where an engine call would
-- raise a connection error instead. Nothing may be created by the bad calls, and
-- nothing may crash. The one container the method cases need is removed at the end.
local T = require "testlib"
local docker = require "luadock"

local d = docker.connect()
local dead = docker.connect("unix:///nonexistent/luadock-bad-input.sock")
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local L = "luadock.test.badinput"

-- the container the method cases use (created, never started)
local ok_target, target = pcall(d.create, d, { image = IMG, cmd = "true", name = "ld-bad-" .. RUN, labels = { [L] = RUN } })
if not ok_target then
  T.test("setup: the target container", function() error(target, 0) end)
  T.done()
end
local SESSION = target.labels["luadock.session"]

local function count_session()
  return #d:containers{ all = true, filters = { label = { "luadock.session=" .. SESSION } } }
end
local before = count_session()

-- expect(fn, fname, field): fn raises a string error naming fname and field
local function expect(fn, fname, field)
  local ok, err = pcall(fn)
  if ok then error("expected an error, got none", 2) end
  if type(err) ~= "string" then
    error("expected an ordinary (string) error, got " .. T.show(err), 2)
  end
  local want = field and string.format("bad argument #1 to '%s' (field '%s': ", fname, field)
    or string.format("bad argument #1 to '%s' (", fname)
  if not err:find(want, 1, true) then
    error(string.format("error %q does not contain %q", err, want), 2)
  end
  return err
end

local ncases = 0

-- a case for a client call: tried on the real client and on the dead one
local function client_case(desc, fname, field, call)
  ncases = ncases + 1
  T.test(fname .. ": " .. desc, function()
    expect(function() call(d) end, fname, field)
    expect(function() call(dead) end, fname, field)
  end)
end

-- a case for anything else (methods of the target container, module functions)
local function case(desc, fname, field, call)
  ncases = ncases + 1
  T.test(fname .. ": " .. desc, function() expect(call, fname, field) end)
end

local function run_with(extra)
  return function(c)
    local spec = { image = IMG, cmd = "true", labels = { [L] = RUN } }
    for k, v in pairs(extra) do spec[k] = v end
    return c:run(spec)
  end
end

-- ---- run / create -----------------------------------------------------------
client_case("missing image", "run", "image", function(c) return c:run{ cmd = "true" } end)
client_case("image not a string", "run", "image", function(c) return c:run{ image = 42 } end)
client_case("empty image", "run", "image", function(c) return c:run{ image = "" } end)
client_case("options not a table", "run", nil, function(c) return c:run(IMG) end)
client_case("no options at all", "run", nil, function(c) return c:run() end)
client_case("cmd a number", "run", "cmd", run_with{ cmd = 42 })
client_case("cmd table with a non-string", "run", "cmd", run_with{ cmd = { "echo", 5 } })
client_case("cmd with an unterminated quote", "run", "cmd", run_with{ cmd = "echo 'oops" })
client_case("cmd empty string", "run", "cmd", run_with{ cmd = "" })
client_case("entrypoint a number", "run", "entrypoint", run_with{ entrypoint = 5 })
client_case("env value a table", "run", "env", run_with{ env = { FOO = {} } })
client_case("env array item a number", "run", "env", run_with{ env = { "A=1", 42 } })
client_case("env a string", "run", "env", run_with{ env = "A=1" })
client_case("ports key abc/tcp", "run", "ports", run_with{ ports = { ["abc/tcp"] = 8080 } })
client_case("ports key 70000/tcp", "run", "ports", run_with{ ports = { ["70000/tcp"] = 8080 } })
client_case("ports key 80/xyz", "run", "ports", run_with{ ports = { ["80/xyz"] = 8080 } })
client_case("ports value negative", "run", "ports", run_with{ ports = { ["80/tcp"] = -1 } })
client_case("ports value 70000", "run", "ports", run_with{ ports = { ["80/tcp"] = 70000 } })
client_case("ports value notanaddress:x", "run", "ports", run_with{ ports = { ["80/tcp"] = "notanaddress:x" } })
client_case("ports value a table of bad items", "run", "ports",
  run_with{ ports = { ["80/tcp"] = { -1, "x:y" } } })
client_case("ports not a table", "run", "ports", run_with{ ports = "80:80" })
client_case("volumes relative host path", "run", "volumes", run_with{ volumes = { ["./x"] = "/data" } })
client_case("volumes non-string target", "run", "volumes", run_with{ volumes = { vol = 5 } })
client_case("volumes mode rx", "run", "volumes", run_with{ volumes = { vol = "/data:rx" } })
client_case("volumes relative target", "run", "volumes", run_with{ volumes = { vol = "data" } })
client_case("memory 12q", "run", "memory", run_with{ memory = "12q" })
client_case("memory -5", "run", "memory", run_with{ memory = -5 })
client_case("memory a table", "run", "memory", run_with{ memory = {} })
client_case("cpus lots", "run", "cpus", run_with{ cpus = "lots" })
client_case("cpus -1", "run", "cpus", run_with{ cpus = -1 })
client_case("timeout -1", "run", "timeout", run_with{ timeout = -1 })
client_case("timeout soon", "run", "timeout", run_with{ timeout = "soon" })
client_case("restart sometimes", "run", "restart", run_with{ restart = "sometimes" })
client_case("restart on-failure:x", "run", "restart", run_with{ restart = "on-failure:x" })
client_case("labels non-string value", "run", "labels", run_with{ labels = { a = 5 } })
client_case("labels a number", "run", "labels", run_with{ labels = 5 })
client_case("name with a space", "run", "name", run_with{ name = "bad name" })
client_case("name with a slash", "run", "name", run_with{ name = "a/b" })
client_case("name starting with a dot", "run", "name", run_with{ name = ".hidden" })
client_case("unknown option", "run", "frobnicate", run_with{ frobnicate = 1 })
client_case("workdir relative", "run", "workdir", run_with{ workdir = "relative/dir" })
client_case("user a table", "run", "user", run_with{ user = {} })
client_case("tty yes", "run", "tty", run_with{ tty = "yes" })
client_case("detach yes", "run", "detach", run_with{ detach = "yes" })
client_case("remove 1", "run", "remove", run_with{ remove = 1 })
client_case("check a string", "run", "check", run_with{ check = "no" })
client_case("on_output not a function", "run", "on_output", run_with{ on_output = "print" })
client_case("stdin a number", "run", "stdin", run_with{ stdin = 42 })
client_case("pull sometimes", "run", "pull", run_with{ pull = "sometimes" })
client_case("engine field of the wrong type (readonly_rootfs)", "run", "readonly_rootfs",
  run_with{ readonly_rootfs = "yes" })
client_case("engine field of the wrong type (log_config)", "run", "log_config", run_with{ log_config = "json" })
client_case("engine field of the wrong type (stop_timeout)", "run", "stop_timeout", run_with{ stop_timeout = "x" })
client_case("missing image", "create", "image", function(c) return c:create{ cmd = "true" } end)
client_case("run-only option detach", "create", "detach",
  function(c) return c:create{ image = IMG, detach = true, labels = { [L] = RUN } } end)
client_case("memory 12q", "create", "memory",
  function(c) return c:create{ image = IMG, memory = "12q", labels = { [L] = RUN } } end)
client_case("ports 80/xyz", "create", "ports",
  function(c) return c:create{ image = IMG, ports = { ["80/xyz"] = 1 }, labels = { [L] = RUN } } end)

-- ---- lists, connect, import, cleanup ----------------------------------------
client_case("filters a number", "containers", "filters", function(c) return c:containers{ filters = 5 } end)
client_case("limit a string", "containers", "limit", function(c) return c:containers{ limit = "x" } end)
client_case("all a string", "containers", "all", function(c) return c:containers{ all = "yes" } end)
client_case("unknown option", "containers", "sort", function(c) return c:containers{ sort = true } end)
client_case("filters a number", "ps", "filters", function(c) return c:ps{ filters = 5 } end)
client_case("filters with a table value", "containers", "filters",
  function(c) return c:containers{ filters = { label = { {} } } } end)
client_case("import without source", "import", "source", function(c) return c:import{} end)
client_case("import source a number", "import", "source", function(c) return c:import{ source = 42 } end)
client_case("import of a missing file", "import", "source",
  function(c) return c:import{ source = "/nonexistent/luadock/rootfs.tar" } end)
client_case("cleanup older_than x", "cleanup", "older_than", function(c) return c:cleanup{ older_than = "x" } end)
client_case("cleanup labels a number", "cleanup", "labels", function(c) return c:cleanup{ labels = 5 } end)
client_case("cleanup dry_run a string", "cleanup", "dry_run", function(c) return c:cleanup{ dry_run = "yes" } end)
client_case("container(nil)", "container", nil, function(c) return c:container(nil) end)
client_case("container(42)", "container", nil, function(c) return c:container(42) end)
client_case("container({})", "container", nil, function(c) return c:container({}) end)
client_case("image(nil)", "image", nil, function(c) return c:image(nil) end)
case("connect{timeout=-1}", "connect", "timeout", function() return docker.connect{ timeout = -1 } end)
case("connect{timeout='x'}", "connect", "timeout", function() return docker.connect{ timeout = "x" } end)
case("connect(42)", "connect", nil, function() return docker.connect(42) end)
case("connect{host=42}", "connect", "host", function() return docker.connect{ host = 42 } end)
case("connect{api_version='new'}", "connect", "api_version", function() return docker.connect{ api_version = "new" } end)
case("module function docker.run{}", "run", "image", function() return docker.run{} end)
case("module function docker.containers{limit='x'}", "containers", "limit",
  function() return docker.containers{ limit = "x" } end)

-- ---- container methods --------------------------------------------------------
case("stop{timeout='x'}", "stop", "timeout", function() return target:stop{ timeout = "x" } end)
case("stop{timeout=-1}", "stop", "timeout", function() return target:stop{ timeout = -1 } end)
case("stop('now')", "stop", nil, function() return target:stop("now") end)
case("restart{timeout='x'}", "restart", "timeout", function() return target:restart{ timeout = "x" } end)
case("kill{signal={}}", "kill", "signal", function() return target:kill{ signal = {} } end)
case("logs{tail='many'}", "logs", "tail", function() return target:logs{ tail = "many" } end)
case("logs{tail=-3}", "logs", "tail", function() return target:logs{ tail = -3 } end)
case("logs{follow='yes'}", "logs", "follow", function() return target:logs{ follow = "yes" } end)
case("logs{on_output=1}", "logs", "on_output", function() return target:logs{ on_output = 1 } end)
case("logs{since='yesterday-ish'}", "logs", "since", function() return target:logs{ since = "yesterday-ish" } end)
case("lines{tail='many'}", "lines", "tail", function() return target:lines{ tail = "many" } end)
case("wait{timeout='x'}", "wait", "timeout", function() return target:wait{ timeout = "x" } end)
case("wait{condition='done'}", "wait", "condition", function() return target:wait{ condition = "done" } end)
case("remove{force='yes'}", "remove", "force", function() return target:remove{ force = "yes" } end)
case("rename('bad name')", "rename", nil, function() return target:rename("bad name") end)
case("rename(42)", "rename", nil, function() return target:rename(42) end)
case("top{ps_args=5}", "top", "ps_args", function() return target:top{ ps_args = 5 } end)

T.test("at least 30 bad-input cases ran", function()
  T.ok(ncases >= 30, "only " .. ncases .. " cases")
end)

T.test("a method called with . instead of : is an error naming the method", function()
  T.raises(function() target.stop() end, "stop")
  T.raises(function() target.logs{ tail = 1 } end, "logs")
end)

T.test("the bad calls created nothing", function()
  T.eq(count_session(), before, "containers of this session before and after")
  local mine = d:containers{ all = true, filters = { label = { L .. "=" .. RUN } } }
  T.eq(#mine, 1, "only the target container carries this run's label")
  T.eq(mine[1].id, target.id)
  T.eq(d:container(target.id).state, "created", "the target was not started, stopped or changed")
end)

T.test("the process and the client still work", function()
  T.eq(d:ping(), true)
  local r = d:run{ image = IMG, cmd = "echo still-fine", remove = true, labels = { [L] = RUN } }
  T.eq(r.stdout, "still-fine\n")
end)

T.test("clean-up", function()
  target:remove{ force = true }
  T.raises_kind(function() d:container(target.id) end, "not_found")
  T.eq(#d:containers{ all = true, filters = { label = { L .. "=" .. RUN } } }, 0)
end)

pcall(function() target:remove{ force = true } end)
pcall(d.cleanup, d, {})
T.done()
