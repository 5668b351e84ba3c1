-- tests/lua/events.lua — d:events{ since=, ["until"]=, filters= } (API.md
-- "System"): a labelled container's create/start/die/destroy seen through a
-- label filter with since=; until= makes the iterator end by itself; events
-- that happen after the stream opened arrive live; `break` returns promptly,
-- closes the connection and leaves the client working; since/until forms
-- (epoch integer or float, RFC 3339, a duration ago), filter forms (string or
-- array), the module function docker.events, a connection failure, and bad
-- input. Containers carry a test label and are removed at the end.
local T = require "testlib"
local docker = require "luadock"
local core = require "luadock.core"

local d = docker.connect()
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local L = "luadock.test.events"
local SLEEPER = "sh -c 'trap \"exit 0\" TERM; sleep 300 & wait'"

local function socket_count()
  local out = T.sh("ls -l /proc/" .. core.pid() .. "/fd 2>/dev/null")
  local n = 0
  for _ in out:gmatch("socket:") do n = n + 1 end
  return n
end

-- A container's whole life, labelled L=<tag>: create, start, stop (die), remove (destroy).
local function lifecycle(tag)
  local c = d:run{ image = IMG, cmd = SLEEPER, detach = true, stop_timeout = 1, labels = { [L] = tag } }
  c:stop{ timeout = 1 }
  c:remove()
  return c.id
end

