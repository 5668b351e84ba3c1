-- tests/lua/cleanup.lua — ownership and clean-up (API.md "Ownership and
-- clean-up"): cleanup{} removes this session's managed containers only; dry_run,
-- older_than and labels narrow it; stale=true removes managed containers whose
-- creating process is gone (a child luadock that exited via os.exit, or was
-- killed with SIGKILL) and never those of a live process; containers without
-- luadock's labels, or with lookalike labels, survive everything. The control
-- containers made through luadock.core are removed by id at the end.
local T = require "testlib"
local docker = require "luadock"
local core = require "luadock.core"

local d = docker.connect()
local raw = assert(core.new{})
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local L = "luadock.test.cleanup"
local SLEEPER = "sh -c 'trap \"exit 0\" TERM; sleep 300 & wait'"
local BIN = (os.getenv("LUADOCK_BINARY_DIR") and os.getenv("LUADOCK_BINARY_DIR") .. "/luadock") or arg[-1]

local function set(list)
  local s = {}
  for _, v in ipairs(list or {}) do s[v] = true end
  return s
end

local function exists(id)
  local ok, e = pcall(d.container, d, id)
  if ok then return true end
  if docker.is_error(e) and e.kind == "not_found" then return false end
  error(e, 0)
end

local function mine(case, extra)
  local spec = { image = IMG, cmd = SLEEPER, detach = true, labels = { [L] = RUN .. "-" .. case } }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return d:run(spec)
end

-- ---- setup (made under pcall, so a failure still reaches the clean-up below) ----
-- Containers inherit their image's labels, and the test image (like every image
-- luadock imports) carries luadock.managed=1. So most control containers are made
-- through luadock.core from a control image imported through luadock.core without
-- any luadock label; two more are made, without labels, from luadock-labelled
-- images: the suite's test image, and an image this very process imported (so it
-- carries this session's labels).
local SESSION, DEAD_PID, CTL_IMAGE, OWN_IMAGE
local CTL_REF = "luadock-test/cleanup-ctl-" .. RUN .. ":1"
local OWN_REF = "luadock-test/cleanup-own-" .. RUN .. ":1"
local HOST = core.hostname()
local controls = {}   -- case -> id: no luadock.managed=1 at all
local inherit = {}    -- case -> id: luadock.managed=1 (and more) inherited from the image
local live = {}       -- the live child: f, pid, id, session

local function control(case, labels, image, into)
  labels[L] = RUN .. "-ctl-" .. case
  local r, msg = raw:container_create({ Image = image or CTL_IMAGE, Cmd = { "sleep", "300" }, Labels = labels },
    { name = "ld-cleanup-" .. RUN .. "-ctl-" .. case })
  assert(r, "control container " .. case .. ": " .. tostring(msg))
  ;(into or controls)[case] = r.Id
  return r.Id
end

local function controls_survive(what)
  for case, id in pairs(controls) do
    T.ok(exists(id), "control container '" .. case .. "' must survive " .. what)
  end
end

-- Lua code for a child luadock: make a labelled detached container, print
-- "<pid> <container id> <session>", then `tail` (Lua code).
local function child_code(case, tail)
  return string.format([[
local c = docker.run{ image = %q, cmd = "sleep 300", detach = true, labels = { [%q] = %q } }
io.stdout:write(require("luadock.core").pid(), " ", c.id, " ", c.labels["luadock.session"], "\n")
io.stdout:flush()
%s]], IMG, L, RUN .. "-" .. case, tail)
end

local function spawn(case, tail)
  local f = assert(io.popen(T.q(BIN) .. " -e " .. T.q(child_code(case, tail)) .. " 2>&1", "r"))
  local line = f:read("l")
  local pid, id, sess = (line or ""):match("^(%d+) (%x+) (%x+)$")
  return { f = f, pid = pid, id = id, session = sess, line = line }
end

local function finish_live()
  if live.pid then os.execute("kill -9 " .. live.pid .. " 2>/dev/null") end
  if live.f then live.f:close(); live.f = nil end
end

