-- tests/lua/api_reference.lua — scripts/luadock/API.md (the user-facing Lua API
-- reference) stays in step with the REPL's help topics (luadock.help) and with
-- what exists at runtime:
--  * every name called in the first column of API.md's tables (`d:run{…}`,
--    `docker.sleep(s)`, `c:logs{…}`, `img:tag(…)`, `vol:`, `net:`, `schedule.X`,
--    `job:X`) exists as a function (Client methods through a client's metatable,
--    the module function mirroring a Client method, class methods) and has a
--    help topic;
--  * every help topic is documented: a topic naming a function appears in a
--    call table, any other (VERSION, Container, errors, …) in some code of API.md;
--  * every public function of the module, the Client, Container, Image, Volume,
--    Network classes, luadock.schedule and its Job class is in a call table;
--  * every method a room file gives a class (its M.Client, M.Container, ...
--    tables) is the class's, including those of modules init.lua loads on the
--    first call (PARTS' lazy lists): a method missing from a lazy list would
--    otherwise be missing from its class until that first call;
--  * no Markdown file of the project links into the team's private ../shared,
--    and the relative links of README.md and API.md lead to existing files.
-- It talks to no engine (docker.connect() does not connect until a call).
-- Test-only overrides, to check that the test itself fails on a mismatch:
-- LUADOCK_API_MD (another API.md) and LUADOCK_HELP_LUA (another help.lua, run
-- with dofile instead of require "luadock.text.help").
local T = require "testlib"
local docker = require "luadock"
local schedule = require "luadock.schedule"

local SRC = os.getenv("LUADOCK_SOURCE_DIR") or "."
local API_MD = os.getenv("LUADOCK_API_MD") or (SRC .. "/scripts/luadock/API.md")
local HELP_LUA = os.getenv("LUADOCK_HELP_LUA")

local help = HELP_LUA and dofile(HELP_LUA) or require "luadock.text.help"
local text = T.read(API_MD)

-- ---- reading API.md ----------------------------------------------------------------

local function plain(s) return (s:gsub("%p", "%%%0")) end

-- Fenced blocks and inline code spans: the text counted as "code".
local function code_of(md)
  local code, rest = {}, {}
  local in_fence = false
  for line in (md .. "\n"):gmatch("([^\n]*)\n") do
    if line:match("^%s*```") then
      in_fence = not in_fence
    elseif in_fence then
      code[#code + 1] = line
    else
      rest[#rest + 1] = line
    end
  end
  for span in table.concat(rest, "\n"):gmatch("`([^`\n]+)`") do code[#code + 1] = span end
  return code
end

-- The first cell of every table row outside fenced blocks (header and
-- separator rows left out).
local function first_cells(md)
  local cells = {}
  local in_fence = false
  for line in (md .. "\n"):gmatch("([^\n]*)\n") do
    if line:match("^%s*```") then
      in_fence = not in_fence
    elseif not in_fence and line:match("^%s*|") then
      local cell = line:gsub("\\|", "\1"):match("^%s*|([^|]*)|")
      if cell and not cell:match("^[%s:%-]*$") and not cell:match("^%s*call%s*$")
          and not cell:match("^%s*method%s*$") then
        cells[#cells + 1] = cell:gsub("\1", "|")
      end
    end
  end
  return cells
end

-- How a documented name's prefix maps to a help topic and to its runtime value.
local PREFIX = {
  d = function(n) return n, docker.connect()[n], "Client method" end,
  docker = function(n) return n, docker[n], "module function" end,
  c = function(n) return "c:" .. n, docker.Container[n], "Container method" end,
  img = function(n) return "img:" .. n, docker.Image[n], "Image method" end,
  vol = function(n) return "vol:" .. n, docker.Volume[n], "Volume method" end,
  net = function(n) return "net:" .. n, docker.Network[n], "Network method" end,
  schedule = function(n) return "schedule." .. n, schedule[n], "schedule function" end,
  job = function(n) return "job", schedule.Job[n], "Job method" end,
}

-- Every call named in the tables' first column: { name = "d:run", prefix =
-- "d", method = "run" }, in order, without repeats.
local function documented_calls(md)
  local out, seen = {}, {}
  for _, cell in ipairs(first_cells(md)) do
    for span in cell:gmatch("`([^`]+)`") do
      for prefix, sep, name in span:gmatch("([%a_][%w_]*)([.:])([%a_][%w_]*)%s*[%({\"']") do
        local full = prefix .. sep .. name
        if not seen[full] then
          seen[full] = true
          out[#out + 1] = { name = full, prefix = prefix, sep = sep, method = name }
        end
      end
    end
  end
  return out
end

-- A help topic's runtime value: a function for call topics.
local function topic_value(topic)
  local cls, name = topic:match("^(%a+):([%w_]+)$")
  if cls then
    local classes = { c = docker.Container, img = docker.Image, vol = docker.Volume, net = docker.Network }
    return classes[cls] and classes[cls][name]
  end
  name = topic:match("^schedule%.([%w_]+)$")
  if name then return schedule[name] end
  if topic:match("^[%a_][%w_]*$") then
    local v = docker[topic]
    if v == nil then v = docker.Client[topic] end
    return v
  end
  return nil
end

-- ---- the checks --------------------------------------------------------------------------

local problems

-- Problems found in `md` against the help module `h`, as a list of strings.
local function check(md, h)
  local out = {}
  local function bad(fmt, ...) out[#out + 1] = string.format(fmt, ...) end

  local calls = documented_calls(md)
  local listed = {}              -- the topics help() lists (a text alone is not found by users)
  for _, topic in ipairs(h.topics()) do listed[topic] = true end
  if #calls < 50 then bad("only %d calls found in API.md's tables: is the format still `name(...)`?", #calls) end

  local documented_topic = {}    -- topic -> true, for calls in the tables
  local documented_name = {}     -- "d:run", "c:logs", ... -> true
  for _, c in ipairs(calls) do
    documented_name[c.name] = true
    local map = PREFIX[c.prefix]
    if not map then
      bad("API.md: `%s`: unknown prefix %q (d:, docker., c:, img:, vol:, net:, schedule., job:)", c.name, c.prefix)
    elseif (c.prefix == "docker" or c.prefix == "schedule") ~= (c.sep == ".") then
      bad("API.md: `%s`: write %s", c.name, c.prefix .. (c.sep == "." and ":" or ".") .. c.method)
    else
      local topic, value, what = map(c.method)
      documented_topic[topic] = true
      if type(value) ~= "function" then
        bad("API.md documents `%s`, but there is no such %s (got %s)", c.name, what, type(value))
      end
      if c.prefix == "d" and c.method ~= "close" and type(docker[c.method]) ~= "function" then
        bad("API.md documents `%s`, but the module function docker.%s is missing", c.name, c.method)
      end
      if not (listed[topic] and h.topic_text(topic)) then
        bad("API.md documents `%s`, but help has no topic %q", c.name, topic)
      end
    end
  end

  -- every help topic is documented
  local code = table.concat(code_of(md), "\n")
  for _, topic in ipairs(h.topics()) do
    if type(topic_value(topic)) == "function" then
      if not documented_topic[topic] then
        bad("help topic %q (a function) is not in any call table of API.md", topic)
      end
    elseif topic ~= "job" or not documented_topic.job then
      if not code:find("%f[%w_]" .. plain(topic) .. "%f[^%w_]") then
        bad("help topic %q appears nowhere in API.md's code", topic)
      end
    end
  end

  -- every public function at runtime is documented
  local function all_documented(t, prefixes, what)
    for k, v in pairs(t) do
      if type(k) == "string" and type(v) == "function" and not k:match("^_") then
        local found = false
        for _, p in ipairs(prefixes) do found = found or documented_name[p .. k] end
        if not found then bad("%s %s is not documented in API.md", what, prefixes[1] .. k) end
      end
    end
  end
  all_documented(docker, { "docker.", "d:" }, "module function")
  all_documented(docker.Client, { "d:", "docker." }, "Client method")
  all_documented(docker.Container, { "c:" }, "Container method")
  all_documented(docker.Image, { "img:" }, "Image method")
  all_documented(docker.Volume, { "vol:" }, "Volume method")
  all_documented(docker.Network, { "net:" }, "Network method")
  all_documented(schedule, { "schedule." }, "schedule function")
  all_documented(schedule.Job, { "job:" }, "Job method")
  table.sort(out)
  return out
end

T.test("API.md is there and has call tables", function()
  T.ok(text, "cannot read " .. API_MD)
  T.ok(#documented_calls(text) >= 50, "API.md's tables name too few calls")
  problems = check(text, help)
end)

T.test("API.md and the help topics agree, and every documented name exists", function()
  T.ok(problems, "no check was made")
  T.ok(#problems == 0, #problems .. " mismatch(es):\n  " .. table.concat(problems, "\n  "))
end)

-- The checker itself catches both directions (a changed copy, in memory).
T.test("the check fails for a topic without docs and for docs without a topic", function()
  local base = check(text, help)
  -- a new help topic that API.md does not mention
  local h2 = setmetatable({}, { __index = help })
  function h2.topics()
    local t = help.topics()
    t[#t + 1] = "c:frobnicate"
    t[#t + 1] = "SOMETHING"
    return t
  end
  local with_topic = check(text, h2)
  T.ok(#with_topic == #base + 2, "new topics not reported: " .. table.concat(with_topic, "; "))
  -- a documented method that has no topic and does not exist
  local md2 = text .. "\n| call | returns |\n|---|---|\n| `c:frobnicate{ x= }` `d:frob(x)` | nothing |\n"
  local with_doc = check(md2, help)
  local joined = table.concat(with_doc, "\n")
  T.ok(joined:find("`c:frobnicate`, but there is no such Container method", 1, true), joined)
  T.ok(joined:find("`c:frobnicate`, but help has no topic \"c:frobnicate\"", 1, true), joined)
  T.ok(joined:find("`d:frob`, but help has no topic \"frob\"", 1, true), joined)
  -- a call table row removed
  local md3 = text:gsub("\n| `c:rename%(name%)`[^\n]*", "\n")
  T.ok(md3 ~= text, "the c:rename row was not found in API.md")
  local without = table.concat(check(md3, help), "\n")
  T.ok(without:find("help topic \"c:rename\" (a function) is not in any call table", 1, true), without)
  T.ok(without:find("Container method c:rename is not documented", 1, true), without)
end)

-- ---- links -------------------------------------------------------------------------------

T.test("every method of every room file is its class's, lazy ones too", function()
  local classes = { "Client", "Container", "Image", "Volume", "Network" }
  local names = {}
  for name in pairs(package.preload) do
    if name:match("^luadock%.") and name ~= "luadock.core_tar" then names[#names + 1] = name end
  end
  table.sort(names)
  T.ok(#names > 30, "the host preloads the rooms' modules (" .. #names .. ")")
  local seen = 0
  for _, name in ipairs(names) do
    local mod = require(name)
    for _, class in ipairs(classes) do
      local methods = type(mod) == "table" and rawget(mod, class)
      if type(methods) == "table" and methods ~= docker[class] then
        for method in pairs(methods) do
          seen = seen + 1
          T.ok(rawget(docker[class], method) ~= nil,
            string.format("%s.%s (from %s) is a method of docker.%s", class, method, name, class))
        end
      end
    end
  end
  T.ok(seen > 50, "room files give the classes their methods (" .. seen .. ")")
end)

local function md_files()
  local out = T.sh("cd " .. T.q(SRC) .. " && find . -name '*.md' -not -path './.git/*' "
    .. "-not -path './build*' -type f | sort")
  local list = {}
  for path in out:gmatch("[^\n]+") do list[#list + 1] = path:gsub("^%./", "") end
  return list
end

T.test("no Markdown file links into the team's private ../shared", function()
  local files = md_files()
  T.ok(#files >= 3, "found only " .. #files .. " Markdown files under " .. SRC)
  local found = {}
  for _, path in ipairs(files) do
    local body = T.read(SRC .. "/" .. path) or ""
    for target in body:gmatch("%]%(([^)%s]*)") do
      if target:find("shared/", 1, true) then found[#found + 1] = path .. " -> " .. target end
    end
    if body:find("../shared/", 1, true) then found[#found + 1] = path .. " mentions ../shared/" end
  end
  T.ok(#found == 0, table.concat(found, "; "))
end)

T.test("README links to the API reference; relative links of README and API.md exist", function()
  local readme = T.read(SRC .. "/README.md")
  T.ok(readme and readme:find("](scripts/luadock/API.md)", 1, true), "README.md does not link scripts/luadock/API.md")
  T.ok(readme:find("](bindings/CORE-API.md)", 1, true), "README.md does not link bindings/CORE-API.md")
  for _, path in ipairs { "README.md", "scripts/luadock/API.md" } do
    local body = T.read(SRC .. "/" .. path)
    local dir = path:match("^(.*)/[^/]*$") or "."
    for target in body:gmatch("%]%(([^)%s]+)%)") do
      if not target:match("^%a+:") and not target:match("^#") then
        local file = SRC .. "/" .. dir .. "/" .. target:gsub("#.*$", "")
        T.ok(T.read(file) or os.rename(file, file), path .. ": the link " .. target .. " leads nowhere")
      end
    end
  end
end)

T.done()
