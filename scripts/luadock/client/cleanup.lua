-- luadock.client.cleanup: d:cleanup{...} removes objects luadock created, and only
-- those: the engine is asked for label luadock.managed=1 and every candidate
-- is checked again here for exactly that value and for luadock.kind naming
-- its type (a container made elsewhere from a luadock image inherits the
-- image's labels, kind=image), then matched against the
-- session (default: this process's), age, extra labels, or staleness (its
-- creating process on this host is gone). Containers go first (forced, their
-- volumes kept), then volumes and networks when asked and when luadock.core
-- has those operations. It must never fall back to an unfiltered prune.
-- Room client/: the Client's methods that belong to no object room, and how a
-- client is made; methods go in M.Client, merged by luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local units = require "luadock.base.units"
local errors = require "luadock.base.errors"
local recovery = require "luadock.backup.recovery"
local options = require "luadock.spec.options"
local session = require "luadock.base.session"
argcheck.mark()

local check = errors.check
local M = {}

local OPTS = keys.set { "session", "older_than", "labels", "volumes", "networks", "dry_run", "stale" }

-- "k=v" / "k" / { k = "v" } -> list of { key, value-or-nil }
local function label_matchers(chk, v)
  local out = {}
  if v == nil then return out end
  if type(v) ~= "table" then chk:fail("labels", "table expected, got " .. type(v)) end
  if keys.is_array(v) then
    for i, item in ipairs(v) do
      if type(item) ~= "string" or item == "" then
        chk:fail("labels", "item " .. i .. ": \"key=value\" or \"key\" expected")
      end
      local k, val = item:match("^([^=]+)=(.*)$")
      out[#out + 1] = { k or item, k and val or nil }
    end
  else
    for _, k in ipairs(keys.sorted_keys(v)) do
      if type(k) ~= "string" or type(v[k]) ~= "string" then
        chk:fail("labels", "string keys and values expected")
      end
      out[#out + 1] = { k, v[k] }
    end
  end
  return out
end

-- Does the core binding have this operation? (It has volume_* and network_*
-- since they arrived; the check keeps cleanup working with an older core.)
local function has_op(cli, name)
  local ok, f = pcall(function() return cli[name] end)
  return ok and f ~= nil
end

-- Client methods, merged into the class by luadock/init.lua (PARTS)
M.Client = {}
do
  local Client = M.Client
  function Client:cleanup(spec)
    local chk = argcheck.checker("cleanup", 1)
    spec = chk:opts(spec, true)
    chk:only(spec, OPTS)
    local sess = spec.session
    if sess ~= nil and (type(sess) ~= "string" or sess == "") then
      chk:fail("session", "non-empty string expected, got " .. type(sess))
    end
    local older_than
    if spec.older_than ~= nil then
      local err
      older_than, err = units.parse_duration(spec.older_than)
      if not older_than then chk:fail("older_than", err) end
    end
    local extra = label_matchers(chk, spec.labels)
    local stale = chk:type("stale", spec.stale, "boolean", true) or false
    local dry_run = chk:type("dry_run", spec.dry_run, "boolean", true) or false
    local want_volumes = chk:type("volumes", spec.volumes, "boolean", true) or false
    local want_networks = chk:type("networks", spec.networks, "boolean", true) or false

    local filter = { session.MANAGED .. "=1" }   -- kind differs per type: checked in selected()
    if not stale or sess then filter[#filter + 1] = session.SESSION .. "=" .. (sess or session.id) end
    for _, m in ipairs(extra) do filter[#filter + 1] = m[2] and (m[1] .. "=" .. m[2]) or m[1] end
    local filters = options.filters(chk, { label = filter })
    local now = os.time()

    local function selected(kind, labels, created)
      if not session.is_managed(labels, kind) then return false end
      if stale then
        if not session.is_stale(labels) then return false end
        if sess and labels[session.SESSION] ~= sess then return false end
      elseif labels[session.SESSION] ~= (sess or session.id) then
        return false
      end
      if older_than and not (created and created <= now - older_than) then return false end
      for _, m in ipairs(extra) do
        local have = labels[m[1]]
        if have == nil or (m[2] ~= nil and have ~= m[2]) then return false end
      end
      return true
    end

    local cli = self._cli
    -- a dead process's backup may have left services stopped: start them first
    if stale and not dry_run then recovery.recover(self) end
    local result = { containers = core.array {}, volumes = core.array {}, networks = core.array {} }
    local first_err
    local function remove(list, name, ...)
      if dry_run then list[#list + 1] = name; return end
      local r, msg, code, detail = ...
      if r == nil then
        local e = errors.from_core(msg, code, detail)
        local going = errors.removal_underway(e)   -- AutoRemove is at it: gone soon
        if going then list[#list + 1] = name end
        if e.kind ~= "not_found" and not going then first_err = first_err or e end
        return
      end
      list[#list + 1] = name
    end

    for _, t in ipairs(check(cli:container_list({ all = true, filters = filters }))) do
      if selected("container", t.Labels, math.tointeger(t.Created)) then
        if dry_run then remove(result.containers, t.Id)
        else remove(result.containers, t.Id, cli:container_delete(t.Id, { force = true, v = false })) end
      end
    end

    if want_volumes and has_op(cli, "volume_list") then
      local r = check(cli:volume_list({ filters = filters }))
      for _, v in ipairs(type(r) == "table" and r.Volumes or {}) do
        if selected("volume", v.Labels, units.parse_time(v.CreatedAt)) then
          if dry_run then remove(result.volumes, v.Name)
          else remove(result.volumes, v.Name, cli:volume_delete(v.Name)) end
        end
      end
    end

    if want_networks and has_op(cli, "network_list") then
      for _, n in ipairs(check(cli:network_list({ filters = filters })) or {}) do
        if selected("network", n.Labels, units.parse_time(n.Created)) then
          if dry_run then remove(result.networks, n.Id)
          else remove(result.networks, n.Id, cli:network_delete(n.Id)) end
        end
      end
    end

    if first_err then errors.raise(first_err) end
    return result
  end
end

return M
