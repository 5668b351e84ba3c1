-- luadock.container.run: d:run{...}, composed from engine calls the way `docker run`
-- runs a container. One-shot: create (labelled; AutoRemove when remove=true)
-- -> attach (a plain stream of stdout/stderr, or a hijacked one that feeds
-- stdin) -> with AutoRemove, ask for the exit code (wait condition=removed)
-- -> start -> read the attach stream to its end -> exit code -> { exit_code,
-- stdout, stderr, id }, raising kind "exit" on a non-zero code and kind
-- "timeout" when `timeout` passes. Attaching instead of reading logs means
-- output comes back whatever the log driver; asking for the exit code before
-- start means it is not lost when the engine removes the container. When the
-- run is interrupted (error, Ctrl-C, SIGTERM, a schedule's max_runtime, the
-- timeout), the container is killed (removed with remove=true) under a
-- shield, so the clean-up itself cannot be interrupted; if the process dies
-- outright, AutoRemove still removes the container once it exits.
-- Detached: create -> start -> a reloaded Container. A container whose start
-- failed, or whose run was interrupted before it was returned, is removed
-- (it is ours; a label of the call's own finds it when a create was cut
-- short). This module must never remove a container it did not create in
-- the same call.
-- Room container/: what a Container does and the Client methods that make or
-- list containers; methods go in M.Container / M.Client, merged by
-- luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local lazy = require "luadock.base.lazy"   -- loaded on first use: start-up speed
local keys = require "luadock.base.keys"
local shell = require "luadock.base.shell"
local errors = require "luadock.base.errors"
local options = lazy "luadock.spec.options"
local container = require "luadock.container.object"
local loop = lazy "luadock.loop"
local shield = require "luadock.base.shield"
argcheck.mark()

local check = errors.check
local M = {}

local CLEANUP_LIMIT = 15     -- seconds the shielded kill/remove may take
local LANDING_WAIT = 3       -- seconds to look for a container whose create was cut short
local TIMED_OUT = {}         -- what the run's body returns when `timeout` passed
local CALL_LABEL = "luadock.call"
-- failures after which a create may still have reached the engine
local LANDING_KINDS = keys.set { "canceled", "timeout", "connection", "truncated", "protocol" }

local function describe(plan)
  return plan.image .. " " .. (plan.command and ("[" .. plan.command .. "]") or "[image's default command]")
end

