-- luadock.container.exec: running a command in a running container, the way `docker
-- exec` does: c:exec{...} (create the exec instance, start it attached, read
-- its output to the end, then ask the engine for the exit code) or
-- c:exec{ detach = true } (start and return its id at once), and
-- d:exec_inspect(id). stdin is fed over a hijacked connection and closed
-- (the process sees end-of-file); with tty the output arrives raw and all in
-- stdout. A non-zero exit is a result, not an error. `timeout` stops reading
-- and raises kind "timeout": the Engine has no call to kill an exec'd
-- process, so it may keep running (the error carries its exec id to inspect).
-- Every option is checked before the first engine call.
-- Room container/: what a Container does and the Client methods that make or
-- list containers; methods go in M.Container / M.Client, merged by
-- luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local shell = require "luadock.base.shell"
local errors = require "luadock.base.errors"
local convert = require "luadock.spec.convert"
local classes = require "luadock.base.classes"
local logs = require "luadock.container.logs"
argcheck.mark()

local check = errors.check
local M = {}

local Container = {}   -- Container methods, merged into the class by luadock/init.lua (PARTS)
M.Container = Container

local self_check = argcheck.self_checker(classes.Container, "c")

local EXEC_OPTS = keys.set {
  "cmd", "env", "workdir", "user", "privileged", "tty", "stdin", "timeout", "on_output", "detach",
}

-- c:exec{...} -> { body = ExecConfig, tty=, stdin=, timeout=, on_output=, detach=, command= }
function M.plan(spec)
  local chk = argcheck.checker("exec", 1)
  spec = chk:opts(spec)
  chk:only(spec, EXEC_OPTS)
  if spec.cmd == nil then chk:fail("cmd", "string or array of strings expected, got nil") end
  local cmd = convert.words(chk, "cmd", spec.cmd)
  local p = {
    tty = chk:type("tty", spec.tty, "boolean", true) or false,
    detach = chk:type("detach", spec.detach, "boolean", true) or false,
    on_output = chk:type("on_output", spec.on_output, "function", true),
    command = shell.join(cmd),
  }
  local body = { Cmd = cmd, Tty = p.tty }
  if spec.env ~= nil then body.Env = convert.env_list(chk, spec.env) end
  if spec.workdir ~= nil then
    local wd = chk:type("workdir", spec.workdir, "string")
    if wd:sub(1, 1) ~= "/" then chk:fail("workdir", "absolute path expected, got '" .. wd .. "'") end
    body.WorkingDir = wd
  end
  if spec.user ~= nil then
    local u = spec.user
    if math.type(u) == "integer" then u = tostring(u) end
    body.User = chk:type("user", u, "string")
    if body.User == "" then chk:fail("user", "non-empty string expected") end
  end
  body.Privileged = chk:type("privileged", spec.privileged, "boolean", true)
  if spec.stdin ~= nil then
    p.stdin = chk:type("stdin", spec.stdin, "string")
    if p.tty then
      -- a tty never passes end-of-file on: the process would wait forever
      chk:fail("stdin", "cannot be fed to a tty (it never sees end-of-file); use tty = false")
    end
  end
  p.timeout = chk:seconds("timeout", spec.timeout)
  if p.detach then
    for _, k in ipairs { "stdin", "timeout", "on_output" } do
      if spec[k] ~= nil then chk:fail(k, "only without detach (a detached exec is not read)") end
    end
  end
  body.AttachStdin = p.stdin ~= nil
  body.AttachStdout = not p.detach
  body.AttachStderr = not p.detach
  p.body = body
  return p
end

local function remaining(deadline)
  if not deadline then return nil end
  return math.max(0.001, deadline - core.clock())
end

local function sleep(seconds)
  local ok, msg = core.sleep(seconds)
  if ok == nil then errors.throw("canceled", msg or "canceled", { code = "CANCELED" }) end
end

-- The output stream can end a moment before the engine records the exit;
-- and a process that closed its output early is still running. Wait for it.
local function exit_code(cli, exec_id, deadline)
  local pause = 0.02
  while true do
    local t = check(cli:exec_inspect(exec_id))
    if not t.Running and t.ExitCode ~= nil then return math.tointeger(t.ExitCode) or t.ExitCode, t end
    if deadline and core.clock() >= deadline then return nil, t end
    sleep(deadline and math.min(pause, remaining(deadline)) or pause)
    pause = math.min(pause * 2, 0.5)
  end
end

local function timeout_error(self, p, exec_id, out, err)
  errors.throw("timeout", string.format(
    "exec %s in %s did not finish within %g s (it may still be running: the Engine cannot kill an exec'd process; see d:exec_inspect(id))",
    p.command, self.name or self.short_id or "?", p.timeout),
    { id = exec_id, container = self.id, stdout = table.concat(out), stderr = table.concat(err) })
end

function Container:exec(spec)
  local cli = self_check(self, "exec")
  local p = M.plan(spec)
  local deadline = p.timeout and core.clock() + p.timeout
  local created = check(cli:container_exec(self.id, p.body))
  local exec_id = created.Id

  if p.detach then
    local s <close> = check(cli:exec_start(exec_id, { Detach = true, Tty = p.tty }))
    logs.drain(s, function() end, core.clock() + self._client._timeout)
    return { id = exec_id }
  end

  local callopts = { raw = p.tty or nil, timeout = deadline and math.min(self._client._timeout, remaining(deadline)) }
  if p.stdin then callopts.stdin = p.stdin end
  local out, err = {}, {}
  local collect = p.on_output or function(stream, chunk)
    if stream == "stderr" then err[#err + 1] = chunk else out[#out + 1] = chunk end
  end
  local s <close> = check(cli:exec_start(exec_id, { Detach = false, Tty = p.tty }, nil, callopts))
  if not logs.drain(s, collect, deadline) then
    s:close()
    timeout_error(self, p, exec_id, out, err)
  end
  s:close()
  local code = exit_code(cli, exec_id, deadline)
  if code == nil then timeout_error(self, p, exec_id, out, err) end
  return { exit_code = code, stdout = table.concat(out), stderr = table.concat(err), id = exec_id }
end

-- Client methods, merged into the class by luadock/init.lua (PARTS)
M.Client = {}
do
  local Client = M.Client
  -- d:exec_inspect(id) -> the Engine's table (Running, ExitCode, Pid, ProcessConfig, ...)
  function Client:exec_inspect(id)
    if type(id) ~= "string" or id == "" then
      argcheck.argerror("exec_inspect", 1, nil, "exec id string expected, got "
        .. (id == "" and "empty string" or type(id)))
    end
    return check(self._cli:exec_inspect(id))
  end
end

return M
