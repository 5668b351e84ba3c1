-- tests/allocfail/container.lua — a container's life, for the
-- allocation-failure runs (driver.lua): a one-shot run read back (stdout and
-- stderr, the frame demuxer), a background container with two execs (one
-- fed on stdin through a hijacked connection), its logs,
-- inspect, a copy in and out through the tar module, then stop and remove
-- (the <close> of the Container). Containers carry the label
-- luadock.test.allocfail=$LUADOCK_ALLOCFAIL_RUN, which the driver removes
-- whatever a failed run left. Prints "ok" at the end; any failure raises.
local docker = require "luadock"
local d = docker.connect()
local IMG = os.getenv("LUADOCK_TEST_IMAGE") or "luadock-test/busybox:1"
local labels = { ["luadock.test.allocfail"] = os.getenv("LUADOCK_ALLOCFAIL_RUN") or "manual" }

local r = d:run{ image = IMG, cmd = "sh -c 'echo out; echo err >&2'", labels = labels,
                remove = true }
assert(r.stdout == "out\n" and r.stderr == "err\n")
do
  local c <close> = d:run{ image = IMG, cmd = "sh -c 'echo up; trap \"exit 0\" TERM; sleep 60 & wait'",
                           detach = true, labels = labels, stop_timeout = 1 }
  local e = c:exec{ cmd = { "sh", "-c", "echo in-exec" } }
  assert(e.exit_code == 0 and e.stdout == "in-exec\n")
  e = c:exec{ cmd = { "cat" }, stdin = "fed" }          -- a hijacked connection
  assert(e.exit_code == 0 and e.stdout == "fed")
  assert(c:reload().state == "running")
  local dir = os.getenv("LUADOCK_ALLOCFAIL_TMP") or "/tmp"
  local f = assert(io.open(dir .. "/note.txt", "w"))
  f:write("note\n")
  f:close()
  assert(c:copy_in(dir .. "/note.txt", "/tmp") == true)
  local bytes = c:get_archive("/tmp/note.txt")
  assert(#bytes > 0)
  assert(c:logs():find("up"))
end
print("ok")
