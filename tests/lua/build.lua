-- tests/lua/build.lua — d:build against the engine (its classic builder on
-- 20.10): a temporary context with a Dockerfile (FROM the test image, COPY,
-- RUN, ARG through buildargs, LABEL), .dockerignore honoured (checked by
-- listing the context inside a container of the image) while the Dockerfile
-- and .dockerignore are still sent, progress events, the luadock labels plus
-- the caller's, tags, another dockerfile path, a multi-stage target, RUN false
-- raising the engine's message without leaving a container, a missing
-- context or Dockerfile, and bad arguments. Every image built here is removed
-- at the end; containers are run with remove = true.
local T = require "testlib"
local docker = require "luadock"

local d = docker.connect()
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local REPO = "luadock-test/build-" .. RUN
local made = {}
local function track(img) made[#made + 1] = img.id; return img end

local write = T.write

local function has(list, v)
  for _, x in ipairs(list or {}) do if x == v then return true end end
  return false
end

local ctx = T.tmpdir()
assert(os.execute("mkdir -p " .. T.q(ctx .. "/sub/deeper") .. " " .. T.q(ctx .. "/docker")))
write(ctx .. "/Dockerfile", table.concat({
  "FROM " .. T.image,
  "ARG GREETING=unset",
  "COPY hello.txt /hello.txt",
  "COPY . /ctx/",
  "RUN echo \"greeting=$GREETING\" > /greeting.txt",
  "LABEL from.dockerfile=\"yes\"",
  "CMD [\"cat\", \"/hello.txt\"]",
}, "\n") .. "\n")
write(ctx .. "/hello.txt", "hello from the context\n")
write(ctx .. "/secret.txt", "must not be sent\n")
write(ctx .. "/sub/a.txt", "a\n")
write(ctx .. "/sub/debug.log", "ignored by **/*.log\n")
write(ctx .. "/sub/deeper/b.log", "ignored too\n")
write(ctx .. "/sub/deeper/keep.log", "re-included by !\n")
write(ctx .. "/docker/Other.dockerfile", "FROM " .. T.image .. "\nCOPY hello.txt /other.txt\n")
write(ctx .. "/.dockerignore", table.concat({
  "# comments and blank lines are skipped",
  "",
  "secret.txt",
  "**/*.log",
  "!sub/deeper/keep.log",
  "Dockerfile",
  ".dockerignore",
}, "\n") .. "\n")

local main_img
local events = {}

T.test("build a context with tag, buildargs, labels and progress", function()
  main_img = track(d:build{
    context = ctx, tag = REPO .. ":1", buildargs = { GREETING = "hi" },
    labels = { app = "web", ["luadock.test"] = RUN },
    on_progress = function(ev) events[#events + 1] = ev end,
  })
  T.eq(getmetatable(main_img), docker.Image, "an Image")
  T.ok(main_img.id:match("^sha256:%x+$"), "id " .. tostring(main_img.id))
  T.ok(has(main_img.tags, REPO .. ":1"), "tags: " .. T.show(main_img.tags))
  T.eq(d:image(REPO .. ":1").id, main_img.id, "the tag points at it")
end)

T.test("progress events: stream lines and aux.ID", function()
  local text, aux_id = {}, nil
  for _, ev in ipairs(events) do
    if type(ev.stream) == "string" then text[#text + 1] = ev.stream end
    if type(ev.aux) == "table" and ev.aux.ID then aux_id = ev.aux.ID end
  end
  local all = table.concat(text)
  T.ok(all:find("Step 1/", 1, true), "Step lines: " .. all:sub(1, 200))
  T.ok(all:find("FROM " .. T.image, 1, true), "the FROM step")
  T.ok(all:find("Successfully tagged " .. REPO .. ":1", 1, true), "tagged line")
  T.eq(aux_id, main_img.id, "aux.ID is the image id")
end)

T.test("the image carries luadock's labels and the caller's", function()
  local l = main_img.labels
  T.eq(l["luadock.managed"], "1")
  T.eq(l["luadock.kind"], "image")
  T.eq(l["luadock.session"], docker.session)
  T.eq(l.app, "web")
  T.eq(l["luadock.test"], RUN)
  T.eq(l["from.dockerfile"], "yes", "the Dockerfile's LABEL")
end)

T.test("COPY, RUN with the build arg, CMD work", function()
  local r = d:run{ image = REPO .. ":1", remove = true }
  T.eq(r.stdout, "hello from the context\n", "CMD cat /hello.txt")
  r = d:run{ image = REPO .. ":1", cmd = "cat /greeting.txt", remove = true }
  T.eq(r.stdout, "greeting=hi\n")
end)

-- .dockerignore lists the Dockerfile and itself: both must still be sent (or
-- the engine finds no Dockerfile); the engine reads them and then drops them
-- from what COPY sees, as it does for the docker CLI. So a successful build
-- with both absent from /ctx shows that both were sent and honoured.
T.test(".dockerignore is honoured; Dockerfile and .dockerignore are sent anyway", function()
  local r = d:run{ image = REPO .. ":1", cmd = "find /ctx", remove = true }
  local got = {}
  for line in r.stdout:gmatch("[^\n]+") do got[#got + 1] = line end
  table.sort(got)
  T.eq(got, {
    "/ctx", "/ctx/docker", "/ctx/docker/Other.dockerfile",
    "/ctx/hello.txt", "/ctx/sub", "/ctx/sub/a.txt", "/ctx/sub/deeper", "/ctx/sub/deeper/keep.log",
  }, "context as COPY saw it")
end)

T.test("the context tar holds the Dockerfile and .dockerignore, not the ignored files", function()
  local build = require "luadock.image.build"
  local patterns = build.read_dockerignore(ctx)
  T.eq(patterns, { "secret.txt", "**/*.log", "!sub/deeper/keep.log", "Dockerfile", ".dockerignore" })
  local tar = build.context_tar(ctx, "Dockerfile")
  local out = T.tmpdir()
  docker.core.untar(tar, out)
  local list = T.sh("cd " .. T.q(out) .. " && find . -type f | sort")
  T.eq(list, table.concat({ "./.dockerignore", "./Dockerfile", "./docker/Other.dockerfile", "./hello.txt",
    "./sub/a.txt", "./sub/deeper/keep.log" }, "\n") .. "\n")
end)

T.test("dockerfile = a path inside the context", function()
  local img = track(d:build{ context = ctx, dockerfile = "docker/Other.dockerfile" })
  T.eq(#img.tags, 0, "no tag given: " .. T.show(img.tags))
  T.eq(img.labels["luadock.managed"], "1")
  local r = d:run{ image = img.id, cmd = "cat /other.txt", remove = true }
  T.eq(r.stdout, "hello from the context\n")
  local img2 = track(d:build{ context = ctx .. "/", dockerfile = ctx .. "/docker/Other.dockerfile", tag = REPO .. ":other" })
  T.eq(img2.id, img.id, "an absolute path inside the context; the cache gives the same image")
end)

T.test("a multi-stage target, nocache, several tags", function()
  local dir = T.tmpdir()
  write(dir .. "/Dockerfile", table.concat({
    "FROM " .. T.image .. " AS one",
    "RUN echo one > /stage",
    "FROM " .. T.image .. " AS two",
    "RUN echo two > /stage",
  }, "\n") .. "\n")
  local img = track(d:build{ context = dir, target = "one", nocache = true, tag = { REPO .. ":one", REPO .. ":uno" } })
  T.ok(has(img.tags, REPO .. ":one") and has(img.tags, REPO .. ":uno"), "both tags: " .. T.show(img.tags))
  local r = d:run{ image = REPO .. ":one", cmd = "cat /stage", remove = true }
  T.eq(r.stdout, "one\n")
  local img2 = track(d:build{ context = dir, tag = REPO .. ":two" })
  r = d:run{ image = img2.id, cmd = "cat /stage", remove = true }
  T.eq(r.stdout, "two\n", "without target the last stage")
end)

T.test("RUN false raises the engine's message and leaves no container", function()
  local dir = T.tmpdir()
  write(dir .. "/Dockerfile", "FROM " .. T.image .. "\nRUN false\n")
  local seen = 0
  local e = T.raises_kind(function()
    d:build{ context = dir, tag = REPO .. ":fails", on_progress = function() seen = seen + 1 end }
  end, "server")
  T.ok(docker.is_error(e), "a docker.Error")
  T.eq(e.message, "The command '/bin/sh -c false' returned a non-zero code: 1")
  T.ok(tostring(e):find("returned a non-zero code: 1", 1, true), tostring(e))
  T.ok(seen > 0, "progress came before the error")
  T.raises_kind(function() d:image(REPO .. ":fails") end, "not_found")
  -- a failing step with a command only this run uses: its container must be gone
  write(dir .. "/Dockerfile", "FROM " .. T.image .. "\nRUN echo " .. RUN .. " && exit 3\n")
  e = T.raises_kind(function() d:build{ context = dir } end, "server")
  T.ok(e.message:find("returned a non-zero code: 3", 1, true), e.message)
  for _, c in ipairs(d:containers{ all = true }) do
    T.ok(not tostring(c.attrs.Command):find(RUN, 1, true), "intermediate container left: " .. c.short_id)
  end
end)

T.test("a Dockerfile the engine cannot parse raises a docker.Error", function()
  local dir = T.tmpdir()
  write(dir .. "/Dockerfile", "FROM " .. T.image .. "\nNOSUCHINSTRUCTION x\n")
  local e = T.raises(function() d:build{ context = dir } end)
  T.ok(docker.is_error(e), "a docker.Error, got " .. T.show(e))
  T.ok(tostring(e.message):lower():find("nosuchinstruction", 1, true), tostring(e))
  T.eq(d:ping(), true)
end)

T.test("missing context or Dockerfile raise naming 'build' and the field", function()
  T.raises(function() d:build{ context = ctx .. "/no-such-dir" } end,
    "bad argument #1 to 'build' %(field 'context': no such directory")
  T.raises(function() d:build{ context = ctx .. "/hello.txt" } end, "field 'context': no such directory")
  local empty = T.tmpdir()
  T.raises(function() d:build{ context = empty } end,
    "bad argument #1 to 'build' %(field 'dockerfile': no such file in the context")
  T.raises(function() d:build{ context = ctx, dockerfile = "nope.dockerfile" } end, "field 'dockerfile'")
end)

T.test("bad arguments name 'build' and the field", function()
  T.raises(function() d:build() end, "bad argument #1 to 'build' %(table expected")
  T.raises(function() d:build(ctx) end, "bad argument #1 to 'build'")
  T.raises(function() d:build{} end, "field 'context'")
  T.raises(function() d:build{ context = 42 } end, "field 'context'")
  T.raises(function() d:build{ context = ctx, bogus = 1 } end, "field 'bogus': unknown option")
  T.raises(function() d:build{ context = ctx, tag = 5 } end, "field 'tag'")
  T.raises(function() d:build{ context = ctx, tag = "has space" } end, "field 'tag'")
  T.raises(function() d:build{ context = ctx, tag = { REPO .. ":a", 7 } } end, "field 'tag'")
  T.raises(function() d:build{ context = ctx, tag = REPO .. ":" } end, "field 'tag'")
  T.raises(function() d:build{ context = ctx, buildargs = { A = true } } end, "field 'buildargs'")
  T.raises(function() d:build{ context = ctx, buildargs = "A=1" } end, "field 'buildargs'")
  T.raises(function() d:build{ context = ctx, labels = 5 } end, "field 'labels'")
  T.raises(function() d:build{ context = ctx, on_progress = "print" } end, "field 'on_progress'")
  T.raises(function() d:build{ context = ctx, nocache = "yes" } end, "field 'nocache'")
  T.raises(function() d:build{ context = ctx, pull = 1 } end, "field 'pull'")
  T.raises(function() d:build{ context = ctx, target = false } end, "field 'target'")
  T.raises(function() d:build{ context = ctx, dockerfile = "/etc/passwd" } end,
    "field 'dockerfile': must be inside the context")
  T.raises(function() d:build{ context = ctx, dockerfile = "../x" } end, "field 'dockerfile'")
  T.raises(function() d:build{ context = ctx, dockerfile = 3 } end, "field 'dockerfile'")
end)

T.test("clean-up: remove this file's images", function()
  for i = #made, 1, -1 do pcall(function() d:image(made[i]):remove{ force = true } end) end
  T.eq(#d:images{ filters = { reference = { REPO } } }, 0, "left under " .. REPO)
  T.eq(#d:images{ all = true, filters = { label = { "luadock.test=" .. RUN } } }, 0, "labelled images left")
  T.ok(pcall(d.image, d, T.image), "the test image is untouched")
end)

for i = #made, 1, -1 do pcall(function() d:image(made[i]):remove{ force = true } end) end
pcall(d.cleanup, d, {})
T.done()
