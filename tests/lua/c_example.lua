-- tests/lua/c_example.lua — examples/c/ps.c, the `docker ps -a` look-alike that
-- uses the C core alone (built as <LUADOCK_BINARY_DIR>/examples/ps): its table
-- lists a running and an exited labelled container with id, image, command,
-- status, published port and name; -q and -f filter like the CLI; --no-trunc
-- shows whole ids; control characters from the engine are escaped, never
-- printed; columns are at least 10 wide like the CLI's tabwriter; bad
-- usage exits 2 and an unreachable engine exits 1 with the CLI's words.
local T = require "testlib"
local docker = require "luadock"

local d = docker.connect()
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local L = "luadock.test.cexample"
local BIN = (os.getenv("LUADOCK_BINARY_DIR") or "build") .. "/examples/ps"
local SLEEPER = "sh -c 'trap \"exit 0\" TERM; sleep 300 & wait'"

local function ps(args, env)
  return T.sh((env or "") .. " " .. T.q(BIN) .. " " .. (args or "") .. " 2>&1")
end

local function lines(text)
  local out = {}
  for line in text:gmatch("[^\n]+") do out[#out + 1] = line end
  return out
end

local running, exited

local setup_ok, setup_err = pcall(function()
  running = d:run{ image = IMG, cmd = SLEEPER, detach = true, stop_timeout = 1, name = "ld-cex-" .. RUN .. "-up",
                   ports = { ["80/tcp"] = "127.0.0.1:" .. T.free_port() }, labels = { [L] = RUN } }
  exited = d:run{ image = IMG, cmd = { "sh", "-c", "echo '\027[31mred' >/dev/null; exit 3" }, name = "ld-cex-" .. RUN .. "-ex",
                  check = false, labels = { [L] = RUN } }
  exited = d:container(exited.id)
end)

T.test("setup", function() T.ok(setup_ok, tostring(setup_err)) end)

T.test("the binary exists and prints its usage", function()
  local f = io.open(BIN, "rb")
  T.ok(f, "built at " .. BIN)
  if f then f:close() end
  local out, ok = ps("--help")
  T.ok(ok, out)
  T.ok(out:find("usage: ps", 1, true), out)
end)

T.test("the table lists the labelled containers like docker ps -a", function()
  local out, ok, code = ps("-f label=" .. L .. "=" .. RUN)
  T.ok(ok, "exit " .. tostring(code) .. ": " .. out)
  local ls = lines(out)
  T.eq(#ls, 3, "header and two rows: " .. out)
  T.ok(ls[1]:match("^CONTAINER ID%s+IMAGE%s+COMMAND%s+CREATED%s+STATUS%s+PORTS%s+NAMES$"), "header: " .. ls[1])
  local rows = {}
  for i = 2, #ls do rows[ls[i]:sub(1, 12)] = ls[i] end
  local up = rows[running.short_id]
  T.ok(up, "running container listed: " .. out)
  T.ok(up:find(IMG, 1, true), "image: " .. up)
  -- the CLI's Ellipsis (19 characters and "…"), then Go's strconv.Quote
  T.ok(up:find([["sh -c 'trap \"exit 0…"]], 1, true), "command cut and quoted like the CLI: " .. up)
  T.ok(up:find("Up [%w ]+ ago") or up:find("Up Less than a second") or up:find("%s+Up "), "status: " .. up)
  local port = running.ports["80/tcp"][1].host_port
  T.ok(up:find("127.0.0.1:" .. port .. "->80/tcp", 1, true), "port: " .. up)
  T.ok(up:match("ld%-cex%-" .. RUN .. "%-up$"), "name last: " .. up)
  T.ok(up:find("%s%d+ seconds? ago%s") or up:find("Less than a second ago", 1, true)
    or up:find("About a minute ago", 1, true), "created (HumanDuration): " .. up)
  local ex = rows[exited.short_id]
  T.ok(ex, "exited container listed: " .. out)
  T.ok(ex:find("Exited (3)", 1, true), "status: " .. ex)
  T.ok(ex:match("ld%-cex%-" .. RUN .. "%-ex$"), "name: " .. ex)
  -- columns line up: every row starts its IMAGE column where the header does
  local col = ls[1]:find("IMAGE", 1, true)
  for i = 2, #ls do T.eq(ls[i]:find(IMG, 1, true), col, "IMAGE column of row " .. i) end
  T.ok(ls[1]:find("PORTS", 1, true) < ls[1]:find("NAMES", 1, true) - 5, "header: " .. ls[1])
end)

T.test("-q prints ids only; --no-trunc whole ids; filters combine", function()
  local out, ok = ps("-q -f label=" .. L .. "=" .. RUN)
  T.ok(ok, out)
  local ids = lines(out)
  table.sort(ids)
  local want = { running.short_id, exited.short_id }
  table.sort(want)
  T.eq(ids, want)
  out = ps("-q --no-trunc -f label=" .. L .. "=" .. RUN .. " -f status=running")
  T.eq(out, running.id .. "\n")
  out = ps("-q -f name=ld-cex-" .. RUN .. "-ex")
  T.eq(out, exited.short_id .. "\n")
  out = ps("-q -f label=" .. L .. "=nosuch-" .. RUN)
  T.eq(out, "")
end)

T.test("control characters from the engine are not printed", function()
  T.ok(exited.attrs.Config.Cmd[3]:find("\027", 1, true), "the command holds an ESC byte")
  local out = ps("--no-trunc -f name=ld-cex-" .. RUN .. "-ex")
  T.ok(not out:find("\027", 1, true), "no ESC in the output")
  T.ok(out:find([["sh -c 'echo '\x1b[31mred' >/dev/null; exit 3'"]], 1, true), "escaped as the CLI does: " .. out)
end)

T.test("bad usage exits 2; no engine exits 1 with the CLI's words", function()
  local out, ok, code = ps("--bogus")
  T.eq(ok, false)
  T.eq(code, 2, out)
  T.ok(out:find("usage:", 1, true), out)
  out, ok, code = ps("-f novalue")
  T.eq(code, 2, out)
  T.ok(out:find("bad filter", 1, true), out)
  out, ok, code = ps("", "DOCKER_HOST=unix:///tmp/luadock-nosuch-" .. RUN .. ".sock")
  T.eq(ok, false)
  T.eq(code, 1, out)
  T.ok(out:find("Cannot connect to the Docker daemon", 1, true), out)
  out, ok, code = ps("-H unix:///tmp/luadock-nosuch-" .. RUN .. ".sock")
  T.eq(code, 1, "-H wins: " .. out)
end)

pcall(d.cleanup, d, {})
T.test("clean-up", function()
  T.eq(#d:containers{ all = true, filters = { label = { L .. "=" .. RUN } } }, 0)
end)
T.done()
