-- tests/lua/loop_first_stream.lua — a stream call that is the very first
-- request of a new client, made inside an event-loop task (docker.parallel),
-- returns. Such a client first negotiates its API version (GET /_ping as the
-- first phase of the transfer); the stream's opening must keep driving that
-- phase on every resume, not only on the first. Each case runs in a fresh
-- child process (so the client is new and not pinned: DOCKER_API_VERSION is
-- unset) under a time limit, 20 times, because whether the ping is answered
-- within the first step is a race: a pull from a registry nothing listens on
-- (fails fast), logs{follow} of a running container (broken off once its
-- line arrived) and events with since/until. Containers carry this run's
-- label and are removed at the end.
local T = require "testlib"
local docker = require "luadock"

local d = docker.connect()
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local L = "luadock.test.first_stream"
local BIN = (os.getenv("LUADOCK_BINARY_DIR") and os.getenv("LUADOCK_BINARY_DIR") .. "/luadock") or arg[-1]
local ROUNDS = 20
local LIMIT = 15   -- seconds per child; a good run takes well under one
local dir = T.tmpdir()

-- The child: one docker.parallel task whose first request is the stream.
local CHILD = [=[
local docker = require "luadock"
local mode, a1, a2 = ...
local d = docker.connect()
local out = docker.parallel{ function()
  if mode == "pull" then
    local ok, e = pcall(d.pull, d, a1)
    if ok then return "pulled" end
    return "failed " .. tostring(type(e) == "table" and e.kind or e)
  elseif mode == "logs" then
    local s = assert(d._cli:container_logs(a1, { follow = true, stdout = true, stderr = true }))
    local text = ""
    while not text:find(a2, 1, true) do
      local stream, chunk = s:read()
      if not stream then break end
      text = text .. chunk
    end
    s:close()
    return "logs " .. text
  elseif mode == "events" then
    local seen = {}
    for ev in d:events{ since = a2 - 60, ["until"] = a2, filters = { label = { a1 } } } do
      seen[#seen + 1] = ev.Action
    end
    return "events " .. table.concat(seen, ",")
  end
end }
print(out)
]=]

local child = dir .. "/child.lua"
do
  local f = assert(io.open(child, "w"))
  f:write(CHILD)
  f:close()
end

-- Run the child ROUNDS times; each must end in time, exit 0 and print a line
-- check accepts. Stops at the first failure (a hang costs LIMIT seconds).
local function rounds(what, args, check)
  T.ok(BIN, "LUADOCK_BINARY_DIR or arg[-1]")
  local cmd = "env -u DOCKER_API_VERSION timeout -k 5 " .. LIMIT .. " " .. T.q(BIN) .. " "
    .. T.q(child) .. " " .. what
  for _, a in ipairs(args) do cmd = cmd .. " " .. T.q(a) end
  for i = 1, ROUNDS do
    local t0 = docker.clock()
    local out, ok, code = T.sh(cmd .. " 2>&1")
    local took = docker.clock() - t0
    T.ok(code ~= 124 and code ~= 137, string.format("round %d hung (killed after %.1f s): %s", i, took, out))
    T.ok(ok, string.format("round %d: exit %s: %s", i, tostring(code), out))
    T.ok(check(out), string.format("round %d: unexpected output: %s", i, out))
  end
end

T.test("pull as the first request in a loop task returns (20 fresh processes)", function()
  rounds("pull", { "127.0.0.1:1/luadock-first-stream:1" }, function(out)
    return out:match("^failed [%w_]+\n$")
  end)
end)

T.test("logs{follow} as the first request in a loop task returns (20 fresh processes)", function()
  local word = "ready-" .. RUN
  local c = d:run{ image = IMG, detach = true, labels = { [L] = RUN },
    cmd = "sh -c 'echo " .. word .. "; trap \"exit 0\" TERM; sleep 300 & wait'" }
  T.wait_until(function() return c:logs():find(word, 1, true) end, 10, "the container's first line")
  rounds("logs", { c.id, word }, function(out)
    return out == "logs " .. word .. "\n\n"   -- the line's own newline, then print's
  end)
  c:remove{ force = true }
end)

T.test("events as the first request in a loop task returns (20 fresh processes)", function()
  local tag = RUN .. "-events"   -- not the logs case's container
  local c = d:create{ image = IMG, cmd = { "true" }, labels = { [L] = tag } }
  c:remove()
  local now = tostring(os.time() + 1)
  docker.sleep(1.1)   -- until= must have passed, so the engine ends the stream
  rounds("events", { L .. "=" .. tag, now }, function(out)
    return out == "events create,destroy\n"
  end)
end)

for _, c in ipairs(d:containers{ all = true, filters = { label = { L } } }) do
  if (c.labels[L] or ""):sub(1, #RUN) == RUN then pcall(c.remove, c, { force = true }) end
end
T.done()
