-- tests/lua/images_more.lua — img:history, d:save / d:load (a `docker save` tar
-- written to a file, the image removed, loaded back from the path and from
-- bytes with the same id and tags), d:prune_images with a label filter
-- removing only a dangling luadock image this file made (by building twice
-- with the same tag), and bad input. Repositories are luadock-test/more-<random>;
-- every image made here is removed at the end; the test image is only read.
local T = require "testlib"
local docker = require "luadock"

local d = docker.connect()
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local REPO = "luadock-test/more-" .. RUN
local SRC = os.getenv("LUADOCK_SOURCE_DIR") or "."
local tmp = T.tmpdir()
local made = {}
local function track(img) made[#made + 1] = img.id; return img end

local function has(list, v)
  for _, x in ipairs(list or {}) do if x == v then return true end end
  return false
end

local function exists(ref) return (pcall(d.image, d, ref)) end

local function file_size(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local n = f:seek("end")
  f:close()
  return n
end

local write = T.write

local TAR = tmp .. "/rootfs.tar"
local _, built = T.sh("bash " .. T.q(SRC .. "/tests/fixtures/busybox-rootfs.sh") .. " " .. T.q(TAR) .. " 2>&1")

local img
T.test("an image to work with (import)", function()
  T.ok(built, "busybox-rootfs.sh")
  img = track(d:import{ source = TAR, repo = REPO, tag = "1", changes = { "ENV PATH=/bin", "ENV MORE=" .. RUN } })
  img:tag(REPO, "2")
end)

T.test("history of the test image and of the imported one", function()
  local h = d:image(T.image):history()
  T.eq(type(h), "table")
  T.ok(#h >= 1, "entries: " .. #h)
  local top = h[1]
  T.eq(top.Id, d:image(T.image).id, "newest entry is the image itself")
  T.eq(math.type(top.Created), "integer", "Created")
  T.eq(math.type(top.Size), "integer", "Size")
  T.eq(type(top.CreatedBy), "string", "CreatedBy")
  local h2 = img:history()
  T.eq(h2[1].Id, img.id)
  T.ok(has(h2[1].Tags, REPO .. ":1"), "Tags: " .. T.show(h2[1].Tags))
end)

local saved = tmp .. "/saved.tar"
T.test("save to a file", function()
  T.eq(d:save(REPO .. ":1", saved), true)
  local n = file_size(saved)
  T.ok(n and n > 1000000, "size " .. tostring(n))
  local list, ok = T.sh("tar -tf " .. T.q(saved))
  T.ok(ok, "a tar")
  T.ok(list:find("manifest.json", 1, true), "manifest.json in: " .. list:sub(1, 200))
  T.ok(list:find("repositories", 1, true), "repositories")
  local left = T.sh("ls -a " .. T.q(tmp))
  T.ok(not left:find(".part", 1, true), "no temporary file left: " .. left)
end)

T.test("remove the image, load it back from the path", function()
  d:image(img.id):remove{ force = true }
  T.ok(not exists(REPO .. ":1"), "removed")
  local list = d:load(saved)
  T.eq(#list, 1, "one image: " .. T.show(list))
  local back = list[1]
  T.eq(getmetatable(back), docker.Image)
  T.eq(back.id, img.id, "same id")
  T.ok(has(back.tags, REPO .. ":1"), "tag back: " .. T.show(back.tags))
  T.eq(back.labels["luadock.managed"], "1", "its labels came along")
  local r = d:run{ image = REPO .. ":1", cmd = "sh -c 'echo $MORE'", remove = true }
  T.eq(r.stdout, RUN .. "\n")
end)

T.test("save several names, load from bytes", function()
  img:tag(REPO, "2")
  local two = tmp .. "/two.tar"
  T.eq(d:save({ REPO .. ":1", REPO .. ":2" }, two), true)
  d:image(img.id):remove{ force = true }
  local f = assert(io.open(two, "rb"))
  local bytes = f:read("a")
  f:close()
  local list = d:load(bytes)
  T.eq(#list, 2, "two references: " .. T.show(list))
  local tags = {}
  for _, i in ipairs(list) do
    T.eq(i.id, img.id)
    for _, t in ipairs(i.tags) do tags[t] = true end
  end
  T.ok(tags[REPO .. ":1"] and tags[REPO .. ":2"], "both tags: " .. T.show(tags))
end)

T.test("save by id loads as an untagged image (Loaded image ID)", function()
  local byid = tmp .. "/byid.tar"
  T.eq(d:save(img.id, byid), true)
  d:image(img.id):remove{ force = true }
  local list = d:load(byid)
  T.eq(#list, 1)
  T.eq(list[1].id, img.id)
  T.eq(#list[1].tags, 0, "no tags: " .. T.show(list[1].tags))
  d:image(img.id):tag(REPO, "1")
end)

T.test("save of a missing image raises not_found and leaves no file", function()
  local out = tmp .. "/missing.tar"
  local e = T.raises(function() d:save(REPO .. ":nosuch", out) end)
  T.ok(docker.is_error(e), "a docker.Error: " .. T.show(e))
  T.eq(e.kind, "not_found", tostring(e))
  T.eq(file_size(out), nil, "no file")
  local left = T.sh("ls -a " .. T.q(tmp))
  T.ok(not left:find(".part", 1, true), "no temporary file left: " .. left)
end)

T.test("load of garbage raises a docker.Error", function()
  local e = T.raises(function() d:load(string.rep("not a tar\n", 300)) end)
  T.ok(docker.is_error(e), "a docker.Error: " .. T.show(e))
  T.eq(d:ping(), true)
end)

T.test("prune_images with a label filter removes only this file's dangling image", function()
  local ctx = T.tmpdir()
  write(ctx .. "/Dockerfile", "FROM " .. T.image .. "\nARG V\nRUN echo $V > /v\n")
  local label = "luadock.test.prune=" .. RUN
  local first = track(d:build{ context = ctx, tag = REPO .. ":prune", buildargs = { V = "1" },
    labels = { ["luadock.test.prune"] = RUN } })
  local second = track(d:build{ context = ctx, tag = REPO .. ":prune", buildargs = { V = "2" },
    labels = { ["luadock.test.prune"] = RUN } })
  T.ok(first.id ~= second.id, "two images")
  -- a dangling image of this file that the filter must not match
  local keep = track(d:build{ context = ctx, tag = REPO .. ":keep", buildargs = { V = "k1" } })
  track(d:build{ context = ctx, tag = REPO .. ":keep", buildargs = { V = "k2" } })
  local dangling = d:images{ filters = { dangling = { "true" }, label = { label } } }
  T.eq(#dangling, 1, "one dangling image with the label")
  T.eq(dangling[1].id, first.id)
  local r = d:prune_images{ filters = { label = { label } } }
  T.eq(type(r.deleted), "table")
  T.ok(has(r.deleted, first.id), "deleted: " .. T.show(r.deleted))
  T.eq(math.type(r.space_reclaimed), "integer")
  T.ok(not exists(first.id), "the dangling image is gone")
  T.ok(exists(second.id), "the tagged one stays")
  T.ok(exists(keep.id), "the dangling image without the label stays")
  T.ok(exists(T.image), "the test image stays")
  -- nothing left to prune under that label
  local again = d:prune_images{ dangling = true, filters = { label = { label } } }
  T.eq(#again.deleted, 0)
end)

T.test("prune_images, load, save and history bad input", function()
  T.raises(function() d:prune_images{ dangling = "yes" } end, "bad argument #1 to 'prune_images' %(field 'dangling'")
  T.raises(function() d:prune_images{ filters = 5 } end, "field 'filters'")
  T.raises(function() d:prune_images{ bogus = 1 } end, "field 'bogus'")
  T.raises(function() d:prune_images{ dangling = true, filters = { dangling = { "false" } } } end, "field 'dangling'")
  T.raises(function() d:prune_images(5) end, "bad argument #1 to 'prune_images'")
  T.raises(function() d:load() end, "bad argument #1 to 'load'")
  T.raises(function() d:load(42) end, "bad argument #1 to 'load'")
  T.raises(function() d:load(tmp .. "/no-such.tar") end, "bad argument #1 to 'load' %(no such file")
  T.raises(function() d:save() end, "bad argument #1 to 'save'")
  T.raises(function() d:save({}, tmp .. "/x.tar") end, "bad argument #1 to 'save'")
  T.raises(function() d:save({ REPO .. ":1", 5 }, tmp .. "/x.tar") end, "bad argument #1 to 'save'")
  T.raises(function() d:save(REPO .. ":1") end, "bad argument #2 to 'save'")
  T.raises(function() d:save(REPO .. ":1", tmp .. "/no/such/dir/x.tar") end, "bad argument #2 to 'save'")
  T.raises(function() docker.Image.history({}) end, "history")
end)

T.test("clean-up: remove this file's images", function()
  for i = #made, 1, -1 do pcall(function() d:image(made[i]):remove{ force = true } end) end
  T.eq(#d:images{ filters = { reference = { REPO } } }, 0, "left under " .. REPO)
  T.eq(#d:images{ all = true, filters = { label = { "luadock.test.prune=" .. RUN } } }, 0, "labelled images left")
  T.ok(exists(T.image), "the test image is untouched")
end)

for i = #made, 1, -1 do pcall(function() d:image(made[i]):remove{ force = true } end) end
pcall(d.cleanup, d, {})
T.done()
