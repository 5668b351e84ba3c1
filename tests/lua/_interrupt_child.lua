-- tests/lua/_interrupt_child.lua — one operation of the interruption matrix (_matrix.lua),
-- run by the luadock host in a child process that the matrix interrupts
-- (SIGINT, SIGTERM, a double signal, kill -9) at a chosen moment. Usage:
--   luadock _interrupt_child.lua OP TAG LABEL [args...]
-- Everything it creates carries LABEL=TAG (plus luadock's own labels). Ops:
--   close VOL         a detached container held in a <close> variable, then a sleep
--   backup VOL TO SVC docker.backup of VOL into TO, stopping SVC (stop_timeout 2)
--   run_rm            a one-shot run with remove = true of a 60 s sleep
--   parallel          docker.parallel of two tasks, each holding a <close> container
--   schedule VOL TO SVC  schedule.run of a job holding a <close> container and
--                     backing VOL up (run_now), for at most 30 s
-- It prints "done" when the operation finished uninterrupted.
local docker = require "luadock"
local d = docker.connect()
local op, tag, label = arg[1], arg[2], arg[3]
local IMG = os.getenv("LUADOCK_TEST_IMAGE") or "luadock-test/busybox:1"
-- PID 1 ignores SIGTERM, so every stop waits for its timeout, then kills
local STUBBORN = { "sh", "-c", "trap '' TERM; while true; do sleep 1; done" }
local labels = { [label] = tag }

local function holder()
  return d:run{ image = IMG, detach = true, cmd = STUBBORN, labels = labels, stop_timeout = 2 }
end

local function backup(vol, to, svc)
  return d:backup{ volume = vol, to = to, image = IMG, stop = { svc }, stop_timeout = 2 }
end

if op == "close" then
  local c <close> = holder()
  docker.sleep(30)
elseif op == "backup" then
  backup(arg[4], arg[5], arg[6])
elseif op == "run_rm" then
  -- long enough that only luadock's own kill, not AutoRemove, can end it in time
  d:run{ image = IMG, cmd = "sleep 60", remove = true, labels = labels }
elseif op == "parallel" then
  docker.parallel{
    function() local c <close> = holder(); docker.sleep(30) end,
    function() local c <close> = holder(); docker.sleep(30) end,
  }
elseif op == "schedule" then
  local schedule = require "luadock.schedule"
  schedule.configure{ history = arg[5] .. "-history.tsv", log = function() end }
  local job
  job = schedule.every("1h", function()
    local c <close> = holder()
    backup(arg[4], arg[5], arg[6])
    docker.sleep(1)
    job:cancel()
  end, { name = "matrix", run_now = true })
  schedule.run{ duration = 30 }
else
  error("unknown op " .. tostring(op))
end
print("done")
