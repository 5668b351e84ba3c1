-- luadock.spec.convert: one checker-converter per friendly option of run/create
-- and update: cmd/entrypoint words (shell-like split), env and label pairs,
-- ports (ExposedPorts + PortBindings), volumes (Binds + anonymous Volumes),
-- restart policy, cpus, byte sizes, and values of the Engine's own fields by
-- their JSON type. Each takes the call's checker and raises in luaL_argerror
-- form naming the field; none talks to the engine (luadock.spec.options composes
-- them into a request).
-- Room spec/: option tables in, Engine request bodies out; a new run/create
-- option is a field here (fields.lua, or a converter in convert.lua wired in
-- options.lua); never calls the engine.

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local shell = require "luadock.base.shell"
local units = require "luadock.base.units"
local fields = require "luadock.spec.fields"
argcheck.mark()

local M = {}

local PROTOCOLS = keys.set { "tcp", "udp", "sctp" }
local BIND_MODES = keys.set {
  "ro", "rw", "z", "Z", "shared", "slave", "private", "rshared", "rslave",
  "rprivate", "nocopy", "delegated", "cached", "consistent",
}

function M.copy_array(t)
  local out = {}
  for i = 1, #t do out[i] = t[i] end
  return core.array(out)
end

-- A list of strings (cmd, entrypoint): a shell-like string or an array.
function M.words(chk, field, v)
  if type(v) == "string" then
    local list, err = shell.split(v)
    if not list then chk:fail(field, err) end
    if #list == 0 then
      if field == "entrypoint" then return core.array { "" } end
      chk:fail(field, "empty command")
    end
    return core.array(list)
  end
  if type(v) ~= "table" or not keys.is_array(v) then
    chk:fail(field, "string or array of strings expected, got " .. type(v))
  end
  for i, w in ipairs(v) do
    if type(w) ~= "string" then
      chk:fail(field, "item " .. i .. ": string expected, got " .. type(w))
    end
  end
  return M.copy_array(v)
end

