-- examples/web.lua: build a small web image and serve a page from it, with
-- luadock against the real engine. Nothing is pulled: it first makes a busybox
-- base image locally (a root filesystem from tests/fixtures/busybox-rootfs.sh,
-- imported, as examples/tutorial.lua does), then builds a web image on it from
-- a Dockerfile (COPY an index.html, CMD busybox httpd), runs it on a published
-- loopback port, fetches the page with curl, reads the server's logs, stops
-- it, and removes everything it made (container, both images, temporary
-- files), also when a step fails.
--
--   luadock examples/web.lua          (after `bash run.sh tutorial` built luadock)

local docker = require "luadock"

local BASE = "luadock-web/busybox:1"
local SITE = "luadock-web/site:1"

local function say(fmt, ...)
  print(string.format(fmt, ...))
end

local function heading(text)
  print()
  print("== " .. text)
end

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function repo_root()
  local script = arg and arg[0] or "examples/web.lua"
  local dir = script:match("^(.*)/[^/]*$") or "."
  return dir .. "/.."
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function fetch(url)
  local h = io.popen("curl -s --max-time 2 " .. shell_quote(url))
  local body = h:read("a")
  h:close()
  return body
end

-- Whatever happens, leave nothing behind: closed last, after the container.
local tmpdir
local images = {}
local janitor = setmetatable({}, { __close = function()
  local ok, err = pcall(docker.cleanup, {})
  if not ok then say("cleanup failed: %s", tostring(err)) end
  for i = #images, 1, -1 do
    local done, rerr = pcall(images[i].remove, images[i], { force = true })
    say(done and "Removed the image %s." or "Could not remove the image %s: %s",
      images[i].tags[1] or images[i].short_id, tostring(rerr))
  end
  if tmpdir then os.execute("rm -rf " .. shell_quote(tmpdir)) end
end })

local function main()
  local _ <close> = janitor

  heading("A base image, made locally")
  local h = io.popen("mktemp -d /tmp/luadock-web.XXXXXX")
  tmpdir = h:read("l")
  h:close()
  local tar = tmpdir .. "/rootfs.tar"
  local script = repo_root() .. "/tests/fixtures/busybox-rootfs.sh"
  if not os.execute("bash " .. shell_quote(script) .. " " .. shell_quote(tar) .. " 2>/dev/null") then
    error("could not build the root filesystem with " .. script)
  end
  local repo, tag = BASE:match("^(.*):(.*)$")
  local base = docker.import{ source = tar, repo = repo, tag = tag, changes = { "ENV PATH=/bin" } }
  images[#images + 1] = base
  os.remove(tar)
  say("Imported %s (%s) from a busybox root filesystem.", BASE, base.short_id)

  heading("Build the web image")
  local ctx = tmpdir .. "/site"
  os.execute("mkdir -p " .. shell_quote(ctx))
  write(ctx .. "/index.html", "<h1>Hello from a luadock-built image</h1>\n")
  write(ctx .. "/notes.txt", "not part of the image (see .dockerignore)\n")
  write(ctx .. "/.dockerignore", "notes.txt\n")
  write(ctx .. "/Dockerfile", table.concat({
    "FROM " .. BASE,
    "COPY index.html /www/index.html",
    "EXPOSE 80",
    'CMD ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]',
  }, "\n") .. "\n")
  local site = docker.build{
    context = ctx, tag = SITE, labels = { example = "web" },
    on_progress = function(ev)
      if type(ev.stream) == "string" then io.write("  ", (ev.stream:gsub("\n(.)", "\n  %1"))) end
    end,
  }
  images[#images + 1] = site
  say("Built %s: id %s, labels luadock.managed=%s, example=%s.", SITE, site.short_id,
    tostring(site.labels["luadock.managed"]), tostring(site.labels.example))

  heading("Run it with port 80 published on the loopback address")
  local web <close> = docker.run{
    image = SITE, detach = true, init = true,
    ports = { ["80/tcp"] = "127.0.0.1:" },   -- a free host port
  }
  local port = web.ports["80/tcp"][1].host_port
  say("Container %s (%s) is %s on 127.0.0.1:%d.", web.name, web.short_id, web.status, port)

  heading("Fetch the page")
  local body, deadline = "", docker.clock() + 10
  while body == "" and docker.clock() < deadline do
    body = fetch("http://127.0.0.1:" .. port .. "/")
    if body == "" then docker.sleep(0.2) end
  end
  if body == "" then error("the web server did not answer on port " .. port) end
  say("curl http://127.0.0.1:%d/ answered:", port)
  io.write("  ", body)

  heading("The server's logs")
  local logs = ""
  deadline = docker.clock() + 5
  repeat
    logs = web:logs{}
    if logs == "" then docker.sleep(0.2) end
  until logs ~= "" or docker.clock() > deadline
  for line in logs:gmatch("[^\n]+") do say("  %s", line) end

  heading("Stop and clean up")
  web:stop{ timeout = 5 }
  web:reload()
  say("Stopped: the container is %s. Leaving the scope removes it; the images go too.", web.state)
end

main()

local left = docker.ps{ all = true, filters = { label = "luadock.session=" .. docker.session } }
local gone = not pcall(docker.image, SITE) and not pcall(docker.image, BASE)
say("Left behind: %d container(s); images %s.", #left, gone and "removed" or "STILL THERE")
if #left > 0 or not gone then os.exit(1) end
print("Done.")
