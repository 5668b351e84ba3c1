-- tests/lua/attach_stats_commit.lua — c:attach, c:stats, c:commit and
-- c:update (API.md "Containers"): attach feeds stdin to a `cat` container
-- created with stdin open and returns when the stream ends; output is
-- collected apart or streamed; attaching to a stopped, never-started or
-- paused container raises kind "conflict" with the docker CLI's words and
-- returns at once (the raw API would hang); stats gives one sample or a
-- stream that `break` closes; commit makes a labelled Image whose changes
-- apply; update reaches the engine. Containers are removed by d:cleanup{},
-- committed images by id, also when a case fails.
local T = require "testlib"
local docker = require "luadock"
local core = require "luadock.core"

local d = docker.connect()
local raw = assert(core.new{})
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local TESTLABEL = "luadock.test.asc"
local SLEEPER = "sh -c 'trap \"exit 0\" TERM; sleep 300 & wait'"
local images = {}   -- ids of committed images, removed at the end

local function name(case) return "ld-asc-" .. RUN .. "-" .. case end

local function bg(case, extra)
  local spec = { image = IMG, cmd = SLEEPER, name = name(case), detach = true,
                 stop_timeout = 1, labels = { [TESTLABEL] = RUN } }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return d:run(spec)
end

local function created(case, extra)
  local spec = { image = IMG, cmd = SLEEPER, name = name(case), stop_timeout = 1,
                 labels = { [TESTLABEL] = RUN } }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return d:create(spec)
end

local function socket_count()
  local out = T.sh("ls -l /proc/" .. core.pid() .. "/fd 2>/dev/null")
  local n = 0
  for _ in out:gmatch("socket:") do n = n + 1 end
  return n
end

-- ---- attach ------------------------------------------------------------------

T.test("attach feeds stdin to a cat container and returns when it ends", function()
  local c <close> = created("cat", { cmd = "cat", stdin = true })
  T.eq(c.attrs.Config.OpenStdin, true, "stdin = true opens stdin")
  T.eq(c.attrs.Config.StdinOnce, true, "closed after the first attach")
  c:start()
  local t0 = docker.clock()
  local r = c:attach{ stdin = "hello\nattach\n" }
  T.ok(docker.clock() - t0 < 10, "returned")
  T.eq(r, { stdout = "hello\nattach\n", stderr = "", state = "exited", exit_code = 0 })
  T.eq(c:wait{ timeout = 10 }, 0, "cat saw end-of-file and exited 0")
end)

