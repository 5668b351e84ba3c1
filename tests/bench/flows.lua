-- flows.lua — luadock doing what floor_flows.c does, for flows.sh: whole
-- one-shot runs, a large log read, an events stream. A benchmark, not a test:
-- it prints numbers and judges none of them.
--
--   build/luadock tests/bench/flows.lua run IMAGE N       N one-shot d:run{…, remove = true}, one after the other
--   build/luadock tests/bench/flows.lua prun IMAGE N      the same N runs through docker.parallel, 8 at once
--   build/luadock tests/bench/flows.lua logs ID           c:logs{ on_output = … }: bytes counted as they come
--   build/luadock tests/bench/flows.lua loglines ID       for stream, line in c:lines() do … end: lines counted
--   build/luadock tests/bench/flows.lua events SINCE PREFIX N
--                                         d:events{ since, image tag events } until N
--                                         whose Actor name starts with PREFIX
--
-- prun: 8 functions for docker.parallel(fns, { max = 8 }), each doing its
-- share of the N runs on its own client (as bench.lua's pinspect does), all
-- made and pinged before the clock starts. Every run's container carries the
-- labels luadock.managed=1 (luadock adds it) and luadock.bench=1, and the
-- engine removes it (remove = true, as `docker run --rm`); with BENCH_RUN set
-- they also carry luadock.bench.run=$BENCH_RUN, which flows.sh cleans up by.
--
-- Prints the elapsed seconds of the timed part (docker.clock, monotonic);
-- logs and loglines add the bytes and lines read.

local args = { ... }
if #args == 0 and arg then args = { table.unpack(arg, 1) } end
local what = args[1]

local docker = require "luadock"
local clock = docker.clock
local PAR = 8
local LABELS = { ["luadock.bench"] = "1", ["luadock.bench.run"] = os.getenv("BENCH_RUN") }

local function usage()
  io.stderr:write("usage: luadock flows.lua run|prun IMAGE N | logs|loglines ID | events SINCE PREFIX N\n")
  os.exit(2)
end

local d = docker.connect()
d:ping()

if what == "run" or what == "prun" then
  local image, n = args[2], tonumber(args[3])
  if not image or not n then usage() end
  local function one(client)
    local r = client:run{ image = image, cmd = { "true" }, remove = true, labels = LABELS }
    assert(r.exit_code == 0)
  end
  local t0, t1
  if what == "run" then
    t0 = clock()
    for _ = 1, n do one(d) end
    t1 = clock()
  else
    local fns = {}
    for i = 1, PAR do
      local client = docker.connect()
      client:ping()
      local share = n // PAR + (i <= n % PAR and 1 or 0)
      fns[i] = function() for _ = 1, share do one(client) end end
    end
    t0 = clock()
    docker.parallel(fns, { max = PAR })
    t1 = clock()
  end
  print(string.format("%.6f", t1 - t0))
elseif what == "logs" or what == "loglines" then
  local id = args[2]
  if not id then usage() end
  local c = d:container(id)
  local bytes, lines = 0, 0
  local t0 = clock()
  if what == "logs" then
    c:logs{ on_output = function(_, chunk) bytes = bytes + #chunk end }
  else
    for _, line in c:lines() do
      lines = lines + 1
      bytes = bytes + #line + 1
    end
  end
  local t1 = clock()
  print(string.format("%.6f %d %d", t1 - t0, bytes, lines))
elseif what == "events" then
  local since, prefix, n = args[2], args[3], tonumber(args[4])
  if not since or not prefix or not n then usage() end
  local seen = 0
  local t0 = clock()
  for ev in d:events{ since = tonumber(since), filters = { type = { "image" }, event = { "tag" } } } do
    local name = ev.Actor and ev.Actor.Attributes and ev.Actor.Attributes.name
    if name and name:sub(1, #prefix) == prefix then
      seen = seen + 1
      if seen >= n then break end
    end
  end
  local t1 = clock()
  print(string.format("%.6f", t1 - t0))
else
  usage()
end
