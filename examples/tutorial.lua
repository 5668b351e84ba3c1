-- examples/tutorial.lua: chapter 1 of the Docker tutorial, told with luadock
-- against the real engine. It makes a small busybox image locally (nothing
-- is pulled), runs a one-shot container, lists containers, serves a page from
-- a background web server on a published port, fetches it from the host, and
-- cleans up. Everything it creates carries luadock's labels; its containers are
-- removed before it ends, also when a step fails. The image
-- luadock-tutorial/busybox:1 stays (a later run reuses it) so that the README's
-- examples can use it: `docker rmi luadock-tutorial/busybox:1` removes it.
--
--   luadock examples/tutorial.lua          (or: lua5.4 examples/tutorial.lua
--                                            with luadock on the Lua paths)

local docker = require "luadock"

local IMAGE_REPO, IMAGE_TAG = "luadock-tutorial/busybox", "1"
local IMAGE = IMAGE_REPO .. ":" .. IMAGE_TAG

local function say(fmt, ...)
  print(string.format(fmt, ...))
end

local step = 0
local function heading(text)
  step = step + 1
  print()
  print(string.format("== Step %d: %s", step, text))
end

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- The repository root, from this script's own path.
local function repo_root()
  local script = arg and arg[0] or "examples/tutorial.lua"
  local dir = script:match("^(.*)/[^/]*$") or "."
  return dir .. "/.."
end

-- A `docker ps`-style table of containers.
local function print_table(list)
  local rows = { { "CONTAINER ID", "IMAGE", "COMMAND", "STATUS", "PORTS", "NAMES" } }
  for _, c in ipairs(list) do
    local ports = {}
    for key, bindings in pairs(c.ports) do
      for _, b in ipairs(bindings) do
        if b.host_ip ~= "::" then ports[#ports + 1] = string.format("%s:%d->%s", b.host_ip, b.host_port, key) end
      end
    end
    table.sort(ports)
    local cmd = c.attrs.Command or ""
    if #cmd > 22 then cmd = cmd:sub(1, 21) .. "…" end
    rows[#rows + 1] = { c.short_id, c.image, '"' .. cmd .. '"', c.status, table.concat(ports, ", "), c.name }
  end
  local widths = {}
  for _, row in ipairs(rows) do
    for i, cell in ipairs(row) do widths[i] = math.max(widths[i] or 0, utf8.len(cell) or #cell) end
  end
  for _, row in ipairs(rows) do
    local out = {}
    for i, cell in ipairs(row) do
      out[i] = cell .. string.rep(" ", widths[i] - (utf8.len(cell) or #cell))
    end
    print((("  " .. table.concat(out, "   ")):gsub("%s+$", "")))
  end
  if #list == 0 then print("  (none)") end
end

local function fetch(url)
  local h = io.popen("curl -s --max-time 2 " .. shell_quote(url))
  local body = h:read("a")
  h:close()
  return body
end

-- Whatever happens, leave no container behind: this is closed last. (The
-- image is kept on purpose: see the top of this file.)
local tmpdir
-- (A failure in here is reported, not raised, so it cannot hide the error
-- that may be unwinding.)
local janitor = setmetatable({}, { __close = function()
  local ok, removed = pcall(docker.cleanup, {})
  if not ok then
    say("cleanup failed: %s", tostring(removed))
  elseif #removed.containers > 0 then
    say("docker.cleanup{} removed %d container(s) of this session.", #removed.containers)
  end
  if tmpdir then
    os.remove(tmpdir .. "/rootfs.tar")
    os.remove(tmpdir)
  end
end })

-- Builds the busybox root filesystem and imports it as IMAGE.
local function import_image()
  local h = io.popen("mktemp -d /tmp/luadock-tutorial.XXXXXX")
  tmpdir = h:read("l")
  h:close()
  local tar = tmpdir .. "/rootfs.tar"
  local script = repo_root() .. "/tests/fixtures/busybox-rootfs.sh"
  say("Nothing can be pulled here, so we build a busybox root filesystem with")
  say("  %s", script)
  local ok = os.execute("bash " .. shell_quote(script) .. " " .. shell_quote(tar) .. " 2>/dev/null")
  if not ok then error("could not build the root filesystem with " .. script) end
  return docker.import{ source = tar, repo = IMAGE_REPO, tag = IMAGE_TAG,
                        changes = { "ENV PATH=/bin", 'CMD ["sh"]' } }
end

local function main()
  local _ <close> = janitor

  heading("Talk to the engine")
  local v = docker.version()
  say("Connected to Docker Engine %s (API %s, %s/%s); luadock %s speaks API %s.",
    v.Version, v.ApiVersion, v.Os, v.Arch, docker.VERSION, docker.api_version())

  heading("Make an image locally")
  local found, image = pcall(docker.image, IMAGE)
  if found then
    say("%s is already here (id %s, from an earlier run): we use it again.", IMAGE, image.short_id)
  elseif docker.is_error(image) and image.kind == "not_found" then
    image = import_image()
    say("Imported it as %s: id %s, %.1f MB.", image.tags[1], image.short_id, image.size / 1e6)
  else
    error(image, 0)
  end

  heading("Run a one-shot container")
  local r = docker.run{ image = IMAGE, cmd = { "echo", "Hello from a luadock container!" } }
  say("docker.run waited for it to exit (code %d); it printed:", r.exit_code)
  io.write("  ", r.stdout)

  heading("List the running containers (docker ps)")
  print_table(docker.ps{ filters = { label = "luadock.session=" .. docker.session } })
  say("None: the hello container has already exited.")

  heading("List all containers (docker ps -a)")
  print_table(docker.ps{ all = true, filters = { label = "luadock.session=" .. docker.session } })
  say("(Only this tutorial's containers are shown: they carry its session label.)")

  heading("Start a web server in the background")
  local page = "<h1>Hello from busybox httpd, run by luadock</h1>"
  local web <close> = docker.run{
    image = IMAGE, detach = true, init = true,
    cmd = { "sh", "-c", "echo '" .. page .. "' > /var/www/index.html && exec httpd -f -p 80 -h /var/www" },
    ports = { ["80/tcp"] = "127.0.0.1:" },   -- a free port on the loopback address
  }
  local port = web.ports["80/tcp"][1].host_port
  say("Container %s is %s; its port 80 is published on 127.0.0.1:%d.", web.name, web.status, port)
  print_table(docker.ps{ filters = { label = "luadock.session=" .. docker.session } })

  heading("Fetch the page from the host")
  local body = ""
  local deadline = docker.clock() + 10
  while body == "" and docker.clock() < deadline do
    body = fetch("http://127.0.0.1:" .. port .. "/")
    if body == "" then docker.sleep(0.2) end
  end
  if body == "" then error("the web server did not answer on port " .. port) end
  say("curl http://127.0.0.1:%d/ answered:", port)
  io.write("  ", body)

  heading("Clean up")
  say("Leaving the scope stops and removes the web server (it is a <close> value),")
  say("and docker.cleanup{} removes this session's other containers. The image stays for")
  say("the README's examples; `docker rmi %s` removes it.", IMAGE)
end

main()

local left = docker.ps{ all = true, filters = { label = "luadock.session=" .. docker.session } }
local kept = pcall(docker.image, IMAGE)
say("Left behind: %d container(s); the image %s is %s.", #left, IMAGE, kept and "kept" or "MISSING")
if #left > 0 or not kept then os.exit(1) end
print("Done.")
