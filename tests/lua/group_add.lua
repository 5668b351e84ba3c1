-- tests/lua/group_add.lua — run/create's group_add (issue 9): integer group
-- ids reach the Engine as strings (as docker-py sends them; a JSON number
-- there is a 500 from Go's decoder), so `id -G` in the container shows them;
-- names are passed as they are (an unknown one fails the start with the
-- engine's message and leaves no container); non-integer numbers, negative
-- ids, empty strings, other types and non-arrays are refused naming run/create,
-- the field and the item, before anything reaches the engine. Containers made
-- here carry a label unique to this run and are removed at the end.
local T = require "testlib"
local docker = require "luadock"

local d = docker.connect()
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local L = "luadock.test.group_add"
local LABELS = { [L] = RUN }

local function ours()
  return d:containers{ all = true, filters = { label = { L .. "=" .. RUN } } }
end

T.test("integer ids and numeric strings are applied: id -G shows them", function()
  local r = d:run{ image = IMG, cmd = "id -G", remove = true, labels = LABELS,
                   group_add = { 1000, "1001", 2000.0 } }
  T.eq(r.stdout, "0 1000 1001 2000\n")
  T.eq(#ours(), 0, "removed")
end)

T.test("create sends them as strings in HostConfig.GroupAdd", function()
  local c <close> = d:create{ image = IMG, cmd = "id -G", labels = LABELS, group_add = { 4242, "4243" } }
  T.eq(c.attrs.HostConfig.GroupAdd, { "4242", "4243" })
  c:start()
  T.eq(c:wait(), 0)
  T.eq(c:logs(), "0 4242 4243\n")
  local empty <close> = d:create{ image = IMG, cmd = "true", labels = LABELS, group_add = {} }
  T.ok(empty.attrs.HostConfig.GroupAdd == nil or #empty.attrs.HostConfig.GroupAdd == 0,
    T.show(empty.attrs.HostConfig.GroupAdd))
end)

T.test("a group name the image does not know fails the start with the engine's message", function()
  local e = T.raises(function()
    d:run{ image = IMG, cmd = "id -G", remove = true, labels = LABELS, group_add = { "nosuchgroup-" .. RUN } }
  end)
  T.ok(docker.is_error(e), T.show(e))
  T.ok(tostring(e.message):find("nosuchgroup-" .. RUN, 1, true), tostring(e))
  T.eq(#ours(), 0, "no container left")
end)

T.test("bad group_add values are refused naming the function, field and item", function()
  local cases = {
    { { 1.5 }, "field 'group_add': item 1: group name or non%-negative integer id expected, got 1.5" },
    { { 1000, -1 }, "field 'group_add': item 2: .*got %-1" },
    { { "" }, "field 'group_add': item 1: .*got empty string" },
    { { true }, "field 'group_add': item 1: .*got boolean" },
    { { 0 / 0 }, "field 'group_add': item 1: .*got %-?nan" },
    { { 2 ^ 80 }, "field 'group_add': item 1: .*got 1%.2" },
    { { {} }, "field 'group_add': item 1: .*got table" },
    { { a = 1000 }, "field 'group_add': array of group names or ids expected, got table" },
    { 1000, "field 'group_add': array of group names or ids expected, got number" },
    { "1000", "field 'group_add': array of group names or ids expected, got string" },
  }
  for i, c in ipairs(cases) do
    local ok, e = pcall(d.run, d, { image = IMG, cmd = "true", remove = true, labels = LABELS, group_add = c[1] })
    T.ok(not ok and tostring(e):find("bad argument #1 to 'run' %(" .. c[2]), "case " .. i .. ": " .. tostring(e))
  end
  T.raises(function() d:create{ image = IMG, labels = LABELS, group_add = { 0.5 } } end,
    "bad argument #1 to 'create' %(field 'group_add': item 1:")
  T.eq(#ours(), 0, "nothing was created")
end)

for _, c in ipairs(ours()) do pcall(c.remove, c, { force = true }) end
T.done()
