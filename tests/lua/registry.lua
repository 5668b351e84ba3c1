-- tests/lua/registry.lua — d:pull and d:push against real registries: Debian's
-- docker-registry on 127.0.0.1:<free port>, one anonymous and one with htpasswd
-- auth, started here as child processes (a watchdog kills them when this
-- process ends, even if it crashes) and stopped at the end. The engine trusts
-- 127.0.0.0/8 as insecure, so plain http works. Covers progress events and the
-- push digest, a ref without a tag meaning :latest, not_found for a missing
-- tag, a dead registry, credentials given as `auth`, from a DOCKER_CONFIG
-- config.json (in a child luadock process, since Lua cannot set the
-- environment) and wrong ones (kind "auth", password never in the text), and
-- run/create with pull = "always" | "missing" | "never". Only references under
-- 127.0.0.1:<port>/luadock-test/ are made; all are removed at the end, as is
-- the one image this file imports.
local T = require "testlib"
local docker = require "luadock"
local registry = require "_registry"

local d = docker.connect()
local core = docker.core
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local SRC = os.getenv("LUADOCK_SOURCE_DIR") or "."
local BIN = os.getenv("LUADOCK_BINARY_DIR")
local USER, PASS = "luadock", "pw-" .. RUN .. "-s3cret"

local tmp = T.tmpdir()
local refs = {}      -- references this file tagged or pulled: untagged at the end
local made = {}      -- image ids this file made: removed at the end

