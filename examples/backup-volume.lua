-- examples/backup-volume.lua: a one-off backup and restore of a volume with
-- docker.backup / docker.restore. It makes a small busybox image locally
-- (nothing is pulled, like examples/tutorial.lua), fills a demo volume, backs
-- it up into a temporary folder while a "db" container is stopped for the
-- copy, restores the archive into a second volume, compares the two, and
-- removes everything it made at the end, also when a step fails.
--
--   luadock examples/backup-volume.lua

local docker = require "luadock"

local IMAGE_REPO, IMAGE_TAG = "luadock-backup-demo/busybox", "1"
local IMAGE = IMAGE_REPO .. ":" .. IMAGE_TAG
local SUFFIX = docker.session
local VOLUME, COPY, DB = "demo-data-" .. SUFFIX, "demo-copy-" .. SUFFIX, "demo-db-" .. SUFFIX

local function say(fmt, ...) print(string.format(fmt, ...)) end
local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function repo_root()
  local script = arg and arg[0] or "examples/backup-volume.lua"
  return (script:match("^(.*)/[^/]*$") or ".") .. "/.."
end

local tmpdir, image
local made = {}
local janitor = setmetatable({}, { __close = function()
  docker.core.cancel_reset()
  pcall(docker.cleanup, {})   -- this session's containers
  for _, v in ipairs(made) do pcall(function() docker.volume(v):remove{ force = true } end) end
  if image then pcall(image.remove, image, { force = true }) end
  if tmpdir then os.execute("rm -rf " .. q(tmpdir)) end
  say("Removed the demo containers, volumes, image and folder.")
end })

local function sh(volume, script)
  return docker.run{ image = IMAGE, cmd = { "sh", "-c", script }, remove = true,
                     volumes = { [volume] = "/data" } }.stdout
end

local function main()
  local _ <close> = janitor
  local h = io.popen("mktemp -d /tmp/luadock-backup-demo.XXXXXX")
  tmpdir = h:read("l")
  h:close()

  local tar = tmpdir .. "/rootfs.tar"
  if not os.execute("bash " .. q(repo_root() .. "/tests/fixtures/busybox-rootfs.sh") .. " " .. q(tar) .. " 2>/dev/null") then
    error("could not build a busybox root filesystem")
  end
  image = docker.import{ source = tar, repo = IMAGE_REPO, tag = IMAGE_TAG }
  os.remove(tar)
  say("Made the image %s.", IMAGE)

  made[#made + 1] = VOLUME
  docker.volume_create{ name = VOLUME }
  sh(VOLUME, "mkdir -p /data/conf && echo 'port = 5432' > /data/conf/db.conf && "
    .. "echo 'one row' > /data/table && chmod 0600 /data/table && ln -s conf/db.conf /data/current")
  say("Filled the volume %s.", VOLUME)
  local db = docker.run{ image = IMAGE, name = DB, detach = true, stop_timeout = 1,
                         cmd = "sh -c 'trap \"exit 0\" TERM; sleep 300 & wait'", volumes = { [VOLUME] = "/data" } }
  say("Started %s, which uses the volume.", db.name)

  local backups = tmpdir .. "/backups"   -- created by the backup
  -- `stop` takes names or Containers; stop_timeout bounds how long each stop may take.
  -- Ctrl-C or SIGTERM here still starts `db` again (and kill -9 is recovered by
  -- the next backup of the volume or docker.cleanup{ stale = true }).
  local r = docker.backup{ volume = VOLUME, to = backups, image = IMAGE, keep = 3, stop = { db },
                           stop_timeout = 5 }
  say("Backed up %s to %s (%d bytes, %.2f s); %s was stopped for the copy and is %s again.",
    VOLUME, r.archive, r.bytes, r.seconds, DB, db:reload().state)

  made[#made + 1] = COPY
  docker.restore{ volume = COPY, from = r.archive, image = IMAGE }
  local listing = "cd /data && find . -exec stat -c '%n %a' {} \\; | sort && cat conf/db.conf && readlink current"
  local a, b = sh(VOLUME, listing), sh(COPY, listing)
  say("Restored it into %s; the contents are %s:", COPY, a == b and "identical" or "DIFFERENT")
  io.write(b)
  if a ~= b then error("the restored volume differs from the original") end
end

main()
