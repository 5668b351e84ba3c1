-- luadock.volume.object: the Volume class (fields name, driver, mountpoint, labels,
-- scope, created, attrs; methods remove, reload) and the client methods
-- volumes, volume, volume_create and prune_volumes. A volume luadock creates
-- carries its ownership labels (luadock.kind=volume), so d:cleanup can find it.
-- Creating a name that already exists returns that volume as it is (the
-- Engine's behaviour): it then says by its labels whether it is luadock's.
-- prune_volumes is the Engine's own prune: it removes every unused volume that
-- matches the filters, named ones too. That is what API 1.41 (Docker 20.10)
-- does; from API 1.42 on the engine prunes only anonymous volumes unless the
-- filter all=true is given, so luadock adds it there (a filter `all` given by
-- the caller is left as it is: all = "false" asks a newer engine for
-- anonymous ones only).
-- Room volume/: the Volume class and the Client methods for volumes; methods
-- go in M.Volume / M.Client, merged by luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local lazy = require "luadock.base.lazy"   -- loaded on first use: start-up speed
local keys = require "luadock.base.keys"
local units = require "luadock.base.units"
local errors = require "luadock.base.errors"
local options = lazy "luadock.spec.options"
local session = require "luadock.base.session"
local convert = lazy "luadock.spec.convert"
local listing = lazy "luadock.text.listing"
argcheck.mark()

local check = errors.check
local M = {}

local class = require("luadock.base.classes").Volume   -- the metatable
local Volume = {}   -- this file's Volume methods, merged into the class by init.lua
M.Volume = Volume

function Volume.__tostring(v)
  return string.format("luadock.Volume: %s (%s)", v.name or "?", v.driver or "?")
end

local function apply(v, t)
  v.name = t.Name
  v.driver = t.Driver
  v.mountpoint = t.Mountpoint
  v.labels = t.Labels or {}
  v.scope = t.Scope
  v.created = units.parse_time(t.CreatedAt)
  v.attrs = t
  return v
end

function M.from_engine(client, t)
  return apply(setmetatable({ _client = client }, class), t)
end

local self_check = argcheck.self_checker(class, "vol")

-- vol:remove{ force = false } -> true; a volume in use raises kind "conflict"
function Volume:remove(spec)
  local cli = self_check(self, "remove")
  local chk = argcheck.checker("remove", 1)
  spec = chk:opts(spec, true)
  chk:only(spec, { force = true })
  check(cli:volume_delete(self.name, { force = chk:type("force", spec.force, "boolean", true) }))
  return true
end

function Volume:reload()
  local cli = self_check(self, "reload")
  return apply(self, check(cli:volume_inspect(self.name)))
end

local function name_arg(fname, name)
  if type(name) ~= "string" or name == "" then
    argcheck.argerror(fname, 1, nil, "volume name string expected, got "
      .. (name == "" and "empty string" or type(name)))
  end
  return name
end

local CREATE_OPTS = keys.set { "name", "driver", "driver_opts", "labels" }

-- Client methods, merged into the class by luadock/init.lua (PARTS)
M.Client = {}
do
  local Client = M.Client
  -- d:volumes{ filters = { label = {...}, name = ..., dangling = true, driver = ... } }
  function Client:volumes(spec)
    local chk = argcheck.checker("volumes", 1)
    spec = chk:opts(spec, true)
    chk:only(spec, { filters = true })
    local r = check(self._cli:volume_list({ filters = options.filters(chk, spec.filters) }))
    local out = {}
    for _, t in ipairs(type(r) == "table" and r.Volumes or {}) do out[#out + 1] = M.from_engine(self, t) end
    table.sort(out, function(a, b) return a.name < b.name end)
    return listing.list(out, "Volume")   -- prints as `docker volume ls`
  end

  function Client:volume(name)
    return M.from_engine(self, check(self._cli:volume_inspect(name_arg("volume", name))))
  end

  -- d:volume_create{ name=, driver=, driver_opts=, labels= } -> Volume
  function Client:volume_create(spec)
    local chk = argcheck.checker("volume_create", 1)
    spec = chk:opts(spec, true)
    chk:only(spec, CREATE_OPTS)
    local name = chk:type("name", spec.name, "string", true)
    if name and not name:match("^[%w][%w_.%-]+$") then
      chk:fail("name", "invalid volume name '" .. name:gsub("%c", "?") .. "' ([a-zA-Z0-9][a-zA-Z0-9_.-]+)")
    end
    local driver = chk:type("driver", spec.driver, "string", true)
    if driver == "" then chk:fail("driver", "non-empty string expected") end
    local labels = spec.labels ~= nil and convert.label_map(chk, "labels", spec.labels) or nil
    local body = {
      Name = name, Driver = driver,
      DriverOpts = convert.string_map(chk, "driver_opts", spec.driver_opts),
      Labels = session.labels(labels, "volume"),
    }
    return M.from_engine(self, check(self._cli:volume_create(body)))
  end

  -- d:prune_volumes{ filters = { label = {...} } } -> { deleted = {names}, space_reclaimed = bytes }
  function Client:prune_volumes(spec)
    local chk = argcheck.checker("prune_volumes", 1)
    spec = chk:opts(spec, true)
    chk:only(spec, { filters = true })
    local filters = options.filters(chk, spec.filters)
    if not (spec.filters and spec.filters.all ~= nil) and units.api_at_least(self:api_version(), 1, 42) then
      filters = filters or {}
      filters.all = core.array { "true" }
    end
    local r = check(self._cli:volume_prune({ filters = filters }))
    return { deleted = r.VolumesDeleted or {}, space_reclaimed = r.SpaceReclaimed or 0 }
  end
end

return M
