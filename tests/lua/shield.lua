-- tests/lua/shield.lua — luadock.shield and the interruption rules behind it
-- (bindings/lsignal.c), in child host processes sent real signals: a signal
-- during shielded work is held until the shield is left, then raised; the
-- shield's limit bounds its sleeps and Engine calls; shield.try does not
-- swallow an interruption; a shield that is never left (an abandoned
-- coroutine) stops holding signals at its deadline, so a third Ctrl-C still
-- ends the process; bad input names the argument.
local T = require "testlib"
local docker = require "luadock"
local shield = require "luadock.base.shield"

local d = docker.connect()
local BIN = os.getenv("LUADOCK_BINARY_DIR") .. "/luadock"
local dir = T.tmpdir()
local L = "luadock.test.shield"
local RUN = string.format("%08x", math.random(0, 0x7fffffff))

-- Runs `code` in a child host, sends the signals `plan` lists ({ at, name }),
-- returns its output, its exit status text and how long it ran.
local function child(code, plan, limit)
  local path = dir .. "/c" .. docker.core.random_hex(4) .. ".lua"
  local f = assert(io.open(path, "w")); f:write(code); f:close()
  local kills = {}
  local prev = 0
  for _, p in ipairs(plan) do
    kills[#kills + 1] = string.format("sleep %.2f; kill -%s $p 2>/dev/null", p[1] - prev, p[2])
    prev = p[1]
  end
  local t0 = docker.clock()
  -- a watchdog, not timeout(1): timeout would forward our signals its own way
  local out = T.sh(string.format("%s %s >%s 2>&1 & p=$!; (sleep %d; kill -9 $p) >/dev/null 2>&1 & w=$!; "
    .. "%s; wait $p; echo \"status=$?\" >>%s; kill $w 2>/dev/null; cat %s",
    T.q(BIN), T.q(path), T.q(path .. ".out"), limit or 20, table.concat(kills, "; "), T.q(path .. ".out"),
    T.q(path .. ".out")))
  return out, docker.clock() - t0
end

T.test("a signal during shielded work waits for the shield, then interrupts", function()
  local out, took = child([[
    local shield = require "luadock.base.shield"
    shield.run(5, function() docker.sleep(1.5); print("shielded work finished") end)
    print("not reached")
  ]], { { 0.4, "INT" } })
  T.ok(out:match("shielded work finished\n"), out)
  T.ok(out:match("interrupted!"), out)
  T.ok(not out:match("not reached"), out)
  T.ok(took >= 1.4, string.format("the sleep was not cut short (%.1f s)", took))
end)

T.test("the shield's limit bounds its sleeps and calls", function()
  local t0 = docker.clock()
  local e = T.raises(function() shield.run(0.5, function() docker.sleep(4) end) end, "time limit")
  T.ok(docker.clock() - t0 < 2, "the sleep ended at the limit")
  local c <close> = d:run{ image = T.image, detach = true, cmd = "sleep 60", labels = { [L] = RUN },
                           stop_timeout = 1 }
  t0 = docker.clock()
  e = T.raises_kind(function() shield.run(0.5, function() c:wait() end) end, "timeout")
  T.ok(docker.clock() - t0 < 2, "the call ended at the limit: " .. tostring(e))
end)

T.test("shield.try swallows the work's error but not an interruption", function()
  local ok, err = shield.try(1, function() error("cleanup failed", 0) end)
  T.eq(ok, false)
  T.eq(err, "cleanup failed")
  local out = child([[
    local shield = require "luadock.base.shield"
    local ok = shield.try(5, function() docker.sleep(1) end)
    print("after try", ok)
  ]], { { 0.3, "TERM" } })
  T.ok(out:match("terminated!"), out)
  T.ok(not out:match("after try"), out)
end)

T.test("a shield never left stops holding signals at its deadline", function()
  local out, took = child([[
    local shield = require "luadock.base.shield"
    -- an error in a plain coroutine leaves its shield up (nothing closes it)
    coroutine.resume(coroutine.create(function() shield.run(0.5, function() error("x") end) end))
    print("leaked")
    io.stdout:flush()
    pcall(function() while true do end end)   -- the first Ctrl-C is caught here
    print("caught the first")
    io.stdout:flush()
    while true do end
  ]], { { 1.0, "INT" }, { 1.4, "INT" }, { 1.8, "INT" } }, 10)
  T.ok(out:match("leaked\ncaught the first\n"), out)
  T.ok(out:match("status=130"), "the third SIGINT ended it: " .. out)
  T.ok(took < 5, string.format("at once (%.1f s)", took))
end)

T.test("bad input: shield.run and shield.try name the argument", function()
  T.raises(function() shield.run(nil, print) end, "bad argument #1 to 'shield.run'")
  T.raises(function() shield.run(-1, print) end, "bad argument #1 to 'shield.run'")
  T.raises(function() shield.run(math.huge, print) end, "bad argument #1 to 'shield.run'")
  T.raises(function() shield.run(0 / 0, print) end, "bad argument #1 to 'shield.run'")
  T.raises(function() shield.run(1, 42) end, "bad argument #2 to 'shield.run'")
  T.eq(shield.run(1, function(a, b) return a + b end, 2, 3), 5)
  T.eq(select("#", shield.try(1, function() return 1, nil, 3 end)), 4)
  T.eq(shield.active(), nil, "the shield is left")
end)

for _, c in ipairs(d:containers{ all = true, filters = { label = { L .. "=" .. RUN } } }) do
  pcall(c.remove, c, { force = true })
end
T.done()
