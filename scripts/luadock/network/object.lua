-- luadock.network.object: the Network class (fields id, short_id, name, driver,
-- scope, internal, labels, containers, created, attrs; methods connect,
-- disconnect, remove, reload) and the client methods networks, network,
-- network_create and prune_networks. A network luadock creates carries its
-- ownership labels (luadock.kind=network) and is created with
-- CheckDuplicate (API < 1.44; newer engines always check, and their document
-- has no such field), so a taken name is a "conflict". `containers` is filled
-- by an inspect (d:network, net:reload): the Engine's list leaves it empty.
-- Removing a network that still has endpoints is reported by the Engine as
-- 403; core gives it kind "conflict" (in use), like a volume in use.
-- prune_networks is the Engine's own prune.
-- Room network/: the Network class and the Client methods for networks;
-- methods go in M.Network / M.Client, merged by luadock/init.lua (PARTS).

local argcheck = require "luadock.base.argcheck"
local lazy = require "luadock.base.lazy"   -- loaded on first use: start-up speed
local keys = require "luadock.base.keys"
local units = require "luadock.base.units"
local errors = require "luadock.base.errors"
local options = lazy "luadock.spec.options"
local session = require "luadock.base.session"
local convert = lazy "luadock.spec.convert"
local classes = require "luadock.base.classes"
local listing = lazy "luadock.text.listing"
argcheck.mark()

local check = errors.check
local M = {}

local class = classes.Network   -- the metatable
local Network = {}   -- this file's Network methods, merged into the class by init.lua
M.Network = Network

function Network.__tostring(n)
  return string.format("luadock.Network: %s (%s, %s)", n.name or "?", n.short_id or "?", n.driver or "?")
end

-- { id=, name=, ipv4=, ipv6=, mac=, endpoint_id= } per attached container, by name
local function containers_of(map)
  local out = {}
  for id, c in pairs(type(map) == "table" and map or {}) do
    out[#out + 1] = {
      id = id, name = c.Name, ipv4 = (c.IPv4Address ~= "" and c.IPv4Address) or nil,
      ipv6 = (c.IPv6Address ~= "" and c.IPv6Address) or nil,
      mac = (c.MacAddress ~= "" and c.MacAddress) or nil, endpoint_id = c.EndpointID,
    }
  end
  table.sort(out, function(a, b) return (a.name or a.id) < (b.name or b.id) end)
  return out
end

local function apply(n, t)
  n.id = t.Id
  n.short_id = (t.Id or ""):sub(1, 12)
  n.name = t.Name
  n.driver = t.Driver
  n.scope = t.Scope
  n.internal = t.Internal == true
  n.labels = t.Labels or {}
  n.containers = containers_of(t.Containers)
  n.created = units.parse_time(t.Created)
  n.attrs = t
  return n
end

function M.from_engine(client, t)
  return apply(setmetatable({ _client = client }, class), t)
end

local self_check = argcheck.self_checker(class, "net")

-- A Container or a container id/name.
local function container_arg(fname, c)
  if getmetatable(c) == classes.Container then return c.id end
  if type(c) ~= "string" or c == "" then
    argcheck.argerror(fname, 1, nil, "Container or container id/name expected, got "
      .. (c == "" and "empty string" or type(c)))
  end
  return c
end

local function string_list(chk, field, v)
  if v == nil then return nil end
  if type(v) == "string" then v = { v } end
  if type(v) ~= "table" or not keys.is_array(v) then
    chk:fail(field, "string or array of strings expected, got " .. type(v))
  end
  local out = convert.copy_array(v)
  for i, x in ipairs(out) do
    if type(x) ~= "string" or x == "" then chk:fail(field, "item " .. i .. ": non-empty string expected") end
  end
  return out
end

local CONNECT_OPTS = keys.set { "aliases", "ipv4_address", "ipv6_address", "links" }

-- net:connect(c, { aliases = {...}, ipv4_address=, ipv6_address=, links= }) -> the Network
function Network:connect(c, spec)
  local cli = self_check(self, "connect")
  local id = container_arg("connect", c)
  local chk = argcheck.checker("connect", 2)
  spec = chk:opts(spec, true)
  chk:only(spec, CONNECT_OPTS)
  local ep = {
    Aliases = string_list(chk, "aliases", spec.aliases),
    Links = string_list(chk, "links", spec.links),
  }
  local v4 = chk:type("ipv4_address", spec.ipv4_address, "string", true)
  local v6 = chk:type("ipv6_address", spec.ipv6_address, "string", true)
  if v4 or v6 then ep.IPAMConfig = { IPv4Address = v4, IPv6Address = v6 } end
  check(cli:network_connect(self.id, { Container = id, EndpointConfig = ep }))
  return self
end

-- net:disconnect(c, { force = false }) -> the Network
function Network:disconnect(c, spec)
  local cli = self_check(self, "disconnect")
  local id = container_arg("disconnect", c)
  local chk = argcheck.checker("disconnect", 2)
  spec = chk:opts(spec, true)
  chk:only(spec, { force = true })
  check(cli:network_disconnect(self.id, { Container = id, Force = chk:type("force", spec.force, "boolean", true) }))
  return self
end

function M.delete(cli, id)
  local r, msg, code, detail = cli:network_delete(id)
  if r == nil then
    return nil, errors.from_core(msg, code, detail)
  end
  return true
end

-- net:remove() -> true; with containers still attached raises kind "conflict"
function Network:remove()
  local cli = self_check(self, "remove")
  local ok, e = M.delete(cli, self.id)
  if not ok then errors.raise(e) end
  return true
end

function Network:reload()
  local cli = self_check(self, "reload")
  return apply(self, check(cli:network_inspect(self.id)))
end

