-- luadock.container.object: the Container class (fields id, short_id, name, image,
-- status, state, labels, created, ports, attrs; methods start, stop, logs,
-- lines, wait, ...) and the client methods that list, look up, create and
-- prune containers. A Container is a to-be-closed value: __close stops and
-- removes it. logs and lines come from luadock.container.logs; the one-shot and
-- detached `run` flows live in luadock.container.run. Only
-- the engine calls of luadock.core are used here; all option checking
-- happens before the first call.
-- Room container/: what a Container does and the Client methods that make or
-- list containers; methods go in M.Container / M.Client, merged by
-- luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local lazy = require "luadock.base.lazy"   -- loaded on first use: start-up speed
local keys = require "luadock.base.keys"
local units = require "luadock.base.units"
local errors = require "luadock.base.errors"
local shield = require "luadock.base.shield"
local options = lazy "luadock.spec.options"
local image = require "luadock.image.object"
local logs = require "luadock.container.logs"
local listing = lazy "luadock.text.listing"
argcheck.mark()

local check = errors.check
local M = {}

local class = require("luadock.base.classes").Container   -- the metatable
local Container = {}   -- this file's Container methods, merged into the class by init.lua
M.Container = Container

function Container.__tostring(c)
  return string.format("luadock.Container: %s (%s, %s)", c.name or "?", c.short_id or "?",
    c.state or "?")
end

local self_check = argcheck.self_checker(class, "c")

-- ---- turning Engine JSON into fields --------------------------------------

local function ports_from_list(list)
  local out = {}
  for _, p in ipairs(list or {}) do
    local key = string.format("%d/%s", p.PrivatePort or 0, p.Type or "tcp")
    out[key] = out[key] or {}
    if p.PublicPort then
      table.insert(out[key], { host_ip = p.IP or "", host_port = math.tointeger(p.PublicPort) })
    end
  end
  return out
end

local function ports_from_inspect(map)
  local out = {}
  for key, list in pairs(map or {}) do
    out[key] = {}
    for _, b in ipairs(list) do
      table.insert(out[key], { host_ip = b.HostIp or "", host_port = math.tointeger(tonumber(b.HostPort)) })
    end
  end
  return out
end

-- The docker CLI's status text, computed from an inspect's State.
function M.status_text(state, now)
  if type(state) ~= "table" then return "" end
  now = now or os.time()
  local started, finished = units.parse_time(state.StartedAt), units.parse_time(state.FinishedAt)
  local function since(t) return units.human_duration(math.max(0, now - (t or now))) end
  if state.Running then
    if state.Paused then return "Up " .. since(started) .. " (Paused)" end
    if state.Restarting then
      return string.format("Restarting (%d) %s ago", state.ExitCode or 0, since(finished))
    end
    local s = "Up " .. since(started)
    local health = state.Health and state.Health.Status
    if health == "starting" then s = s .. " (health: starting)"
    elseif health and health ~= "" and health ~= "none" then s = s .. " (" .. health .. ")" end
    return s
  end
  if state.Status == "removing" then return "Removal In Progress" end
  if state.Dead or state.Status == "dead" then return "Dead" end
  if not started then return "Created" end
  if not finished then return "" end
  return string.format("Exited (%d) %s ago", state.ExitCode or 0, since(finished))
end

local function apply_list(c, t)
  c.id = t.Id
  c.short_id = t.Id:sub(1, 12)
  local name = (t.Names or {})[1] or ""
  for _, n in ipairs(t.Names or {}) do
    if not n:find("/", 2, true) then name = n; break end
  end
  c.name = (name:gsub("^/", ""))
  c.image = t.Image
  c.status = t.Status
  c.state = t.State
  c.labels = t.Labels or {}
  c.created = math.tointeger(t.Created) or t.Created
  c.ports = ports_from_list(t.Ports)
  c.attrs = t
  return c
end

local function apply_inspect(c, t)
  local config, state = t.Config or {}, t.State or {}
  c.id = t.Id
  c.short_id = t.Id:sub(1, 12)
  c.name = ((t.Name or ""):gsub("^/", ""))
  c.image = config.Image or t.Image
  c.state = state.Status
  c.status = M.status_text(state)
  c.labels = config.Labels or {}
  c.created = units.parse_time(t.Created)
  c.ports = ports_from_inspect(t.NetworkSettings and t.NetworkSettings.Ports)
  c.attrs = t
  c._tty = config.Tty == true
  return c
end

function M.from_list(client, t)
  return apply_list(setmetatable({ _client = client }, class), t)
end

function M.from_inspect(client, t)
  return apply_inspect(setmetatable({ _client = client }, class), t)
end

function M.inspect(client, id)
  return M.from_inspect(client, check(client._cli:container_inspect(id)))
