-- luadock.text.help: the REPL's help. help(docker.run), help "run", help "c:logs"
-- or help "logs", help(docker) (the topics), help() (an overview). It prints
-- the contract of every function of the Lua API (API.md) in short: how to call it,
-- its options, what it returns and what it raises. A function value is
-- matched to its topic by identity, scanning the module, the Client class
-- and the Container, Image, Volume and Network classes, luadock.schedule and
-- its Job class. It only reads tables and prints text: no engine calls.
-- Room text/: what people read (listings, the value printer, progress bars,
-- help, completion); no engine calls of its own, and nothing here changes an
-- object.

local listing = require "luadock.text.listing"

local M = {}

local texts = require "luadock.text.help_topics"
local SECTIONS, TOPICS = texts.sections, texts.topics

-- ---- finding topics -------------------------------------------------------------------

local PREFIXES = {
  c = "c:", container = "c:", img = "img:", image = "img:", vol = "vol:", volume = "vol:",
  net = "net:", network = "net:", schedule = "schedule.", job = "job",
}

local function docker_module()
  return package.loaded["luadock"] or require("luadock")
end

function M.topic_text(name)
  return TOPICS[name]
end

-- Topic names for a string: exact, case-insensitive, "d:"/"docker." dropped,
-- "container:logs" -> "c:logs", or every method of that name ("remove").
function M.lookup(q)
  q = q:gsub("^%s+", ""):gsub("%s+$", "")
  if TOPICS[q] then return { q } end
  local base = q:gsub("^docker[.:]", ""):gsub("^d[.:]", ""):gsub("^client[.:]", ""):gsub("%(.*$", "")
  if TOPICS[base] then return { base } end
  local cls, meth = base:match("^(%a+)[.:]([%w_]+)$")
  if cls and PREFIXES[cls:lower()] then
    local name = PREFIXES[cls:lower()] .. meth
    if TOPICS[name] then return { name } end
  end
  for name in pairs(TOPICS) do
    if name:lower() == base:lower() then return { name } end
  end
  local found = {}
  for _, section in ipairs(SECTIONS) do
    for _, name in ipairs(section[2]) do
      if name:match("[:.]([%w_]+)$") == base then found[#found + 1] = name end
    end
  end
  return found
end

-- function value -> topic name, from the module and the classes.
local function function_topics()
  local docker = docker_module()
  local map = {}
  local function scan(t, prefix)
    if type(t) ~= "table" then return end
    for k, v in pairs(t) do
      local name = type(k) == "string" and prefix .. k
      if type(v) == "function" and name and TOPICS[name] and map[v] == nil then map[v] = name end
    end
  end
  scan(docker, "")
  scan(docker.Client, "")
  scan(docker.Container, "c:")
  scan(docker.Image, "img:")
  scan(docker.Volume, "vol:")
  scan(docker.Network, "net:")
  local ok, schedule = pcall(require, "luadock.loop.schedule")
  if ok then
    scan(schedule, "schedule.")
    for _, f in pairs(schedule.Job) do
      if type(f) == "function" and map[f] == nil then map[f] = "job" end
    end
  end
  return map
end

local CLASSES = { Container = "Container", Image = "Image", Volume = "Volume", Network = "Network",
  Client = "Client", Error = "Error" }

local function list_text()
  local out = { "Topics (help \"name\"):" }
  for _, section in ipairs(SECTIONS) do
    out[#out + 1] = "  " .. section[1] .. ":"
    local line = "   "
    for _, name in ipairs(section[2]) do
      if #line + #name + 1 > 78 then out[#out + 1] = line; line = "   " end
      line = line .. " " .. name
    end
    out[#out + 1] = line
  end
  return table.concat(out, "\n")
end

local OVERVIEW = [[
luadock: Docker from Lua. The module is the global `docker`; docker.connect()
gives a Client `d`, and every d:method(...) is also docker.method(...) on a
default client. Containers are `c`, images `img`, volumes `vol`, networks `net`.
Values print pretty: lists of containers like `docker ps`. Examples:
  docker.run{ image = "busybox", cmd = "echo hi" }.stdout
  local c = docker.run{ image = "busybox", cmd = "sleep 60", detach = true }
  c:logs()   c:stop()   c:remove()   docker.ps()   docker.cleanup()
help "run" or help(docker.run) shows one call's contract.]]

-- The help text for a value, or nil and a message.
function M.text(what)
  if what == nil then return OVERVIEW .. "\n\n" .. list_text() end
  local docker = docker_module()
  if what == docker then return list_text() end
  if type(what) == "string" then
    local names = M.lookup(what)
    if #names == 0 then
      return nil, "no such topic: " .. listing.escape(what, { quote = true }) .. " (help() lists the topics)"
    end
    local parts = {}
    for i, name in ipairs(names) do parts[i] = M.topic_text(name) end
    return table.concat(parts, "\n\n")
  end
  if type(what) == "function" then
    local name = function_topics()[what]
    if name then return M.topic_text(name) end
    return nil, "no help for this function (help() lists the topics)"
  end
  if type(what) == "table" then
    for field, name in pairs(CLASSES) do
      local cls = docker[field]
      if cls ~= nil and (what == cls or getmetatable(what) == cls) then return M.topic_text(name) end
    end
    local ok, schedule = pcall(require, "luadock.loop.schedule")
    if ok and what == schedule then return M.topic_text("schedule") end
  end
  return nil, "no help for a " .. type(what) .. " value (help() lists the topics)"
end

-- help(x): prints the text (or why there is none) on stdout; returns nothing.
function M.help(...)
  local text, err = M.text((...))
  io.stdout:write((text or err) .. "\n")
  io.stdout:flush()
end

-- Every topic name, for tests and completion.
function M.topics()
  local out = {}
  for _, section in ipairs(SECTIONS) do
    for _, name in ipairs(section[2]) do out[#out + 1] = name end
  end
  return out
end

return M
