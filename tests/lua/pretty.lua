-- tests/lua/pretty.lua — what the REPL shows (issue 4): pretty.format of nested
-- tables (sorted keys, depth limit, cycles, compact arrays), escaping of
-- control characters (C0, DEL, C1, bidi, invalid UTF-8) wherever engine text
-- is shown, docker's human sizes and times, `docker ps` / `docker images` /
-- `docker volume ls` / `docker network ls` tables from real labelled objects,
-- help texts for every name of API.md, and the progress renderer against a
-- fake output (terminal and plain modes). Containers and the volume made here
-- carry luadock's labels and are removed at the end.
local T = require "testlib"
local docker = require "luadock"
local pretty = require "luadock.text.pretty"
local tables = require "luadock.text.listing"
local help = require "luadock.text.help"
local progressbar = require "luadock.text.progressbar"
local progress = require "luadock.image.progress"

local d = docker.connect()
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local SLEEPER = "trap 'exit 0' TERM; sleep 300 & wait"
local NOW = 1800000000

-- No byte a terminal would act on: C0 (but \n), DEL, C1 as UTF-8 or raw.
local function no_controls(s, what)
  T.ok(not s:find("[%z\1-\9\11-\31\127]"), (what or "text") .. " has a raw control character: " .. s)
  T.ok(not s:find("\194[\128-\159]"), (what or "text") .. " has a raw C1 control: " .. s)
  T.ok(utf8.len(s) ~= nil, (what or "text") .. " is not valid UTF-8")
end