end

-- A container run with AutoRemove may be gone before we look at it (it ran
-- and exited): that is a finished run, described from what we asked for.
function M.inspect_or_removed(client, id, plan)
  local t = errors.check_found(client._cli:container_inspect(id))
  if t then return M.from_inspect(client, t) end
  return setmetatable({
    _client = client, _removed = true, id = id, short_id = id:sub(1, 12),
    name = ((plan.query.name or ""):gsub("^/", "")), image = plan.image,
    status = "Removed", state = "removed", labels = plan.body.Labels or {},
    created = os.time(), ports = {}, attrs = {},
  }, class)
end

-- ---- methods ----------------------------------------------------------------

M.drain = logs.drain

function Container:reload()
  local cli = self_check(self, "reload")
  return apply_inspect(self, check(cli:container_inspect(self.id)))
end

-- Refresh after a state change; an AutoRemove container may be gone already.
local function refresh(self)
  local t = errors.check_found(self._client._cli:container_inspect(self.id))
  if t then apply_inspect(self, t) else self.state, self.status = "removed", "Removed" end
  return self
end

function Container:start()
  local cli = self_check(self, "start")
  check(cli:container_start(self.id))
  return refresh(self)
end

local function stop_like(self, fname, op, spec)
  local cli = self_check(self, fname)
  local chk = argcheck.checker(fname, 1)
  spec = chk:opts(spec, true)
  chk:only(spec, { timeout = true })
  local t = spec.timeout
  if t ~= nil then
    if type(t) ~= "number" or t ~= math.floor(t) or t < 0 or t == math.huge then
      chk:fail("timeout", "non-negative integer of seconds expected, got "
        .. (type(t) == "number" and tostring(t) or type(t)))
    end
    t = math.tointeger(t)
  end
  local wait = t or (self.attrs and self.attrs.Config and self.attrs.Config.StopTimeout) or 10
  check(cli[op](cli, self.id, { t = t }, { timeout = self._client._timeout + wait }))
  return refresh(self)
end

function Container:stop(spec) return stop_like(self, "stop", "container_stop", spec) end
function Container:restart(spec) return stop_like(self, "restart", "container_restart", spec) end

function Container:kill(spec)
  local cli = self_check(self, "kill")
  local chk = argcheck.checker("kill", 1)
  spec = chk:opts(spec, true)
  chk:only(spec, { signal = true })
  local sig = spec.signal
  if sig ~= nil and type(sig) ~= "string" and math.type(sig) ~= "integer" then
    chk:fail("signal", "signal name or number expected, got " .. type(sig))
  end
  check(cli:container_kill(self.id, { signal = sig and tostring(sig) }))
  return refresh(self)
end

function Container:pause()
  local cli = self_check(self, "pause")
  check(cli:container_pause(self.id))
  return refresh(self)
end

function Container:unpause()
  local cli = self_check(self, "unpause")
  check(cli:container_unpause(self.id))
  return refresh(self)
end

function Container:remove(spec)
  local cli = self_check(self, "remove")
  local chk = argcheck.checker("remove", 1)
  spec = chk:opts(spec, true)
  chk:only(spec, { force = true, volumes = true, link = true })
  local q = {
    force = chk:type("force", spec.force, "boolean", true),
    v = chk:type("volumes", spec.volumes, "boolean", true),
    link = chk:type("link", spec.link, "boolean", true),
  }
  check(cli:container_delete(self.id, q))
  self._removed, self.state, self.status = true, "removed", "Removed"
  return true
end

local WAIT_CONDITIONS = keys.set { "not-running", "next-exit", "removed" }

function Container:wait(spec)
  local cli = self_check(self, "wait")
  local chk = argcheck.checker("wait", 1)
  spec = chk:opts(spec, true)
  chk:only(spec, { condition = true, timeout = true })
  local cond = spec.condition
  if cond ~= nil and not WAIT_CONDITIONS[cond] then
    chk:fail("condition", "\"not-running\", \"next-exit\" or \"removed\" expected")
  end
  local t = spec.timeout
  if t ~= nil and (type(t) ~= "number" or t ~= t or t < 0) then
    chk:fail("timeout", "non-negative number of seconds expected")
  end
  local r = check(cli:container_wait(self.id, { condition = cond }, { timeout = false, deadline = t and math.max(t, 0.001) }))
  local msg = type(r.Error) == "table" and r.Error.Message or nil
  return math.tointeger(r.StatusCode) or r.StatusCode, (msg ~= "" and msg or nil)
end

