-- tests/lua/printing.lua — printing values from a script (issue 9): the lists
-- d:ps(), d:images(), d:volumes() and d:networks() print as their docker table
-- through tostring yet stay plain arrays; docker.pp (also require("luadock").pp)
-- prints like the REPL, refuses a missing argument and survives cycles; the
-- COMMAND column reads the same for a listed and an inspected container and as
-- the real `docker ps` shows it; a string holding line breaks prints as its
-- lines, escaped, in docker.pp and in the REPL. Output is captured by swapping
-- io.stdout or by running the host (or stock lua5.4) in a subprocess. The
-- containers, volume and network made here carry luadock's labels and are
-- removed at the end.
local T = require "testlib"
local docker = require "luadock"
local pretty = require "luadock.text.pretty"
local tables = require "luadock.text.listing"

local d = docker.connect()
local RUN = docker.core.random_hex(4)
local TAG = "luadock.test=printing-" .. RUN
local LOOP = "i=0; while :; do i=$((i+1)); sleep 1; done"
local BIN = (os.getenv("LUADOCK_BINARY_DIR") or "build") .. "/luadock"
local CLI = "/usr/bin/docker"

-- No byte a terminal would act on, but the line breaks and tabs let through.
local function no_controls(s, what)
  T.ok(not s:find("[%z\1-\8\11-\31\127]"), (what or "text") .. " has a raw control character: " .. T.show(s))
  T.ok(not s:find("\194[\128-\159]"), (what or "text") .. " has a raw C1 control: " .. T.show(s))
end

