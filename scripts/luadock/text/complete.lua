-- luadock.text.complete: Tab completion candidates for the REPL. bindings/program/complete.c
-- calls M.candidates(line, word) under lua_pcall, where `line` is the text
-- before the cursor and `word` the end of it that the line editor replaces;
-- it returns the replacements for `word`. A bare name completes to globals and
-- keywords; after `a.b.` to fields, after `a:` to methods, found by walking
-- tables and their metatables' __index tables; inside a string (after an
-- opening quote) to the names of containers (and short ids), images
-- (repo:tag), volumes and networks, asked from the engine and cached for
-- M.ttl seconds. This module must never call a function or metamethod of the
-- values it walks (only rawget, next and __index tables), never print, and
-- never raise on engine failures: no completion is better than noise.
-- Room text/: what people read (listings, the value printer, progress bars,
-- help, completion); no engine calls of its own, and nothing here changes an
-- object.

local core = require "luadock.core"

local M = {}

M.ttl = 3          -- seconds engine names are reused
M.timeout = 2      -- seconds an engine call for completion may take

local KEYWORDS = { "and", "break", "do", "else", "elseif", "end", "false", "for",
  "function", "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return",
  "then", "true", "until", "while" }

local MAX_DEPTH = 16
local getmt = debug and debug.getmetatable or getmetatable

-- the __index of v's metatable, when it is a table
local function index_table(v)
  local mt = getmt(v)
  if type(mt) == "table" then
    local idx = rawget(mt, "__index")
    if type(idx) == "table" then return idx end
  end
  return nil
end

-- v[name] without calling anything: rawget along the chain of __index tables
local function lookup(v, name)
  for _ = 1, MAX_DEPTH do
    if type(v) == "table" then
      local x = rawget(v, name)
      if x ~= nil then return x end
    end
    v = index_table(v)
    if v == nil then return nil end
  end
  return nil
end