-- ---- a call kept in flight beside the run's own calls ----------------------
-- The wait for the exit code must be on the engine before the container
-- starts. It runs in a coroutine of our own that the event loop's binding
-- treats as a task (core.own): its call yields instead of blocking, and its
-- transfer moves on whenever any call of the same client is driven (they
-- share the client's connection pool), here or in the loop.
local Pending = {}
Pending.__index = Pending

local function pending(fn, ...)
  local co = coroutine.create(fn)
  core.own(co, true)
  local p = setmetatable({ co = co }, Pending)
  p:step(...)
  return p
end

function Pending:step(...)
  if self.done then return end
  local r = table.pack(coroutine.resume(self.co, ...))
  if coroutine.status(self.co) == "dead" then
    self.done, self.ok, self.res = true, r[1], r
  end
end

-- Wait until some transfer may have news: inside a loop task by yielding to
-- the loop (which may resume us with an abort message: max_runtime), else
-- in core.wait (a signal ends it early; the interrupt hook then raises).
local function wait_news(slice)
  if loop.current() and coroutine.isyieldable() then
    local abort = coroutine.yield(core.IO, -1)
    if abort then errors.throw("canceled", abort, { code = "CANCELED" }) end
  else
    core.wait(slice)
  end
end

-- The pending call's results (nil, msg, code, detail on failure), or false
-- when `deadline` (a core.clock() value) passed first.
function Pending:finish(deadline)
  self:step()
  while not self.done do
    local slice = 0.2
    if deadline then
      local left = deadline - core.clock()
      if left <= 0 then return false end
      slice = math.min(slice, left)
    end
    wait_news(slice)
    self:step()
  end
  if not self.ok then error(self.res[2], 0) end
  return table.unpack(self.res, 2, self.res.n)
end

-- Abandon the call: closing the coroutine frees its transfer.
function Pending:close()
  if self.done then return end
  self.done, self.ok = true, false
  coroutine.close(self.co)
end

-- ---- pieces of a run ----------------------------------------------------------

-- Attach before start so no output (and no stdin) is missed. Without stdin
-- it is an ordinary streaming request (it cooperates with the event loop);
-- with stdin a hijacked connection that feeds `text` and closes the write side.
local function attach(cli, id, plan)
  local raw = plan.tty or nil
  if plan.stdin then
    return check(cli:container_attach(id,
      { stream = true, stdin = true, stdout = true, stderr = true },
      { stdin = plan.stdin, raw = raw }))
  end
  return check(cli:container_attach(id, { stream = true, stdout = true, stderr = true }, { raw = raw }))
end

-- The run went wrong (or was interrupted): get rid of what is running. A
-- container that never started, or one that should go anyway (remove), is
-- force-removed; otherwise it is killed and stays for inspection, no longer
-- running when we return (Docker 28 answers a kill before the container has
-- stopped; 20.10 waited, so the wait makes both alike). Shielded,
-- so Ctrl-C, SIGTERM or a max_runtime cancel cannot stop it half-way; a
-- failure here must not hide the error that brought us here.
local function clean_up(cli, id, remove)
  shield.try(CLEANUP_LIMIT, function()
    if not remove then
      if cli:container_kill(id, { signal = "KILL" }) ~= nil then
        cli:container_wait(id, { condition = "not-running" }, { timeout = CLEANUP_LIMIT - 5 })
      end
      return
    end
    local r, msg, code, detail = cli:container_delete(id, { force = true, v = true })
    if r == nil and errors.removal_underway(errors.from_core(msg, code, detail)) then
      -- the engine is removing it already (AutoRemove): let it finish
      cli:container_wait(id, { condition = "removed" }, { timeout = false })
    end
  end)
end

-- Each run's container carries a label of its own (CALL_LABEL): a create
-- cut short (Ctrl-C, a cancel, a lost connection), or an interruption that
-- came before its id reached us, may leave a container the engine made
-- anyway, and only this label finds it without its id.
local function tag(plan)
  local t = core.random_hex(8)
  plan.body.Labels[CALL_LABEL] = t
  return t
end

local function may_have_landed(err)
  if errors.is_error(err) then return LANDING_KINDS[err.kind] == true end
  return true        -- an interruption ("interrupted!") or another Lua error
end

-- Look for that container for a while (the engine may still be creating
-- it) and force-remove it until the list no longer shows it: while the
-- engine is still creating it, the list may show it before a delete finds
-- it (404). Shielded like clean_up.
local function remove_by_tag(cli, t)
  shield.try(CLEANUP_LIMIT, function()
    local give_up, seen = core.clock() + LANDING_WAIT, false
    while true do
      local list = cli:container_list({ all = true, filters = { label = { CALL_LABEL .. "=" .. t } } })
      if type(list) == "table" then
        if #list == 0 and seen then return end
        for _, c in ipairs(list) do
          if not seen then give_up, seen = core.clock() + CLEANUP_LIMIT, true end
          cli:container_delete(c.Id, { force = true, v = true })
        end
      end
      if core.clock() >= give_up then return end
      loop.sleep(seen and 0.05 or 0.2)
    end
  end)
end

-- The run failed before it could return: what it made must go.
local function abandon(cli, id, t, err, remove)
  if id then
    clean_up(cli, id, remove)
  elseif may_have_landed(err) then
    remove_by_tag(cli, t)
  end
end

-- The exit code of a container the engine removed before our wait reached
-- it, from its "die" event (the engine replays recent events for `since`).
function M.exit_code_from_events(cli, id, since)
  local s <close> = check(cli:system_events({
    since = string.format("%.6f", since), ["until"] = string.format("%.6f", core.walltime() + 1),
    filters = { container = { id }, event = { "die" } },
  }, { deadline = 10 }))
  local code
  while true do
    local ev, msg, c, detail = s:read()
    if ev == nil then
      if msg ~= nil then errors.raise(errors.from_core(msg, c, detail)) end
      break
    end
    local attrs = type(ev) == "table" and ev.Actor and ev.Actor.Attributes
    if attrs and attrs.exitCode then code = math.tointeger(tonumber(attrs.exitCode)) end
  end
  return code
end

local function wait_result(w, msg, code, detail)
  if w == nil then return nil, errors.from_core(msg, code, detail) end
  return math.tointeger(w.StatusCode) or w.StatusCode
end

-- ---- the two flows ------------------------------------------------------------

-- Until the Container is returned nobody else holds it: a failure or an
-- interruption on the way removes it.
local function run_detached(client, plan)
  local cli = client._cli
  local t = tag(plan)
  local id, s
  local ok, res = pcall(function()
    id = container.create_from_plan(client, plan)
    s = plan.stdin and attach(cli, id, plan)
    check(cli:container_start(id))
    if s then s:close() end
    return container.inspect_or_removed(client, id, plan)
  end)
  if s then s:close() end
  if not ok then
    abandon(cli, id, t, res, true)
    error(res, 0)
  end
  return res
end

local function run_once(client, plan)
  local cli = client._cli
  local deadline = plan.timeout and core.clock() + plan.timeout
  local out, err = {}, {}
  local collect = plan.on_output or function(stream, chunk)
    if stream == "stderr" then err[#err + 1] = chunk else out[#out + 1] = chunk end
  end

  local t = tag(plan)
  local id, s, waiter, started
  local ok, res = pcall(function()
    id = container.create_from_plan(client, plan)
    s = attach(cli, id, plan)
    local since = core.walltime() - 1
    if plan.remove then
      waiter = pending(cli.container_wait, cli, id, { condition = "removed" }, { timeout = false })
    end
    check(cli:container_start(id))
    started = true
    if not container.drain(s, collect, deadline) then return TIMED_OUT end
    s:close()
    if waiter then
      local w, msg, code, detail = waiter:finish(deadline)
      if w == false then return TIMED_OUT end
      local exit, e = wait_result(w, msg, code, detail)
      if e and e.kind == "not_found" then
        exit = M.exit_code_from_events(cli, id, since)
        if exit == nil then errors.raise(e) end
      elseif e then
        errors.raise(e)
      end
      return exit
    end
    local exit, e = wait_result(cli:container_wait(id, nil, {
      timeout = false, deadline = deadline and math.max(0.001, deadline - core.clock()) }))
    if e and e.kind == "timeout" and deadline then return TIMED_OUT end
    if e then errors.raise(e) end
    return exit
  end)

  if s then s:close() end
  if waiter then waiter:close() end
  if not ok or res == TIMED_OUT then
    abandon(cli, id, t, res, plan.remove or not started)
    if not ok then error(res, 0) end
    errors.throw("timeout", string.format("%s did not finish within %g s and was killed",
      describe(plan), plan.timeout), { id = id, stdout = table.concat(out), stderr = table.concat(err) })
  end

  local code = res
  local result = { exit_code = code, stdout = table.concat(out), stderr = table.concat(err), id = id }
  if code ~= 0 and plan.check then
    local msg = string.format("%s exited with code %s", describe(plan), tostring(code))
    local tail = shell.last_lines(result.stderr, 5)
    if tail ~= "" then msg = msg .. "; stderr:\n" .. tail end
    errors.throw("exit", msg, {
      exit_code = code, stdout = result.stdout, stderr = result.stderr, id = id,
      image = plan.image, command = plan.command,
    })
  end
  return result
end

-- Client methods, merged into the class by luadock/init.lua (PARTS)
M.Client = {}
do
  local Client = M.Client
  function Client:run(spec)
    local plan = options.container("run", spec)
    if plan.detach then return run_detached(self, plan) end
    return run_once(self, plan)
  end
end

return M