-- A fake `out` for the progress renderer: collects what is written.
local function buffer()
  local b = { parts = {} }
  function b:write(...) for _, s in ipairs{ ... } do self.parts[#self.parts + 1] = s end return self end
  function b:text() return table.concat(self.parts) end
  return b
end

local function fake(kind, fields)
  return setmetatable(fields, docker[kind])
end

-- ---- pretty.format ---------------------------------------------------------------

T.test("scalars and strings", function()
  T.eq(pretty.format(42), "42")
  T.eq(pretty.format(1.0), "1.0")
  T.eq(pretty.format(0.5), "0.5")
  T.eq(pretty.format(nil), "nil")
  T.eq(pretty.format(true), "true")
  T.eq(pretty.format("hi"), '"hi"')
  T.eq(pretty.format('say "hi"\\'), '"say \\"hi\\"\\\\"')
  T.eq(pretty.format({}), "{}")
end)

T.test("nested tables with sorted keys, short ones on one line", function()
  local t = { 10, 20, b = 1, a = 2, [5] = "x", c = { d = true }, ["x-y"] = 1, ["end"] = 0 }
  T.eq(pretty.format(t), '{ 10, 20, [5] = "x", a = 2, b = 1, c = { d = true }, ["end"] = 0, ["x-y"] = 1 }')
  T.eq(pretty.format({ [2] = "b", [1] = "a", [3] = "c" }), '{ "a", "b", "c" }')
  T.eq(pretty.format({ [true] = 1, [1.5] = 2, z = 3 }), "{ [1.5] = 2, z = 3, [true] = 1 }")
end)

T.test("long tables break into indented lines", function()
  local t = { name = string.rep("n", 40), labels = { ["luadock.managed"] = "1", app = string.rep("w", 60) },
    list = {} }
  for i = 1, 40 do t.list[i] = i * 1000 end
  local s = pretty.format(t)
  local lines = {}
  for line in s:gmatch("[^\n]+") do lines[#lines + 1] = line end
  T.eq(lines[1], "{")
  T.eq(lines[2], "  labels = {")
  T.eq(lines[3], '    app = "' .. string.rep("w", 60) .. '",')
  T.eq(lines[4], '    ["luadock.managed"] = "1",')
  T.eq(lines[5], "  },")
  T.eq(lines[6], "  list = {")
  T.ok(lines[7]:match("^    1000, 2000, 3000, "), "a long array packs several items a line: " .. lines[7])
  T.eq(lines[#lines], "}")
  for _, line in ipairs(lines) do T.ok(#line <= 80, "line within 80 columns: " .. line) end
end)

T.test("depth limit", function()
  local t = { a = { b = { c = { d = { e = 1 } } } } }
  T.eq(pretty.format(t), "{ a = { b = { c = { d = {…} } } } }")
  T.eq(pretty.format(t, { depth = 1 }), "{ a = {…} }")
  T.eq(pretty.format(t, { depth = 2 }), "{ a = { b = {…} } }")
  T.eq(pretty.format({ a = {} }, { depth = 1 }), "{ a = {} }", "empty tables print as {} at any depth")
end)

T.test("cycles are marked, shared tables are not", function()
  local t = { name = "x" }
  t.self = t
  local s = pretty.format(t)
  T.ok(s:find("self = <cycle: table: 0x%x+>"), s)
  local shared = { 1 }
  T.eq(pretty.format({ a = shared, b = shared }), "{ a = { 1 }, b = { 1 } }")
  local a, b = {}, {}
  a.b, b.a = b, a
  T.ok(pretty.format(a):find("^{ b = { a = <cycle: table: 0x%x+> } }$"), pretty.format(a))
end)

T.test("control characters are escaped in strings, keys and tostring", function()
  T.eq(pretty.format("a\27[31mb"), '"a\\x1b[31mb"')
  T.eq(pretty.format("1\r2\n3\t4\0" .. "5\127"), '"1\\r2\\n3\\t4\\x005\\x7f"')
  T.eq(pretty.format("csi \xc2\x9b2J"), '"csi \\u{9b}2J"', "C1 as UTF-8")
  T.eq(pretty.format("raw \x9b2J"), '"raw \\x9b2J"', "a lone byte that is no UTF-8")
  T.eq(pretty.format("bidi \xe2\x80\xaeevil"), '"bidi \\u{202e}evil"')
  T.eq(pretty.format("héllo 日本"), '"héllo 日本"', "printable UTF-8 stays")
  T.eq(pretty.format({ ["k\27"] = "v\7" }), '{ ["k\\x1b"] = "v\\a" }')
  local e = require("luadock.base.errors").new{ kind = "not_found", status = 404,
    message = "No such container: \27]0;pwned\7", method = "GET", path = "/containers/x/json" }
  T.eq(pretty.format(e), "luadock: 404 No such container: \\x1b]0;pwned\\a (GET /containers/x/json)")
  local weird = setmetatable({}, { __tostring = function() return "obj\27[2J" end })
  T.eq(pretty.format({ weird }), "{ obj\\x1b[2J }")
  no_controls(pretty.format({ "\0\1\2\3\4\5\6\7\8\9\10\11\12\13\14\15\16\17\18\19\20\21\22\23\24\25\26\27"
    .. "\28\29\30\31\127\194\128\194\159\255" }))
end)

T.test("a failing __tostring does not break printing", function()
  local v = setmetatable({}, { __tostring = function() error("boom") end })
  T.ok(pretty.format(v):match("^table: 0x%x+$"), pretty.format(v))
end)

T.test("pretty.print writes each value on its own line(s)", function()
  local out = buffer()
  function out.flush() end
  local saved = io.stdout
  io.stdout = out
  local ok, err = pcall(pretty.print, 1, "a\27", { x = 1 }, nil)
  io.stdout = saved
  assert(ok, err)
  T.eq(out:text(), '1\n"a\\x1b"\n{ x = 1 }\nnil\n')
end)

-- ---- docker's units ----------------------------------------------------------------

T.test("human sizes as docker's units.HumanSize", function()
  local cases = { [0] = "0B", [999] = "999B", [1000] = "1kB", [2130000] = "2.13MB",
    [5370000000] = "5.37GB", [958] = "958B", [1982326] = "1.98MB", [1500] = "1.5kB" }
  for n, want in pairs(cases) do T.eq(tables.human_size(n), want, tostring(n)) end
  T.eq(tables.human_size(1052672, 4), "1.053MB", "4 digits in progress bars")
end)

T.test("human created times", function()
  local cases = { [0] = "Less than a second ago", [1] = "1 second ago", [45] = "45 seconds ago",
    [60] = "About a minute ago", [180] = "3 minutes ago", [3600] = "About an hour ago",
    [5 * 3600] = "5 hours ago", [3 * 86400] = "3 days ago", [21 * 86400] = "3 weeks ago",
    [90 * 86400] = "3 months ago", [800 * 86400] = "2 years ago" }
  for ago, want in pairs(cases) do T.eq(tables.human_ago(NOW - ago, NOW), want, tostring(ago)) end
  T.eq(tables.human_ago(nil, NOW), "")
end)

T.test("ports as docker ps shows them", function()
  T.eq(tables.ports_text{}, "")
  T.eq(tables.ports_text{
    { IP = "0.0.0.0", PrivatePort = 80, PublicPort = 8080, Type = "tcp" },
    { PrivatePort = 443, Type = "tcp" } }, "443/tcp, 0.0.0.0:8080->80/tcp")
  T.eq(tables.ports_text{
    { PrivatePort = 7000, Type = "tcp" }, { PrivatePort = 7001, Type = "tcp" },
    { PrivatePort = 7002, Type = "tcp" }, { PrivatePort = 53, Type = "udp" },
    { IP = "0.0.0.0", PrivatePort = 9000, PublicPort = 9000, Type = "tcp" },
    { IP = "::", PrivatePort = 80, PublicPort = 8080, Type = "tcp" } },
    "53/udp, 7000-7002/tcp, 0.0.0.0:9000->9000/tcp, [::]:8080->80/tcp")
end)

T.test("display width and docker's ellipsis", function()
  T.eq(tables.width("abc"), 3)
  T.eq(tables.width("héllo"), 5)
  T.eq(tables.width("日本"), 4)
  T.eq(tables.ellipsis("sh -c 'while true; do sleep 1; done'", 20), "sh -c 'while true; …")
  T.eq(tables.ellipsis("short", 20), "short")
  T.eq(tables.columns{ { "A", "BB" }, { "ééé", "x" } }, "A         BB\nééé       x")
end)

-- ---- the objects' tables --------------------------------------------------------

T.test("a real docker ps table", function()
  local port = T.free_port()
  local name = "ld-pretty-" .. RUN
  local c <close> = d:run{ image = T.image, cmd = { "sh", "-c", ": \27[2J; " .. SLEEPER },
    detach = true, name = name, ports = { ["80/tcp"] = port }, labels = { ["luadock.test"] = "pretty" } }
  local list = d:ps{ filters = { label = { "luadock.session=" .. docker.session, "luadock.test=pretty" } } }
  T.eq(#list, 1)
  local s = pretty.format(list)
  no_controls(s, "ps table")
  local header, row = s:match("^([^\n]*)\n([^\n]*)$")
  T.ok(header, "a header and one row: " .. s)
  T.ok(header:match("^CONTAINER ID   IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$"), header)
  T.eq(row:sub(1, 15), c.short_id .. "   ")
  T.eq(#c.short_id, 12)
  T.ok(row:find(T.image, 1, true), row)
  -- the engine quotes an argument with spaces in its Command text
  T.ok(row:find([["sh -c ': \x1b[2J; trap…"]], 1, true), "command quoted, escaped, cut: " .. row)
  T.ok(row:find("0.0.0.0:" .. port .. "->80/tcp", 1, true), "published port: " .. row)
  T.ok(row:find("Up ", 1, true), row)
  T.ok(row:find("ago", 1, true), row)
  T.ok(row:sub(-#name) == name, "NAMES last: " .. row)
  -- columns line up by display width ("…" is one column, three bytes)
  local col = header:find("PORTS", 1, true)
  T.eq(row:gsub("…", "."):sub(col, col + 7), "0.0.0.0:")
  -- a single Container is a one-row table too, also when inspected
  local one = pretty.format(d:container(name))
  T.ok(one:match("^CONTAINER ID"), one)
  T.ok(one:find(c.short_id, 1, true) and one:find("0.0.0.0:" .. port .. "->80/tcp", 1, true), one)
  -- inside another table a Container shows its one-line tostring
  T.ok(pretty.format({ web = c }):find("web = luadock.Container: " .. name, 1, true))
end)

T.test("docker ps table from fake containers", function()
  local c = fake("Container", { id = string.rep("ab", 32), short_id = string.rep("ab", 6), name = "web\27",
    image = "sha256:" .. string.rep("cd", 32), status = "Exited (0) 3 minutes ago", created = NOW - 180,
    attrs = { Command = "echo hi" }, ports = {} })
  T.eq(pretty.format({ c }, { now = NOW }), table.concat({
    "CONTAINER ID   IMAGE          COMMAND     CREATED         STATUS                     PORTS     NAMES",
    'abababababab   cdcdcdcdcdcd   "echo hi"   3 minutes ago   Exited (0) 3 minutes ago             web\\x1b',
  }, "\n"))
end)

T.test("images table with <none> and human sizes", function()
  local list = {
    fake("Image", { id = "sha256:" .. string.rep("12", 32), tags = { "me/app:1", "localhost:5000/me/app:latest" },
      size = 2130000, created = NOW - 3 * 86400, attrs = {} }),
    fake("Image", { id = "sha256:" .. string.rep("34", 32), tags = {}, size = 958, created = NOW - 7200,
      attrs = {} }),
    fake("Image", { id = "sha256:" .. string.rep("56", 32), tags = {}, size = 5370000000, created = NOW - 30,
      attrs = { RepoDigests = { "busybox@sha256:" .. string.rep("0", 64) } } }),
  }
  T.eq(pretty.format(list, { now = NOW }), table.concat({
    "REPOSITORY              TAG       IMAGE ID       CREATED          SIZE",
    "me/app                  1         121212121212   3 days ago       2.13MB",
    "localhost:5000/me/app   latest    121212121212   3 days ago       2.13MB",
    "<none>                  <none>    343434343434   2 hours ago      958B",
    "busybox                 <none>    565656565656   30 seconds ago   5.37GB",
  }, "\n"))
end)

T.test("a real images table", function()
  local s = pretty.format(d:images{ filters = { reference = { T.image } } })
  T.ok(s:match("^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n"), s)
  local repo, tag = T.image:match("^(.*):(.*)$")
  local img = d:image(T.image)
  T.ok(s:find("\n" .. repo:gsub("%p", "%%%0") .. " +" .. tag .. " +" .. img.short_id .. " +.- ago +[%d.]+[kMG]?B"), s)
  T.ok(pretty.format(img):match("^REPOSITORY"), "one Image is a one-row table")
end)

T.test("volumes and networks tables", function()
  local v = d:volume_create{ name = "ld-pretty-" .. RUN }
  local ok, err = pcall(function()
    local s = pretty.format(d:volumes{ filters = { name = { v.name } } })
    T.eq(s, "DRIVER    VOLUME NAME\nlocal     " .. v.name)
  end)
  v:remove()
  assert(ok, err)
  local s = pretty.format(d:networks{ filters = { name = { "bridge" } } })
  local bridge = d:network("bridge")
  T.eq(s, "NETWORK ID     NAME      DRIVER    SCOPE\n" .. bridge.short_id .. "   bridge    bridge    local")
  T.eq(pretty.format(fake("Volume", { name = "x\27", driver = "local" })), "DRIVER    VOLUME NAME\nlocal     x\\x1b")
end)

T.test("mixed or empty arrays are plain tables", function()
  local c = fake("Container", { id = "x", short_id = "x", name = "n", state = "running" })
  T.ok(pretty.format({ c, 1 }):match("^{ luadock.Container: n"), pretty.format({ c, 1 }))
  T.eq(pretty.format({}), "{}")
end)

-- ---- help -------------------------------------------------------------------------

local API_NAMES = {
  "VERSION", "clock", "sleep", "connect", "ping", "version", "info", "df", "api_version", "events",
  "run", "create", "containers", "ps", "container", "prune_containers", "exec_inspect", "Container",
  "c:start", "c:stop", "c:restart", "c:kill", "c:pause", "c:unpause", "c:remove", "c:wait",
  "c:logs", "c:lines", "c:exec", "c:attach", "c:reload", "c:put_archive", "c:get_archive",
  "c:copy_in", "c:copy_out", "c:stats", "c:rename", "c:top", "c:diff", "c:commit", "c:update",
  "cleanup", "images", "image", "pull", "push", "import", "load", "save", "build", "img:tag",
  "img:remove", "img:history", "prune_images", "volumes", "volume_create", "volume", "vol:remove",
  "prune_volumes", "networks", "network_create", "network", "net:connect", "net:disconnect",
  "net:remove", "prune_networks", "Error", "is_error", "errors", "schedule.every", "schedule.cron",
  "schedule.run", "schedule.next", "schedule.history", "job", "backup", "restore", "parallel", "pp",
}

T.test("help has a text for every name of API.md", function()
  for _, name in ipairs(API_NAMES) do
    local text = help.text(name)
    T.ok(text and #text > 20, "help " .. name)
  end
  for _, name in ipairs(help.topics()) do T.ok(help.text(name), name) end
end)

T.test("help of every public function, by identity", function()
  local function each(t, label)
    for k, f in pairs(t) do
      if type(f) == "function" and type(k) == "string" and not k:match("^_") then
        T.ok(help.text(f), "help(" .. label .. k .. ")")
      end
    end
  end
  each(docker, "docker.")
  each(docker.Client, "Client.")
  each(docker.Container, "c:")
  each(docker.Image, "img:")
  each(docker.Volume, "vol:")
  each(docker.Network, "net:")
  local schedule = require "luadock.schedule"
  each(schedule, "schedule.")
  each(schedule.Job, "job:")
end)

T.test("help texts say what matters", function()
  local run = help.text("run")
  T.ok(run:find("image", 1, true) and run:find("detach", 1, true), run)
  T.eq(help.text(docker.run), run)
  T.eq(help.text(d.run), run)
  T.ok(help.text(docker.ps):find("d:ps", 1, true))
  T.eq(help.text("c:logs"), help.text("logs"))
  T.eq(help.text("Container:logs"), help.text("c:logs"))
  T.eq(help.text("docker.pull"), help.text("pull"))
  T.eq(help.text(docker.Container.logs), help.text("c:logs"))
  local both = help.text("remove")
  T.ok(both:find("c:remove", 1, true) and both:find("img:remove", 1, true), both)
  T.ok(help.text(docker):find("Topics", 1, true))
  T.ok(help.text():find("help \"run\"", 1, true))
  T.ok(help.text(docker.Error):find("docker.Error", 1, true))
  local text, err = help.text("nonexistent")
  T.eq(text, nil)
  T.ok(err:find("no such topic", 1, true), err)
  local _, err2 = help.text("x\27[2J")
  no_controls(err2, "no-topic message")
  local cron = help.text("schedule.cron")
  T.ok(cron:find("^schedule%.cron%(expr, fn") and cron:find("@every", 1, true), cron)
  T.eq(help.text(require("luadock.schedule").cron), cron, "schedule.cron by identity")
  local backup = help.text("backup")
  T.ok(backup:find("^docker%.backup{ volume=") and backup:find("keep", 1, true), backup)
  T.eq(help.text(docker.backup), backup, "docker.backup by identity")
end)

T.test("docker.help prints", function()
  local out = buffer()
  function out.flush() end
  local saved = io.stdout
  io.stdout = out
  local ok, err = pcall(function() docker.help "run"; docker.help "nonexistent" end)
  io.stdout = saved
  assert(ok, err)
  T.ok(out:text():find("^d:run{"), out:text())
  T.ok(out:text():find("no such topic", 1, true), out:text())
end)

-- ---- progress bars ----------------------------------------------------------------

local PULL = {
  { status = "Pulling from library/app", id = "1" },
  { status = "Pulling fs layer", progressDetail = {}, id = "aaa" },
  { status = "Pulling fs layer", progressDetail = {}, id = "bbb" },
  { status = "Downloading", progressDetail = { current = 1052672, total = 1982326 }, progress = "[=>  ]", id = "aaa" },
  { status = "Downloading", progressDetail = { current = 500, total = 1000 }, progress = "[=>  ]", id = "bbb" },
  { status = "Downloading", progressDetail = { current = 3000000, total = 1982326 }, progress = "[==>]", id = "aaa" },
  { status = "Download complete", progressDetail = {}, id = "aaa" },
  { status = "Extracting", progressDetail = { current = 100, total = 1000 }, id = "aaa" },
  { status = "Pull complete", progressDetail = {}, id = "aaa" },
  { status = "Pull complete", progressDetail = {}, id = "aaa" },
  { status = "Pull complete", progressDetail = {}, id = "bbb" },
  { status = "Digest: sha256:0123" },
  { status = "Status: Downloaded newer image for app:1\27[2J" },
  { aux = { Digest = "sha256:0123" } },
}

local function render(events, opts)
  local out = buffer()
  opts.out = out
  local bar = progressbar.new(opts)
  local h = bar:handler()
  for _, ev in ipairs(events) do h(ev) end
  return out:text()
end

T.test("progress on a terminal: a line per layer, rewritten in place", function()
  local s = render(PULL, { tty = true, width = 80 })
  T.ok(s:find("\27[1A", 1, true) and s:find("\27[2A", 1, true), "cursor up")
  T.ok(s:find("\27[1B", 1, true), "cursor down")
  T.ok(s:find("\27[2K\raaa: Downloading  1.053MB/1.982MB\r", 1, true), "counts, no bar at 80 columns")
  T.ok(s:find("\27[2K\raaa: Downloading      3MB\r", 1, true) and not s:find(" 3MB/", 1, true),
    "current > total hides the total")
  T.ok(s:find("\27[2K\rbbb: Downloading     500B/1kB\r", 1, true), s)
  T.ok(s:find("aaa: Pull complete \r", 1, true))
  T.ok(s:find("^1: Pulling from library/app\n"), s)
  T.ok(s:find("Digest: sha256:0123\n", 1, true))
  T.ok(s:find("Status: Downloaded newer image for app:1\\x1b[2J\n", 1, true), "engine text escaped")
  T.ok(not s:find("\27[2J", 1, true))
  -- the layer lines: aaa first (two lines up once bbb exists), bbb below it
  T.ok(s:find("\n\27[1A\27[2K\raaa: Pulling fs layer \r\27[1B\n\27[1A\27[2K\rbbb: Pulling fs layer \r\27[1B", 1, true), s)
  T.ok(s:find("\27[2A\27[2K\raaa: Downloading", 1, true))
end)

T.test("progress bar on a wide terminal, clamped", function()
  local s = render({ { status = "Downloading", progressDetail = { current = 50, total = 100 }, id = "a" } },
    { tty = true, width = 120 })
  T.ok(s:find("a: Downloading [" .. string.rep("=", 25) .. ">" .. string.rep(" ", 25) .. "]      50B/100B", 1, true), s)
  s = render({ { status = "Pushing", progressDetail = { current = 2130000, total = 1982326 }, id = "a" } },
    { tty = true, width = 120 })
  T.ok(s:find("[" .. string.rep("=", 50) .. ">]   2.13MB\r", 1, true), "clamped bar, no total: " .. s)
  T.eq(progressbar.progress_text({ current = -5, total = 100 }, 120, 0):sub(1, 3), "[> ", "no negative bar")
  T.eq(progressbar.progress_text({}, 120, 0), "")
end)

T.test("progress elsewhere: statuses once, no counts, no escapes", function()
  local s = render(PULL, { tty = false, width = 200 })
  T.ok(not s:find("\27", 1, true), "no ESC at all")
  T.ok(not s:find("Downloading", 1, true) and not s:find("Extracting", 1, true), s)
  T.eq(s, table.concat({
    "1: Pulling from library/app",
    "aaa: Pulling fs layer",
    "bbb: Pulling fs layer",
    "aaa: Download complete",
    "aaa: Pull complete",
    "bbb: Pull complete",
    "Digest: sha256:0123",
    "Status: Downloaded newer image for app:1\\x1b[2J",
  }, "\n") .. "\n")
end)

T.test("build output streams as it comes, escaped", function()
  local s = render({
    { stream = "Step 1/2 : FROM busybox\n" }, { stream = " ---> abc\n" },
    { stream = "\27[31mred\27[0m\n" }, { aux = { ID = "sha256:1" } },
    { stream = "Successfully built abc\n" } }, { tty = true, width = 80 })
  T.eq(s, "Step 1/2 : FROM busybox\n ---> abc\n\\x1b[31mred\\x1b[0m\nSuccessfully built abc\n")
end)

T.test("the REPL's default progress handler", function()
  local saved = docker.interactive
  docker.interactive = nil
  T.eq(progress.default_handler(), nil, "scripts stay quiet")
  docker.interactive = true
  local h = progress.default_handler()
  docker.interactive = saved
  T.eq(type(h), "function")
end)

T.test("the REPL prints through luadock.pretty", function()
  local bin = (os.getenv("LUADOCK_BINARY_DIR") or "build") .. "/luadock"
  local out = T.sh("printf '%s\\n' '{ b = 1, a = \"\\27\" }' | " .. T.q(bin) .. " -i 2>&1")
  T.ok(out:find('{ a = "\\x1b", b = 1 }', 1, true), out)
end)

pcall(d.cleanup, d, {})
T.done()
