-- luadock.util: small pure helpers shared by the friendly modules: argument
-- errors in luaL_argerror form raised at the caller's position, type checks,
-- shell-like word splitting, byte sizes ("64m"), durations, RFC 3339 times and
-- docker-style human durations ("Up 3 seconds"). It must not talk to the engine
-- or require luadock.core, so it stays testable with a stock lua5.4.

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

function M.set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

-- True when t is a sequence 1..n (an empty table counts).
function M.is_array(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  for i = 1, n do
    if t[i] == nil then return false end
  end
  return true
end

function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

-- Split a command line into words the way a POSIX shell would, without
-- running one: blanks separate words, '...' is literal, "..." keeps spaces
-- and lets \ escape \ " $ ` and newline, a bare \ escapes the next
-- character. Returns the words, or nil and a message.
function M.shell_split(s)
  local words, cur, inword = {}, {}, false
  local i, n = 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if c == "'" then
      local j = s:find("'", i + 1, true)
      if not j then return nil, "unterminated single quote" end
      cur[#cur + 1] = s:sub(i + 1, j - 1)
      inword, i = true, j + 1
    elseif c == '"' then
      i, inword = i + 1, true
      while true do
        if i > n then return nil, "unterminated double quote" end
        local d = s:sub(i, i)
        if d == '"' then i = i + 1; break end
        if d == "\\" and i < n then
          local e = s:sub(i + 1, i + 1)
          if e == "\n" then
            i = i + 2
          elseif e == "\\" or e == '"' or e == "$" or e == "`" then
            cur[#cur + 1] = e; i = i + 2
          else
            cur[#cur + 1] = d; i = i + 1
          end
        else
          cur[#cur + 1] = d; i = i + 1
        end
      end
    elseif c == "\\" then
      if i == n then return nil, "trailing backslash" end
      local e = s:sub(i + 1, i + 1)
      if e ~= "\n" then cur[#cur + 1] = e; inword = true end
      i = i + 2
    elseif c == " " or c == "\t" or c == "\n" or c == "\r" then
      if inword then words[#words + 1] = table.concat(cur); cur, inword = {}, false end
      i = i + 1
    else
      cur[#cur + 1] = c; inword = true; i = i + 1
    end
  end
  if inword then words[#words + 1] = table.concat(cur) end
  return words
end

-- Quote words for messages so they read like a shell command line.
function M.shell_join(words)
  local out = {}
  for i, w in ipairs(words) do
    if w == "" or w:find("[^%w%-_./:=@%%+,]") then
      w = "'" .. w:gsub("'", "'\\''") .. "'"
    end
    out[i] = w
  end
  return table.concat(out, " ")
end

local size_units = { [""] = 1, b = 1, k = 1024, m = 1024^2, g = 1024^3, t = 1024^4, p = 1024^5 }

-- Bytes from an integer or a string like "64m", "1g", "512k", "1.5GB"
-- (1024-based, like docker's RAMInBytes). Returns nil, msg when invalid.
function M.parse_size(v)
  if math.type(v) == "integer" or (math.type(v) == "float" and v == math.floor(v)) then
    if v < 0 then return nil, "must not be negative" end
    return math.tointeger(v)
  end
  if type(v) ~= "string" then
    return nil, "size (integer bytes or a string like \"64m\") expected, got " .. type(v)
  end
  local num, unit = v:lower():match("^%s*(%d+%.?%d*)%s*([bkmgtp]?)b?%s*$")
  if not num then
    return nil, "invalid size '" .. v .. "' (use bytes or a number with b, k, m, g, t)"
  end
  return math.floor(tonumber(num) * size_units[unit])
end

local duration_units = { s = 1, m = 60, h = 3600, d = 86400, w = 604800 }

-- Seconds from a number or a string "90s", "5m", "6h", "1d", "1h30m".
function M.parse_duration(v)
  if type(v) == "number" then
    if v ~= v or v < 0 then return nil, "must be a non-negative number" end
    return v
  end
  if type(v) ~= "string" then return nil, "seconds or a duration string expected, got " .. type(v) end
  local total, rest = 0, v
  if rest == "" then return nil, "empty duration" end
  while rest ~= "" do
    local num, unit, tail = rest:match("^(%d+%.?%d*)([smhdw])(.*)$")
    if not num then
      if rest:match("^%d+%.?%d*$") then return total + tonumber(rest) end
      return nil, "invalid duration '" .. v .. "' (e.g. 90, \"90s\", \"5m\", \"6h\", \"1d\")"
    end
    total, rest = total + tonumber(num) * duration_units[unit], tail
  end
  return total
end

-- Days since 1970-01-01 of a proleptic Gregorian date (Lua's // floors, so
-- no correction for negative years is needed).
function M.days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
  return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
end

-- Epoch seconds (integer) from an RFC 3339 time such as
-- "2026-11-28T05:04:31.123456789Z" or "...+01:00"; nil when unparsable
-- or the Go zero time (year 1, "never").
function M.parse_time(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, sec, rest = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.*)$")
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if y <= 1 then return nil end
  rest = rest:gsub("^%.%d+", "")
  local offset = 0
  if rest ~= "Z" and rest ~= "z" and rest ~= "" then
    local sign, oh, om = rest:match("^([+-])(%d%d):?(%d%d)$")
    if not sign then return nil end
    offset = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == "+" and 1 or -1)
  end
  return M.days_from_civil(y, mo, d) * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60
    + tonumber(sec) - offset
end

-- docker's units.HumanDuration: "Less than a second", "3 seconds",
-- "About a minute", "5 minutes", "About an hour", "3 hours", "2 days", ...
function M.human_duration(seconds)
  seconds = math.floor(seconds)
  if seconds < 1 then return "Less than a second" end
  if seconds == 1 then return "1 second" end
  if seconds < 60 then return seconds .. " seconds" end
  local minutes = seconds // 60
  if minutes == 1 then return "About a minute" end
  if minutes < 60 then return minutes .. " minutes" end
  local hours = math.floor(seconds / 3600 + 0.5)
  if hours == 1 then return "About an hour" end
  if hours < 48 then return hours .. " hours" end
  if hours < 24 * 7 * 2 then return hours // 24 .. " days" end
  if hours < 24 * 30 * 2 then return hours // (24 * 7) .. " weeks" end
  if hours < 24 * 365 * 2 then return hours // (24 * 30) .. " months" end
  return hours // (24 * 365) .. " years"
end

-- The last n lines of a text (without a trailing empty line).
function M.last_lines(text, n)
  local lines = {}
  for line in (text or ""):gmatch("[^\n]+") do
    lines[#lines + 1] = line
    if #lines > n then table.remove(lines, 1) end
  end
  return table.concat(lines, "\n")
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

-- luadock's folder for state that outlives a process (schedule history,
-- backup records): $XDG_STATE_HOME/luadock, else ~/.local/state/luadock.
function M.state_dir()
  local base = os.getenv("XDG_STATE_HOME")
  if not base or base == "" then base = (os.getenv("HOME") or "/root") .. "/.local/state" end
  return base .. "/luadock"
end

-- The names in folder `dir` (dotfiles too), or an empty list when it is
-- missing or unreadable. Lua has no directory listing: ls does it.
function M.list_dir(dir)
  local out = {}
  local p = io.popen("ls -1A '" .. tostring(dir):gsub("'", "'\\''") .. "' 2>/dev/null")
  if not p then return out end
  for name in p:lines() do out[#out + 1] = name end
  p:close()
  return out
end

return M