function Container:rename(name)
  local cli = self_check(self, "rename")
  if type(name) ~= "string" or not name:match("^/?[%w][%w_.%-]+$") then
    argcheck.argerror("rename", 1, nil, type(name) == "string" and "invalid container name '" .. name .. "'"
      or "string expected, got " .. type(name))
  end
  check(cli:container_rename(self.id, { name = name }))
  self.name = (name:gsub("^/", ""))
  return self
end

function Container:top(spec)
  local cli = self_check(self, "top")
  local chk = argcheck.checker("top", 1)
  spec = chk:opts(spec, true)
  chk:only(spec, { ps_args = true })
  return check(cli:container_top(self.id, { ps_args = chk:type("ps_args", spec.ps_args, "string", true) }))
end

function Container:diff()
  local cli = self_check(self, "diff")
  local r = check(cli:container_changes(self.id))
  return type(r) == "table" and r or {}
end

function Container:update(spec)
  local cli = self_check(self, "update")
  local body = options.update(spec)
  local r = check(cli:container_update(self.id, body))
  refresh(self)
  return self, type(r) == "table" and r.Warnings or nil
end

-- `local c <close> = d:run{..., detach = true}`: stop and remove at scope end,
-- also when the scope ends by Ctrl-C, SIGTERM or a max_runtime cancel: the
-- clean-up is shielded from that cancel and bounded by the stop timeout plus
-- CLOSE_MARGIN. While an error is unwinding, a failure here must not hide it.
local CLOSE_MARGIN = 30

function Container:__close(err)
  if self._removed then return end
  local cli = self._client._cli
  local wait = (self.attrs and self.attrs.Config and self.attrs.Config.StopTimeout) or 10
  local ok, e = shield.try(wait + CLOSE_MARGIN, function()
    local r, msg, code, detail = cli:container_stop(self.id, nil, { timeout = self._client._timeout + wait })
    if r == nil then
      local se = errors.from_core(msg, code, detail)
      if se.kind ~= "not_found" and se.kind ~= "conflict" then errors.raise(se) end
    end
    local r, msg, code, detail = cli:container_delete(self.id, { force = true, v = true })
    if r == nil then
      local de = errors.from_core(msg, code, detail)
      if de.kind ~= "not_found" and not errors.removal_underway(de) then errors.raise(de) end
    end
  end)
  self._removed = true
  if not ok and err == nil then error(e, 0) end
end

-- ---- client methods ------------------------------------------------------

-- Create from a checked plan (see options.container). A missing image is
-- pulled when the plan allows it; image.pull_for_run says how.
function M.create_from_plan(client, plan)
  local cli = client._cli
  if plan.pull == "always" then image.pull_for_run(client, plan.image, "always") end
  local r, msg, code, detail = cli:container_create(plan.body, plan.query)
  if r == nil then
    local e = errors.from_core(msg, code, detail)
    if e.kind ~= "not_found" or plan.pull ~= "missing" or not tostring(e.message):lower():find("image", 1, true) then
      errors.raise(e)
    end
    image.pull_for_run(client, plan.image, "missing")
    r = check(cli:container_create(plan.body, plan.query))
  end
  return r.Id, r.Warnings
end

-- Client methods, merged into the class by luadock/init.lua (PARTS)
M.Client = {}
do
  local Client = M.Client
  function Client:create(spec)
    local plan = options.container("create", spec)
    local id = M.create_from_plan(self, plan)
    return M.inspect(self, id)
  end

  local function list(self, fname, spec)
    local chk = argcheck.checker(fname, 1)
    spec = chk:opts(spec, true)
    chk:only(spec, { all = true, filters = true, limit = true, size = true })
    local q = {
      all = chk:type("all", spec.all, "boolean", true),
      limit = chk:type("limit", spec.limit, "integer", true),
      size = chk:type("size", spec.size, "boolean", true),
      filters = options.filters(chk, spec.filters),
    }
    local out = {}
    for i, t in ipairs(check(self._cli:container_list(q))) do out[i] = M.from_list(self, t) end
    return listing.list(out, "Container")   -- prints as `docker ps`
  end
  function Client:containers(spec) return list(self, "containers", spec) end
  function Client:ps(spec) return list(self, "ps", spec) end

  function Client:container(id)
    if type(id) ~= "string" or id == "" then
      argcheck.argerror("container", 1, nil, "string expected, got " .. (id == "" and "empty string" or type(id)))
    end
    return M.inspect(self, id)
  end

  function Client:prune_containers(spec)
    local chk = argcheck.checker("prune_containers", 1)
    spec = chk:opts(spec, true)
    chk:only(spec, { filters = true })
    local r = check(self._cli:container_prune({ filters = options.filters(chk, spec.filters) }))
    return { deleted = r.ContainersDeleted or {}, space_reclaimed = r.SpaceReclaimed or 0 }
  end
end

return M
