-- luadock.base.argcheck: argument checking for the friendly modules: errors
-- in luaL_argerror form raised at the caller's position (mark() registers a
-- module as luadock's own, so the position skips it), type and option-table
-- checks, and the check that a method was called with ':'. Room base/: pure
-- Lua, no engine calls and no luadock.core, so a stock lua5.4 can test it.

local M = {}

-- Chunk names of luadock's own modules: an argument error is reported at the
-- first stack frame outside them, i.e. the user's call, however deep inside
-- the library the check happened.
local own = {}

function M.mark()
  local info = debug and debug.getinfo(2, "S")
  if info then own[info.source] = true end
end
M.mark()

local function caller_level()
  if not (debug and debug.getinfo) then return 3 end
  local level = 2
  while true do
    local info = debug.getinfo(level + 1, "S")
    if not info then return 2 end
    if not own[info.source] then return level end
    level = level + 1
  end
end

-- error() with the position of the first frame outside luadock.
function M.raise(msg)
  error(msg, caller_level())
end

-- "bad argument #n to 'fname' (field 'f': msg)" or "(msg)" without a field.
function M.argerror(fname, n, field, msg)
  local text
  if field then
    text = string.format("bad argument #%d to '%s' (field '%s': %s)", n, fname, field, msg)
  else
    text = string.format("bad argument #%d to '%s' (%s)", n, fname, msg)
  end
  error(text, caller_level())
end

function M.typename(v)
  return type(v)
end

-- A checker bound to one function and argument number.
-- chk:type(field, value, "string", optional) and chk:fail(field, msg).
local Checker = {}
Checker.__index = Checker

function M.checker(fname, n)
  return setmetatable({ fname = fname, n = n or 1 }, Checker)
end

function Checker:fail(field, msg)
  M.argerror(self.fname, self.n, field, msg)
end

local type_ok = {
  string = function(v) return type(v) == "string" end,
  number = function(v) return type(v) == "number" and v == v end,
  integer = function(v) return math.type(v) == "integer" or (math.type(v) == "float" and v == math.floor(v) and v > -2^63 and v < 2^63) end,
  boolean = function(v) return type(v) == "boolean" end,
  table = function(v) return type(v) == "table" end,
  ["function"] = function(v) return type(v) == "function" end,
}

function Checker:type(field, v, tname, optional)
  if v == nil and optional then return nil end
  if not type_ok[tname](v) then
    self:fail(field, tname .. " expected, got " .. M.typename(v))
  end
  if tname == "integer" then return math.tointeger(v) end
  return v
end

-- A positive number of seconds (a timeout), or nil when v is nil.
function Checker:seconds(field, v)
  if v == nil then return nil end
  if type(v) ~= "number" or v ~= v or v <= 0 then
    self:fail(field, "positive number of seconds expected, got "
      .. (type(v) == "number" and tostring(v) or type(v)))
  end
  return v
end

-- The top-level options table of a call: a table, or nil when allowed.
function Checker:opts(v, optional)
  if v == nil and optional then return {} end
  if type(v) ~= "table" then
    M.argerror(self.fname, self.n, nil, "table expected, got " .. M.typename(v))
  end
  return v
end

-- Raise on any key of t not in the set `allowed` (a table name -> true).
function Checker:only(t, allowed)
  for k in pairs(t) do
    if type(k) ~= "string" then
      self:fail(tostring(k), "unknown option (option names are strings)")
    elseif not allowed[k] then
      self:fail(k, "unknown option")
    end
  end
end

-- The self check of a class's methods: calling with '.' instead of ':' is the
-- usual mistake, so it is named; returns the object's luadock.core client.
function M.self_checker(Class, var)
  return function(self, fname)
    if getmetatable(self) ~= Class then
      M.raise("calling '" .. fname .. "' on bad self (use " .. var .. ":" .. fname .. "(...))")
    end
    return self._client._cli
  end
end

return M
