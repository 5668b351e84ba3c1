-- luadock.text.pretty (also luadock.pretty): how the REPL shows values. pretty.format(v, opts) renders
-- any Lua value as text: tables with sorted keys, indentation, a depth limit
-- and marked cycles; strings quoted with every control character escaped
-- (engine text never reaches the terminal raw); a
-- Container, Image, Volume or Network, or an array of one kind of them, as
-- the docker CLI's table (luadock.text.listing; inside other tables such objects
-- show their one-line tostring); values with __tostring (a
-- docker.Error, a Client) by that text, escaped. pretty.print(...) writes
-- each value on its own line(s), a string holding a line break as its lines
-- (escaped all the same); bindings/program/repl.c calls it, and docker.pp is it for
-- scripts. Formatting reads tables raw (no __index, __pairs or __len) and
-- never calls the engine.
-- Room text/: what people read (listings, the value printer, progress bars,
-- help, completion); no engine calls of its own, and nothing here changes an
-- object.

local argcheck = require "luadock.base.argcheck"
local listing = require "luadock.text.listing"
argcheck.mark()

local M = {}

M.escape = listing.escape

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local nil
  not or repeat return then true until while]]):gmatch("%a+") do KEYWORDS[w] = true end

local TYPE_ORDER = { number = 1, string = 2, boolean = 3 }

local function key_less(a, b)
  local ta, tb = TYPE_ORDER[type(a)] or 4, TYPE_ORDER[type(b)] or 4
  if ta ~= tb then return ta < tb end
  if ta <= 2 then return a < b end
  if ta == 3 then return (not a) and b end
  return tostring(a) < tostring(b)
end

local function address(t)
  return string.format("%s: %p", type(t), t)
end

-- tostring through __tostring, protected: a failing one must not hide the value.
local function safe_tostring(v)
  local ok, s = pcall(tostring, v)
  if ok and type(s) == "string" then return s end
  return address(v)
end

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end

local function number_text(n)
  if math.type(n) == "integer" then return tostring(n) end
  if n ~= n then return "0/0" end
  if n == math.huge then return "math.huge" end
  if n == -math.huge then return "-math.huge" end
  return string.format("%.14g", n):find("^-?%d+$") and string.format("%.1f", n) or string.format("%.14g", n)
end

local function key_text(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") and not KEYWORDS[k] then return k end
  if type(k) == "string" then return "[" .. listing.escape(k, { quote = true }) .. "]" end
  if type(k) == "number" then return "[" .. number_text(k) .. "]" end
  if type(k) == "boolean" then return "[" .. tostring(k) .. "]" end
  return "[" .. listing.escape(has_tostring(k) and safe_tostring(k) or address(k)) .. "]"
end

local format_value

-- Scalar items packed several to a line, for long arrays of numbers etc.
local function pack(items, pad, width)
  local lines, cur = {}, nil
  for _, it in ipairs(items) do
    if cur and #pad + #cur + 2 + #it + 1 <= width then
      cur = cur .. ", " .. it
    else
      if cur then lines[#lines + 1] = pad .. cur .. "," end
      cur = it
    end
  end
  lines[#lines + 1] = pad .. cur .. ","
  return table.concat(lines, "\n")
end

local function format_table(t, st, level, avail)
  if next(t) == nil then return "{}" end
  if st.path[t] then return "<cycle: " .. address(t) .. ">" end
  if level > st.depth then return "{…}" end
  st.path[t] = true
  local n = 0
  while rawget(t, n + 1) ~= nil do n = n + 1 end
  local keys = {}
  for k in next, t do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, key_less)
  local pad = string.rep("  ", level)
  local items, scalars = {}, true
  for i = 1, n do
    local v = rawget(t, i)
    items[i] = format_value(v, st, level + 1, st.width - #pad)
    if type(v) == "table" and next(v) ~= nil then scalars = false end
  end
  for _, k in ipairs(keys) do
    local kt = key_text(k) .. " = "
    items[#items + 1] = kt .. format_value(rawget(t, k), st, level + 1, st.width - #pad - #kt)
  end
  st.path[t] = nil
  local inline = "{ " .. table.concat(items, ", ") .. " }"
  if #inline <= avail and not inline:find("\n", 1, true) then return inline end
  local lines, first = {}, 1
  if n > 0 and scalars then
    lines[1], first = pack(table.move(items, 1, n, 1, {}), pad, st.width), n + 1
  end
  for i = first, #items do lines[#lines + 1] = pad .. items[i] .. "," end
  return "{\n" .. table.concat(lines, "\n") .. "\n" .. string.rep("  ", level - 1) .. "}"
end

function format_value(v, st, level, avail)
  local tv = type(v)
  if tv == "string" then return listing.escape(v, { quote = true }) end
  if tv == "number" then return number_text(v) end
  if tv ~= "table" then return listing.escape(safe_tostring(v)) end
  -- a list's __tostring is the multi-line docker table: inside another
  -- table it shows as the array it is
  if has_tostring(v) and not listing.list_kind(v) then return listing.escape(safe_tostring(v)) end
  return format_table(v, st, level, avail)
end

-- pretty.format(v[, opts]) -> string. opts.depth: table levels shown
-- (default 4; deeper ones print as {…}); opts.width: the line length small
-- tables are kept within (default 80); opts.now: the epoch time CREATED
-- columns count from (default os.time()).
function M.format(v, opts)
  opts = opts or {}
  local st = {
    depth = math.tointeger(opts.depth) or 4, width = math.tointeger(opts.width) or 80,
    now = opts.now or os.time(), path = {},
  }
  local grid = listing.render(v, st)
  if grid then return grid end
  return format_value(v, st, 1, st.width)
end

-- pretty.text(s) -> s as the text it is: each line escaped on its own, no
-- quotes; a CR before a LF is dropped (a tty container's logs end lines with
-- "\r\n") and so is one final line break (the printer adds its own). Tabs
-- stay: they move the cursor forward only. For output, not for reading back:
-- "a\nb" and the two values "a", "b" print alike.
function M.text(s)
  s = s:gsub("\r\n", "\n"):gsub("\n$", "")
  return listing.escape(s, { keep = "\n\t" })
end

-- pretty.print(...): each value formatted on its own line(s), on stdout; a
-- string with a line break (logs, file contents) as its lines, other
-- strings quoted.
function M.print(...)
  local out = io.stdout
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if type(v) == "string" and v:find("\n", 1, true) then
      out:write(M.text(v), "\n")
    else
      out:write(M.format(v), "\n")
    end
  end
  out:flush()
end

-- docker.pp(v, ...): the REPL's printer for scripts. At least one value:
-- pp() is more likely a forgotten argument than a wish for no output
-- (pp(nil) prints nil).
function M.pp(...)
  if select("#", ...) == 0 then argcheck.argerror("pp", 1, nil, "value expected") end
  M.print(...)
end

return M
