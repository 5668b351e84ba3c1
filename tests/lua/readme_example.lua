-- tests/lua/readme_example.lua — README's promise that its "A taste" example runs
-- right after `bash run.sh tutorial`: the built host runs examples/tutorial.lua
-- (which must end well and leave its image luadock-tutorial/busybox:1 behind),
-- then the ```lua block under "## A taste" as a script file, against the real
-- engine. The example may only use the tutorial's image (the test image exists
-- here but not on a user's machine), must print "hello" and its web server
-- running, and must leave no container of that image. If the tutorial's image
-- was not here before, it is removed again at the end (also on failure); an
-- image a user already had is left alone.
local T = require "testlib"
local docker = require "luadock"

local SRC = os.getenv("LUADOCK_SOURCE_DIR") or "."
local BIN = (os.getenv("LUADOCK_BINARY_DIR") or (SRC .. "/build")) .. "/luadock"

local d = docker.connect()
local readme = assert(T.read(SRC .. "/README.md"), "cannot read README.md")
local tutorial = assert(T.read(SRC .. "/examples/tutorial.lua"), "cannot read examples/tutorial.lua")

-- The tutorial's image, from its source.
local repo, tag = tutorial:match('local IMAGE_REPO, IMAGE_TAG = "([^"]+)", "([^"]+)"')
local IMAGE = repo and (repo .. ":" .. tag)

-- The first ```lua block after the "## A taste" heading.
local function taste()
  local from = readme:find("\n## A taste%s*\n")
  if not from then return nil end
  local body = readme:match("\n```lua\n(.-)\n```", from)
  local next_heading = readme:find("\n## ", from + 1)
  if next_heading and body and readme:find("\n```lua\n", from) > next_heading then return nil end
  return body
end

local had_image = IMAGE and pcall(d.image, d, IMAGE)
local function remove_image()
  if IMAGE and not had_image then
    local ok, img = pcall(d.image, d, IMAGE)
    if ok then pcall(img.remove, img, { force = true }) end
  end
end
local _ <close> = setmetatable({}, { __close = remove_image })   -- when an error escapes

local example = taste()

T.test("README has a taste example that uses only the tutorial's image", function()
  T.ok(IMAGE, "examples/tutorial.lua: IMAGE_REPO, IMAGE_TAG not found")
  T.ok(example and #example > 100, "no ```lua block under \"## A taste\" in README.md")
  local n = 0
  for name in example:gmatch('image%s*=%s*"([^"]+)"') do
    n = n + 1
    T.eq(name, IMAGE, "README's taste uses an image the tutorial does not leave")
  end
  T.ok(n > 0, "the taste example names no image")
  T.ok(readme:find("bash run.sh tutorial", 1, true), "README no longer says `bash run.sh tutorial`")
end)

T.test("the tutorial ends well and leaves its image", function()
  -- in the engine's network: the tutorial fetches its web server's published port
  local out, ok, code = T.sh(T.in_engine_net("cd " .. T.q(SRC) .. " && timeout 120 " .. T.q(BIN)
    .. " examples/tutorial.lua 2>&1"))
  T.ok(ok, "the tutorial failed (exit " .. tostring(code) .. "):\n" .. out)
  T.ok(out:find("\nDone.\n", 1, true), "the tutorial did not print Done.:\n" .. out)
  local img = d:image(IMAGE)
  T.ok(img.labels["luadock.managed"] == "1", "the tutorial's image lacks luadock's label")
end)

T.test("README's taste example runs after the tutorial", function()
  T.ok(example, "no example")
  local dir = T.tmpdir()
  local f = assert(io.open(dir .. "/taste.lua", "w"))
  f:write(example, "\n")
  f:close()
  local out, ok, code = T.sh("cd " .. T.q(dir) .. " && timeout 60 " .. T.q(BIN) .. " taste.lua 2>&1")
  T.ok(ok, "the taste example failed (exit " .. tostring(code) .. "):\n" .. out)
  T.ok(out:match("^hello\n"), "first line is not hello:\n" .. out)
  T.ok(out:find("\n%x+\tUp [^\n]*\t%d+\n"), "no line with the web server's id, status and port:\n" .. out)
  T.ok(out:find("\t?running\n"), "the web server was not listed as running:\n" .. out)
  local left = d:containers{ all = true, filters = { ancestor = IMAGE } }
  T.eq(#left, 0, "containers of " .. IMAGE .. " left behind")
end)

remove_image()
T.done()
