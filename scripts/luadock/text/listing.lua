-- luadock.text.listing: text for people, the way the docker CLI writes it. Escaping
-- of everything that came from the engine (C0, DEL, C1, bidi controls and
-- invalid UTF-8 never reach the terminal raw), display
-- width, docker's human sizes and durations, an elastic-column writer like
-- Go's tabwriter as docker configures it, and the `docker ps`, `docker
-- images`, `docker volume ls` and `docker network ls` tables of the friendly
-- objects, and the metatable that makes the lists the client returns print
-- as those tables. It only reads the objects it is given: no engine calls.
-- Room text/: what people read (listings, the value printer, progress bars,
-- help, completion); no engine calls of its own, and nothing here changes an
-- object.

local units = require "luadock.base.units"

local M = {}

-- ---- escaping ----------------------------------------------------------------

local NAMED = { ["\a"] = "\\a", ["\b"] = "\\b", ["\t"] = "\\t", ["\n"] = "\\n",
  ["\v"] = "\\v", ["\f"] = "\\f", ["\r"] = "\\r" }
local C0 = {}
for b = 0, 31 do
  local ch = string.char(b)
  C0[ch] = NAMED[ch] or string.format("\\x%02x", b)
end
C0["\127"] = "\\x7f"

-- Code points that steer the terminal or reorder text: C1 controls and the
-- bidirectional formatting characters (U+200E/F, U+202A-E, U+2066-9).
local function hostile(cp)
  return (cp >= 0x80 and cp <= 0x9f) or cp == 0x200e or cp == 0x200f
    or (cp >= 0x202a and cp <= 0x202e) or (cp >= 0x2066 and cp <= 0x2069)
end

-- A run of bytes >= 0x80: valid UTF-8 stays, hostile code points become
-- \u{..}, and bytes that are no valid UTF-8 become \xHH. Linear in the
-- run's length, also for binary data.
local function escape_high(run)
  local out, i, n = {}, 1, #run
  while i <= n do
    local ok, bad = utf8.len(run, i)
    local last = ok and n or bad - 1
    if last >= i then
      for _, cp in utf8.codes(run:sub(i, last)) do
        out[#out + 1] = hostile(cp) and string.format("\\u{%x}", cp) or utf8.char(cp)
      end
    end
    if ok then break end
    out[#out + 1] = string.format("\\x%02x", run:byte(bad))
    i = bad + 1
  end
  return table.concat(out)
end

-- escape(s[, how]): s made safe for a terminal. how.quote: Lua-style quoted
-- string ("\"" and "\\" escaped too); how.keep: a string of control
-- characters left as they are (e.g. "\n\t" for streamed build output).
function M.escape(s, how)
  s = tostring(s)
  local quote, keep = how and how.quote, how and how.keep
  if quote then s = s:gsub('[\\"]', "\\%0") end
  if s:find("[\0-\31\127-\255]") then
    s = s:gsub("[\0-\31\127]", function(ch)
      if keep and keep:find(ch, 1, true) then return ch end
      return C0[ch]
    end)
    s = s:gsub("[\128-\255]+", escape_high)
  end
  if quote then return '"' .. s .. '"' end
  return s
end

-- ---- display width -------------------------------------------------------------

local function cp_width(cp)
  if cp < 0x300 then return 1 end
  if (cp >= 0x300 and cp <= 0x36f) or (cp >= 0x200b and cp <= 0x200f) then return 0 end
  if (cp >= 0x1100 and cp <= 0x115f) or (cp >= 0x2e80 and cp <= 0xa4cf)
    or (cp >= 0xac00 and cp <= 0xd7a3) or (cp >= 0xf900 and cp <= 0xfaff)
    or (cp >= 0xfe30 and cp <= 0xfe4f) or (cp >= 0xff00 and cp <= 0xff60)
    or (cp >= 0xffe0 and cp <= 0xffe6) or (cp >= 0x1f300 and cp <= 0x1f64f)
    or (cp >= 0x1f900 and cp <= 0x1f9ff) or (cp >= 0x20000 and cp <= 0x3fffd) then
    return 2
  end
  return 1
end

-- Terminal columns of s (code points; East Asian wide ones count 2).
function M.width(s)
  if not s:find("[\128-\255]") then return #s end
  if not utf8.len(s) then return #s end
  local w = 0
  for _, cp in utf8.codes(s) do w = w + cp_width(cp) end
  return w
end

-- docker's formatter.Ellipsis: at most `max` code points, the last one "…".
function M.ellipsis(s, max)
  local n = utf8.len(s)
  if not n then
    return #s <= max and s or s:sub(1, max - 1) .. "…"
  end
  if n <= max then return s end
  return s:sub(1, utf8.offset(s, max) - 1) .. "…"
end

-- ---- docker's units ---------------------------------------------------------------

local DECIMAL = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" }

-- units.HumanSizeWithPrecision: decimal units, `precision` significant
-- digits (3 in `docker images`, 4 in progress bars): 2130000 -> "2.13MB".
function M.human_size(bytes, precision)
  local size, i = tonumber(bytes) or 0, 1
  while size >= 1000 and i < #DECIMAL do
    size, i = size / 1000, i + 1
  end
  return string.format("%." .. (precision or 3) .. "g", size) .. DECIMAL[i]
end

-- "3 minutes ago" for an epoch time, as the CREATED columns; "" when unknown.
function M.human_ago(t, now)
  if type(t) ~= "number" or t <= 0 then return "" end
  return units.human_duration(math.max(0, (now or os.time()) - t)) .. " ago"
end

-- ---- the elastic column writer ---------------------------------------------------

-- rows: arrays of cells (already escaped). Like tabwriter.NewWriter(out, 10,
-- 1, 3, ' ', 0) in the docker CLI: every column but the last is as wide as
-- its widest cell plus 3, and at least 10.
function M.columns(rows)
  local widths = {}
  for _, row in ipairs(rows) do
    for j = 1, #row - 1 do
      widths[j] = math.max(widths[j] or 10, M.width(row[j]) + 3)
    end
  end
  local lines = {}
  for i, row in ipairs(rows) do
    local parts = {}
    for j, cell in ipairs(row) do
      parts[j] = j < #row and cell .. string.rep(" ", widths[j] - M.width(cell)) or cell
    end
    lines[i] = table.concat(parts)
  end
  return table.concat(lines, "\n")
end

-- ---- the objects' tables ----------------------------------------------------------

local function esc(s) return M.escape(s == nil and "" or s) end

local function short_hex(s)
  return (tostring(s or ""):gsub("^sha256:", ""):sub(1, 12))
end

-- The IMAGE column: an id is shortened, a digest dropped (as `docker ps`).
local function image_column(img)
  if type(img) ~= "string" or img == "" then return "<no image>" end
  if img:match("^sha256:%x+$") or img:match("^%x+$") and #img == 64 then return short_hex(img) end
  return (img:gsub("@sha256:%x+$", ""))
end

-- The COMMAND column's text, the same for a listed and an inspected
-- Container. The engine's list gives `Command`, made from Path and Args with
-- each argument holding a space wrapped in single quotes and nothing else
-- changed (quotes, tabs and newlines inside stay as they are); an inspect has
-- only Path and Args, so that text is rebuilt here by the same rule, and
-- `docker ps` shows what both give.
function M.command(c)
  local a = type(c) == "table" and type(c.attrs) == "table" and c.attrs or {}
  if type(a.Command) == "string" then return a.Command end
  local words = { type(a.Path) == "string" and a.Path or "" }
  for _, w in ipairs(type(a.Args) == "table" and a.Args or {}) do
    w = tostring(w)
    words[#words + 1] = w:find(" ", 1, true) and "'" .. w .. "'" or w
  end
  return table.concat(words, " ")
end

-- The engine's port list (attrs.Ports) or, for an inspected Container, its
-- `ports` map as that list.
local function port_list(c)
  local a = type(c.attrs) == "table" and c.attrs or {}
  if type(a.Ports) == "table" then return a.Ports end
  local out = {}
  for key, binds in pairs(type(c.ports) == "table" and c.ports or {}) do
    local port, proto = tostring(key):match("^(%d+)/?(%a*)$")
    if port then
      proto = proto ~= "" and proto or "tcp"
      if #binds == 0 then out[#out + 1] = { PrivatePort = tonumber(port), Type = proto } end
      for _, b in ipairs(binds) do
        out[#out + 1] = { PrivatePort = tonumber(port), Type = proto,
          IP = b.host_ip ~= "" and b.host_ip or "0.0.0.0", PublicPort = b.host_port }
      end
    end
  end
  return out
end

local function join_host_port(ip, port)
  if ip:find(":", 1, true) then return "[" .. ip .. "]:" .. port end
  return ip .. ":" .. port
end

-- docker's DisplayablePorts: "0.0.0.0:8080->80/tcp, 443/tcp", with runs of
-- unpublished or same-number ports folded into ranges ("7000-7002/tcp").
function M.ports_text(list)
  local ports = {}
  for i, p in ipairs(list or {}) do
    ports[i] = { priv = tonumber(p.PrivatePort) or 0, pub = tonumber(p.PublicPort) or 0,
      ip = p.IP or "", type = p.Type or "tcp" }
  end
  table.sort(ports, function(a, b)
    if a.priv ~= b.priv then return a.priv < b.priv end
    if a.ip ~= b.ip then return a.ip < b.ip end
    if a.pub ~= b.pub then return a.pub < b.pub end
    return a.type < b.type
  end)
  local groups, order, result, mappings = {}, {}, {}, {}
  local function form(key, g)
    local ip, proto = key:match("^(.*)/([^/]*)$")
    local range = g.first == g.last and tostring(g.first) or g.first .. "-" .. g.last
    if ip then range = join_host_port(ip, range) .. "->" .. range else proto = key end
    return range .. "/" .. proto
  end
  for _, p in ipairs(ports) do
    local key = p.type
    local mapped = false
    if p.ip ~= "" then
      if p.pub ~= p.priv then
        mappings[#mappings + 1] = join_host_port(p.ip, p.pub) .. "->" .. p.priv .. "/" .. p.type
        mapped = true
      end
      key = p.ip .. "/" .. p.type
    end
    if not mapped then
      local g = groups[key]
      if not g then
        groups[key] = { first = p.priv, last = p.priv }
        order[#order + 1] = key
      elseif p.priv == g.last + 1 then
        g.last = p.priv
      else
        result[#result + 1] = form(key, g)
        groups[key] = { first = p.priv, last = p.priv }
      end
    end
  end
  for _, key in ipairs(order) do result[#result + 1] = form(key, groups[key]) end
  for _, m in ipairs(mappings) do result[#result + 1] = m end
  return table.concat(result, ", ")
end

local function container_rows(list, now)
  local rows = { { "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES" } }
  for _, c in ipairs(list) do
    rows[#rows + 1] = {
      esc(c.short_id or short_hex(c.id)), esc(image_column(c.image)),
      M.escape(M.ellipsis(M.command(c), 20), { quote = true }),
      M.human_ago(c.created, now), esc(c.status), esc(M.ports_text(port_list(c))), esc(c.name),
    }
  end
  return rows
end

-- "repo:tag" -> "repo", "tag" (the tag is after the last ':' past the last '/')
local function split_tag(ref)
  local repo, tag = ref:match("^(.*):([^:/]+)$")
  if repo then return repo, tag end
  return ref, "<none>"
end

local function image_rows(list, now)
  local rows = { { "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE" } }
  for _, img in ipairs(list) do
    local id, created = short_hex(img.id), M.human_ago(img.created, now)
    local size = M.human_size(img.size or 0, 3)
    local refs = {}
    for _, t in ipairs(type(img.tags) == "table" and img.tags or {}) do
      refs[#refs + 1] = { split_tag(t) }
    end
    if #refs == 0 then
      local digests = type(img.attrs) == "table" and img.attrs.RepoDigests
      local d = type(digests) == "table" and digests[1]
      local repo = type(d) == "string" and d:match("^(.-)@") or "<none>"
      refs[1] = { repo, "<none>" }
    end
    for _, r in ipairs(refs) do
      rows[#rows + 1] = { esc(r[1]), esc(r[2]), esc(id), created, size }
    end
  end
  return rows
end

local function volume_rows(list)
  local rows = { { "DRIVER", "VOLUME NAME" } }
  for _, v in ipairs(list) do rows[#rows + 1] = { esc(v.driver), esc(v.name) } end
  return rows
end

local function network_rows(list)
  local rows = { { "NETWORK ID", "NAME", "DRIVER", "SCOPE" } }
  for _, n in ipairs(list) do
    rows[#rows + 1] = { esc(n.short_id or short_hex(n.id)), esc(n.name), esc(n.driver), esc(n.scope) }
  end
  return rows
end

local KINDS = {
  ["luadock.Container"] = container_rows, ["luadock.Image"] = image_rows,
  ["luadock.Volume"] = volume_rows, ["luadock.Network"] = network_rows,
}

-- The kind of a friendly object ("luadock.Container", ...) or nil.
function M.kind(v)
  local mt = type(v) == "table" and getmetatable(v)
  local name = type(mt) == "table" and rawget(mt, "__name")
  if name == "docker.Container" then name = "luadock.Container" end
  return KINDS[name] and name or nil
end

-- ---- lists of objects ----------------------------------------------------------

-- The arrays d:ps(), d:images(), d:volumes() and d:networks() return carry
-- one of these metatables, so tostring (and print) shows them as the docker
-- table the REPL shows. Nothing else: no __index, __len or __name, so they
-- stay plain arrays for ipairs, #, table.sort, JSON encoding and completion.
-- The metatable also remembers the kind, so an empty list still prints its
-- header as the docker CLI does.
local LIST_MT, LIST_KIND = {}, {}
for kind in pairs(KINDS) do
  -- pretty is loaded on first use: it requires this module
  local mt = { __tostring = function(l) return require("luadock.text.pretty").format(l) end }
  LIST_MT[kind:match("%.(%a+)$")], LIST_KIND[mt] = mt, kind
end

-- tables.list(t, "Container" | "Image" | "Volume" | "Network") -> t, marked
-- as a list of that kind.
function M.list(t, kind)
  local mt = LIST_MT[kind]
  if type(t) ~= "table" or not mt then
    error("tables.list: array and kind (Container, Image, Volume, Network) expected", 2)
  end
  return setmetatable(t, mt)
end

-- The kind of a list made by tables.list ("luadock.Container", ...) or nil.
function M.list_kind(v)
  return type(v) == "table" and LIST_KIND[getmetatable(v)] or nil
end

-- The table of one object or of a non-empty array of objects of one kind
-- (also an empty one made by tables.list: the header alone), or nil when
-- `v` is neither. opts.now: the time CREATED counts from.
function M.render(v, opts)
  local kind = M.kind(v)
  local list = kind and { v }
  if not kind and M.list_kind(v) and next(v) == nil then
    return M.columns(KINDS[M.list_kind(v)]({}, opts and opts.now))
  end
  if not kind and type(v) == "table" and rawget(v, 1) ~= nil then
    kind = M.kind(rawget(v, 1))
    local n = 0
    for k in next, v do
      n = n + 1
      if math.type(k) ~= "integer" or M.kind(rawget(v, k)) ~= kind then return nil end
    end
    if not kind or n ~= #v then return nil end
    list = v
  end
  if not kind then return nil end
  return M.columns(KINDS[kind](list, opts and opts.now))
end

return M