local function is_name(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil
end

-- the name keys of v and of its __index chain (only functions for methods)
local function fields(v, methods)
  local out, seen = {}, {}
  for _ = 1, MAX_DEPTH do
    if type(v) == "table" then
      for k, x in next, v do
        if is_name(k) and not seen[k] and (not methods or type(x) == "function") then
          seen[k] = true
          out[#out + 1] = k
        end
      end
    end
    v = index_table(v)
    if v == nil then break end
  end
  return out
end

-- names starting with `partial`; names starting with "_" only when asked for
local function pick(names, partial, prefix)
  local out, seen = {}, {}
  local hidden = partial:sub(1, 1) ~= "_"
  for _, n in ipairs(names) do
    if not seen[n] and n:sub(1, #partial) == partial and not (hidden and n:sub(1, 1) == "_") then
      seen[n] = true
      out[#out + 1] = prefix .. n
    end
  end
  table.sort(out)
  return out
end

-- completions of an expression like `abc`, `a.b.c` or `a.b:c`
local function complete_expression(token)
  local path, sep, partial = token:match("^(.-)([%.:])([%w_]*)$")
  if not path then
    local names = fields(_G)
    for _, k in ipairs(KEYWORDS) do names[#names + 1] = k end
    return pick(names, token, "")
  end
  local v = _G
  for seg in (path .. "."):gmatch("(.-)%.") do
    if not is_name(seg) then return {} end
    v = lookup(v, seg)
    if v == nil then return {} end
  end
  return pick(fields(v, sep == ":"), partial, path .. sep)
end

-- ---- names from the engine --------------------------------------------------

local client, client_timeout
local cache = {}

local function engine_client()
  if not client or client_timeout ~= M.timeout then
    local docker = require "luadock"
    -- the default client's engine, with a short timeout of its own: a hung
    -- engine must not freeze the prompt for a minute. A named context is
    -- reopened by name, so its TLS files come along.
    local d = docker.default_client()
    local ctx = d:context()
    if ctx and ctx ~= "default" then
      client = docker.connect{ context = ctx, timeout = M.timeout }
    else
      client = docker.connect{ host = d:host(), timeout = M.timeout }
    end
    client_timeout = M.timeout
  end
  return client
end

local FETCH = {
  containers = function(c)
    local out = {}
    for _, x in ipairs(c:containers{ all = true }) do
      out[#out + 1] = x.name
      out[#out + 1] = x.short_id
    end
    return out
  end,
  images = function(c)
    local out = {}
    for _, im in ipairs(c:images{}) do
      for _, t in ipairs(im.tags or {}) do
        if t ~= "<none>:<none>" then out[#out + 1] = t end
      end
    end
    return out
  end,
  volumes = function(c)
    local out = {}
    for _, v in ipairs(c:volumes{}) do out[#out + 1] = v.name end
    return out
  end,
  networks = function(c)
    local out = {}
    for _, n in ipairs(c:networks{}) do out[#out + 1] = n.name end
    return out
  end,
}

local ALL = { "containers", "images", "volumes", "networks" }

local function engine_names(kind)
  local now = core.clock()
  local hit = cache[kind]
  if hit and now - hit.time < M.ttl then return hit.names end
  local ok, names = pcall(function() return FETCH[kind](engine_client()) end)
  local list = {}
  if ok and type(names) == "table" then
    for _, n in ipairs(names) do
      if type(n) == "string" and n ~= "" then list[#list + 1] = n end
    end
  end
  -- failures are cached too, so an unreachable engine is asked once per ttl
  cache[kind] = { time = core.clock(), names = list }
  return list
end

-- which names fit the string being typed: by the function it is passed to
-- (`d:container("`, `docker.pull "`) or the field it sets (`image = "`)
local FUNCTION_KINDS = {
  container = "containers",
  image = "images", pull = "images", push = "images", save = "images",
  volume = "volumes",
  network = "networks",
}
local FIELD_KINDS = { image = "images", network = "networks" }

local function kinds_for(before)
  local fn = before:match("([%a_][%w_]*)%s*%(%s*$") or before:match("([%a_][%w_]*)%s*$")
  local kind = fn and FUNCTION_KINDS[fn]
  if not kind then
    local field = before:match("([%a_][%w_]*)%s*=%s*$")
    kind = field and FIELD_KINDS[field]
  end
  return kind and { kind } or ALL
end

-- where an unfinished short string starts in `line` (its quote's position),
-- or nil; comments and long strings end the search with no completion
local function open_string(line)
  local i, n = 1, #line
  while i <= n do
    local c = line:sub(i, i)
    if c == '"' or c == "'" then
      local j = i + 1
      while j <= n do
        local d = line:sub(j, j)
        if d == "\\" then
          j = j + 2
        elseif d == c then
          break
        else
          j = j + 1
        end
      end
      if j > n then return i end
      i = j + 1
    elseif c == "-" and line:sub(i + 1, i + 1) == "-" then
      return nil, "comment"
    elseif c == "[" and line:find("^%[=*%[", i) then
      local eqs = line:match("^%[(=*)%[", i)
      local close = line:find("]" .. eqs .. "]", i, true)
      if not close then return nil, "long string" end
      i = close + #eqs + 2
    else
      i = i + 1
    end
  end
  return nil
end

local function complete_string(line, quote_at)
  local partial = line:sub(quote_at + 1)
  if partial:find("\\", 1, true) then return {} end
  local names = {}
  for _, kind in ipairs(kinds_for(line:sub(1, quote_at - 1))) do
    for _, n in ipairs(engine_names(kind)) do names[#names + 1] = n end
  end
  local out, seen = {}, {}
  for _, n in ipairs(names) do
    if not seen[n] and n:sub(1, #partial) == partial then
      seen[n] = true
      out[#out + 1] = n
    end
  end
  table.sort(out)
  return out, partial
end

-- ---- the entry point ----------------------------------------------------------

-- Candidates complete `token`, a suffix of `line`; the editor replaces `word`,
-- another suffix: turn each into the text that replaces `word`.
local function replacements(line, token, word, cands)
  if #word > 0 and line:sub(-#word) ~= word then return {} end
  local head = line:sub(1, #line - #token)
  local keep = line:sub(1, #line - #word)
  local out = {}
  for _, c in ipairs(cands) do
    local full = head .. c
    if full:sub(1, #keep) == keep then out[#out + 1] = full:sub(#keep + 1) end
  end
  return out
end

function M.candidates(line, word)
  if type(line) ~= "string" then return {} end
  word = type(word) == "string" and word or ""
  local quote_at, blocked = open_string(line)
  if blocked then return {} end
  if quote_at then
    local cands, token = complete_string(line, quote_at)
    return replacements(line, token or "", word, cands)
  end
  local token = line:match("[%w_%.:]*$")
  while token:find("..", 1, true) do token = token:match("%.%.(.*)$") end
  if token:find("^[%d%.:]") then return {} end
  return replacements(line, token, word, complete_expression(token))
end

-- forget the cached engine names (tests, or after creating objects)
function M.flush()
  cache = {}
end

return M
