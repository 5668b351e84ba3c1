-- luadock.spec.options: checks the option table of run/create/update and turns it
-- into the Engine's request (the ContainerCreate JSON body and its query),
-- plus the run-only settings (detach, remove, timeout, ...) as a plan. Every
-- mistake raises at once in luaL_argerror form naming the field, so nothing
-- reaches the engine unless the whole table is valid. Friendly options
-- (cmd, env, ports, volumes, memory, ...) get their own rules; any other
-- snake_case name must be one of the Engine's fields listed in luadock.spec.fields
-- (the per-option converters are in luadock.spec.convert).
-- No engine calls here.
-- Room spec/: option tables in, Engine request bodies out; a new run/create
-- option is a field here (fields.lua, or a converter in convert.lua wired in
-- options.lua); never calls the engine.

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local shell = require "luadock.base.shell"
local fields = require "luadock.spec.fields"
local session = require "luadock.base.session"
local convert = require "luadock.spec.convert"
argcheck.mark()

local M = {}

local FRIENDLY = keys.set {
  "image", "cmd", "entrypoint", "env", "ports", "volumes", "memory", "cpus",
  "restart", "labels", "workdir", "user", "network", "tty", "stdin", "name",
  "platform", "pull",
}
local RUN_ONLY = keys.set { "detach", "remove", "check", "timeout", "on_output" }
local PULL = keys.set { "missing", "always", "never" }

