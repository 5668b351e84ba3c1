-- luadock.client.events: d:events{ since=, ["until"]=, filters= } as a generic-for
-- iterator of the Engine's event tables (Type, Action, Actor = { ID,
-- Attributes }, time, timeNano, ...). The stream is the loop's closing value,
-- so `break` closes the connection; with `until` the Engine ends the stream
-- itself once that time has passed. since/until take epoch seconds
-- (os.time(), fractions allowed), an RFC 3339 time, or a duration ago
-- ("10m"). Note fault #44 of tests/faults/README.md: the Engine drops events for a consumer that
-- does not keep up; a watcher that must not miss any lists and reconciles,
-- and resumes with since = <the last event's time>.
-- Room client/: the Client's methods that belong to no object room, and how a
-- client is made; methods go in M.Client, merged by luadock/init.lua (PARTS).

local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local units = require "luadock.base.units"
local errors = require "luadock.base.errors"
local options = require "luadock.spec.options"
argcheck.mark()

local check = errors.check
local M = {}

-- The Engine's timestamp form: integer seconds, or "seconds.fraction".
local function event_time(chk, field, v)
  if v == nil then return nil end
  local t = v
  if type(v) == "string" then
    t = units.parse_time(v) or tonumber(v)
    if not t and v ~= "" then
      local d = units.parse_duration(v)
      t = d and os.time() - d
    end
  end
  if type(t) ~= "number" or t ~= t or t < 0 or t == math.huge then
    chk:fail(field, "epoch seconds, an RFC 3339 time or a duration like \"10m\" expected, got "
      .. (type(v) == "string" and string.format("%q", v) or type(v)))
  end
  if math.tointeger(t) then return tostring(math.tointeger(t)) end
  return string.format("%.6f", t)
end

local EVENT_OPTS = keys.set { "since", "until", "filters" }

-- Client methods, merged into the class by luadock/init.lua (PARTS)
M.Client = {}
do
  local Client = M.Client
  -- for ev in d:events{ filters = { type = "container", label = "a=b" } } do ... end
  function Client:events(spec)
    local chk = argcheck.checker("events", 1)
    spec = chk:opts(spec, true)
    chk:only(spec, EVENT_OPTS)
    local q = {
      since = event_time(chk, "since", spec.since),
      ["until"] = event_time(chk, "until", spec["until"]),
      filters = options.filters(chk, spec.filters),
    }
    if q.since and q["until"] and tonumber(q["until"]) < tonumber(q.since) then
      chk:fail("until", "is before since")
    end
    local s = check(self._cli:system_events(q))
    return errors.stream_values(s)
  end
end

return M
