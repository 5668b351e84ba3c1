--[[ events_gap.lua - a slow event consumer, and the gap when it reconnects (fault
#44 of tests/faults/README.md), on both engines (lua.events_gap, lua2.events_gap).
An events stream that the script stops reading keeps what the engine sent
meanwhile (the socket's buffer and the engine's per-subscriber queue hold a few
hundred events), so nothing is lost in a short pause; and a watcher that closes
its stream and opens a new one with since = <a microsecond before the last
event's timeNano> gets every event of the gap, in order, the last one seen
again: it drops what it saw by timeNano, id and action. (The engine drops
events only for a subscriber over a thousand events behind; making that many
takes longer than a quick test here, so that part is not reproduced.) The events are the create and
destroy events of volumes made here (cheap, and named in the event), so other
users of the engine add only noise that is filtered out. ]]

local T = require "testlib"
local docker = require "luadock"
local core = require "luadock.core"

local d = docker.connect { timeout = 60 }
local RUN = core.random_hex(4)
local NAME = "ldevgap-" .. RUN .. "-"
local made = {}

-- Creates the volumes <NAME><prefix><i> for i = 1..n (labelled, by the friendly
-- layer), then removes them; returns the events that makes, in order
-- ("create <name>" for all, then "destroy <name>").
local function churn(prefix, n)
  local names, vols = {}, {}
  for i = 1, n do
    local v = d:volume_create { name = NAME .. prefix .. i }
    made[v.name] = v
    vols[i] = v
    names[#names + 1] = "create " .. v.name
  end
  for i = 1, n do
    vols[i]:remove()
    made[vols[i].name] = nil
    names[#names + 1] = "destroy " .. vols[i].name
  end
  return names
end

-- The next event of this test from the iterator `it` ("create name" /
-- "destroy name"): of a volume named <NAME><prefix>… for one of `prefixes`
-- (a stream since a whole second also holds the previous test's last events);
-- and the event; nil at the stream's end.
local function next_ours(it, prefixes)
  while true do
    local ev = it()
    if ev == nil then return nil end
    local name = ev.Actor and ev.Actor.ID or ""
    for _, prefix in ipairs(prefixes) do
      if name:sub(1, #NAME + #prefix) == NAME .. prefix then
        return ev.Action .. " " .. name, ev
      end
    end
  end
end

local function events_since(since, ends)
  return d:events { since = since, ["until"] = ends,
    filters = { type = { "volume" }, event = { "create", "destroy" } } }
end

local function run_all()

T.test("a consumer that stops reading while 150 events happen gets them all, in order", function()
  local start = os.time()
  local it, _, _, s = events_since(start)
  local want = churn("slow", 75)    -- nothing read meanwhile
  core.sleep(0.5)
  local got = {}
  for i = 1, #want do
    got[i] = T.ok(next_ours(it, { "slow" }), "event " .. i .. " of " .. #want)
  end
  s:close()
  T.eq(got, want)
end)

T.test("resume with since = the last event's time: the gap replayed, nothing lost", function()
  local start = os.time()
  local it, _, _, s = events_since(start)
  local before = churn("a", 10)
  local seen, last = {}, nil
  for i = 1, 10 do
    local key, ev = next_ours(it, { "a", "b" })
    seen[#seen + 1] = key
    last = ev
    T.eq(key, before[i])
  end
  s:close()          -- the watcher goes away with 10 of its 20 events read
  local gap = churn("b", 10)
  -- back: since = a microsecond before the last event seen (since takes
  -- seconds with 6 decimals: the last event's own time could round up past it)
  local since = (last.timeNano // 1000 - 1) / 1e6
  -- until at least a second away: os.time() + 1 may be a millisecond off, and
  -- the engine logs the last destroy a moment after answering the remove
  local it2, _, _, s2 = events_since(since, os.time() + 2)
  local replay = {}
  local dropped_again = 0
  while true do
    local key, ev = next_ours(it2, { "a", "b" })
    if not key then break end
    if ev.timeNano < last.timeNano or (ev.timeNano == last.timeNano and key == seen[#seen]) then
      dropped_again = dropped_again + 1   -- seen before the gap
    else
      replay[#replay + 1] = key
    end
  end
  s2:close()
  local want = {}
  for i = 11, 20 do want[#want + 1] = before[i] end
  for _, k in ipairs(gap) do want[#want + 1] = k end
  T.eq(replay, want, "every event after the last one seen, once, in order")
  T.ok(dropped_again >= 1, "the last event seen came again, and was dropped")
end)

end

local ok, err = pcall(run_all)
for _, v in pairs(made) do pcall(v.remove, v) end
if not ok then error(err, 0) end
T.done()
