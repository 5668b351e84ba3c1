-- examples/events.lua: follow the engine's events for a short while. It opens
-- an event stream filtered on a label unique to this run, starts a small
-- background container carrying that label, and prints what the engine
-- reports about it as it happens: create, start, die (then this script
-- removes it), destroy. It stops at the destroy event, or after 30 seconds
-- whatever happens (`until`), so it always ends by itself. The container is
-- luadock's (labelled) and is removed also when something fails.
--
--   luadock examples/events.lua [IMAGE]     (default: luadock-test/busybox:1,
--                                            the test suite's local image)

local docker = require "luadock"

local IMAGE = arg and arg[1] or os.getenv("LUADOCK_EXAMPLE_IMAGE") or "luadock-test/busybox:1"
local LABEL = "luadock.example.events"
local RUN = docker.core.random_hex(4)

local d = docker.connect()

-- The stream is opened first, so nothing the container does is missed; the
-- engine holds the events for us until the loop below reads them.
local started = os.time()
local events, state, init, stream = d:events{
  since = started,
  ["until"] = started + 30,
  filters = { type = "container", label = LABEL .. "=" .. RUN },
}

local c <close> = d:run{
  image = IMAGE, cmd = "sh -c 'echo working; sleep 1; exit 3'", detach = true,
  name = "luadock-events-example-" .. RUN, labels = { [LABEL] = RUN },
}
print(string.format("started %s (%s); following its events", c.name, c.short_id))

-- `stream` is the loop's to-be-closed value: leaving the loop closes it
for ev in events, state, init, stream do
  local attrs = ev.Actor and ev.Actor.Attributes or {}
  local extra = attrs.exitCode and ("exit code " .. attrs.exitCode) or ""
  print(string.format("%s  %-8s %-12s %s", os.date("%H:%M:%S", ev.time), ev.Action,
    (ev.Actor and ev.Actor.ID or ""):sub(1, 12), extra))
  if ev.Action == "die" then
    print("  output was: " .. c:logs():gsub("\n$", ""))
    c:remove()
  elseif ev.Action == "destroy" then
    break
  end
end
print("done")
