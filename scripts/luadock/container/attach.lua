-- luadock.container.attach: the Container methods that read a running container's live
-- streams: c:attach{ stdin=, on_output=, logs= } (its stdio, stdin fed and
-- then closed) and c:stats() / c:stats{ stream = true } (resource samples).
-- attach inspects first and refuses a container that is not running, as the
-- docker CLI does, because the raw API then hangs forever (fault #27 of tests/faults/README.md);
-- while attached it checks again whenever the stream is idle, so a container
-- that stopped in between cannot hang it either. Nothing here changes a
-- container's state.
-- The stream's end alone does not say why it ended (faults #16, #34 of
-- tests/faults/README.md): the container exited, the engine detached the client
-- (detach keys) while the container runs on, or the connection to the engine
-- was lost. attach asks the engine afterwards and says which in the result's
-- `state` ("exited", with `exit_code`; "detached"; "removed"), or raises when the
-- engine no longer answers.
-- Room container/: what a Container does and the Client methods that make or
-- list containers; methods go in M.Container / M.Client, merged by
-- luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local errors = require "luadock.base.errors"
local classes = require "luadock.base.classes"
argcheck.mark()

local check = errors.check
local M = {}

local Container = {}   -- Container methods, merged into the class by luadock/init.lua (PARTS)
M.Container = Container

local self_check = argcheck.self_checker(classes.Container, "c")

local IDLE_CHECK = 1.0   -- seconds without output before asking whether it still runs

local ATTACH_OPTS = keys.set { "stdin", "on_output", "logs", "detach_keys" }
local SETTLE = 1.0   -- seconds an exiting container may still show as running

-- The container's state, raising like the docker CLI when it cannot be
-- attached to.
local function attachable(cli, id)
  local t = check(cli:container_inspect(id))
  local state = t.State or {}
  local path = "/containers/" .. id .. "/attach"
  if not state.Running then
    errors.throw("conflict", "You cannot attach to a stopped container, start it first",
      { method = "POST", path = path, id = id })
  end
  if state.Paused then
    errors.throw("conflict", "You cannot attach to a paused container, unpause it first",
      { method = "POST", path = path, id = id })
  end
  if state.Restarting then
    errors.throw("conflict", "You cannot attach to a restarting container, wait until it is running",
      { method = "POST", path = path, id = id })
  end
  return t
end

local function running(cli, id)
  local t = errors.check_found(cli:container_inspect(id))
  return t ~= nil and t.State ~= nil and t.State.Running == true
end

-- Why the attach stream of container `id` ended: "exited" and the exit code,
-- "removed" (an auto-removed container), or "detached" when it still runs
-- once an exiting container would have been marked stopped. An engine that no
-- longer answers raises: the stream was cut, not ended.
local function ended(cli, id)
  local deadline = core.clock() + SETTLE
  while true do
    local t, msg, code, detail = cli:container_inspect(id)
    if t == nil then
      local e = errors.from_core(msg, code, detail)
      if e.kind == "not_found" then return "removed" end
      -- whatever the inspect met (refused, reset, cut), what the attach met
      -- is a lost connection to the engine
      errors.throw("connection", "the attach stream ended and the engine no longer answers: "
        .. tostring(e.message), { method = "POST", path = "/containers/" .. id .. "/attach",
        code = e.code })
    end
    local state = t.State or {}
    if not state.Running then return "exited", state.ExitCode end
    if core.clock() >= deadline then return "detached" end
    core.sleep(0.05)
  end
end

-- c:attach{ stdin = text, on_output = fn, logs = false, detach_keys = "ctrl-p,ctrl-q" }
-- -> { stdout=, stderr=, state=, exit_code= } (empty strings when on_output
-- took the output). Returns when the stream ends: the container exited
-- (state "exited", exit_code), closed its output and ran on, or the engine
-- detached the client on the detach keys (state "detached").
function Container:attach(spec)
  local cli = self_check(self, "attach")
  local chk = argcheck.checker("attach", 1)
  spec = chk:opts(spec, true)
  chk:only(spec, ATTACH_OPTS)
  local stdin = chk:type("stdin", spec.stdin, "string", true)
  local on_output = chk:type("on_output", spec.on_output, "function", true)
  local want_logs = chk:type("logs", spec.logs, "boolean", true) or false
  local detach_keys = chk:type("detach_keys", spec.detach_keys, "string", true)

  local t = attachable(cli, self.id)
  local config = t.Config or {}
  local tty = config.Tty == true
  if stdin and not config.OpenStdin then
    errors.throw("conflict", "the container's stdin is not open (create it with stdin = true)",
      { method = "POST", path = "/containers/" .. self.id .. "/attach", id = self.id })
  end
  local q = { stream = true, stdin = stdin ~= nil, stdout = true, stderr = true, logs = want_logs,
    detachKeys = detach_keys }
  local s <close> = check(cli:container_attach(self.id, q, { stdin = stdin, raw = tty or nil }))

  local out, err = {}, {}
  local collect = on_output or function(stream, chunk)
    if stream == "stderr" then err[#err + 1] = chunk else out[#out + 1] = chunk end
  end
  local stopped_at
  while true do
    local a, b, code, detail = s:read(stopped_at and 0.2 or IDLE_CHECK)
    if a == nil then
      if b ~= nil then errors.raise(errors.from_core(b, code, detail)) end
      break
    elseif a == false then
      -- idle: an attach to a container that stopped meanwhile never ends by itself
      if stopped_at then break end
      if not running(cli, self.id) then stopped_at = core.clock() end
    else
      collect(a, b)
    end
  end
  s:close()
  local state, exit_code = ended(cli, self.id)
  return { stdout = table.concat(out), stderr = table.concat(err), state = state,
    exit_code = exit_code }
end

local STATS_OPTS = keys.set { "stream", "one_shot" }

-- c:stats() -> one sample (the Engine's JSON: cpu_stats, precpu_stats,
-- memory_stats, ...); c:stats{ stream = true } -> an iterator of samples
-- whose closing value is the stream, so `break` closes the connection.
function Container:stats(spec)
  local cli = self_check(self, "stats")
  local chk = argcheck.checker("stats", 1)
  spec = chk:opts(spec, true)
  chk:only(spec, STATS_OPTS)
  local stream = chk:type("stream", spec.stream, "boolean", true) or false
  local one_shot = chk:type("one_shot", spec.one_shot, "boolean", true)
  if one_shot and stream then chk:fail("one_shot", "only without stream = true") end
  local s = check(cli:container_stats(self.id, { stream = stream, ["one-shot"] = one_shot }))
  if not stream then
    local v, msg, code, detail = s:read()
    s:close()
    if v == nil then
      if msg ~= nil then errors.raise(errors.from_core(msg, code, detail)) end
      errors.throw("protocol", "the engine sent no stats sample",
        { method = "GET", path = "/containers/" .. self.id .. "/stats" })
    end
    return v
  end
  return errors.stream_values(s)
end

return M
