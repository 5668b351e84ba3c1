-- tests/lua/containers_list.lua — listing and looking up containers (API.md
-- "Containers"): containers{} / ps{} with all, filters (label as a string and an
-- array, status, name) and limit; container(name | id | short id); and
-- prune_containers limited by a label filter unique to this run, so it can only
-- remove this file's exited containers. Removes what it made at the end.
local T = require "testlib"
local docker = require "luadock"

local d = docker.connect()
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local L = "luadock.test.list"
local MINE = L .. "=" .. RUN
local SLEEPER = "sh -c 'trap \"exit 0\" TERM; sleep 300 & wait'"

local function name(case) return "ld-list-" .. RUN .. "-" .. case end

local function ids(list)
  local out = {}
  for _, c in ipairs(list) do out[#out + 1] = c.id end
  table.sort(out)
  return out
end

local function sorted(t) table.sort(t); return t end

-- one running and one exited container with this run's label
local running, exited
local setup_ok, setup_err = pcall(function()
  running = d:run{ image = IMG, cmd = SLEEPER, name = name("running"), detach = true, labels = { [L] = RUN } }
  exited = d:container(d:run{ image = IMG, cmd = "true", name = name("exited"), labels = { [L] = RUN } }.id)
end)

T.test("setup: one running, one exited", function()
  if not setup_ok then error(setup_err, 0) end
  T.eq(running.state, "running")
  T.eq(exited.state, "exited")
end)
if not setup_ok then
  pcall(d.cleanup, d, {})
  T.done()
end

T.test("containers{} shows running containers only", function()
  local list = d:containers{ filters = { label = { MINE } } }
  T.eq(ids(list), { running.id })
  local all_running = d:containers()
  local seen = false
  for _, c in ipairs(all_running) do
    T.eq(c.state, "running", "containers() lists only running: " .. c.name)
    if c.id == running.id then seen = true end
    T.ok(c.id ~= exited.id, "the exited container is not listed")
  end
  T.ok(seen, "the running container is listed without filters")
end)

T.test("all=true shows exited containers too", function()
  local list = d:containers{ all = true, filters = { label = { MINE } } }
  T.eq(ids(list), sorted{ running.id, exited.id })
end)

T.test("listed items are Containers with their fields", function()
  local list = d:containers{ all = true, filters = { label = { MINE } } }
  for _, c in ipairs(list) do
    T.eq(getmetatable(c), docker.Container, "a Container")
    T.eq(c.short_id, c.id:sub(1, 12))
    T.ok(not c.name:find("/", 1, true), "name without /: " .. c.name)
    T.eq(c.labels[L], RUN)
    T.eq(c.labels["luadock.managed"], "1")
    T.eq(math.type(c.created), "integer")
    T.eq(c.image, IMG)
    if c.id == running.id then
      T.eq(c.name, name("running"))
      T.eq(c.state, "running")
      T.ok(c.status:match("^Up"), "status " .. c.status)
    else
      T.eq(c.name, name("exited"))
      T.eq(c.state, "exited")
      T.ok(c.status:match("^Exited %(0%)"), "status " .. c.status)
    end
  end
end)

T.test("label filter as a string and as an array", function()
  T.eq(ids(d:containers{ all = true, filters = { label = MINE } }), sorted{ running.id, exited.id }, "string form")
  T.eq(ids(d:containers{ all = true, filters = { label = { MINE, "luadock.managed=1" } } }),
    sorted{ running.id, exited.id }, "array form (AND)")
  T.eq(ids(d:containers{ all = true, filters = { label = { MINE, "luadock.managed=2" } } }), {},
    "array form: all labels must match")
  local keyonly = d:containers{ all = true, filters = { label = L } }
  local set = {}
  for _, c in ipairs(keyonly) do set[c.id] = true end
  T.ok(set[running.id] and set[exited.id], "key-only label filter matches both")
end)

T.test("status filter", function()
  T.eq(ids(d:containers{ all = true, filters = { label = { MINE }, status = "exited" } }), { exited.id })
  T.eq(ids(d:containers{ all = true, filters = { label = { MINE }, status = "running" } }), { running.id })
  T.eq(ids(d:containers{ all = true, filters = { label = { MINE }, status = { "running", "exited" } } }),
    sorted{ running.id, exited.id }, "several statuses")
  T.eq(ids(d:containers{ all = true, filters = { label = { MINE }, status = "paused" } }), {})
end)

T.test("name filter", function()
  T.eq(ids(d:containers{ all = true, filters = { name = name("exited") } }), { exited.id })
  T.eq(ids(d:containers{ filters = { name = name("running") } }), { running.id })
  T.eq(ids(d:containers{ all = true, filters = { name = "ld-list-" .. RUN .. "-nosuch" } }), {})
end)

T.test("limit", function()
  local one = d:containers{ all = true, limit = 1, filters = { label = { MINE } } }
  T.eq(#one, 1, "limit=1 gives one")
  T.eq(one[1].id, exited.id, "the most recently created first")
  T.eq(#d:containers{ all = true, limit = 2, filters = { label = { MINE } } }, 2, "limit=2")
  T.eq(#d:containers{ all = true, limit = 50, filters = { label = { MINE } } }, 2, "limit above the count")
end)

T.test("ps is an alias of containers", function()
  T.eq(ids(d:ps{ filters = { label = { MINE } } }), { running.id })
  T.eq(ids(d:ps{ all = true, filters = { label = { MINE } } }), sorted{ running.id, exited.id })
  T.eq(ids(docker.ps{ all = true, filters = { label = { MINE } } }), sorted{ running.id, exited.id },
    "docker.ps module function")
end)

T.test("container() by name, id and short id", function()
  local by_name = d:container(name("running"))
  T.eq(by_name.id, running.id)
  T.eq(by_name.name, name("running"))
  T.eq(by_name.state, "running")
  T.eq(getmetatable(by_name), docker.Container)
  T.eq(d:container(running.id).id, running.id, "by full id")
  T.eq(d:container(running.short_id).id, running.id, "by short id")
  T.eq(d:container(name("exited")).state, "exited", "an exited one by name")
  T.raises_kind(function() d:container(name("nosuch")) end, "not_found")
end)

T.test("prune_containers with a label filter removes only this test's exited ones", function()
  local P = "luadock.test.prune"
  local mine, other = RUN .. "-a", RUN .. "-b"
  local e1 = d:container(d:run{ image = IMG, cmd = "true", labels = { [P] = mine } }.id)
  local e2 = d:container(d:run{ image = IMG, cmd = "sh -c 'exit 3'", check = false, labels = { [P] = mine } }.id)
  local live = d:run{ image = IMG, cmd = SLEEPER, detach = true, labels = { [P] = mine } }
  local keep = d:container(d:run{ image = IMG, cmd = "true", labels = { [P] = other } }.id)
  local r = d:prune_containers{ filters = { label = { P .. "=" .. mine } } }
  T.eq(type(r.deleted), "table", "deleted is a list")
  T.eq(sorted(r.deleted), sorted{ e1.id, e2.id }, "exactly the two exited ones")
  T.eq(math.type(r.space_reclaimed), "integer", "space_reclaimed is an integer")
  T.ok(r.space_reclaimed >= 0)
  T.raises_kind(function() d:container(e1.id) end, "not_found")
  T.raises_kind(function() d:container(e2.id) end, "not_found")
  T.eq(d:container(live.id).state, "running", "the running one stays")
  T.eq(d:container(keep.id).state, "exited", "the one with another label value stays")
  local again = d:prune_containers{ filters = { label = { P .. "=" .. mine } } }
  T.eq(#again.deleted, 0, "nothing left to prune")
  T.eq(again.space_reclaimed, 0)
  live:remove{ force = true }
  keep:remove()
end)

T.test("clean-up of this file's containers", function()
  d:cleanup{}
  T.eq(#d:containers{ all = true, filters = { label = { MINE } } }, 0)
  for _, c in ipairs(d:containers{ all = true, filters = { label = { "luadock.test.prune" } } }) do
    T.ok(not c.labels["luadock.test.prune"]:find(RUN, 1, true), "left over: " .. c.id)
  end
end)

pcall(d.cleanup, d, {})
T.done()
