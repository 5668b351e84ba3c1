-- tests/lua/backup.lua — docker.backup / docker.restore (API.md "Scheduling and
-- backups"): a volume with nested dirs, a symlink, modes 0755/0600, a dotfile
-- and a numeric owner is backed up and restored (into a new volume, and with
-- wipe=true into the original after adding files) with identical listings,
-- sizes, modes, owners, sha256 sums and link targets; the archive name pattern,
-- no temporary file left, keep=2, `stop` containers stopped and started again,
-- a copy that fails on a full 64k tmpfs (nothing left, container running), a
-- SIGTERM to a child luadock midway (same, and no helper left), not_found, a
-- failed extraction, and bad input. Everything made here carries this run's
-- label and is removed at the end, also on failure; the tmpfs is unmounted.
local T = require "testlib"
local docker = require "luadock"
local core = require "luadock.core"

local d = docker.connect()
local raw = assert(core.new{})
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local L = "luadock.test.bk"
local SLEEPER = "sh -c 'trap \"exit 0\" TERM; sleep 300 & wait'"
local BIN = (os.getenv("LUADOCK_BINARY_DIR") and os.getenv("LUADOCK_BINARY_DIR") .. "/luadock") or arg[-1]
local ARCHIVE_PAT = "^(.*)/([%w_.%-]+)%-%d%d%d%d%d%d%d%dT%d%d%d%d%d%dZ(%-?%d*)%.tar%.gz$"

local function name(case) return "ld-bk-" .. RUN .. "-" .. case end
local made_volumes, mounts = {}, {}

local function vol(case)
  made_volumes[#made_volumes + 1] = name(case)
  return d:volume_create{ name = name(case), labels = { [L] = RUN } }.name
end

local function sh_in(v, script, ro)
  return d:run{ image = IMG, cmd = { "sh", "-c", script }, remove = true, labels = { [L] = RUN },
                volumes = { [v] = ro and "/volume:ro" or "/volume" } }.stdout
end

local function bg(case)
  return d:run{ image = IMG, cmd = SLEEPER, name = name(case), detach = true, stop_timeout = 1,
                labels = { [L] = RUN } }
end

local FILL = [[set -e; cd /volume
mkdir -p a/b/c empty; echo hello > a/b/c/f.txt; echo deeper > a/b/g.txt
printf 'dot' > .hidden; printf '#!/bin/sh\necho hi\n' > run.sh; chmod 0755 run.sh
echo secret > secret; chmod 0600 secret; chown 1234:5678 secret; chmod 0700 a/b
ln -s a/b/c/f.txt link]]

-- Listing (modes, owners, sizes of non-directories), sums and the link target.
local SNAP = [[cd /volume && { find . -type d -exec stat -c '%n %a %u:%g' {} \; ;
find . ! -type d -exec stat -c '%n %a %u:%g %s %F' {} \; ; } | sort
find . -type f -exec sha256sum {} \; | sort; readlink link]]
local function snapshot(v) return sh_in(v, SNAP, true) end

local function ls(dir)
  local out = T.sh("ls -1A " .. T.q(dir))
  local list = {}
  for line in out:gmatch("[^\n]+") do list[#list + 1] = line end
  table.sort(list)
  return list
end

local function state(n) return raw:container_inspect(n).State end

local function helpers_left(v)
  return d:containers{ all = true, filters = { label = { "luadock.backup.helper=" .. v } } }
end

local ok_all, err_all = xpcall(function()

local SRC = vol("src")
sh_in(SRC, FILL)
local before = snapshot(SRC)
local DIR = T.tmpdir()
local first

T.test("backup writes <volume>-<UTC stamp>.tar.gz, no temporary file", function()
  T.ok(before:find("./secret 600 1234:5678", 1, true), before)
  T.ok(before:find("./run.sh 755", 1, true) and before:find("./link 777 0:0 11 symbolic link", 1, true), before)
  local r = d:backup{ volume = SRC, to = DIR, image = IMG }
  local dir, v = r.archive:match(ARCHIVE_PAT)
  T.eq(dir, DIR); T.eq(v, SRC)
  T.ok(math.type(r.bytes) == "integer" and r.bytes > 0, "bytes " .. tostring(r.bytes))
  T.eq(r.bytes, T.ok(io.open(r.archive, "rb")):seek("end"))
  T.ok(type(r.seconds) == "number" and r.seconds >= 0)
  T.eq(ls(DIR), { r.archive:match("[^/]+$") }, "only the archive")
  T.eq(#helpers_left(SRC), 0, "helper removed")
  first = r
end)

T.test("restore into a new volume gives identical contents", function()
  local NEW = name("new")
  made_volumes[#made_volumes + 1] = NEW
  T.eq(d:restore{ volume = NEW, from = first.archive, image = IMG }, true)
  T.eq(d:volume(NEW).labels["luadock.managed"], "1", "created labelled")
  T.eq(snapshot(NEW), before)
end)

T.test("restore with wipe=true removes files added since (dotfiles too)", function()
  sh_in(SRC, "echo extra > /volume/extra; echo x > /volume/.extra; mkdir /volume/newdir; echo y > /volume/a/b/c/f.txt")
  T.ok(snapshot(SRC) ~= before)
  T.eq(d:restore{ volume = SRC, from = first.archive, image = IMG, wipe = true }, true)
  T.eq(snapshot(SRC), before)
end)

T.test("keep = 2 after 3 backups leaves the 2 newest", function()
  local dir = T.tmpdir()
  local rs = {}
  for i = 1, 3 do rs[i] = d:backup{ volume = SRC, to = dir, image = IMG, keep = 2 } end
  local want = { rs[2].archive:match("[^/]+$"), rs[3].archive:match("[^/]+$") }
  table.sort(want)
  T.eq(ls(dir), want)
  -- another volume's archives in the same folder are not touched
  local f = assert(io.open(dir .. "/" .. SRC .. "x-20200101T000000Z.tar.gz", "w")); f:close()
  d:backup{ volume = SRC, to = dir, image = IMG, keep = 1 }
  T.eq(#ls(dir), 2)
end)

T.test("stop = { name } stops a running container for the copy and starts it again", function()
  local c = bg("stop1")
  local idle = d:create{ image = IMG, cmd = "true", name = name("idle"), labels = { [L] = RUN } }
  local started = state(c.id).StartedAt
  local r = d:backup{ volume = SRC, to = T.tmpdir(), image = IMG, stop = { c.name, idle.name } }
  T.ok(r.bytes > 0)
  local st = state(c.id)
  T.eq(st.Running, true, "running again")
  T.ok(st.StartedAt ~= started, "it was restarted")
  T.eq(state(idle.id).Running, false, "a container that was not running stays so")
end)

T.test("stop takes Container objects, stop_timeout bounds the stop, a missing `to` is created", function()
  -- PID 1 ignores SIGTERM: the stop lasts exactly stop_timeout, then the engine kills it
  local c = d:run{ image = IMG, detach = true, name = name("stubborn"), labels = { [L] = RUN },
                   cmd = { "sh", "-c", "trap '' TERM; while true; do sleep 1; done" } }
  local to = T.tmpdir() .. "/new/deeper"
  local t0 = docker.clock()
  local r = d:backup{ volume = SRC, to = to, image = IMG, stop = { c }, stop_timeout = 1 }
  local took = docker.clock() - t0
  T.ok(r.archive:sub(1, #to + 1) == to .. "/", "the archive is in the created folder")
  T.ok(took < 8, string.format("stop_timeout = 1 bounds each stop (took %.1f s)", took))
  T.eq(state(c.id).Running, true, "running again")
  local missing = T.raises_kind(function()
    d:backup{ volume = SRC, to = T.tmpdir(), image = IMG, stop = { "ld-no-such-" .. RUN } }
  end, "not_found")
  T.ok(tostring(missing):match("ld%-no%-such"), "the error names the container")
end)

T.test("a copy that fails midway (full tmpfs) leaves nothing; stop container running", function()
  local BIG = vol("big")
  sh_in(BIG, "head -c 1048576 /dev/urandom > /volume/random.bin")
  local dir = T.tmpdir()
  T.ok(os.execute("mount -t tmpfs -o size=64k tmpfs " .. T.q(dir)), "mount tmpfs (needs root)")
  mounts[#mounts + 1] = dir
  local c = bg("stop2")
  local e = T.raises_kind(function()
    d:backup{ volume = BIG, to = dir, image = IMG, stop = { c.name } }
  end, "exit")
  T.ok(docker.is_error(e))
  T.eq(ls(dir), {}, "no archive, no temporary file")
  T.eq(state(c.id).Running, true, "running again")
  T.eq(#helpers_left(BIG), 0, "helper removed")
end)

T.test("SIGTERM during a backup: non-zero exit, nothing left, stop container running", function()
  local dir, work = T.tmpdir(), T.tmpdir()
  local c = bg("stop3")
  local script = work .. "/child.lua"
  local f = assert(io.open(script, "w"))
  f:write(string.format([[
local docker = require "luadock"
docker.backup{ volume = %q, to = %q, image = %q, stop = { %q }, _delay_after_copy = 30 }
print("finished")
]], SRC, dir, IMG, c.name))
  f:close()
  os.execute(string.format("( %s %s >%s 2>&1 & echo $! >%s; wait $!; echo $? >%s ) >/dev/null 2>&1 &",
    T.q(BIN), T.q(script), T.q(work .. "/log"), T.q(work .. "/pid"), T.q(work .. "/rc")))
  T.wait_until(function()
    for _, h in ipairs(helpers_left(SRC)) do if h.state == "running" then return true end end
  end, 20, "the helper container to run")
  T.wait_until(function() return #ls(dir) > 0 end, 20, "the temporary file")
  T.eq(state(c.id).Running, false, "stopped during the copy")
  local pid = T.ok(io.open(work .. "/pid")):read("l")
  T.ok(os.execute("kill -TERM " .. pid))
  local rc = T.wait_until(function()
    local r = io.open(work .. "/rc")
    local v = r and r:read("l")
    if r then r:close() end
    return v and v ~= "" and v
  end, 30, "the child to exit")
  local log = T.ok(io.open(work .. "/log")):read("a")
  T.ok(rc ~= "0", "exit code " .. rc .. "; log: " .. log)
  T.ok(log:find("terminated", 1, true) and not log:find("finished", 1, true), log)
  T.eq(ls(dir), {}, "no archive, no temporary file")
  T.eq(state(c.id).Running, true, "running again")
  T.eq(#helpers_left(SRC), 0, "no helper container left")
end)

T.test("not_found volume (not auto-created); failed extraction is kind exit", function()
  local dir = T.tmpdir()
  T.raises_kind(function() d:backup{ volume = name("nosuch"), to = dir, image = IMG } end, "not_found")
  T.eq(raw:volume_inspect(name("nosuch")), nil, "not created")
  local junk = dir .. "/junk.tar.gz"
  local f = assert(io.open(junk, "w")); f:write("not an archive\n"); f:close()
  local NEW = name("junk")
  made_volumes[#made_volumes + 1] = NEW
  local e = T.raises_kind(function() d:restore{ volume = NEW, from = junk, image = IMG } end, "exit")
  T.ok(#(e.stderr or "") > 0, "stderr kept")
  T.eq(raw:volume_inspect(NEW), nil, "the volume it created is removed again")
  T.eq(#helpers_left(NEW), 0)
end)

T.test("bad input names the function and field", function()
  local dir = T.tmpdir()
  local ok = { volume = SRC, to = dir, image = IMG }
  local function with(t, k, v) local c = {}; for a, b in pairs(t) do c[a] = b end; c[k] = v; return c end
  local function bad(fname, spec, field)
    T.raises(function() d[fname](d, spec) end, "bad argument #1 to '" .. fname .. "' %(field '" .. field .. "'")
  end
  T.raises(function() d:backup() end, "bad argument #1 to 'backup' %(table expected")
  bad("backup", with(ok, "volume", nil), "volume")
  bad("backup", with(ok, "volume", 5), "volume")
  bad("backup", with(ok, "to", "relative/dir"), "to")
  bad("backup", with(ok, "to", "/tmp/a:b"), "to")
  bad("backup", with(ok, "stop_timeout", -1), "stop_timeout")
  bad("backup", with(ok, "stop_timeout", 1.5), "stop_timeout")
  bad("backup", with(ok, "stop_timeout", "10"), "stop_timeout")
  bad("backup", with(ok, "stop", { {} }), "stop")
  bad("backup", with(ok, "image", nil), "image")
  bad("backup", with(ok, "keep", 0), "keep")
  bad("backup", with(ok, "keep", 1.5), "keep")
  bad("backup", with(ok, "stop", "db"), "stop")
  bad("backup", with(ok, "stop", { 1 }), "stop")
  bad("backup", with(ok, "name_prefix", "-x"), "name_prefix")
  bad("backup", with(ok, "_delay_after_copy", -1), "_delay_after_copy")
  bad("backup", with(ok, "bogus", 1), "bogus")
  local rok = { volume = SRC, from = first.archive, image = IMG }
  bad("restore", with(rok, "volume", "bad name!"), "volume")
  bad("restore", with(rok, "from", "x.tar.gz"), "from")
  bad("restore", with(rok, "from", dir .. "/missing.tar.gz"), "from")
  bad("restore", with(rok, "image", ""), "image")
  bad("restore", with(rok, "wipe", "yes"), "wipe")
  T.eq(ls(dir), {}, "nothing happened")
  T.raises(function() docker.backup{ volume = SRC } end, "'backup' %(field 'to'")
end)

end, debug.traceback)
if not ok_all then T.test("setup", function() error(err_all, 0) end) end

-- clean-up, whatever happened above
for _, dir in ipairs(mounts) do os.execute("umount " .. T.q(dir)) end
for _, c in ipairs(d:containers{ all = true, filters = { label = { L .. "=" .. RUN } } }) do
  raw:container_delete(c.id, { force = true, v = true })
end
for _, nm in ipairs(made_volumes) do raw:volume_delete(nm, { force = true }) end
T.done()