-- "K=v" pairs (env) or "k=v" labels from a map or an array.
local function pairs_list(chk, field, v)
  if type(v) ~= "table" then chk:fail(field, "table expected, got " .. type(v)) end
  local out = {}
  if keys.is_array(v) then
    for i, item in ipairs(v) do
      if type(item) ~= "string" then
        chk:fail(field, "item " .. i .. ": string expected, got " .. type(item))
      end
      if item == "" or item:sub(1, 1) == "=" then
        chk:fail(field, "item " .. i .. ": \"KEY=value\" or \"KEY\" expected")
      end
      out[#out + 1] = item
    end
    return out
  end
  for _, k in ipairs(keys.sorted_keys(v)) do
    local val = v[k]
    if type(k) ~= "string" or k == "" or k:find("=", 1, true) then
      chk:fail(field, "bad name " .. tostring(k) .. " (a non-empty string without '=')")
    end
    if type(val) ~= "string" then
      chk:fail(field, "value of '" .. k .. "': string expected, got " .. type(val))
    end
    out[#out + 1] = k .. "=" .. val
  end
  return out
end

function M.env_list(chk, v)
  return core.array(pairs_list(chk, "env", v))
end

function M.label_map(chk, field, v)
  local out = {}
  for _, kv in ipairs(pairs_list(chk, field, v)) do
    local k, val = kv:match("^([^=]+)=(.*)$")
    out[k or kv] = val or ""
  end
  return out
end

-- A map of names to strings (buildargs, driver_opts, network options): nil
-- stays nil; numbers become their text, and true/false too when
-- opts.booleans. Keys are checked in sorted order, so the error a bad map
-- raises is always the same one. An empty map stays a JSON object.
function M.string_map(chk, field, v, opts)
  if v == nil then return nil end
  if type(v) ~= "table" then chk:fail(field, "table of strings expected, got " .. type(v)) end
  local booleans = opts and opts.booleans
  local out = core.object {}
  for _, k in ipairs(keys.sorted_keys(v)) do
    local x = v[k]
    if type(k) ~= "string" or k == "" then chk:fail(field, "names are non-empty strings, got " .. type(k)) end
    if type(x) == "number" or (booleans and type(x) == "boolean") then x = tostring(math.tointeger(x) or x) end
    if type(x) ~= "string" then chk:fail(field, "value of '" .. k .. "': string expected, got " .. type(x)) end
    out[k] = x
  end
  return out
end

local function port_key(chk, k)
  local num, proto
  if math.type(k) == "integer" then
    num, proto = k, "tcp"
  elseif type(k) == "string" then
    local n, p = k:match("^(%d+)/(%a+)$")
    if not n then n, p = k:match("^(%d+)$"), "tcp" end
    num, proto = tonumber(n), p and p:lower()
  end
  if not num or num < 1 or num > 65535 or not PROTOCOLS[proto] then
    chk:fail("ports", "bad container port " .. string.format("%q", tostring(k))
      .. " (e.g. \"80/tcp\", \"53/udp\" or 80)")
  end
  return string.format("%d/%s", num, proto)
end

local function valid_host_port(p)
  if p == "" then return true end
  local n = tonumber(p)
  return n and n >= 1 and n <= 65535
end

local function valid_ipv4(ip)
  local parts = { ip:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$") }
  if #parts ~= 4 then return false end
  for _, p in ipairs(parts) do
    if tonumber(p) > 255 then return false end
  end
  return true
end

-- One host side of a published port: 8080, true, "8080", "127.0.0.1:8080",
-- "127.0.0.1:" (random port on that address), "[::1]:8080".
local function port_binding(chk, key, v)
  local bad = function()
    chk:fail("ports", "bad host side " .. string.format("%q", tostring(v)) .. " for " .. key
      .. " (a port number, true, \"8080\" or \"127.0.0.1:8080\")")
  end
  if v == true then return { HostIp = "", HostPort = "" } end
  if math.type(v) == "integer" or (math.type(v) == "float" and v == math.floor(v)) then
    if v < 0 or v > 65535 then bad() end
    return { HostIp = "", HostPort = v == 0 and "" or string.format("%d", v) }
  end
  if type(v) ~= "string" then bad() end
  local ip, port
  if v:match("^%d+$") then
    ip, port = "", v
  else
    ip, port = v:match("^%[([%x:%.]+)%]:(%d*)$")
    if not ip then
      ip, port = v:match("^([%d%.]+):(%d*)$")
      if ip and not valid_ipv4(ip) then bad() end
    end
  end
  if not ip or not valid_host_port(port) then bad() end
  return { HostIp = ip, HostPort = port }
end

function M.ports_option(chk, v)
  if type(v) ~= "table" then chk:fail("ports", "table expected, got " .. type(v)) end
  if next(v) ~= nil and keys.is_array(v) then
    -- { 8080 } reads as "port 1 -> 8080": almost surely not what was meant
    chk:fail("ports", "a map from container port to host side expected, e.g. { [\"80/tcp\"] = 8080 }")
  end
  local exposed, bindings = {}, {}
  for k, hostside in pairs(v) do
    local key = port_key(chk, k)
    exposed[key] = core.object {}
    if hostside ~= false then
      local list = bindings[key] or core.array {}
      if type(hostside) == "table" then
        if not keys.is_array(hostside) or #hostside == 0 then
          chk:fail("ports", "host side of " .. key .. ": a non-empty array of ports expected")
        end
        for _, h in ipairs(hostside) do list[#list + 1] = port_binding(chk, key, h) end
      else
        list[#list + 1] = port_binding(chk, key, hostside)
      end
      bindings[key] = list
    end
  end
  return exposed, bindings
end

local function check_mode(chk, mode, item)
  for m in mode:gmatch("[^,]+") do
    if not BIND_MODES[m] then chk:fail("volumes", "bad mode '" .. m .. "' in " .. item) end
  end
end

local function check_source(chk, src)
  if src:sub(1, 1) == "/" then return end
  if not src:match("^[%w][%w_.%-]*$") then
    chk:fail("volumes", "bad source '" .. src
      .. "' (a volume name or an absolute host path)")
  end
end

local function check_target(chk, dst, item)
  if dst:sub(1, 1) ~= "/" then
    chk:fail("volumes", "target of " .. item .. " must be an absolute path")
  end
end

-- volumes = { name_or_abs_path = "/target[:mode]" | { bind=, mode= }, "src:/dst[:mode]", "/anon" }
function M.volumes_option(chk, v)
  if type(v) ~= "table" then chk:fail("volumes", "table expected, got " .. type(v)) end
  local binds, anon = {}, {}
  for _, k in ipairs(keys.sorted_keys(v)) do
    local val, src, dst, mode = v[k], nil, nil, nil
    if math.type(k) == "integer" then
      if type(val) ~= "string" then
        chk:fail("volumes", "item " .. k .. ": \"source:/target[:mode]\" expected, got " .. type(val))
      end
      local parts = {}
      for p in (val .. ":"):gmatch("([^:]*):") do parts[#parts + 1] = p end
      if #parts == 1 then
        check_target(chk, val, val)
        anon[val] = core.object {}
      elseif #parts <= 3 then
        src, dst, mode = parts[1], parts[2], parts[3]
      else
        chk:fail("volumes", "bad item '" .. val .. "'")
      end
    elseif type(k) == "string" then
      src = k
      if type(val) == "string" then
        dst, mode = val:match("^([^:]*):?(.*)$")
      elseif type(val) == "table" then
        dst = val.bind or val.target
        mode = val.mode or (val.ro and "ro") or ""
        if type(dst) ~= "string" or type(mode) ~= "string" then
          chk:fail("volumes", "value of '" .. k .. "': { bind = \"/target\", mode = \"ro\" } expected")
        end
      else
        chk:fail("volumes", "value of '" .. k .. "': target path string expected, got " .. type(val))
      end
    else
      chk:fail("volumes", "bad key " .. tostring(k))
    end
    if src then
      check_source(chk, src)
      check_target(chk, dst, src)
      if mode and mode ~= "" then
        check_mode(chk, mode, src)
        binds[#binds + 1] = src .. ":" .. dst .. ":" .. mode
      else
        binds[#binds + 1] = src .. ":" .. dst
      end
    end
  end
  return core.array(binds), anon
end

function M.restart_option(chk, v)
  if type(v) == "table" then
    if type(v.Name) ~= "string" then chk:fail("restart", "a policy string or { Name = ... } expected") end
    return v
  end
  if type(v) ~= "string" then chk:fail("restart", "string expected, got " .. type(v)) end
  if v == "no" or v == "always" or v == "unless-stopped" or v == "on-failure" then
    return { Name = v }
  end
  local n = v:match("^on%-failure:(%d+)$")
  if n then return { Name = "on-failure", MaximumRetryCount = math.tointeger(tonumber(n)) } end
  chk:fail("restart", "bad policy '" .. v .. "' (no, always, unless-stopped, on-failure[:N])")
end

function M.cpus_option(chk, v)
  local n = tonumber(v)
  if type(v) ~= "number" and type(v) ~= "string" or not n or n ~= n or n <= 0 or n == math.huge then
    chk:fail("cpus", "positive number expected, got " .. (type(v) == "number" and tostring(v) or type(v)))
  end
  return math.floor(n * 1e9 + 0.5)
end

function M.size_option(chk, field, v)
  local n, err = units.parse_size(v)
  if not n then chk:fail(field, err) end
  return n
end

-- group_add: group names or integer ids, all sent as strings (see
-- fields.id_lists). 1000.0 counts as 1000; 1.5, -1, "" and other types are
-- refused naming the item.
function M.id_list(chk, field, v)
  if type(v) ~= "table" or not keys.is_array(v) then
    chk:fail(field, "array of group names or ids expected, got " .. type(v))
  end
  local out = {}
  for i, x in ipairs(v) do
    local id = math.type(x) and math.tointeger(x)
    if id and id >= 0 then
      out[i] = string.format("%d", id)
    elseif type(x) == "string" and x ~= "" then
      out[i] = x
    else
      chk:fail(field, "item " .. i .. ": group name or non-negative integer id expected, got "
        .. (type(x) == "number" and tostring(x) or x == "" and "empty string" or type(x)))
    end
  end
  return core.array(out)
end

-- A value for one of the Engine's own fields, checked against its JSON type.
function M.engine_value(chk, opt, f, v)
  local engine_name, jtype = f[2], f[3]
  if jtype == "integer" then
    if fields.sizes[engine_name] and type(v) == "string" then return M.size_option(chk, opt, v) end
    return chk:type(opt, v, "integer")
  elseif fields.id_lists[engine_name] then
    return M.id_list(chk, opt, v)
  elseif jtype == "array" then
    if type(v) ~= "table" or not keys.is_array(v) then
      chk:fail(opt, "array expected, got " .. type(v))
    end
    return M.copy_array(v)
  elseif jtype == "object" then
    return chk:type(opt, v, "table")
  end
  return chk:type(opt, v, jtype)
end

return M