local function setup()
  -- this process's session, read off a container it made
  local probe = d:create{ image = IMG, cmd = "true", labels = { [L] = RUN .. "-probe" } }
  SESSION = probe.labels["luadock.session"]
  probe:remove()

  -- a pid that is certainly gone: a shell that has exited (and was reaped)
  DEAD_PID = T.sh("sh -c 'echo $$'"):match("%d+")

  local tmp = T.tmpdir()
  local TAR = tmp .. "/rootfs.tar"
  local SRC = os.getenv("LUADOCK_SOURCE_DIR") or "."
  assert(select(2, T.sh("bash " .. T.q(SRC .. "/tests/fixtures/busybox-rootfs.sh") .. " " .. T.q(TAR) .. " 2>&1")),
    "busybox-rootfs.sh failed")

  local st = assert(raw:image_create(nil, { fromSrc = "-", repo = CTL_REF:match("^(.*):"), tag = "1",
    changes = core.array { "ENV PATH=/bin" } }, { body_file = TAR }))
  while true do
    local v, msg = st:read()
    if v == nil then assert(msg == nil, msg); break end
    if type(v) == "table" and type(v.status) == "string" and v.status:match("^sha256:") then CTL_IMAGE = v.status end
    assert(type(v) ~= "table" or not v.error, type(v) == "table" and v.error)
  end
  st:close()
  assert(CTL_IMAGE, "control image imported")
  OWN_IMAGE = d:import{ source = TAR, repo = OWN_REF:match("^(.*):"), tag = "1" }

  control("plain", {})
  control("managed10", { ["luadock.managed"] = "10", ["luadock.session"] = SESSION,
                         ["luadock.pid"] = DEAD_PID, ["luadock.host"] = HOST })
  control("managedtrue", { ["luadock.managed"] = "true", ["luadock.session"] = SESSION,
                           ["luadock.pid"] = DEAD_PID, ["luadock.host"] = HOST })
  control("managedx", { ["luadock.managedx"] = "1", ["luadock.session"] = SESSION,
                        ["luadock.pid"] = DEAD_PID, ["luadock.host"] = HOST })
  control("test-image", {}, IMG, inherit)
  control("own-image", {}, OWN_REF, inherit)
  assert(raw:container_start(controls.plain))   -- one of them running

  -- a live session: a child that sleeps after making its container
  live = spawn("live", "docker.sleep(240)")
end

local setup_ok, setup_err = pcall(setup)

local function final_cleanup()
  pcall(finish_live)
  if live.id then pcall(function() d:container(live.id):remove{ force = true } end) end
  for _, id in pairs(controls) do pcall(raw.container_delete, raw, id, { force = true }) end
  for _, id in pairs(inherit) do pcall(raw.container_delete, raw, id, { force = true }) end
  if CTL_IMAGE then pcall(raw.image_delete, raw, CTL_IMAGE, { force = true }) end
  pcall(raw.image_delete, raw, OWN_REF, { force = true })
  pcall(d.cleanup, d, {})
end

if not setup_ok then
  T.test("setup", function() error(setup_err, 0) end)
  final_cleanup()
  T.done()
end

T.test("setup: session, controls and a live child", function()
  T.ok(type(SESSION) == "string" and SESSION ~= "", "session label")
  T.ok(DEAD_PID and not core.pid_alive(tonumber(DEAD_PID)), "a dead pid")
  T.ok(live.id, "live child made a container: " .. tostring(live.line))
  T.ok(live.session ~= SESSION, "the child has its own session")
  T.ok(core.pid_alive(tonumber(live.pid)), "the child is alive")
  T.eq(d:container(live.id).labels["luadock.managed"], "1")
  for _, case in ipairs { "plain", "managed10", "managedtrue", "managedx" } do
    local c = d:container(controls[case])
    T.ok(c.labels["luadock.managed"] ~= "1", case .. " does not carry luadock.managed=1")
  end
  T.eq(d:image(CTL_IMAGE).labels["luadock.managed"], nil, "the control image has no luadock label")
  T.eq(OWN_IMAGE.labels["luadock.managed"], "1", "an imported image carries luadock.managed=1")
end)

local a1, a2

T.test("dry_run lists this session's containers without removing", function()
  a1 = mine("a1")
  a2 = d:container(d:run{ image = IMG, cmd = "true", labels = { [L] = RUN .. "-a2" } }.id)
  T.eq(a2.state, "exited")
  local r = d:cleanup{ dry_run = true }
  T.eq(type(r.containers), "table")
  T.eq(type(r.volumes), "table")
  T.eq(type(r.networks), "table")
  local s = set(r.containers)
  T.ok(s[a1.id], "running one listed")
  T.ok(s[a2.id], "exited one listed")
  T.ok(not s[live.id], "another session's container not listed")
  for case, id in pairs(controls) do T.ok(not s[id], "control " .. case .. " not listed") end
  T.ok(exists(a1.id) and exists(a2.id), "nothing removed by a dry run")
end)

