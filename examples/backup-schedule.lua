-- examples/backup-schedule.lua: repeated backups of a volume with
-- luadock.schedule, as a long-lived script. Each run is one log line on
-- standard error and one line in the history file; the last runs are printed
-- when the script ends. Ctrl-C or SIGTERM lets the running backup finish,
-- then the script stops (a second one stops at once).
--
--   luadock examples/backup-schedule.lua                 demo volume, every 10s, until stopped
--   luadock examples/backup-schedule.lua --for 35        ... for 35 seconds
--   luadock examples/backup-schedule.lua --volume pgdata --to /srv/backups \
--           --image busybox:local --cron "0 3 * * *" --keep 7 --stop db
--
-- Without --volume it makes a small busybox image locally (nothing is pulled)
-- and a demo volume whose contents change between runs, and removes both,
-- and its backup folder, at the end.

local docker = require "luadock"
local schedule = require "luadock.schedule"

local function usage(msg)
  io.stderr:write("backup-schedule: ", msg, "\n")
  os.exit(2)
end

local opts = { every = "10s", keep = 3, stop = {} }
local i = 1
while arg and arg[i] do
  local k, v = arg[i], arg[i + 1]
  if not v then usage("missing value after " .. k) end
  if k == "--for" then opts.seconds = tonumber(v) or usage("--for wants seconds")
  elseif k == "--every" then opts.every = v
  elseif k == "--cron" then opts.cron = v
  elseif k == "--volume" then opts.volume = v
  elseif k == "--to" then opts.to = v
  elseif k == "--image" then opts.image = v
  elseif k == "--keep" then opts.keep = math.tointeger(tonumber(v)) or usage("--keep wants a number")
  elseif k == "--stop" then opts.stop[#opts.stop + 1] = v
  else usage("unknown option " .. k) end
  i = i + 2
end

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
local demo = {}   -- what this script made and removes at the end

local janitor = setmetatable({}, { __close = function()
  if demo.volume then pcall(function() docker.volume(demo.volume):remove{ force = true } end) end
  if demo.image then pcall(demo.image.remove, demo.image, { force = true }) end
  if demo.dir then os.execute("rm -rf " .. q(demo.dir)) end
end })

local function make_demo()
  local h = io.popen("mktemp -d /tmp/luadock-schedule-demo.XXXXXX")
  demo.dir = h:read("l")
  h:close()
  local root = ((arg and arg[0] or "examples/x"):match("^(.*)/[^/]*$") or ".") .. "/.."
  local tar = demo.dir .. "/rootfs.tar"
  assert(os.execute("bash " .. q(root .. "/tests/fixtures/busybox-rootfs.sh") .. " " .. q(tar) .. " 2>/dev/null"),
    "could not build a busybox root filesystem")
  demo.image = docker.import{ source = tar, repo = "luadock-schedule-demo/busybox", tag = docker.session }
  os.remove(tar)
  opts.image = "luadock-schedule-demo/busybox:" .. docker.session
  demo.volume = docker.volume_create{ name = "schedule-demo-" .. docker.session }.name
  opts.volume, opts.to = demo.volume, demo.dir .. "/backups"
  os.execute("mkdir " .. q(opts.to))
end

local function main()
  local _ <close> = janitor
  if not opts.volume then make_demo() end
  if not (opts.to and opts.image) then usage("--volume needs --to and --image") end

  local function backup()
    if demo.volume then   -- something new to back up each time
      docker.run{ image = opts.image, remove = true, volumes = { [opts.volume] = "/data" },
                  cmd = { "sh", "-c", "date >> /data/log" } }
    end
    local r = docker.backup{ volume = opts.volume, to = opts.to, image = opts.image,
                             keep = opts.keep, stop = opts.stop }
    print(string.format("  %s (%d bytes)", r.archive, r.bytes))
  end
  local job = opts.cron
    and schedule.cron(opts.cron, backup, { name = "backup " .. opts.volume, max_runtime = "1h" })
    or schedule.every(opts.every, backup, { name = "backup " .. opts.volume, max_runtime = "1h",
                                           run_now = true })
  print(string.format("Backing up %s to %s (%s, keep %d); next: %s. Ctrl-C stops.", opts.volume,
    opts.to, opts.cron or ("every " .. opts.every), opts.keep,
    opts.cron and os.date("%c", schedule.next(opts.cron, os.time())) or "now"))
  local why = schedule.run{ ["until"] = opts.seconds and os.time() + opts.seconds or nil }
  print("Stopped (" .. why .. "). Last runs:")
  for _, h in ipairs(schedule.history(job.name, 5)) do
    print(string.format("  %s  %-6s %.2fs %s", os.date("%H:%M:%S", h.started),
      h.ok and "ok" or "FAILED", h.seconds, h.error or ""))
  end
  local kept = io.popen("ls " .. q(opts.to)):read("a")
  print("Archives kept:\n" .. kept)
end

main()
