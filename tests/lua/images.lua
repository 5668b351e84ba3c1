-- tests/lua/images.lua — images (API.md "Images, volumes, networks"): import of a
-- root-filesystem tar from a file path and from bytes, with repo, tag and changes;
-- images{} and image(); img:tag and img:remove by tag and by id; garbage input.
-- Repositories are named luadock-test/img-<random>; every image made here is
-- removed at the end. The suite's test image is never touched.
local T = require "testlib"
local docker = require "luadock"

local d = docker.connect()
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local REPO = "luadock-test/img-" .. RUN
local REPO2 = "luadock-test/img2-" .. RUN
local SRC = os.getenv("LUADOCK_SOURCE_DIR") or "."

local made = {}   -- image ids to remove at the end
local function track(img) made[#made + 1] = img.id; return img end

local tmp = T.tmpdir()
local TAR = tmp .. "/rootfs.tar"
local _, built = T.sh("bash " .. T.q(SRC .. "/tests/fixtures/busybox-rootfs.sh") .. " " .. T.q(TAR) .. " 2>&1")
local TAR_BYTES
do
  local f = io.open(TAR, "rb")
  if f then TAR_BYTES = f:read("a"); f:close() end
end

local function has(list, v)
  for _, x in ipairs(list or {}) do if x == v then return true end end
  return false
end

T.test("the rootfs tar was made", function()
  T.ok(built, "busybox-rootfs.sh failed")
  T.ok(TAR_BYTES and #TAR_BYTES > 10240, "tar size " .. tostring(TAR_BYTES and #TAR_BYTES))
end)

local from_path, from_bytes

T.test("import from a tar file path with repo, tag and changes", function()
  local t0 = os.time()
  from_path = track(d:import{ source = TAR, repo = REPO, tag = "a", changes = { "ENV FOO=bar", "WORKDIR /tmp" } })
  T.eq(getmetatable(from_path), docker.Image, "an Image")
  T.ok(type(from_path.id) == "string" and from_path.id:match("^sha256:%x+$"), "id: " .. tostring(from_path.id))
  T.eq(from_path.short_id, from_path.id:sub(8, 19), "short_id: 12 hex digits after sha256:")
  T.ok(has(from_path.tags, REPO .. ":a"), "tags: " .. T.show(from_path.tags))
  T.ok(has(from_path.attrs.Config.Env, "FOO=bar"), "ENV FOO=bar in Config.Env: " .. T.show(from_path.attrs.Config.Env))
  T.eq(from_path.attrs.Config.WorkingDir, "/tmp", "WORKDIR change")
  T.eq(from_path.labels["luadock.managed"], "1", "luadock.managed label")
  T.ok(type(from_path.labels["luadock.session"]) == "string" and from_path.labels["luadock.session"] ~= "",
    "luadock.session label")
  T.eq(math.type(from_path.created), "integer")
  T.ok(math.abs(from_path.created - t0) < 120, "created near now")
  T.ok(from_path.size > 1000000, "size of busybox: " .. tostring(from_path.size))
  -- the image works and the changes apply
  local r = d:run{ image = REPO .. ":a", cmd = { "sh", "-c", "echo $FOO; pwd" }, remove = true }
  T.eq(r.stdout, "bar\n/tmp\n")
end)

T.test("import from bytes", function()
  T.ok(TAR_BYTES, "tar bytes")
  from_bytes = track(d:import{ source = TAR_BYTES, repo = REPO, tag = "b", changes = { "ENV FROM=bytes" } })
  T.ok(has(from_bytes.tags, REPO .. ":b"), "tags: " .. T.show(from_bytes.tags))
  T.ok(has(from_bytes.attrs.Config.Env, "FROM=bytes"), "Env: " .. T.show(from_bytes.attrs.Config.Env))
  T.eq(from_bytes.labels["luadock.managed"], "1")
  local r = d:run{ image = REPO .. ":b", cmd = "sh -c 'echo $FROM'", remove = true }
  T.eq(r.stdout, "bytes\n")
end)

T.test("import with only repo tags it latest", function()
  local img = track(d:import{ source = TAR, repo = REPO2 })
  T.ok(has(img.tags, REPO2 .. ":latest"), "tags: " .. T.show(img.tags))
  T.eq(d:image(REPO2).id, img.id, "a ref without a tag means :latest")
end)

T.test("images{} lists the imported image with its fields", function()
  local found
  for _, img in ipairs(d:images{}) do
    if has(img.tags, REPO .. ":a") then found = img end
  end
  T.ok(found, "listed")
  T.eq(getmetatable(found), docker.Image)
  T.eq(found.id, from_path.id)
  T.eq(found.short_id, from_path.short_id)
  T.eq(math.type(found.size), "integer")
  T.ok(found.size > 1000000, "size")
  T.eq(math.type(found.created), "integer")
  T.eq(found.created, from_path.created, "same created time as inspect")
  T.eq(found.labels["luadock.managed"], "1")
  T.eq(type(found.attrs), "table")
end)

T.test("images{filters=} narrows the list", function()
  local list = d:images{ filters = { reference = { REPO } } }
  local got = {}
  for _, img in ipairs(list) do got[#got + 1] = img.id end
  table.sort(got)
  local want = { from_path.id, from_bytes.id }
  table.sort(want)
  T.eq(got, want, "reference filter")
  local none = d:images{ filters = { reference = { "luadock-test/none-" .. RUN } } }
  T.eq(#none, 0)
end)

T.test("image(name) and image(id); not_found for a missing one", function()
  local img = d:image(REPO .. ":a")
  T.eq(img.id, from_path.id)
  T.eq(d:image(from_path.id).id, from_path.id, "by id")
  T.eq(d:image(from_path.short_id).id, from_path.id, "by short id")
  local e = T.raises_kind(function() d:image(REPO .. ":nosuch") end, "not_found")
  T.eq(e.status, 404)
  T.ok(tostring(e):find(REPO .. ":nosuch", 1, true), "names the image: " .. tostring(e))
  T.raises_kind(function() d:image("luadock-test/never-" .. RUN) end, "not_found")
end)

T.test("img:tag then removing that tag leaves the image", function()
  local img = d:image(REPO .. ":a")
  img:tag(REPO2, "t2")
  T.eq(d:image(REPO2 .. ":t2").id, img.id, "new tag points at the image")
  img:tag(REPO2 .. ":t3")
  T.eq(d:image(REPO2 .. ":t3").id, img.id, "repo:tag in one string")
  d:image(REPO2 .. ":t2"):remove()
  T.raises_kind(function() d:image(REPO2 .. ":t2") end, "not_found")
  T.eq(d:image(REPO .. ":a").id, img.id, "the original tag stays")
  T.eq(d:image(REPO2 .. ":t3").id, img.id, "the other new tag stays")
  d:image(REPO2 .. ":t3"):remove()
  T.raises_kind(function() d:image(REPO2 .. ":t3") end, "not_found")
  T.eq(d:image(img.id).id, img.id, "image still there")
end)

T.test("remove by id removes the image", function()
  local img = track(d:import{ source = TAR_BYTES, repo = REPO, tag = "byid" })
  d:image(img.id):remove()
  T.raises_kind(function() d:image(img.id) end, "not_found")
  T.raises_kind(function() d:image(REPO .. ":byid") end, "not_found")
end)

T.test("remove by id of an image with several tags needs force", function()
  local img = track(d:import{ source = TAR_BYTES, repo = REPO, tag = "multi1" })
  img:tag(REPO, "multi2")
  local e = T.raises_kind(function() d:image(img.id):remove() end, "conflict")
  T.eq(e.status, 409)
  d:image(img.id):remove{ force = true }
  T.raises_kind(function() d:image(img.id) end, "not_found")
  T.raises_kind(function() d:image(REPO .. ":multi2") end, "not_found")
end)

T.test("removing an image in use by a container raises conflict", function()
  local img = track(d:import{ source = TAR_BYTES, repo = REPO, tag = "inuse" })
  local c = d:create{ image = REPO .. ":inuse", cmd = "true" }
  T.raises_kind(function() d:image(img.id):remove() end, "conflict")
  c:remove()
  d:image(img.id):remove()
  T.raises_kind(function() d:image(img.id) end, "not_found")
end)

T.test("import of garbage bytes raises an engine error, not a crash", function()
  local garbage = string.rep("this is not a tar archive\n", 200)
  local e = T.raises(function() d:import{ source = garbage, repo = REPO, tag = "garbage" } end)
  T.ok(docker.is_error(e), "a docker.Error, got " .. T.show(e))
  T.ok(e.kind ~= nil and e.message ~= nil, "kind and message")
  T.raises_kind(function() d:image(REPO .. ":garbage") end, "not_found")
  T.eq(d:ping(), true, "the client still works")
  -- a gzip header followed by junk: the engine fails while decompressing
  local badgz = "\31\139\8\0\0\0\0\0\0\3" .. string.rep("\255\0junk", 300)
  local e2 = T.raises(function() d:import{ source = badgz, repo = REPO, tag = "badgz" } end)
  T.ok(docker.is_error(e2), "a docker.Error, got " .. T.show(e2))
  T.raises_kind(function() d:image(REPO .. ":badgz") end, "not_found")
end)

T.test("import bad arguments name 'import'", function()
  T.raises(function() d:import{} end, "bad argument #1 to 'import' %(field 'source'")
  T.raises(function() d:import{ source = 42 } end, "bad argument #1 to 'import' %(field 'source'")
  T.raises(function() d:import{ source = tmp .. "/no-such.tar" } end, "'import'.*'source'")
  T.raises(function() d:import{ source = TAR, tag = "x" } end, "'import'")
  T.raises(function() d:import{ source = TAR, repo = REPO, changes = "ENV A=b" } end, "field 'changes'")
  T.raises(function() d:import("x") end, "bad argument #1 to 'import'")
end)

T.test("image() bad arguments name 'image'", function()
  T.raises(function() d:image() end, "bad argument #1 to 'image'")
  T.raises(function() d:image(42) end, "bad argument #1 to 'image'")
  T.raises(function() d:images{ filters = 5 } end, "'images'.*'filters'")
end)

T.test("clean-up: remove this file's images", function()
  for _, id in ipairs(made) do pcall(function() d:image(id):remove{ force = true } end) end
  T.eq(#d:images{ filters = { reference = { REPO } } }, 0, "left under " .. REPO)
  T.eq(#d:images{ filters = { reference = { REPO2 } } }, 0, "left under " .. REPO2)
  T.eq(d:image(T.image).tags ~= nil, true, "the test image is untouched")
end)

for _, id in ipairs(made) do pcall(function() d:image(id):remove{ force = true } end) end
pcall(d.cleanup, d, {})
T.done()
