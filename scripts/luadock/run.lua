-- luadock.run: d:run{...}, composed from engine calls the way the docker CLI
-- runs a container. One-shot: create (labelled) -> [attach with stdin] ->
-- start -> read output (logs, or the attach stream) -> wait -> [remove] ->
-- { exit_code, stdout, stderr, id }, raising kind "exit" on a non-zero code
-- and kind "timeout" (after killing it) when `timeout` passes. Detached:
-- create -> start -> a reloaded Container. A container whose start failed is
-- removed (it is ours). This module must never remove a container it did not
-- create in the same call.

local core = require "luadock.core"
local util = require "luadock.util"
local errors = require "luadock.errors"
local options = require "luadock.options"
local container = require "luadock.container"
util.mark()

local check = errors.check
local M = {}

local function remove_quietly(cli, id)
  pcall(cli.container_delete, cli, id, { force = true, v = true })
end

local function kill_quietly(cli, id)
  pcall(cli.container_kill, cli, id, { signal = "KILL" })
end

local function describe(plan)
  return plan.image .. " " .. (plan.command and ("[" .. plan.command .. "]") or "[image's default command]")
end

-- Attach before start so no output (and no stdin) is missed: a hijacked
-- stream that feeds `text` and then closes the write side.
local function attach_stdin(cli, id, plan)
  local s, msg, code, detail = cli:container_attach(id,
    { stream = true, stdin = true, stdout = true, stderr = true },
    { stdin = plan.stdin, raw = plan.tty or nil })
  if s == nil then
    remove_quietly(cli, id)
    errors.raise(errors.from_core(msg, code, detail))
  end
  return s
end

local function start_or_remove(cli, id, s)
  local r, msg, code, detail = cli:container_start(id)
  if r == nil then
    if s then s:close() end
    remove_quietly(cli, id)
    errors.raise(errors.from_core(msg, code, detail))
  end
end

local function run_detached(client, plan)
  local cli = client._cli
  local id = container.create_from_plan(client, plan)
  local s = plan.stdin and attach_stdin(cli, id, plan)
  start_or_remove(cli, id, s)
  if s then s:close() end
  return container.inspect_or_removed(client, id, plan)
end

local function remaining(deadline)
  if not deadline then return nil end
  return math.max(0.001, deadline - core.clock())
end

local function run_once(client, plan)
  local cli = client._cli
  local deadline = plan.timeout and core.clock() + plan.timeout
  local raw = plan.tty or nil
  local out, err = {}, {}
  local collect = plan.on_output or function(stream, chunk)
    if stream == "stderr" then err[#err + 1] = chunk else out[#out + 1] = chunk end
  end

  local id = container.create_from_plan(client, plan)
  local s = plan.stdin and attach_stdin(cli, id, plan)
  start_or_remove(cli, id, s)

  local ok, res = pcall(function()
    if not s and plan.on_output then
      s = check(cli:container_logs(id, { follow = true, stdout = true, stderr = true }, { raw = raw }))
    end
    if s then
      local finished = container.drain(s, collect, deadline)
      s:close()
      if not finished then return "timeout" end
    end
    local w, msg, code, detail = cli:container_wait(id, nil, { timeout = false, deadline = remaining(deadline) })
    if w == nil then
      local e = errors.from_core(msg, code, detail)
      if e.kind == "timeout" and deadline then return "timeout" end
      errors.raise(e)
    end
    if not s then
      local ls <close> = check(cli:container_logs(id, { stdout = true, stderr = true }, { raw = raw }))
      container.drain(ls, collect)
    end
    return w
  end)

  if not ok or res == "timeout" then
    if s then s:close() end
    kill_quietly(cli, id)
    if plan.remove then remove_quietly(cli, id) end
    if not ok then error(res, 0) end
    errors.throw("timeout", string.format("%s did not finish within %g s and was killed",
      describe(plan), plan.timeout), { id = id, stdout = table.concat(out), stderr = table.concat(err) })
  end

  local code = math.tointeger(res.StatusCode) or res.StatusCode
  local result = { exit_code = code, stdout = table.concat(out), stderr = table.concat(err), id = id }
  if plan.remove then
    errors.check_found(cli:container_delete(id, { force = true, v = true }))
  end
  if code ~= 0 and plan.check then
    local msg = string.format("%s exited with code %s", describe(plan), tostring(code))
    local tail = util.last_lines(result.stderr, 5)
    if tail ~= "" then msg = msg .. "; stderr:\n" .. tail end
    errors.throw("exit", msg, {
      exit_code = code, stdout = result.stdout, stderr = result.stderr, id = id,
      image = plan.image, command = plan.command,
    })
  end
  return result
end

function M.install(Client)
  function Client:run(spec)
    local plan = options.container("run", spec)
    if plan.detach then return run_detached(self, plan) end
    return run_once(self, plan)
  end
end

return M
