-- luadock.loop.parallel: docker.parallel(fns, { max = 8 }) runs each function in
-- its own task on luadock's event loop (luadock.loop), at most `max` at once,
-- so the Engine calls they make overlap without threads. It returns their
-- first results in order; when some fail, the first failure (by position) is
-- raised after all have finished, naming which function it was.
-- Room loop/: tasks and time (event loop, parallel, schedule, cron); knows no
-- Docker objects: what a job does with the engine is the job's own code.
local loop = require "luadock.loop"
local errors = require "luadock.base.errors"
local argcheck = require "luadock.base.argcheck"
argcheck.mark()

local M = {}

local function describe(i, err)
  return string.format("docker.parallel: function #%d failed: %s", i, tostring(err))
end

function M.parallel(fns, opts)
  if type(fns) ~= "table" then
    argcheck.argerror("parallel", 1, nil, "table of functions expected, got " .. type(fns))
  end
  local n = #fns
  for i = 1, n do
    if type(fns[i]) ~= "function" then
      argcheck.argerror("parallel", 1, nil, "item " .. i .. ": function expected, got " .. type(fns[i]))
    end
  end
  local chk = argcheck.checker("parallel", 2)
  opts = chk:opts(opts, true)
  chk:only(opts, { max = true })
  local max = chk:type("max", opts.max, "integer", true) or 8
  if max < 1 then chk:fail("max", "must be at least 1") end

  local tasks, started, stopping = {}, 0, false
  -- an error while waiting (Ctrl-C in the REPL) ends the tasks too
  local guard <close> = setmetatable({}, { __close = function(_, err)
    if err == nil then return end
    stopping = true
    loop.kill_all({ table.unpack(tasks, 1, started) }, "docker.parallel was interrupted")
  end })
  local function start_next()
    if stopping or started >= n then return end
    started = started + 1
    local i = started
    tasks[i] = loop.spawn(fns[i], { name = "parallel #" .. i, on_done = start_next })
  end
  for _ = 1, math.min(max, n) do start_next() end
  -- tasks[] grows while we wait (each end starts the next): join in rounds
  while true do
    local pending = {}
    for i = 1, started do
      if not tasks[i].done then pending[#pending + 1] = tasks[i] end
    end
    if #pending == 0 and started >= n then break end
    loop.join(pending)
  end

  local out = {}
  for i = 1, n do
    local t = tasks[i]
    if not t.ok then
      local err = t.err
      if errors.is_error(err) then
        local copy = {}
        for k, v in pairs(err) do copy[k] = v end
        copy.message = describe(i, err.message or err.kind)
        copy.index = i
        error(errors.new(copy), 0)
      end
      error(describe(i, err), 0)
    end
    out[i] = t.results[1]
  end
  return table.unpack(out, 1, n)
end

return M