-- capture(fn, ...) -> what fn(...) wrote to io.stdout, and its error if any
local function capture(fn, ...)
  local parts = {}
  local out = {}
  function out.write(self, ...) for _, s in ipairs{ ... } do parts[#parts + 1] = s end return self end
  function out.flush() end
  local saved = io.stdout
  io.stdout = out
  local ok, err = pcall(fn, ...)
  io.stdout = saved
  return table.concat(parts), (not ok) and err or nil
end

-- tostring(list) and pretty.format(list) count CREATED from os.time(): a
-- second may tick between two calls, so one of two readings must match.
local function same_as_repl(list)
  local a = tostring(list)
  local b = pretty.format(list)
  return a == b or tostring(list) == b, a, b
end

local function lines_of(s)
  local out = {}
  for line in (s .. "\n"):gmatch("([^\n]*)\n") do out[#out + 1] = line end
  return out
end

local ticker = d:run{ image = T.image, detach = true, name = "ld-printing-" .. RUN,
  cmd = { "sh", "-c", LOOP }, labels = { ["luadock.test"] = "printing-" .. RUN } }

local function body()
  T.test("tostring of a d:ps() list is its docker ps table", function()
    local list = d:ps{ filters = { label = TAG } }
    T.eq(#list, 1)
    local text = tostring(list)
    local rows = lines_of(text)
    T.eq(#rows, 2, "a header and one row: " .. text)
    T.ok(rows[1]:match("^CONTAINER ID   IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$"), rows[1])
    T.eq(rows[2]:sub(1, 15), ticker.short_id .. "   ")
    T.ok(rows[2]:find(T.image, 1, true), rows[2])
    T.ok(rows[2]:sub(-#ticker.name) == ticker.name, "NAMES last: " .. rows[2])
    T.ok(same_as_repl(list), "tostring is what the REPL prints")
    T.eq(d:containers{ filters = { label = TAG } }[1].id, ticker.id, "containers() is the same list")
    T.ok(tostring(d:containers{ filters = { label = TAG } }):match("^CONTAINER ID"), "containers() prints too")
  end)

  T.test("tostring of d:images(), d:volumes(), d:networks()", function()
    local imgs = d:images{ filters = { reference = { T.image } } }
    local rows = lines_of(tostring(imgs))
    T.ok(rows[1]:match("^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$"), rows[1])
    local repo, tag = T.image:match("^(.*):(.*)$")
    T.ok(rows[2]:find("^" .. repo:gsub("%p", "%%%0") .. " +" .. tag .. " +" .. d:image(T.image).short_id .. " "),
      rows[2])
    T.ok(same_as_repl(imgs))

    local vol = d:volume_create{ name = "ld-printing-" .. RUN, labels = { ["luadock.test"] = "printing" } }
    local vols = d:volumes{ filters = { name = { vol.name } } }
    T.eq(tostring(vols), "DRIVER    VOLUME NAME\nlocal     " .. vol.name)
    vol:remove()

    local net = d:network_create{ name = "ld-printing-" .. RUN, labels = { ["luadock.test"] = "printing" } }
    local nets = d:networks{ filters = { name = { net.name } } }
    local ok, err = pcall(function()
      T.eq(#nets, 1)
      local nrows = lines_of(tostring(nets))
      T.ok(nrows[1]:match("^NETWORK ID +NAME +DRIVER +SCOPE$"), nrows[1])
      T.ok(nrows[2]:match("^" .. net.short_id .. "   " .. net.name:gsub("%p", "%%%0") .. "   bridge +local$"),
        nrows[2])
    end)
    net:remove()
    assert(ok, err)
  end)

  T.test("an empty list prints the header alone, as the docker CLI", function()
    T.eq(tostring(d:ps{ filters = { label = TAG .. "-none" } }),
      "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES")
    T.eq(tostring(d:volumes{ filters = { name = { "ld-printing-none-" .. RUN } } }), "DRIVER    VOLUME NAME")
    T.eq(tostring(d:networks{ filters = { name = { "ld-printing-none-" .. RUN } } }),
      "NETWORK ID   NAME      DRIVER    SCOPE")
    T.eq(tostring(d:images{ filters = { reference = { "ld-printing-none-" .. RUN } } }),
      "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE")
    T.eq(pretty.format({}), "{}", "a plain empty table is still {}")
  end)

  T.test("the lists stay plain arrays", function()
    local list = d:networks{}
    T.ok(#list >= 3, "bridge, host and none at least")
    local n = 0
    for i, net in ipairs(list) do
      n = n + 1
      T.eq(getmetatable(net), docker.Network, "item " .. i)
    end
    T.eq(n, #list)
    T.eq(rawlen(list), #list)
    local mt = getmetatable(list)
    local keys = {}
    for k in pairs(mt) do keys[#keys + 1] = k end
    T.eq(keys, { "__tostring" }, "nothing but __tostring: no __index, __len, __name")
    table.sort(list, function(a, b) return a.name > b.name end)
    T.ok(list[1].name >= list[#list].name, "table.sort works")
    table.insert(list, 1, 42)
    T.eq(list[1], 42)
    local text = tostring(list)
    T.ok(text:match("^{%s+42,%s+luadock.Network: "), "a mixed list prints as a plain table: " .. text)
    -- JSON: the mark is no JSON mark, so encoding goes by the contents
    T.eq(docker.core.json_encode(tables.list({ { a = 1 } }, "Volume")), '[{"a":1}]')
    T.eq(docker.core.json_encode(tables.list({}, "Volume")), docker.core.json_encode({}))
    -- inside another table a list is an array of one-line objects
    local ps = d:ps{ filters = { label = TAG } }
    local nested = pretty.format({ ps = ps })
    T.eq(nested, "{ ps = { " .. tostring(ps[1]) .. " } }")
    T.ok(not nested:find("\\n", 1, true), "no escaped multi-line text: " .. nested)
  end)

  T.test("tables.list refuses a wrong kind", function()
    T.raises(function() tables.list({}, "Secret") end, "tables.list: array and kind")
    T.raises(function() tables.list(nil, "Container") end, "tables.list: array and kind")
    T.eq(tables.list_kind({}), nil)
    T.eq(tables.list_kind(tables.list({}, "Image")), "luadock.Image")
  end)

  T.test("COMMAND is the same in d:ps() and d:container() tables", function()
    local listed = d:ps{ filters = { label = TAG } }[1]
    local inspected = d:container(ticker.id)
    T.eq(tables.command(listed), "sh -c '" .. LOOP .. "'")
    T.eq(tables.command(inspected), tables.command(listed))
    local cell = '"sh -c \'i=0; while :…"'
    T.ok(tostring(d:ps{ filters = { label = TAG } }):find(cell, 1, true), "ps table has " .. cell)
    T.ok(pretty.format(inspected):find(cell, 1, true), "container table has " .. cell)
  end)

  T.test("COMMAND follows the engine's rule for odd arguments", function()
    -- only an argument with a space is wrapped in quotes; tabs, newlines,
    -- quotes and empty arguments stay as they are
    local c = d:create{ image = T.image, labels = { ["luadock.test"] = "printing-" .. RUN .. "-odd" },
      cmd = { "echo", "a\tb", "", "it's here", "x y", "plain", "n\nl" } }
    local ok, err = pcall(function()
      local listed = d:containers{ all = true, filters = { id = { c.id } } }[1]
      T.eq(listed.attrs.Command, "echo a\tb  'it's here' 'x y' plain n\nl", "the engine's text")
      T.eq(tables.command(d:container(c.id)), listed.attrs.Command, "rebuilt from Path and Args")
      T.eq(tables.command({ attrs = { Path = "/init", Args = {} } }), "/init", "no arguments: the path alone")
      no_controls(tostring(d:containers{ all = true, filters = { id = { c.id } } }), "ps table")
    end)
    c:remove{ force = true }
    assert(ok, err)
  end)

  T.test("COMMAND as the real docker ps shows it", function()
    local _, have = T.sh("test -x " .. CLI)
    if not have then
      print("# skipped: no docker CLI at " .. CLI)
      return
    end
    local out, ok = T.sh(CLI .. " ps --no-trunc --filter id=" .. ticker.id .. " --format '{{.Command}}' 2>&1")
    if not ok then
      print("# skipped: the docker CLI did not answer: " .. out)
      return
    end
    T.eq(out, '"' .. tables.command(d:container(ticker.id)) .. '"\n', "--no-trunc")
    local short = T.sh(CLI .. " ps --filter id=" .. ticker.id .. " --format '{{.Command}}' 2>&1")
    T.ok(tostring(d:ps{ filters = { label = TAG } }):find(short:gsub("\n$", ""), 1, true),
      "the truncated cell as docker ps: " .. short)
  end)

  T.test("docker.pp prints like the REPL", function()
    T.eq(require("luadock").pp, docker.pp, "require \"luadock\".pp is docker.pp")
    local out, err = capture(docker.pp, { b = 1, a = "\27[2J" })
    T.eq(err, nil)
    T.eq(out, '{ a = "\\x1b[2J", b = 1 }\n')
    out = capture(docker.pp, 1, "one", nil)
    T.eq(out, '1\n"one"\nnil\n', "each value on its own line")
    local list = d:ps{ filters = { label = TAG } }
    out = capture(docker.pp, list)
    T.ok(out:match("^CONTAINER ID.*\n" .. ticker.short_id .. " .*" .. ticker.name:gsub("%p", "%%%0") .. "\n$"), out)
    out = capture(docker.pp, ticker)
    T.ok(out:match("^CONTAINER ID") and out:find(ticker.name, 1, true), "one Container is a one-row table: " .. out)
  end)

  T.test("docker.pp: cycles, a failing __tostring, no argument", function()
    local t = { name = "loop" }
    t.self = t
    local out = capture(docker.pp, t)
    T.ok(out:match('^{ name = "loop", self = <cycle: table: 0x%x+> }\n$'), out)
    out = capture(docker.pp, setmetatable({}, { __tostring = function() error("boom") end }))
    T.ok(out:match("^table: 0x%x+\n$"), out)
    local e = T.raises(function() docker.pp() end, "bad argument #1 to 'pp' %(value expected%)")
    T.ok(tostring(e):find("printing.lua:%d+:"), "raised at the caller: " .. tostring(e))
    T.eq(capture(docker.pp, nil), "nil\n", "an explicit nil is a value")
  end)

  T.test("a string with line breaks prints as its lines, escaped", function()
    T.eq(capture(docker.pp, "l1\nl2\27[2J\r\nl3\n"), "l1\nl2\\x1b[2J\nl3\n")
    T.eq(capture(docker.pp, "tab\there\nlone\rcr"), "tab\there\nlone\\rcr\n")
    T.eq(capture(docker.pp, "\n"), "\n")
    T.eq(capture(docker.pp, "single\27"), '"single\\x1b"\n', "single-line strings stay quoted")
    T.eq(capture(docker.pp, { s = "a\nb" }), '{ s = "a\\nb" }\n', "inside a table strings stay quoted")
    T.eq(pretty.format("a\nb"), '"a\\nb"', "pretty.format is the literal form")
    local hostile = "x\0\1\27]0;t\7\127\194\155\226\128\174\255\n\27[31my"
    local out = capture(docker.pp, hostile)
    no_controls(out, "pp output")
    T.eq(out, "x\\x00\\x01\\x1b]0;t\\a\\x7f\\u{9b}\\u{202e}\\xff\n\\x1b[31my\n")
  end)

  T.test("the host: docker.pp and print(list) from a script", function()
    local script = string.format([[
local d = docker.connect()
print(d:ps{ filters = { label = %q } })
docker.pp(require("luadock").pp == docker.pp, "a\nb")
docker.pp()
]], TAG)
    local out, ok = T.sh(T.q(BIN) .. " -e " .. T.q(script) .. " 2>&1")
    T.ok(not ok, "docker.pp() ends the script with an error")
    T.ok(out:match("^CONTAINER ID[^\n]*\n" .. ticker.short_id .. "[^\n]*\ntrue\na\nb\n"), out)
    T.ok(out:find("bad argument #1 to 'pp' (value expected)", 1, true), out)
  end)

  T.test("the REPL prints a multi-line result as its lines", function()
    local c = d:run{ image = T.image, detach = true, labels = { ["luadock.test"] = "printing-" .. RUN },
      cmd = { "sh", "-c", "printf 'first\\nsecond \\033[2J\\nthird\\n'" } }
    local ok, err = pcall(function()
      c:wait()
      local input = table.concat({
        string.format('c = docker.container(%q)', c.id),
        "c:logs{}",
        '"one line"',
        '{ s = "x\\ny" }',
      }, "\n") .. "\n"
      local path = T.tmpdir() .. "/input"
      local f = assert(io.open(path, "w"))
      f:write(input)
      f:close()
      local out, okk = T.sh(T.q(BIN) .. " -i /dev/null < " .. T.q(path) .. " 2>&1")
      T.ok(okk, out)
      no_controls(out, "REPL output")
      T.ok(out:find("> first\nsecond \\x1b[2J\nthird\n> ", 1, true), "the logs as lines: " .. T.show(out))
      T.ok(out:find('> "one line"\n', 1, true), "a single line stays quoted: " .. T.show(out))
      T.ok(out:find('> { s = "x\\ny" }\n', 1, true), "nested stays quoted: " .. T.show(out))
    end)
    c:remove{ force = true }
    assert(ok, err)
  end)
end

local ok, err = pcall(body)
pcall(function() ticker:remove{ force = true } end)
pcall(d.cleanup, d, { networks = true, volumes = true })
if not ok then
  T.test("the printing tests ran to the end", function() error(err, 0) end)
end
T.done()