-- Assign body fields while remembering which option set each, so two options
-- aiming at the same Engine field (workdir and working_dir) are refused.
local function new_body()
  local body = { HostConfig = {} }
  local owner = {}
  local function target(where)
    if where == "host" then return body.HostConfig end
    return body
  end
  local function put(chk, opt, where, name, value)
    local key = where .. "." .. name
    if owner[key] then chk:fail(opt, "conflicts with option '" .. owner[key] .. "'") end
    owner[key] = opt
    target(where)[name] = value
  end
  -- merge a map or append an array into a field another option may have set
  local function merge(where, name, value, opt)
    local t = target(where)
    owner[where .. "." .. name] = owner[where .. "." .. name] or opt
    if t[name] == nil then t[name] = value; return end
    if keys.is_array(value) and #value > 0 then
      for _, x in ipairs(value) do t[name][#t[name] + 1] = x end
    else
      for k, x in pairs(value) do t[name][k] = x end
    end
  end
  return body, put, merge
end

-- run{...} / create{...} -> plan = { body=, query=, image=, command=, pull=,
-- detach=, remove=, check=, timeout=, on_output=, stdin=, tty= }
function M.container(fname, spec)
  local chk = argcheck.checker(fname, 1)
  spec = chk:opts(spec)
  local is_run = fname == "run"
  local image = spec.image
  if type(image) ~= "string" or image == "" then
    chk:fail("image", type(image) == "string" and "non-empty string expected"
      or "string expected, got " .. type(image))
  end
  for k in pairs(spec) do
    if type(k) ~= "string" then
      chk:fail(tostring(k), "unknown option (option names are strings)")
    elseif RUN_ONLY[k] and not is_run then
      chk:fail(k, "only for run (create never starts the container)")
    elseif not FRIENDLY[k] and not RUN_ONLY[k] and not fields.container[k] then
      chk:fail(k, "unknown option")
    end
  end

  local plan = { image = image, query = {} }
  local body, put, merge = new_body()
  body.Image = image

  -- the Engine's own fields first, in a stable order
  for _, k in ipairs(keys.sorted_keys(spec)) do
    local f = fields.container[k]
    if f and not FRIENDLY[k] then
      local where = f[1] == "top" and "config" or f[1]
      put(chk, k, where, f[2], convert.engine_value(chk, k, f, spec[k]))
    end
  end

  -- run-only settings
  if is_run then
    plan.detach = chk:type("detach", spec.detach, "boolean", true) or false
    plan.remove = chk:type("remove", spec.remove, "boolean", true) or false
    local check = chk:type("check", spec.check, "boolean", true)
    plan.check = check ~= false
    plan.on_output = chk:type("on_output", spec.on_output, "function", true)
    if spec.timeout ~= nil then
      local t = spec.timeout
      if type(t) ~= "number" or t ~= t or t < 0 then
        chk:fail("timeout", "non-negative number of seconds expected, got "
          .. (type(t) == "number" and tostring(t) or type(t)))
      end
      plan.timeout = t
    end
    if plan.detach and plan.on_output then
      chk:fail("on_output", "only for a one-shot run (detach = false)")
    end
    if plan.detach and plan.timeout then
      chk:fail("timeout", "only for a one-shot run (detach = false)")
    end
    -- remove = true is `docker run --rm`: the engine removes the container
    -- once it exits, even when this process dies first; auto_remove = true
    -- (the Engine's own field) means the same
    local auto = body.HostConfig.AutoRemove
    if plan.remove and auto == false then chk:fail("remove", "conflicts with option 'auto_remove' = false") end
    if plan.remove then body.HostConfig.AutoRemove = true end
    plan.remove = plan.remove or auto == true
  end

  local pull = spec.pull
  if pull ~= nil and not PULL[pull] then
    chk:fail("pull", "\"missing\", \"always\" or \"never\" expected, got "
      .. (type(pull) == "string" and string.format("%q", pull) or type(pull)))
  end
  plan.pull = pull or "missing"

  if spec.name ~= nil then
    local name = chk:type("name", spec.name, "string")
    if not name:match("^/?[%w][%w_.%-]+$") then
      chk:fail("name", "invalid container name '" .. name .. "' ([a-zA-Z0-9][a-zA-Z0-9_.-]+)")
    end
    plan.query.name = name
  end
  plan.query.platform = chk:type("platform", spec.platform, "string", true)

  if spec.cmd ~= nil then put(chk, "cmd", "config", "Cmd", convert.words(chk, "cmd", spec.cmd)) end
  if spec.entrypoint ~= nil then
    put(chk, "entrypoint", "config", "Entrypoint", convert.words(chk, "entrypoint", spec.entrypoint))
  end
  if spec.env ~= nil then put(chk, "env", "config", "Env", convert.env_list(chk, spec.env)) end
  local labels = spec.labels ~= nil and convert.label_map(chk, "labels", spec.labels) or {}
  put(chk, "labels", "config", "Labels", session.labels(labels, "container"))
  if spec.ports ~= nil then
    local exposed, bindings = convert.ports_option(chk, spec.ports)
    merge("config", "ExposedPorts", exposed, "ports")
    merge("host", "PortBindings", bindings, "ports")
  end
  if spec.volumes ~= nil then
    local binds, anon = convert.volumes_option(chk, spec.volumes)
    if #binds > 0 then merge("host", "Binds", binds, "volumes") end
    if next(anon) then merge("config", "Volumes", anon, "volumes") end
  end
  if spec.memory ~= nil then put(chk, "memory", "host", "Memory", convert.size_option(chk, "memory", spec.memory)) end
  if spec.cpus ~= nil then put(chk, "cpus", "host", "NanoCpus", convert.cpus_option(chk, spec.cpus)) end
  if spec.restart ~= nil then put(chk, "restart", "host", "RestartPolicy", convert.restart_option(chk, spec.restart)) end
  if spec.workdir ~= nil then
    local wd = chk:type("workdir", spec.workdir, "string")
    if wd:sub(1, 1) ~= "/" then chk:fail("workdir", "absolute path expected, got '" .. wd .. "'") end
    put(chk, "workdir", "config", "WorkingDir", wd)
  end
  if spec.user ~= nil then
    local u = spec.user
    if math.type(u) == "integer" then u = tostring(u) end
    put(chk, "user", "config", "User", chk:type("user", u, "string"))
  end
  if spec.network ~= nil then
    put(chk, "network", "host", "NetworkMode", chk:type("network", spec.network, "string"))
  end
  plan.tty = chk:type("tty", spec.tty, "boolean", true) or false
  if spec.tty ~= nil then put(chk, "tty", "config", "Tty", plan.tty) end
  if body.Tty then plan.tty = true end

  if spec.stdin ~= nil and spec.stdin ~= false then
    local s = spec.stdin
    if is_run then
      if type(s) ~= "string" then chk:fail("stdin", "string expected, got " .. type(s)) end
      if plan.tty and not plan.detach then
        -- like `docker run -t` with piped input: a tty never sees end-of-file
        chk:fail("stdin", "a one-shot run cannot feed stdin to a tty (it never sees end-of-file); use tty = false")
      end
      plan.stdin = s
    elseif s ~= true then
      chk:fail("stdin", "true expected (create only opens stdin; feed it with run or c:attach)")
    end
    put(chk, "stdin", "config", "OpenStdin", true)
    put(chk, "stdin", "config", "StdinOnce", true)
    put(chk, "stdin", "config", "AttachStdin", true)
    body.AttachStdout, body.AttachStderr = true, true
  end

  local policy = body.HostConfig.RestartPolicy
  if body.HostConfig.AutoRemove and type(policy) == "table" and (policy.Name or "") ~= "" and policy.Name ~= "no" then
    -- the engine refuses this pair; say which options clash (as `docker run --rm --restart`)
    chk:fail(spec.remove == true and "remove" or "auto_remove",
      "conflicts with restart policy '" .. tostring(policy.Name) .. "' (the engine removes the container when it exits)")
  end
  plan.body = body
  plan.command = body.Cmd and shell.join(body.Cmd) or nil
  return plan
end

-- c:update{...} -> the ContainerUpdate body.
function M.update(spec)
  local chk = argcheck.checker("update", 1)
  spec = chk:opts(spec)
  local body, put = new_body()
  body.HostConfig = nil
  for _, k in ipairs(keys.sorted_keys(spec)) do
    local f = fields.update[k]
    if k == "memory" then
      put(chk, k, "config", "Memory", convert.size_option(chk, "memory", spec.memory))
    elseif k == "cpus" then
      put(chk, k, "config", "NanoCpus", convert.cpus_option(chk, spec.cpus))
    elseif k == "restart" then
      put(chk, k, "config", "RestartPolicy", convert.restart_option(chk, spec.restart))
    elseif f then
      put(chk, k, "config", f[2], convert.engine_value(chk, k, f, spec[k]))
    else
      chk:fail(tostring(k), "unknown option")
    end
  end
  return body
end

-- filters = { label = {"a=b"}, status = "exited", name = "x", label2 = { app = "web" } }
-- -> the Engine's { key = { values... } }
function M.filters(chk, v, field)
  field = field or "filters"
  if v == nil then return nil end
  if type(v) ~= "table" then chk:fail(field, "table expected, got " .. type(v)) end
  local out = {}
  for k, val in pairs(v) do
    if type(k) ~= "string" then chk:fail(field, "filter names are strings, got " .. type(k)) end
    local list = core.array {}
    local function add(x)
      if type(x) == "number" then x = tostring(math.tointeger(x) or x) end
      if type(x) ~= "string" then
        chk:fail(field, "values of '" .. k .. "': strings expected, got " .. type(x))
      end
      list[#list + 1] = x
    end
    if type(val) == "table" then
      if keys.is_array(val) then
        for _, x in ipairs(val) do add(x) end
      else
        for _, name in ipairs(keys.sorted_keys(val)) do
          local x = val[name]
          if x == true then add(name)
          elseif type(x) == "string" then add(name .. "=" .. x)
          else chk:fail(field, "values of '" .. k .. "': strings expected") end
        end
      end
    elseif type(val) == "boolean" then
      add(tostring(val))
    else
      add(val)
    end
    out[k] = list
  end
  return out
end

return M