T.test("attach stdin: 100 KB round trip", function()
  local parts = {}
  for i = 1, 100 * 1024 // 64 do parts[i] = string.format("%063d\n", i) end
  local data = table.concat(parts)
  local c <close> = created("cat100k", { cmd = "cat", stdin = true })
  c:start()
  local r = c:attach{ stdin = data }
  T.eq(#r.stdout, #data)
  T.ok(r.stdout == data, "bytes equal")
  T.eq(c:wait{ timeout = 10 }, 0)
end)

T.test("attach collects stdout and stderr apart; on_output streams", function()
  local c <close> = bg("out", { cmd = "sh -c 'sleep 1; echo a; echo b >&2; echo c'" })
  local r = c:attach()
  T.eq(r, { stdout = "a\nc\n", stderr = "b\n", state = "exited", exit_code = 0 })
  T.eq(c:reload().state, "exited")
  local c2 <close> = bg("stream", { cmd = "sh -c 'sleep 1; echo 1; sleep 0.2; echo 2 >&2'" })
  local got = {}
  local r2 = c2:attach{ on_output = function(stream, chunk) got[#got + 1] = stream .. ":" .. chunk end }
  T.eq(table.concat(got), "stdout:1\nstderr:2\n")
  T.eq(r2, { stdout = "", stderr = "", state = "exited", exit_code = 0 }, "nothing collected with on_output")
end)

T.test("attach logs=true replays earlier output", function()
  local c <close> = bg("logs", { cmd = "sh -c 'echo early; sleep 1.5; echo late'" })
  T.wait_until(function() return c:logs() == "early\n" end, 10, "the early line")
  T.eq(c:attach{ logs = true }.stdout, "early\nlate\n")
end)

T.test("attach to a tty container reads the raw stream", function()
  local c <close> = bg("tty", { cmd = "sh -c 'sleep 1; echo t1; echo t2 >&2'", tty = true })
  local r = c:attach()
  T.eq(r.stdout, "t1\r\nt2\r\n")
  T.eq(r.stderr, "")
end)

T.test("attach returns when a silent container exits", function()
  local c <close> = bg("silent", { cmd = "sh -c 'sleep 1.5'" })
  local t0 = docker.clock()
  T.eq(c:attach(), { stdout = "", stderr = "", state = "exited", exit_code = 0 })
  local dt = docker.clock() - t0
  T.ok(dt > 0.5 and dt < 10, "took " .. dt .. " s")
end)

T.test("attach to a stopped or never-started container: conflict, at once", function()
  local c <close> = bg("stopped", { cmd = "true" })
  c:wait{ timeout = 10 }
  for _, target in ipairs { c, created("never") } do
    local t0 = docker.clock()
    local e = T.raises_kind(function() target:attach() end, "conflict")
    T.ok(docker.clock() - t0 < 3, "promptly: " .. (docker.clock() - t0) .. " s")
    T.eq(e.message, "You cannot attach to a stopped container, start it first")
    T.ok(docker.is_error(e))
    local e2 = T.raises_kind(function() target:attach{ stdin = "x" } end, "conflict")
    T.eq(e2.message, e.message)
  end
  T.eq(d:ping(), true, "client still works")
end)

T.test("a container that stops between the check and the attach cannot hang it", function()
  -- the engine's attach to a stopped container never answers (fault #27 of tests/faults/README.md);
  -- make the first inspect say "running" to open exactly that window
  local c <close> = bg("race", { cmd = "true" })
  c:wait{ timeout = 10 }
  local real = d._cli
  local lied = false
  local proxy = setmetatable({}, { __index = function(_, k)
    return function(_, ...)
      if k == "container_inspect" and not lied then
        lied = true
        local t = assert(real:container_inspect(...))
        t.State.Running = true
        return t
      end
      return real[k](real, ...)
    end
  end })
  local fake = setmetatable({}, getmetatable(c))
  for k, v in pairs(c) do fake[k] = v end
  fake._client = setmetatable({ _cli = proxy }, { __index = d })
  local t0 = docker.clock()
  local r = fake:attach()
  T.ok(lied, "the first inspect was the lying one")
  T.eq(r, { stdout = "", stderr = "", state = "exited", exit_code = 0 })
  T.ok(docker.clock() - t0 < 5, "returned after " .. (docker.clock() - t0) .. " s")
  T.eq(d:ping(), true)
end)

T.test("attach to a paused container: conflict; to a removed one: not_found", function()
  local c = bg("paused")
  c:pause()
  local e = T.raises_kind(function() c:attach() end, "conflict")
  T.ok(e.message:find("paused", 1, true), e.message)
  c:unpause()
  c:remove{ force = true }
  T.raises_kind(function() c:attach() end, "not_found")
end)

T.test("attach stdin to a container without open stdin: conflict", function()
  local c <close> = bg("nostdin")
  local e = T.raises_kind(function() c:attach{ stdin = "x" } end, "conflict")
  T.ok(e.message:find("stdin", 1, true), e.message)
end)

T.test("attach bad input", function()
  local c <close> = created("badattach")
  T.raises(function() c:attach("x") end, "#1 to 'attach' %(table expected, got string%)")
  T.raises(function() c:attach{ stdin = 5 } end, "field 'stdin': string expected, got number")
  T.raises(function() c:attach{ on_output = "f" } end, "field 'on_output': function expected")
  T.raises(function() c:attach{ logs = 1 } end, "field 'logs': boolean expected")
  T.raises(function() c:attach{ bogus = true } end, "field 'bogus': unknown option")
  T.raises(function() c.attach({}) end, "bad self")
end)

-- ---- stats -------------------------------------------------------------------

local function util_time(s)
  return type(s) == "string" and s:match("^%d%d%d%d%-%d%d%-%d%dT") ~= nil
end

T.test("stats() is one sample with cpu_stats and memory_stats", function()
  local c <close> = bg("stats")
  local s = c:stats()
  T.eq(type(s), "table")
  T.eq(type(s.cpu_stats), "table")
  T.eq(type(s.memory_stats), "table")
  T.eq(type(s.precpu_stats), "table")
  T.ok(math.type(s.memory_stats.usage) == "integer" and s.memory_stats.usage > 0,
    "memory usage: " .. T.show(s.memory_stats.usage))
  T.eq(s.id, c.id)
  T.eq(s.name, "/" .. name("stats"))
  T.ok(util_time(s.read), "read time: " .. tostring(s.read))
  local one = c:stats{ one_shot = true }
  T.eq(type(one.memory_stats), "table", "one_shot sample")
end)

T.test("stats{stream=true} yields samples; break closes the stream promptly", function()
  local c <close> = bg("statstream")
  local before = socket_count()
  for round = 1, 3 do
    local t0 = docker.clock()
    local n, last = 0, nil
    for s in c:stats{ stream = true } do
      n = n + 1
      T.eq(type(s.cpu_stats), "table")
      if last then T.ok(s.read > last, "samples advance: " .. s.read .. " after " .. last) end
      last = s.read
      if n == 2 then break end
    end
    T.eq(n, 2)
    T.ok(docker.clock() - t0 < 10, "round " .. round .. " took " .. (docker.clock() - t0))
  end
  T.ok(socket_count() - before < 2, "stat streams left open: " .. before .. " -> " .. socket_count())
  T.eq(d:ping(), true)
  T.eq(type(c:stats().cpu_stats), "table", "a later stats call works")
end)

T.test("stats of a removed container: not_found; bad input", function()
  local c = bg("statsgone")
  c:remove{ force = true }
  T.raises_kind(function() c:stats() end, "not_found")
  T.raises(function() c:stats{ stream = 1 } end, "#1 to 'stats' %(field 'stream': boolean expected")
  T.raises(function() c:stats{ decode = true } end, "field 'decode': unknown option")
  T.raises(function() c:stats{ stream = true, one_shot = true } end, "field 'one_shot': only without stream")
  T.raises(function() c:stats(5) end, "table expected, got number")
end)

-- ---- commit ------------------------------------------------------------------

local function committed(img)
  images[#images + 1] = img.id
  return img
end

T.test("commit makes a labelled Image; changes, message and author apply", function()
  local c <close> = bg("commit", { cmd = "sh -c 'echo data > /marker-" .. RUN .. "; trap \"exit 0\" TERM; sleep 300 & wait'" })
  T.wait_until(function() return c:exec{ cmd = "cat /marker-" .. RUN }.exit_code == 0 end, 10, "the marker file")
  local repo = "luadock-test/commit-" .. RUN
  local img = committed(c:commit{ repo = repo, tag = "v1", message = "made by a test", author = "tester <t@example>",
                                  changes = { "ENV X=1", "LABEL custom=yes" }, labels = { mine = "2" } })
  T.eq(getmetatable(img), docker.Image, "an Image")
  T.eq(img.tags, { repo .. ":v1" })
  T.ok(img.id:match("^sha256:%x+$"), img.id)
  T.eq(img.labels["luadock.managed"], "1")
  T.eq(img.labels["luadock.kind"], "image")
  T.eq(img.labels["luadock.session"], docker.session)
  T.eq(img.labels.mine, "2", "labels option")
  T.eq(img.labels.custom, "yes", "LABEL change")
  T.eq(img.labels[TESTLABEL], RUN, "the container's own labels are kept")
  T.eq(img.attrs.Comment, "made by a test")
  T.eq(img.attrs.Author, "tester <t@example>")
  T.eq(img.attrs.Config.Cmd[1], "sh", "the container's Cmd is kept")
  local env = table.concat(img.attrs.Config.Env, " ")
  T.ok(env:find("X=1", 1, true), "ENV change: " .. env)
  T.ok(env:find("PATH=", 1, true), "PATH kept: " .. env)
  T.eq(d:image(repo .. ":v1").id, img.id)
  local r = d:run{ image = repo .. ":v1", cmd = "sh -c 'echo $X; cat /marker-" .. RUN .. "'", remove = true,
                   labels = { [TESTLABEL] = RUN } }
  T.eq(r.stdout, "1\ndata\n", "the filesystem and ENV are in the image")
end)

T.test("commit without repo gives an untagged image; tag defaults to latest", function()
  local c <close> = bg("commit2")
  local img = committed(c:commit())
  T.eq(img.tags, {})
  T.eq(img.labels["luadock.managed"], "1")
  T.eq(img.labels["luadock.kind"], "image")
  local img2 = committed(c:commit{ repo = "luadock-test/commit-" .. RUN .. "-b", changes = "CMD [\"echo\", \"hi\"]" })
  T.eq(img2.tags, { "luadock-test/commit-" .. RUN .. "-b:latest" })
  T.eq(img2.attrs.Config.Cmd, { "echo", "hi" })
end)

T.test("commit of a removed container: not_found; bad input", function()
  local c = bg("commitgone")
  T.raises(function() c:commit{ tag = "x" } end, "#1 to 'commit' %(field 'tag': needs 'repo'%)")
  T.raises(function() c:commit{ repo = "x", tag = "bad tag" } end, "field 'tag': invalid tag")
  T.raises(function() c:commit{ repo = "" } end, "field 'repo': non%-empty string expected")
  T.raises(function() c:commit{ repo = "has space" } end, "field 'repo': invalid repository name")
  T.raises(function() c:commit{ repo = 5 } end, "field 'repo': string expected, got number")
  T.raises(function() c:commit{ changes = { "FOO bar" } } end, "field 'changes': item 1: a Dockerfile instruction")
  T.raises(function() c:commit{ changes = { 5 } } end, "field 'changes': item 1: string expected")
  T.raises(function() c:commit{ changes = 5 } end, "field 'changes': array of Dockerfile instructions expected")
  T.raises(function() c:commit{ changes = { "LABEL luadock.managed=0" } } end, "field 'changes': item 1: luadock%.%* labels")
  T.raises(function() c:commit{ message = {} } end, "field 'message': string expected")
  T.raises(function() c:commit{ author = 1 } end, "field 'author': string expected")
  T.raises(function() c:commit{ pause = "no" } end, "field 'pause': boolean expected")
  T.raises(function() c:commit{ labels = "x" } end, "field 'labels': table expected")
  T.raises(function() c:commit{ nope = 1 } end, "field 'nope': unknown option")
  T.raises(function() c.commit({}) end, "bad self")
  c:remove{ force = true }
  T.raises_kind(function() c:commit() end, "not_found")
end)

-- ---- update ------------------------------------------------------------------

T.test("update{memory=, memory_swap=, cpus=, restart=} reaches the engine", function()
  local c <close> = bg("update")
  -- this engine refuses a memory limit alone once a container runs ("Memory
  -- limit should be smaller than already set memoryswap limit", `docker update
  -- -m` too): the swap limit goes with it, as with `--memory-swap -1`
  local r, warnings = c:update{ memory = "64m", memory_swap = -1, cpus = 0.5, restart = "on-failure:3" }
  T.eq(r, c, "returns the Container")
  -- the warnings are the engine's own: the same update made raw answers the same
  local again = assert(raw:container_update(c.id, { Memory = 64 * 1024 * 1024, MemorySwap = -1,
    NanoCpus = 500000000, RestartPolicy = { Name = "on-failure", MaximumRetryCount = 3 } }))
  T.eq(warnings, again.Warnings, "warnings as the engine gave them")
  local hc = d:container(c.id).attrs.HostConfig
  T.eq(hc.Memory, 64 * 1024 * 1024)
  T.eq(hc.MemorySwap, -1)
  T.eq(hc.NanoCpus, 500000000)
  T.eq(hc.RestartPolicy, { Name = "on-failure", MaximumRetryCount = 3 })
  T.eq(c.attrs.HostConfig.Memory, 64 * 1024 * 1024, "the Container was refreshed")
  T.raises(function() c:update{ memory = "lots" } end, "#1 to 'update' %(field 'memory': invalid size")
  T.raises(function() c:update{ bogus = 1 } end, "field 'bogus': unknown option")
end)

T.test("clean-up of this file's containers and images", function()
  d:cleanup{}
  local left = d:containers{ all = true, filters = { label = { TESTLABEL .. "=" .. RUN } } }
  T.eq(#left, 0, "left: " .. T.show(left))
  for _, id in ipairs(images) do T.ok(raw:image_delete(id, { force = true }), "removed " .. id) end
  images = {}
end)

pcall(d.cleanup, d, {})
for _, id in ipairs(images) do raw:image_delete(id, { force = true }) end
T.done()
