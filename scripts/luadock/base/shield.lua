-- luadock.base.shield: clean-up that runs to completion when the script is
-- interrupted. shield.run(limit, fn, ...) calls fn(...) with the running
-- thread shielded (bindings/lsignal.c): Ctrl-C, SIGTERM, the REPL's Ctrl-C
-- and a schedule's max_runtime cancel do not stop the Engine calls and
-- sleeps it makes, a signal that comes meanwhile is held until it ends, and
-- a second signal is not fatal. Instead, `limit` seconds bound it: every
-- call inside gets what is left as its deadline, and one that would start
-- after that fails with kind "timeout". Shields nest; an inner one never
-- outlives the outer. It returns fn's results or raises fn's error, and the
-- thread is unshielded again however fn ends (a to-be-closed value, so also
-- when the event loop closes the coroutine).
--
-- Use it only around clean-up (stopping and removing what a script made,
-- restarting what it stopped): work under a shield cannot be interrupted.
-- Room base/: pure helpers every room may use; no engine calls, no client, no
-- Docker objects (luadock.core only for the clock and shields).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
argcheck.mark()

local M = {}

local function restore(prev)
  return setmetatable({}, { __close = function() core.shield_set(prev) end })
end

function M.run(limit, fn, ...)
  if type(limit) ~= "number" or limit ~= limit or limit <= 0 or limit == math.huge then
    error("bad argument #1 to 'shield.run' (positive finite number of seconds expected, got "
      .. (type(limit) == "number" and tostring(limit) or type(limit)) .. ")", 2)
  end
  if type(fn) ~= "function" then
    error("bad argument #2 to 'shield.run' (function expected, got " .. type(fn) .. ")", 2)
  end
  local prev = core.shielded()
  local deadline = core.clock() + limit
  if prev and prev < deadline then deadline = prev end
  core.shield_set(deadline)
  local _ <close> = restore(prev)
  return fn(...)
end

-- shield.try(limit, fn, ...) -> ok, ... like pcall(shield.run, limit, fn, ...),
-- for clean-up whose own failure must not hide the error being handled:
-- it swallows fn's errors, but not a Ctrl-C or SIGTERM that came while the
-- shield was up (raised as the shield is left), which goes on up.
function M.try(limit, fn, ...)
  local r = table.pack(pcall(M.run, limit, fn, ...))
  if not r[1] and core.interrupted() and type(r[2]) == "string"
     and (r[2]:match("interrupted!$") or r[2]:match("terminated!$")) then
    error(r[2], 0)
  end
  return table.unpack(r, 1, r.n)
end

-- Whether the running thread is shielded (its clean-up deadline, or nil).
function M.active()
  return core.shielded()
end

return M
