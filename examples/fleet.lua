-- examples/fleet.lua: run one command on every engine you have, all at once,
-- and print one row per engine: the engine, its version, the command's
-- output (its first line) or the error, and how long it took. An engine that
-- does not answer is one error row; the others go on. Engines are docker CLI
-- context names or addresses (unix://, tcp://, ssh://); with none given,
-- every context `docker context ls` shows is used.
--
--   luadock examples/fleet.lua                       (every context)
--   luadock examples/fleet.lua default ssh://deploy@web1 unix:///run/other.sock
--   luadock examples/fleet.lua --image alpine:3 --cmd "cat /etc/os-release" prod staging
--   luadock examples/fleet.lua --timeout 5 ...       (seconds per engine call)
--
-- Each engine gets its own client (its own connection and API version), and
-- docker.parallel overlaps the calls, so the slowest engine sets the time.
-- The containers carry luadock's labels and are removed when they end.

local docker = require "luadock"

local function usage(msg)
  io.stderr:write("fleet.lua: ", msg, "\n",
    "usage: fleet.lua [--image IMAGE] [--cmd COMMAND] [--timeout SECONDS] [ENGINE...]\n")
  os.exit(2)
end

local opts = { image = "busybox:latest", cmd = "uname -r", timeout = 15 }
local engines = {}
local i = 1
while arg and arg[i] do
  local a = arg[i]
  if a == "--image" or a == "--cmd" or a == "--timeout" then
    local v = arg[i + 1] or usage(a .. " needs a value")
    opts[a:sub(3)] = a == "--timeout" and (tonumber(v) or usage("--timeout: a number of seconds")) or v
    i = i + 2
  elseif a:sub(1, 2) == "--" then
    usage("unknown option " .. a)
  else
    engines[#engines + 1] = a
    i = i + 1
  end
end
if #engines == 0 then
  for _, ctx in ipairs(docker.contexts()) do engines[#engines + 1] = ctx.name end
end

-- A name with "://" is an address; anything else names a context.
local function connect(engine)
  if engine:find("://", 1, true) then
    return docker.connect{ host = engine, timeout = opts.timeout }
  end
  return docker.connect{ context = engine, timeout = opts.timeout }
end

local function first_line(s)
  return ((s or ""):match("^[^\n]*"))
end

-- One engine's row; never raises, so one engine cannot stop the others.
local function visit(engine)
  local started = docker.clock()
  local row = { engine, "-", "", "" }
  local ok, err = pcall(function()
    local d <close> = connect(engine)
    row[2] = d:version().Version
    local r = d:run{ image = opts.image, cmd = opts.cmd, remove = true, check = false }
    row[3] = r.exit_code == 0 and first_line(r.stdout)
      or string.format("exit %d: %s", r.exit_code, first_line(r.stderr ~= "" and r.stderr or r.stdout))
  end)
  if not ok then
    row[3] = "error: " .. first_line(docker.is_error(err) and err.message or tostring(err))
  end
  row[4] = string.format("%.2fs", docker.clock() - started)
  return row
end

local tasks = {}
for n, engine in ipairs(engines) do
  tasks[n] = function() return visit(engine) end
end
local rows = { docker.parallel(tasks, { max = 16 }) }

-- Columns as wide as their widest cell, like `docker ps`.
table.insert(rows, 1, { "ENGINE", "VERSION", "RESULT", "TIME" })
local function width(s) return utf8.len(s) or #s end
local widths = {}
for _, row in ipairs(rows) do
  for c = 1, 3 do widths[c] = math.max(widths[c] or 0, width(row[c])) end
end
local failed = 0
for n, row in ipairs(rows) do
  if n > 1 and row[3]:find("^error: ") then failed = failed + 1 end
  local line = {}
  for c = 1, 3 do line[c] = row[c] .. string.rep(" ", widths[c] + 3 - width(row[c])) end
  print(table.concat(line) .. row[4])
end
-- the exit status tells a script whether every engine answered
os.exit(failed == 0 and 0 or 1)
