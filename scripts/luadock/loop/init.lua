--[[ luadock.loop: the one event loop behind luadock.schedule and docker.parallel.

A task is a coroutine the loop owns (core.own). Inside a task, every Engine
call and stream read yields core.IO to the loop instead of blocking (see
bindings/lloop.c), docker.sleep yields a wake-up time, and a bare
coroutine.yield() just gives the other tasks a turn. loop.step() resumes what
is ready, then waits in one place (core.wait) for any transfer of any client,
a hijacked socket, the next wake-up, or a signal. Outside a task nothing
changes: calls block, sleep sleeps.

Nothing here knows about jobs or containers; luadock.schedule builds on it.
Room loop/: tasks and time (event loop, parallel, schedule, cron); knows no
Docker objects: what a job does with the engine is the job's own code.]]

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local shield = require "luadock.base.shield"
argcheck.mark()

local M = {}

local IO_SLICE = 0.2     -- a waiting call re-checks its timeouts and cancel this often
local KILL_GRACE = 60    -- how long killed tasks may take to unwind (their clean-up is bounded too)
local KILL_MARGIN = 60   -- and then to close what is left
local SLEEP, JOIN = {}, {}

local tasks = {}                             -- live tasks, in spawn order
local ended = 0                              -- tasks ended so far (step returns early)
local by_co = setmetatable({}, { __mode = "k" })

-- loop.spawn(fn, fields) -> task. fields (optional) are copied into the task
-- (name, labels, on_done = function(task) called when it ends). The task
-- starts at the next step. When it ends, task.ok and task.results (packed)
-- or task.err are set.
-- fn runs inside a protected call in its coroutine: an error unwinds the
-- task's own stack there, so its to-be-closed values are closed (and may
-- still yield to the loop while they clean up). A coroutine that dies with
-- an error keeps its stack, closing nothing (Lua 5.4 manual, 3.3.8).
local function protected_body(fn)
  return function(...)
    return xpcall(fn, function(e) return e end, ...)
  end
end

function M.spawn(fn, fields)
  local co = coroutine.create(protected_body(fn))
  core.own(co, true)
  local t = { co = co }
  for k, v in pairs(fields or {}) do t[k] = v end
  tasks[#tasks + 1] = t
  by_co[co] = t
  return t
end

-- The task the caller runs in, or nil on the main thread or in a coroutine
-- the loop does not own.
function M.current()
  return by_co[(coroutine.running())]
end

local function remove(t)
  for i, x in ipairs(tasks) do
    if x == t then table.remove(tasks, i) break end
  end
  by_co[t.co] = nil
  core.own(t.co, false)
end

local function finished(t, ok, ...)
  t.done, t.ok, t.wait = true, ok, nil
  ended = ended + 1
  if ok then t.results = table.pack(...) else t.err = ... end
  remove(t)
  local parent = t.parent
  if parent and parent.wait == JOIN then
    parent.pending = parent.pending - 1
    if parent.pending == 0 then parent.wait = nil end
  end
  if t.on_done then t.on_done(t) end
end

local function resume(t, ...)
  t.wait = nil
  local r = table.pack(coroutine.resume(t.co, ...))
  if coroutine.status(t.co) == "dead" then
    if r[1] then return finished(t, table.unpack(r, 2, r.n)) end
    coroutine.close(t.co)                    -- only when a clean-up itself failed
    return finished(t, false, r[2])
  end
  local what = r[2]
  if what == core.IO then
    t.wait, t.fd = core.IO, r[3]
  elseif what == SLEEP then
    t.wait, t.wake_at = SLEEP, r[3]
  elseif what == JOIN then
    t.wait = JOIN
  end                                      -- anything else: ready again next step
end

local function abort_message(msg)
  local errors = require "luadock.base.errors"
  errors.throw("canceled", msg, { code = "CANCELED" })
end

-- docker.sleep: yields inside a task, else sleeps (Ctrl-C cancels).
function M.sleep(seconds)
  if M.current() and coroutine.isyieldable() then
    local abort = coroutine.yield(SLEEP, core.clock() + seconds)
    if abort then abort_message(abort) end
    return true
  end
  local ok, msg = core.sleep(seconds)
  if ok == nil then abort_message(msg or "canceled") end
  return true
end

-- An abort waits while the task is in shielded clean-up (luadock.base.shield).
local function abortable(t)
  return t.abort ~= nil and not core.shielded(t.co)
end

-- Make the call or sleep task t waits in fail with kind "canceled" and this
-- message (once; the task may go on, e.g. to clean up). Tasks it waits for
-- (loop.join) get it instead.
function M.abort(t, msg)
  if t.done then return end
  if t.wait == JOIN and t.children then
    for _, c in ipairs(t.children) do M.abort(c, msg) end
  else
    t.abort = msg
  end
end

-- Close t's coroutine, which closes its to-be-closed values (blocking: they
-- run outside the loop) and any call it waits in. on_done sees ok=false.
local function close_task(t, msg)
  if t.done then return end
  for _, c in ipairs(t.children or {}) do close_task(c, msg) end
  coroutine.close(t.co)
  finished(t, false, msg)
end

local function any_alive(list)
  for _, t in ipairs(list) do
    if not t.done then return true end
  end
  return false
end

-- End every task in list. First each is aborted (the call or sleep it waits
-- in fails with kind "canceled" and msg) and the loop driven for up to
-- `grace` seconds (default KILL_GRACE), so the task unwinds as after any error: its pcall-based
-- clean-up runs too, not only its to-be-closed values, and clean-up it does
-- under a shield (luadock.base.shield) is never cut in half. A task still alive
-- then is closed. This runs shielded itself, so a signal that comes
-- meanwhile cannot leave the rest unclosed. From inside a task the loop
-- cannot be driven: the tasks are closed at once.
function M.kill_all(list, msg, grace)
  grace = grace or KILL_GRACE
  shield.run(grace + KILL_MARGIN, function()
    if grace > 0 and not M.current() then
      for _, t in ipairs(list) do M.abort(t, msg) end
      local deadline = core.clock() + grace
      while any_alive(list) and core.clock() < deadline do M.step(0.2) end
    end
    for _, t in ipairs(list) do close_task(t, msg) end
  end)
end

-- kill_all for one task; grace = 0 closes it at once.
function M.kill(t, msg, grace)
  M.kill_all({ t }, msg, grace)
end

-- Resume what is ready, then wait at most max_wait seconds (< 0 or nil:
-- until something happens) for calls, wake-ups or a signal, and resume the
-- calls that may have news. Returns whether any task is left.
function M.step(max_wait)
  if M.current() then error("luadock.loop: the loop cannot be driven from inside one of its tasks", 2) end
  local ended_before = ended
  local now = core.clock()
  for _, t in ipairs({ table.unpack(tasks) }) do
    if not t.done then
      if abortable(t) and (t.wait == core.IO or t.wait == SLEEP) then
        local msg = t.abort
        t.abort = nil
        resume(t, msg)
      elseif t.wait == nil or (t.wait == SLEEP and t.wake_at <= now) then
        resume(t)
      end
    end
  end
  local timeout = (max_wait and max_wait >= 0) and max_wait or math.huge
  local fds, io = {}, false
  now = core.clock()
  for _, t in ipairs(tasks) do
    if t.wait == nil or abortable(t) then
      timeout = 0
    elseif t.wait == SLEEP then
      timeout = math.min(timeout, math.max(0, t.wake_at - now))
    elseif t.wait == core.IO then
      io = true
      if t.fd and t.fd >= 0 then fds[#fds + 1] = t.fd end
    end
  end
  if io then timeout = math.min(timeout, IO_SLICE) end
  if ended > ended_before then timeout = 0 end   -- let the caller look first
  if timeout == math.huge then timeout = 3600 end
  if timeout > 0 then core.wait(timeout, table.unpack(fds)) end
  for _, t in ipairs({ table.unpack(tasks) }) do
    if t.wait == core.IO and not t.done and not abortable(t) then resume(t) end
  end
  return #tasks > 0
end

-- Wait until every task in list has ended: inside a task by yielding,
-- elsewhere by driving the loop.
function M.join(list)
  local me = M.current()
  if me and coroutine.isyieldable() then
    local pending = 0
    for _, t in ipairs(list) do
      if not t.done then
        t.parent = me
        pending = pending + 1
      end
    end
    if pending > 0 then
      me.pending, me.children = pending, list
      coroutine.yield(JOIN)
      me.children = nil
    end
    return
  end
  local function all_done()
    for _, t in ipairs(list) do
      if not t.done then return false end
    end
    return true
  end
  while not all_done() do M.step() end
end

-- How many tasks are alive (for tests and the scheduler).
function M.count()
  return #tasks
end

return M