local function actions(evs)
  local out = {}
  for _, ev in ipairs(evs) do out[#out + 1] = ev.Action end
  return out
end

local function index_of(list, v)
  for i, x in ipairs(list) do if x == v then return i end end
end

T.test("a labelled container's life, through a label filter and since=", function()
  local t0 = os.time()
  local id = lifecycle(RUN .. "-life")
  local evs = {}
  local c0 = docker.clock()
  for ev in d:events{ since = t0, ["until"] = os.time() + 1, filters = { label = L .. "=" .. RUN .. "-life" } } do
    evs[#evs + 1] = ev
  end
  local dt = docker.clock() - c0
  T.ok(dt < 6, "the stream ended by itself after until= (" .. dt .. " s)")
  local acts = actions(evs)
  for _, want in ipairs { "create", "start", "kill", "die", "destroy" } do
    T.ok(index_of(acts, want), want .. " seen in " .. T.show(acts))
  end
  T.ok(index_of(acts, "create") < index_of(acts, "start"), "create before start")
  T.ok(index_of(acts, "start") < index_of(acts, "die"), "start before die")
  T.ok(index_of(acts, "die") < index_of(acts, "destroy"), "die before destroy")
  for _, ev in ipairs(evs) do
    T.eq(ev.Type, "container")
    T.eq(ev.Actor.ID, id, "only our container")
    T.eq(ev.Actor.Attributes[L], RUN .. "-life", "carries our label")
    T.eq(math.type(ev.time), "integer")
    T.ok(ev.time >= t0, "not before since")
  end
  T.eq(evs[index_of(acts, "die")].Actor.Attributes.exitCode, "0", "die carries the exit code")
end)

T.test("filters: array and string values, event and container", function()
  local t0 = os.time()
  local id = lifecycle(RUN .. "-filt")
  local function collect(spec)
    local out = {}
    for ev in d:events(spec) do out[#out + 1] = ev.Action end
    return out
  end
  local u = os.time() + 1
  T.eq(collect{ since = t0, ["until"] = u, filters = { label = { L .. "=" .. RUN .. "-filt" }, event = { "start", "destroy" } } },
    { "start", "destroy" })
  T.eq(collect{ since = t0, ["until"] = u, filters = { container = id, event = "die" } }, { "die" })
  T.eq(collect{ since = t0, ["until"] = u, filters = { label = L .. "=" .. RUN .. "-nosuch" } }, {}, "nothing matches")
  T.eq(collect{ since = t0, ["until"] = u, filters = { label = { [L] = RUN .. "-filt" }, event = "create" } }, { "create" },
    "a label map")
end)

T.test("since/until forms: float, RFC 3339, a duration ago", function()
  local t0 = os.time()
  local id = lifecycle(RUN .. "-forms")
  local f = { container = id, event = "create" }
  local function count(spec)
    spec.filters = f
    local n = 0
    for _ in d:events(spec) do n = n + 1 end
    return n
  end
  T.eq(count{ since = t0 - 0.5, ["until"] = os.time() + 0.5 }, 1, "floats")
  T.eq(count{ since = os.date("!%Y-%m-%dT%H:%M:%SZ", t0 - 1), ["until"] = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() + 1) }, 1, "RFC 3339")
  T.eq(count{ since = "5m", ["until"] = os.time() + 1 }, 1, "a duration ago")
  T.eq(count{ since = tostring(t0), ["until"] = tostring(os.time() + 1) }, 1, "numeric strings")
  T.eq(count{ since = t0 - 600, ["until"] = t0 - 300 }, 0, "a window before it")
end)

T.test("a live stream sees events that happen after it opened", function()
  local tag = RUN .. "-live"
  local it, _, _, s = d:events{ filters = { label = L .. "=" .. tag, event = { "create", "destroy" } } }
  local ok, err = pcall(function()
    local id = lifecycle(tag)
    local first, second = it(), it()
    T.eq(first.Action, "create")
    T.eq(first.Actor.ID, id)
    T.eq(second.Action, "destroy")
  end)
  s:close()
  T.ok(ok, tostring(err))
  T.eq(tostring(s), "luadock.stream (closed)")
end)

T.test("break returns promptly; the stream closes; the client still works", function()
  local t0 = os.time()
  lifecycle(RUN .. "-brk")
  local before = socket_count()
  for round = 1, 5 do
    local c0 = docker.clock()
    local n = 0
    -- no until: without the break this would follow forever
    for ev in d:events{ since = t0, filters = { label = L .. "=" .. RUN .. "-brk" } } do
      n = n + 1
      T.eq(ev.Type, "container")
      if n == 2 then break end
    end
    T.eq(n, 2)
    T.ok(docker.clock() - c0 < 3, "round " .. round .. " took " .. (docker.clock() - c0) .. " s")
  end
  T.ok(socket_count() - before < 2, "event streams left open: " .. before .. " -> " .. socket_count())
  T.eq(d:ping(), true)
  T.eq(type(d:version().ApiVersion), "string")
end)

T.test("an error inside the loop body closes the stream too", function()
  local before = socket_count()
  for _ = 1, 3 do
    T.raises(function()
      for _ in d:events{ since = "10m" } do error("body-fails") end
    end, "body%-fails")
  end
  T.ok(socket_count() - before < 2, "streams left open: " .. before .. " -> " .. socket_count())
end)

T.test("docker.events (module function) works", function()
  local t0 = os.time()
  local id = lifecycle(RUN .. "-mod")
  local seen = {}
  for ev in docker.events{ since = t0, ["until"] = os.time() + 1, filters = { container = id } } do
    seen[#seen + 1] = ev.Action
  end
  T.ok(index_of(seen, "destroy"), T.show(seen))
end)

T.test("no engine: kind connection", function()
  local bad = docker.connect("unix:///tmp/luadock-no-such-" .. RUN .. ".sock")
  T.raises_kind(function() for _ in bad:events{ ["until"] = os.time() } do end end, "connection")
end)

T.test("bad input names 'events' and the field", function()
  local cases = {
    { "x", "#1 to 'events' %(table expected, got string%)" },
    { { since = {} }, "field 'since': epoch seconds, an RFC 3339 time or a duration like \"10m\" expected, got table" },
    { { since = "yesterday" }, "field 'since': .*got \"yesterday\"" },
    { { since = "" }, "field 'since'" },
    { { since = -5 }, "field 'since'" },
    { { since = 0 / 0 }, "field 'since'" },
    { { ["until"] = true }, "field 'until': .*got boolean" },
    { { since = 200, ["until"] = 100 }, "field 'until': is before since" },
    { { filters = 5 }, "field 'filters': table expected, got number" },
    { { filters = { label = { {} } } }, "field 'filters': values of 'label': strings expected" },
    { { filters = { [1] = "x" } }, "field 'filters': filter names are strings" },
    { { follow = true }, "field 'follow': unknown option" },
  }
  for i, case in ipairs(cases) do
    local e = T.raises(function() d:events(case[1]) end, case[2])
    T.ok(type(e) == "string" and e:find("tests/lua/events.lua:", 1, true), "case " .. i .. " at the caller: " .. tostring(e))
  end
end)

T.test("examples/events.lua follows a container's life and ends by itself", function()
  local bin = (os.getenv("LUADOCK_BINARY_DIR") or "build") .. "/luadock"
  local src = os.getenv("LUADOCK_SOURCE_DIR") or "."
  local c0 = docker.clock()
  local out, ok, code = T.sh("timeout 60 " .. T.q(bin) .. " " .. T.q(src .. "/examples/events.lua") .. " "
    .. T.q(IMG) .. " 2>&1")
  T.ok(ok, "exit " .. tostring(code) .. ": " .. out)
  T.ok(docker.clock() - c0 < 30, "took " .. (docker.clock() - c0) .. " s")
  local seen = {}
  for action in out:gmatch("%d%d:%d%d:%d%d  (%a+)") do seen[#seen + 1] = action end
  T.eq(seen, { "create", "start", "die", "destroy" }, out)
  T.ok(out:find("exit code 3", 1, true), out)
  T.ok(out:find("output was: working", 1, true), out)
  T.ok(out:match("done\n$"), out)
  local name = out:match("started (luadock%-events%-example%-%x+)")
  T.ok(name, out)
  T.raises_kind(function() d:container(name) end, "not_found")
end)

pcall(d.cleanup, d, {})
T.done()