local function ref_made(r) refs[#refs + 1] = r; return r end

local write = T.write

local function untag_all()
  for i = #refs, 1, -1 do pcall(function() d:image(refs[i]):remove{ force = true } end) end
  for _, id in ipairs(made) do pcall(function() d:image(id):remove{ force = true } end) end
end

local function exists(ref)
  return (pcall(d.image, d, ref))
end

local REG, AUTHREG
local test_img = d:image(T.image)

T.test("the registries start", function()
  local _, found = T.sh("command -v docker-registry")
  T.ok(found, "docker-registry is installed (apt-get install docker-registry)")
  REG = registry.start(tmp, "open")
  local hash, hashed = T.sh("htpasswd -Bbn " .. T.q(USER) .. " " .. T.q(PASS))
  T.ok(hashed and hash:find(USER .. ":", 1, true), "htpasswd -Bbn (apt-get install apache2-utils)")
  write(tmp .. "/htpasswd", hash)
  AUTHREG = registry.start(tmp, "auth", table.concat({
    "auth:",
    "  htpasswd:",
    "    realm: luadock-test",
    "    path: " .. tmp .. "/htpasswd",
  }, "\n"))
end)

local X = function(tag) return REG .. "/luadock-test/x-" .. RUN .. (tag and (":" .. tag) or "") end
local A = function(tag) return AUTHREG .. "/luadock-test/a-" .. RUN .. (tag and (":" .. tag) or "") end
local good_auth = function() return { username = USER, password = PASS } end

T.test("push: progress events and the digest in an aux event", function()
  test_img:tag(ref_made(X("1")))
  local events, digest = 0, nil
  local r = d:push(X("1"), { on_progress = function(ev)
    events = events + 1
    T.eq(type(ev), "table", "each event is the decoded JSON")
    if type(ev.aux) == "table" then digest = ev.aux.Digest end
  end })
  T.eq(r, true)
  T.ok(events >= 3, "progress events: " .. events)
  T.ok(type(digest) == "string" and digest:match("^sha256:%x+$"), "aux digest: " .. tostring(digest))
end)

T.test("a ref without a tag pushes :latest", function()
  test_img:tag(ref_made(X()))   -- tagged latest
  T.ok(exists(X("latest")), "tag went to :latest")
  T.eq(d:push(X()), true)
  local code = T.sh(T.in_engine_net("curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' http://"
    .. REG .. "/v2/luadock-test/x-" .. RUN .. "/manifests/latest"))
  T.eq(code, "200", "the registry has :latest")
end)

T.test("remove the local tags, pull them back", function()
  d:image(X("1")):remove()
  d:image(X("latest")):remove()
  T.ok(not exists(X("1")), "local tag removed")
  local events = {}
  local img = d:pull(X("1"), { on_progress = function(ev) events[#events + 1] = ev end })
  T.eq(getmetatable(img), docker.Image, "an Image")
  T.eq(img.id, test_img.id, "same image id as pushed")
  T.ok(#events >= 2, "progress events: " .. #events)
  local said = {}
  for _, ev in ipairs(events) do said[#said + 1] = tostring(ev.status) end
  T.ok(table.concat(said, "\n"):find("Status:", 1, true), "a final status event: " .. table.concat(said, " | "))
  T.ok(exists(X("1")), "the image is there again")
  local found = false
  for _, t in ipairs(img.tags) do if t == X("1") then found = true end end
  T.ok(found, "tags include the ref: " .. T.show(img.tags))
end)

T.test("pull of a ref without a tag pulls :latest", function()
  local img = d:pull(X())
  T.eq(img.id, test_img.id)
  T.ok(exists(X("latest")), ":latest is there")
  -- the Image was looked up by that tag: remove untags it only
  img:remove()
  T.ok(not exists(X("latest")), "untagged")
  T.ok(exists(T.image), "test image untouched")
end)

T.test("pull of a missing tag raises not_found", function()
  local e = T.raises_kind(function() d:pull(X("nosuch")) end, "not_found")
  T.ok(docker.is_error(e), "a docker.Error")
  T.ok(tostring(e.message):find("manifest unknown", 1, true) or tostring(e.message):find("not found", 1, true),
    "engine's message: " .. tostring(e))
  T.raises_kind(function() d:pull(REG .. "/luadock-test/never-" .. RUN .. ":1") end, "not_found")
end)

T.test("pull from a dead registry port raises the engine's error", function()
  local dead = "127.0.0.1:" .. T.free_port()
  local e = T.raises(function() d:pull(dead .. "/luadock-test/x:1") end)
  T.ok(docker.is_error(e), "a docker.Error, got " .. T.show(e))
  T.ok(e.kind == "server" or e.kind == "connection", "kind: " .. tostring(e.kind))
  T.ok(tostring(e.message):find("connection refused", 1, true), "engine's message: " .. tostring(e))
  T.eq(d:ping(), true, "the client still works")
end)

T.test("htpasswd registry: push and pull with the right credentials", function()
  test_img:tag(ref_made(A("1")))
  local digest
  T.eq(d:push(A("1"), { auth = good_auth(), on_progress = function(ev)
    if type(ev.aux) == "table" then digest = ev.aux.Digest end
  end }), true)
  T.ok(digest, "aux digest")
  d:image(A("1")):remove()
  local img = d:pull(A("1"), { auth = good_auth() })
  T.eq(img.id, test_img.id)
  local img2 = d:pull(A("1"), { auth = { username = USER, password = PASS, serveraddress = AUTHREG } })
  T.eq(img2.id, test_img.id, "with serveraddress")
end)

T.test("htpasswd registry: wrong or no credentials raise kind auth, never show the password", function()
  local bad = "WrongPw-" .. RUN
  local e1 = T.raises_kind(function() d:pull(A("1"), { auth = { username = USER, password = bad } }) end, "auth")
  local e2 = T.raises_kind(function() d:push(A("1"), { auth = { username = USER, password = bad } }) end, "auth")
  local e3 = T.raises_kind(function() d:pull(A("1"), { auth = false }) end, "auth")
  local e4 = T.raises_kind(function() d:push(A("1"), { auth = false }) end, "auth")
  local header = require("luadock.image.registry").auth_header(A(), { username = USER, password = bad }):match(": (.*)$")
  for i, e in ipairs{ e1, e2, e3, e4 } do
    T.ok(docker.is_error(e), "docker.Error " .. i)
    local text = tostring(e) .. " " .. T.show(e)
    T.ok(not text:find(bad, 1, true), "wrong password not in error " .. i .. ": " .. text)
    T.ok(not text:find(PASS, 1, true), "password not in error " .. i)
    T.ok(not text:find(header, 1, true), "auth header not in error " .. i)
  end
  -- bad auth arguments name the field, not the value
  local a = T.raises(function() d:pull(A("1"), { auth = { username = USER, password = 42 } }) end,
    "bad argument #2 to 'pull' %(field 'auth'")
  T.ok(not tostring(a):find(USER, 1, true), "username not echoed: " .. tostring(a))
  T.raises(function() d:pull(A("1"), { auth = { username = USER } }) end, "field 'auth'")
  T.raises(function() d:push(A("1"), { auth = "user:pass" }) end, "bad argument #2 to 'push' %(field 'auth'")
  T.raises(function() d:pull(A("1"), { auth = { user = "x", password = "y" } }) end, "unknown field 'user'")
end)

-- Runs `code` with DOCKER_CONFIG=dir in a child of the interpreter running
-- this file (the luadock host, or lua5.4); returns its output and success.
local function child(dir, code)
  local i = -1
  while arg and arg[i - 1] do i = i - 1 end
  local exe = arg and arg[i] or ((BIN or "build") .. "/luadock")
  code = "local docker = require 'luadock'\n" .. code
  return T.sh("DOCKER_CONFIG=" .. T.q(dir) .. " " .. T.q(exe) .. " -e " .. T.q(code) .. " 2>&1")
end

T.test("credentials from DOCKER_CONFIG's config.json", function()
  local good = tmp .. "/cfg-good"
  local bad = tmp .. "/cfg-bad"
  local http = tmp .. "/cfg-scheme"
  os.execute("mkdir -p " .. T.q(good) .. " " .. T.q(bad) .. " " .. T.q(http))
  local function cfg(dir, key, user, pass)
    write(dir .. "/config.json", core.json_encode{ auths = { [key] = { auth = core.base64_encode(user .. ":" .. pass) } } })
  end
  cfg(good, AUTHREG, USER, PASS)
  cfg(bad, AUTHREG, USER, "nope-" .. RUN)
  cfg(http, "http://" .. AUTHREG .. "/v2/", USER, PASS)
  pcall(function() d:image(A("1")):remove() end)
  local code = string.format([[
local d = docker.connect()
local ok, r = pcall(d.pull, d, %q)
if ok then print("PULLED " .. r.id) else print("FAILED " .. tostring(r.kind) .. " " .. tostring(r)) end]], A("1"))
  local out = child(good, code)
  T.ok(out:find("PULLED " .. test_img.id, 1, true), "pulled with config.json credentials: " .. out)
  d:image(A("1")):remove()
  out = child(http, code)
  T.ok(out:find("PULLED " .. test_img.id, 1, true), "key with scheme and path matches: " .. out)
  d:image(A("1")):remove()
  out = child(bad, code)
  T.ok(out:find("FAILED auth", 1, true), "wrong stored password: kind auth: " .. out)
  T.ok(not out:find("nope-" .. RUN, 1, true), "stored password not printed")
  -- a push reads the same file
  test_img:tag(A("cfgpush"))
  ref_made(A("cfgpush"))
  out = child(good, string.format("print(docker.connect():push(%q) and 'PUSHED')", A("cfgpush")))
  T.ok(out:find("PUSHED", 1, true), "push with config.json credentials: " .. out)
end)

-- A second image (imported, labelled as luadock's) to tell pulls apart.
local other
T.test("run with pull = \"always\" pulls a newer image over the local tag", function()
  local tar = tmp .. "/rootfs.tar"
  local _, built = T.sh("bash " .. T.q(SRC .. "/tests/fixtures/busybox-rootfs.sh") .. " " .. T.q(tar) .. " 2>&1")
  T.ok(built, "busybox-rootfs.sh")
  other = d:import{ source = tar, changes = { "ENV PATH=/bin", "ENV WHICH=other" } }
  made[#made + 1] = other.id
  T.ok(other.id ~= test_img.id, "a different image")
  other:tag(ref_made(X("always")))
  T.eq(d:push(X("always")), true)
  test_img:tag(X("always"))            -- the local tag now points elsewhere
  T.eq(d:image(X("always")).id, test_img.id)
  -- missing: the local image is used as it is
  local r = d:run{ image = X("always"), cmd = { "sh", "-c", "echo [$WHICH]" }, remove = true }
  T.eq(r.stdout, "[]\n", "pull = missing keeps the local image")
  r = d:run{ image = X("always"), cmd = { "sh", "-c", "echo [$WHICH]" }, remove = true, pull = "always" }
  T.eq(r.stdout, "[other]\n", "pull = always got the registry's image")
  T.eq(d:image(X("always")).id, other.id, "the local tag moved")
end)

T.test("run with pull = \"missing\" pulls an absent image; create too", function()
  pcall(function() d:image(X("1")):remove() end)
  T.ok(not exists(X("1")), "absent")
  local r = d:run{ image = X("1"), cmd = "echo pulled", remove = true }
  T.eq(r.stdout, "pulled\n")
  T.ok(exists(X("1")), "pulled by run")
  d:image(X("1")):remove()
  local c = d:create{ image = X("1"), cmd = "true", pull = "missing" }
  T.ok(exists(X("1")), "pulled by create")
  c:remove()
end)

T.test("run with pull = \"never\" on an absent image raises not_found", function()
  pcall(function() d:image(X("1")):remove() end)
  local e = T.raises_kind(function()
    d:run{ image = X("1"), cmd = "true", pull = "never", remove = true }
  end, "not_found")
  T.ok(tostring(e):find(X("1"), 1, true) or tostring(e):find("x-" .. RUN, 1, true), "names the image: " .. tostring(e))
  T.ok(not exists(X("1")), "not pulled")
  T.raises_kind(function()
    d:run{ image = X("nosuch"), cmd = "true", remove = true }
  end, "not_found")
end)

T.test("pull and push bad arguments", function()
  T.raises(function() d:pull() end, "bad argument #1 to 'pull'")
  T.raises(function() d:pull(42) end, "bad argument #1 to 'pull'")
  T.raises(function() d:pull("") end, "bad argument #1 to 'pull'")
  T.raises(function() d:pull("has space:1") end, "bad argument #1 to 'pull'")
  T.raises(function() d:pull(X("1"), { bogus = true }) end, "bad argument #2 to 'pull' %(field 'bogus'")
  T.raises(function() d:pull(X("1"), { on_progress = "print" }) end, "field 'on_progress'")
  T.raises(function() d:pull(X("1"), { all_tags = true }) end, "all_tags")
  T.raises(function() d:pull(X("1"), 5) end, "bad argument #2 to 'pull'")
  T.raises(function() d:push() end, "bad argument #1 to 'push'")
  T.raises(function() d:push(X("1") .. "@sha256:" .. string.rep("a", 64)) end, "bad argument #1 to 'push'")
  T.raises(function() d:push(X("1"), { all_tags = true }) end, "field 'all_tags'")
  T.raises(function() d:run{ image = X("1"), pull = "sometimes" } end, "field 'pull'")
end)

T.test("all_tags pulls every tag of a repository", function()
  for _, t in ipairs{ "1", "latest", "always" } do pcall(function() d:image(X(t)):remove() end) end
  local list = d:pull(X(), { all_tags = true })
  T.eq(type(list), "table")
  local tags = {}
  for _, img in ipairs(list) do
    T.eq(getmetatable(img), docker.Image)
    for _, t in ipairs(img.tags) do tags[t] = true end
  end
  T.ok(tags[X("1")] and tags[X("latest")] and tags[X("always")], "tags: " .. T.show(tags))
end)

T.test("clean-up: tags, images, registries", function()
  untag_all()
  for _, t in ipairs{ "1", "latest", "always", "nosuch" } do T.ok(not exists(X(t)), "left " .. X(t)) end
  T.ok(not exists(A("1")), "left " .. A("1"))
  if other then T.ok(not exists(other.id), "imported image left") end
  T.ok(exists(T.image), "test image untouched")
  registry.stop_all()
end)

untag_all()
registry.stop_all()
pcall(d.cleanup, d, {})
T.done()