T.test("older_than spares younger containers", function()
  local r = d:cleanup{ older_than = 3600 }
  local s = set(r.containers)
  T.ok(not s[a1.id] and not s[a2.id], "young ones not removed: " .. T.show(r.containers))
  T.ok(exists(a1.id) and exists(a2.id), "both still there")
  local r2 = d:cleanup{ older_than = "1h", dry_run = true }
  T.ok(not set(r2.containers)[a1.id], "\"1h\" form")
end)

T.test("labels narrows the clean-up", function()
  local G = "luadock.test.group"
  local ga = mine("ga", { labels = { [L] = RUN .. "-ga", [G] = RUN .. "-a" } })
  local gb = mine("gb", { labels = { [L] = RUN .. "-gb", [G] = RUN .. "-b" } })
  local r = d:cleanup{ labels = { [G] = RUN .. "-a" } }
  T.eq(r.containers, { ga.id }, "map form removes only the matching one")
  T.ok(not exists(ga.id), "ga removed")
  T.ok(exists(gb.id), "gb stays")
  T.ok(exists(a1.id), "others of this session stay")
  local r2 = d:cleanup{ labels = { G .. "=" .. RUN .. "-b" } }
  T.eq(r2.containers, { gb.id }, "array form")
  T.ok(not exists(gb.id), "gb removed")
  local r3 = d:cleanup{ labels = { G .. "=" .. RUN .. "-none" } }
  T.eq(#r3.containers, 0, "no match removes nothing")
end)

T.test("older_than removes containers old enough", function()
  local old = mine("old")
  docker.sleep(2.2)
  local young = mine("young")
  -- the young one first, right after it was made: a slow removal of the old
  -- one under load must not age it past the limit
  local r2 = d:cleanup{ older_than = 2, labels = { [L] = RUN .. "-young" } }
  T.eq(#r2.containers, 0, "the young one is spared")
  local r = d:cleanup{ older_than = 2, labels = { [L] = RUN .. "-old" } }
  T.eq(r.containers, { old.id })
  T.ok(exists(young.id))
  young:remove{ force = true }
end)

T.test("cleanup{} removes this session's containers only", function()
  local r = d:cleanup{}
  local s = set(r.containers)
  T.ok(s[a1.id] and s[a2.id], "this session's removed: " .. T.show(r.containers))
  T.ok(not exists(a1.id) and not exists(a2.id), "gone")
  T.ok(not s[live.id], "live child's container not removed")
  T.ok(exists(live.id), "live child's container still there")
  controls_survive("cleanup{}")
  local left = d:containers{ all = true, filters = { label = { "luadock.session=" .. SESSION } } }
  local managed_left = 0
  local not_ours = set { inherit["own-image"], inherit["test-image"] }   -- made through core, see below
  for _, c in ipairs(left) do
    if c.labels["luadock.managed"] == "1" and not not_ours[c.id] then managed_left = managed_left + 1 end
  end
  T.eq(managed_left, 0, "no container luadock made in this session is left")
  T.eq(#d:cleanup{}.containers, 0, "a second cleanup finds nothing")
end)

T.test("a core-made container from an image this session imported survives cleanup{}", function()
  -- made through luadock.core without labels; only its image carries luadock's labels
  d:cleanup{}
  T.ok(exists(inherit["own-image"]), "container created outside luadock was removed by cleanup{}: "
    .. "it inherits luadock.managed/luadock.session from its image (" .. OWN_REF .. ")")
end)

T.test("stale=true removes the containers of a process that exited via os.exit", function()
  local ch = spawn("exited", "os.exit(0)")
  local rest = ch.f:read("a")
  ch.f:close()
  T.ok(ch.id, "child made a container: " .. tostring(ch.line) .. rest)
  T.ok(not core.pid_alive(tonumber(ch.pid)), "child is gone")
  T.ok(exists(ch.id), "its container was left behind")
  local r0 = d:cleanup{}
  T.ok(not set(r0.containers)[ch.id], "cleanup{} of this session leaves it")
  T.ok(exists(ch.id))
  local dry = d:cleanup{ stale = true, dry_run = true }
  T.ok(set(dry.containers)[ch.id], "dry run lists it")
  T.ok(not set(dry.containers)[live.id], "dry run does not list the live one")
  local r = d:cleanup{ stale = true }
  T.ok(set(r.containers)[ch.id], "stale clean-up removed it: " .. T.show(r.containers))
  T.ok(not exists(ch.id), "gone")
  T.ok(not set(r.containers)[live.id], "live child's container not in the result")
  T.ok(exists(live.id), "live child's container survives stale=true")
  controls_survive("cleanup{stale=true}")
end)

T.test("stale=true removes the containers of a process killed with SIGKILL", function()
  local ch = spawn("killed", "docker.sleep(240)")
  T.ok(ch.id, "child made a container: " .. tostring(ch.line))
  T.ok(core.pid_alive(tonumber(ch.pid)), "child is alive")
  local before = d:cleanup{ stale = true, dry_run = true }
  T.ok(not set(before.containers)[ch.id], "not stale while its process lives")
  os.execute("kill -9 " .. ch.pid)
  ch.f:close()   -- reaps it
  T.wait_until(function() return not core.pid_alive(tonumber(ch.pid)) end, 10, "child to die")
  T.ok(exists(ch.id), "its container was left behind")
  local r = d:cleanup{ stale = true }
  T.ok(set(r.containers)[ch.id], "removed: " .. T.show(r.containers))
  T.ok(not exists(ch.id))
  T.ok(exists(live.id), "live child's container survives")
  controls_survive("cleanup{stale=true}")
end)

T.test("a live session is untouched; session= selects it explicitly", function()
  T.ok(core.pid_alive(tonumber(live.pid)), "the live child still runs")
  T.ok(not set(d:cleanup{ stale = true }.containers)[live.id], "stale=true")
  T.ok(not set(d:cleanup{}.containers)[live.id], "cleanup{}")
  T.ok(exists(live.id))
  local r = d:cleanup{ session = live.session, dry_run = true }
  T.eq(r.containers, { live.id }, "session= lists that session's containers")
  T.ok(exists(live.id), "dry run removed nothing")
end)

T.test("unlabelled and lookalike-labelled containers survive every clean-up", function()
  d:cleanup{}
  d:cleanup{ stale = true }
  d:cleanup{ stale = true, volumes = true, networks = true }
  d:cleanup{ session = SESSION }
  controls_survive("all clean-ups")
  T.eq(d:container(controls.plain).state, "running", "the running control is still running")
end)

T.test("a core-made container from the test image survives stale=true and cleanup{}", function()
  d:cleanup{}
  d:cleanup{ stale = true }
  T.ok(exists(inherit["test-image"]), "container created outside luadock from " .. IMG
    .. " (whose labels are " .. T.show(d:image(IMG).labels) .. ") was removed")
end)

T.test("bad options name 'cleanup'", function()
  T.raises(function() d:cleanup{ older_than = "x" } end, "bad argument #1 to 'cleanup' %(field 'older_than'")
  T.raises(function() d:cleanup{ older_than = -1 } end, "field 'older_than'")
  T.raises(function() d:cleanup{ labels = 5 } end, "field 'labels'")
  T.raises(function() d:cleanup{ dry_run = "yes" } end, "field 'dry_run'")
  T.raises(function() d:cleanup{ stale = 1 } end, "field 'stale'")
  T.raises(function() d:cleanup{ session = 42 } end, "field 'session'")
  T.raises(function() d:cleanup{ everything = true } end, "field 'everything'")
  T.raises(function() d:cleanup("all") end, "bad argument #1 to 'cleanup'")
  controls_survive("bad calls")
end)

T.test("teardown: the live child and the control containers", function()
  finish_live()
  T.ok(not core.pid_alive(tonumber(live.pid)), "live child ended")
  d:container(live.id):remove{ force = true }
  for case, id in pairs(controls) do
    T.ok(raw:container_delete(id, { force = true }), "removed control " .. case)
    controls[case] = nil
  end
  for _, id in pairs(inherit) do raw:container_delete(id, { force = true }) end
  inherit = {}
  T.ok(raw:image_delete(CTL_IMAGE, { force = true }), "removed the control image")
  OWN_IMAGE:remove{ force = true }
  T.raises_kind(function() d:image(OWN_REF) end, "not_found")
  for _, c in ipairs(d:containers{ all = true, filters = { label = { L } } }) do
    T.ok(not c.labels[L]:find(RUN, 1, true), "left over: " .. c.name .. " " .. c.labels[L])
  end
end)

-- whatever happened above: no child left running, nothing of ours left
final_cleanup()
T.done()