-- network driver and IPAM options have always taken true/false as well
local STRINGISH = { booleans = true }

local CREATE_OPTS = keys.set {
  "name", "driver", "internal", "ipam", "options", "labels", "attachable", "enable_ipv6",
  "check_duplicate",
}

-- ipam: the Engine's IPAM object { Driver=, Config = { { Subnet=, IPRange=,
-- Gateway= } }, Options= }; lower-case keys (driver, config, subnet, ip_range,
-- gateway, options, aux_addresses) are accepted too.
local IPAM_KEYS = { driver = "Driver", config = "Config", options = "Options" }
local POOL_KEYS = { subnet = "Subnet", ip_range = "IPRange", gateway = "Gateway", aux_addresses = "AuxiliaryAddresses" }

local function engine_keys(chk, t, map, what)
  local out = {}
  local known = {}
  for _, engine in pairs(map) do known[engine] = true end
  for k, v in pairs(t) do
    local key = map[k] or (known[k] and k)
    if not key then chk:fail("ipam", "unknown " .. what .. " field '" .. tostring(k) .. "'") end
    out[key] = v
  end
  return out
end

local function ipam_arg(chk, v)
  if v == nil then return nil end
  if type(v) ~= "table" then chk:fail("ipam", "table expected, got " .. type(v)) end
  local ipam = engine_keys(chk, v, IPAM_KEYS, "IPAM")
  if ipam.Driver ~= nil and type(ipam.Driver) ~= "string" then chk:fail("ipam", "Driver: string expected") end
  if ipam.Options ~= nil then ipam.Options = convert.string_map(chk, "ipam", ipam.Options, STRINGISH) end
  if ipam.Config ~= nil then
    if type(ipam.Config) ~= "table" or not keys.is_array(ipam.Config) then
      chk:fail("ipam", "Config: array of address pools expected")
    end
    local pools = convert.copy_array {}
    for i, p in ipairs(ipam.Config) do
      if type(p) ~= "table" then chk:fail("ipam", "Config item " .. i .. ": table expected") end
      local pool = engine_keys(chk, p, POOL_KEYS, "IPAM pool")
      for k, x in pairs(pool) do
        if k == "AuxiliaryAddresses" then pool[k] = convert.string_map(chk, "ipam", x, STRINGISH)
        elseif type(x) ~= "string" then chk:fail("ipam", "Config item " .. i .. ": " .. k .. ": string expected") end
      end
      pools[i] = pool
    end
    ipam.Config = pools
  end
  return ipam
end

-- Client methods, merged into the class by luadock/init.lua (PARTS)
M.Client = {}
do
  local Client = M.Client
  -- d:networks{ filters = { label=, name=, driver=, type=, id=, scope=, dangling= } }
  function Client:networks(spec)
    local chk = argcheck.checker("networks", 1)
    spec = chk:opts(spec, true)
    chk:only(spec, { filters = true })
    local out = {}
    for _, t in ipairs(check(self._cli:network_list({ filters = options.filters(chk, spec.filters) })) or {}) do
      out[#out + 1] = M.from_engine(self, t)
    end
    table.sort(out, function(a, b) return a.name < b.name end)
    return listing.list(out, "Network")   -- prints as `docker network ls`
  end

  function Client:network(name)
    if type(name) ~= "string" or name == "" then
      argcheck.argerror("network", 1, nil, "network name or id string expected, got "
        .. (name == "" and "empty string" or type(name)))
    end
    return M.from_engine(self, check(self._cli:network_inspect(name)))
  end

  -- d:network_create{ name=, driver=, internal=, ipam=, options=, labels=,
  -- attachable=, enable_ipv6=, check_duplicate=true } -> Network
  function Client:network_create(spec)
    local chk = argcheck.checker("network_create", 1)
    spec = chk:opts(spec)
    chk:only(spec, CREATE_OPTS)
    local name = spec.name
    if type(name) ~= "string" or name == "" then
      chk:fail("name", type(name) == "string" and "non-empty string expected" or "string expected, got " .. type(name))
    end
    if not name:match("^[%w][%w_.%-]*$") then
      chk:fail("name", "invalid network name '" .. name:gsub("%c", "?") .. "'")
    end
    local driver = chk:type("driver", spec.driver, "string", true)
    if driver == "" then chk:fail("driver", "non-empty string expected") end
    local labels = spec.labels ~= nil and convert.label_map(chk, "labels", spec.labels) or nil
    local dup = chk:type("check_duplicate", spec.check_duplicate, "boolean", true)
    -- API 1.44 dropped CheckDuplicate from the document: a taken name always fails there
    local always_checked = units.api_at_least(self:api_version(), 1, 44)
    local body = {
      Name = name, Driver = driver, CheckDuplicate = not always_checked and dup ~= false or nil,
      Internal = chk:type("internal", spec.internal, "boolean", true),
      Attachable = chk:type("attachable", spec.attachable, "boolean", true),
      EnableIPv6 = chk:type("enable_ipv6", spec.enable_ipv6, "boolean", true),
      IPAM = ipam_arg(chk, spec.ipam),
      Options = convert.string_map(chk, "options", spec.options, STRINGISH),
      Labels = session.labels(labels, "network"),
    }
    local r = check(self._cli:network_create(body))
    return M.from_engine(self, check(self._cli:network_inspect(r.Id)))
  end

  -- d:prune_networks{ filters = { label = {...}, ["until"] = ... } } -> { deleted = {names} }
  function Client:prune_networks(spec)
    local chk = argcheck.checker("prune_networks", 1)
    spec = chk:opts(spec, true)
    chk:only(spec, { filters = true })
    local r = check(self._cli:network_prune({ filters = options.filters(chk, spec.filters) }))
    return { deleted = r.NetworksDeleted or {} }
  end
end

return M
