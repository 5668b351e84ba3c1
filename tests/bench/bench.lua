-- bench.lua — luadock doing what floor.c does, timed inside one process.
--
--   build/luadock tests/bench/bench.lua ping N
--   build/luadock tests/bench/bench.lua inspect N ID
--   build/luadock tests/bench/bench.lua pinspect N ID
--   build/luadock tests/bench/bench.lua ps N
--   build/luadock tests/bench/bench.lua ping|inspect|pinspect|ps N [ID] core
--
-- Default: the friendly module (require "luadock"): d:ping(), d:container(ID),
-- d:containers{all=true}. With `core` as the last argument: the thin binding
-- (require "luadock.core"): cli:system_ping(), cli:container_inspect(ID),
-- cli:container_list({all=true}) — the difference is the cost of the friendly
-- layer.
--
-- pinspect: the same N inspects, PAR (8) at once: docker.parallel(fns,
-- { max = PAR }) with PAR functions, each doing its share of the N calls on
-- its own client (one client = one curl multi handle = its own connection,
-- like floor.c's PAR easy handles). At both levels the calls run inside
-- docker.parallel's tasks, so they overlap on luadock's event loop. All PAR
-- clients are made and pinged before the clock starts.
--
-- The client is made, the API version negotiated and one ping done before the
-- clock starts, so the loop measures steady-state calls on an open connection
-- (floor.c and bench.py do the same). Each result is touched the way floor.c
-- touches it (Id, name, state, labels of every listed container). Prints the
-- loop's elapsed seconds (docker.clock(), monotonic).

local args = { ... }
if #args == 0 and arg then args = { table.unpack(arg, 1) } end

local level = "friendly"
if args[#args] == "core" or args[#args] == "friendly" then
  level = table.remove(args)
end
local what, n, id = args[1], tonumber(args[2]), args[3]
if not what or not n or n < 1 or ((what == "inspect" or what == "pinspect") and not id) then
  io.stderr:write("usage: luadock bench.lua ping|inspect|pinspect|ps N [ID] [core]\n")
  os.exit(2)
end

local docker = require "luadock"
local clock = docker.clock
local sink = 0
local call
local PAR = 8

-- pinspect: PAR functions for docker.parallel, function i making share(i) of
-- the n calls with one_call(i) (its own client); call runs them all at once.
local function parallel_call(one_call)
  local fns = {}
  for i = 1, PAR do
    local share = n // PAR + (i <= n % PAR and 1 or 0)
    fns[i] = function()
      for _ = 1, share do one_call(i) end
    end
  end
  return function() docker.parallel(fns, { max = PAR }) end
end

if level == "friendly" then
  local d = docker.connect()
  d:api_version()
  d:ping()
  if what == "ping" then
    call = function() d:ping() end
  elseif what == "inspect" then
    call = function()
      local c = d:container(id)
      sink = sink + #c.id
    end
  elseif what == "pinspect" then
    local ds = {}
    for i = 1, PAR do
      ds[i] = docker.connect()
      ds[i]:api_version()
      ds[i]:ping()
    end
    call = parallel_call(function(i)
      local c = ds[i]:container(id)
      sink = sink + #c.id
    end)
  elseif what == "ps" then
    call = function()
      local list = d:containers{ all = true }
      for i = 1, #list do
        local c = list[i]
        if c.id then sink = sink + 1 end
        if c.name then sink = sink + 1 end
        if c.state then sink = sink + 1 end
        for _ in pairs(c.labels or {}) do sink = sink + 1 end
      end
    end
  end
else
  local core = require "luadock.core"
  local cli = assert(core.new{})
  assert(cli:api_version())
  assert(cli:system_ping())
  if what == "ping" then
    call = function() assert(cli:system_ping()) end
  elseif what == "inspect" then
    call = function()
      local c = assert(cli:container_inspect(id))
      sink = sink + #c.Id
    end
  elseif what == "pinspect" then
    local clis = {}
    for i = 1, PAR do
      clis[i] = assert(core.new{})
      assert(clis[i]:api_version())
      assert(clis[i]:system_ping())
    end
    call = parallel_call(function(i)
      local c = assert(clis[i]:container_inspect(id))
      sink = sink + #c.Id
    end)
  elseif what == "ps" then
    local q = { all = true }
    call = function()
      local list = assert(cli:container_list(q))
      for i = 1, #list do
        local c = list[i]
        if c.Id then sink = sink + 1 end
        if c.Names and c.Names[1] then sink = sink + 1 end
        if c.State then sink = sink + 1 end
        for _ in pairs(c.Labels or {}) do sink = sink + 1 end
      end
    end
  end
end

if not call then
  io.stderr:write("bench.lua: unknown benchmark " .. tostring(what) .. "\n")
  os.exit(2)
end

local rounds = what == "pinspect" and 1 or n   -- pinspect: one call makes all n
local t0 = clock()
for _ = 1, rounds do call() end
local t1 = clock()
print(string.format("%.6f", t1 - t0))
if sink < 0 then print(sink) end
