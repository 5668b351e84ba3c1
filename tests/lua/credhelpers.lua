-- tests/lua/credhelpers.lua — registry credentials from docker credential
-- helpers, end to end: a throwaway htpasswd docker-registry on 127.0.0.1
-- (tests/lua/_registry.lua), the helper script
-- tests/fixtures/docker-credential-luadock-test (also linked as
-- docker-credential-luadock-other) on PATH, and a temporary DOCKER_CONFIG
-- whose config.json names it in credHelpers and/or credsStore. Pulls, pushes
-- and builds run in child luadock processes (Lua cannot set the environment).
-- Covers the order credHelpers > credsStore > auths, "not found" and empty
-- answers as anonymous, identity tokens, a missing, failing, hanging,
-- flooding or garbling helper (each an error naming it, the hang killed with
-- nothing left behind), the secret absent from every error and printed value,
-- build's X-Registry-Config (list, then get), docker.parallel, what the docker
-- CLI does on the same config, and core.run_program's bad input. Only
-- references under 127.0.0.1:<port>/luadock-test/ are made; all are removed.
local T = require "testlib"
local docker = require "luadock"
local registry = require "_registry"

local d = docker.connect()
local core = docker.core
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local SRC = os.getenv("LUADOCK_SOURCE_DIR") or "."
local BIN = os.getenv("LUADOCK_BINARY_DIR")
local USER, PASS = "luadock", "pw-" .. RUN .. "-s3cret"
local FIXTURES = SRC .. "/tests/fixtures"

local tmp = T.tmpdir()
local CRED = tmp .. "/cred"          -- the helper's .conf and .log files
local LINKS = tmp .. "/bin"          -- docker-credential-luadock-other
local refs = {}

local write = T.write

local function read(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

local function untag_all()
  for i = #refs, 1, -1 do pcall(function() d:image(refs[i]):remove{ force = true } end) end
end

local function exists(ref) return (pcall(d.image, d, ref)) end

-- helper NAME's behaviour (see the fixture's header); clears its log
local function helper(name, t)
  local lines = {}
  for k, v in pairs(t) do lines[#lines + 1] = k .. "=" .. T.q(v) end
  write(CRED .. "/" .. name .. ".conf", table.concat(lines, "\n") .. "\n")
  os.remove(CRED .. "/" .. name .. ".log")
end

local function helper_log(name) return read(CRED .. "/" .. name .. ".log") end

-- a DOCKER_CONFIG folder holding config.json = cfg
local cfg_n = 0
local function config(cfg)
  cfg_n = cfg_n + 1
  local dir = tmp .. "/cfg" .. cfg_n
  os.execute("mkdir -p " .. T.q(dir))
  write(dir .. "/config.json", core.json_encode(cfg))
  return dir
end

local function env(dir)
  return "LUADOCK_CRED_DIR=" .. T.q(CRED) .. " DOCKER_CONFIG=" .. T.q(dir)
    .. " PATH=" .. T.q(FIXTURES .. ":" .. LINKS .. ":" .. os.getenv("PATH"))
end

-- Runs `code` in a child luadock (or lua5.4) with that config; returns its
-- output (stdout and stderr) and success.
local function child(dir, code)
  local i = -1
  while arg and arg[i - 1] do i = i - 1 end
  local exe = arg and arg[i] or ((BIN or "build") .. "/luadock")
  code = "local docker = require 'luadock'\nlocal pretty = require 'luadock.pretty'\n" .. code
  local out, ok = T.sh(env(dir) .. " " .. T.q(exe) .. " -e " .. T.q(code) .. " 2>&1")
  T.ok(not out:find("Sanitizer", 1, true), "the child ran clean (ASan build): " .. out)
  return out, ok
end

-- child code: `op` (a Lua expression using d) prints OK <result> or FAILED
-- <kind> | <tostring> | <pretty> | helper=<e.helper>
local function attempt(op)
  return string.format([[
local d = docker.connect()
local ok, r = pcall(function() return %s end)
if ok then print("OK " .. tostring(type(r) == "table" and r.id or r))
else print("FAILED " .. tostring(r.kind) .. " | " .. tostring(r) .. " | " .. pretty.format(r) .. " | helper=" .. tostring(r.helper)) end]], op)
end

local AUTHREG, OPENREG
local A = function(tag) return AUTHREG .. "/luadock-test/c-" .. RUN .. ":" .. tag end
local test_img = d:image(T.image)
local header_of_pass   -- the X-Registry-Auth value carrying PASS: never in a message either

-- nothing secret in out: neither the password nor the header made of it
-- Processes from /proc (no procps needed): those whose command line is
-- exactly `words`, and this process's zombie children.
local function proc_list()
  local list = {}
  for pid in T.sh("ls /proc"):gmatch("%d+") do
    local st, cmd = read("/proc/" .. pid .. "/stat"), read("/proc/" .. pid .. "/cmdline")
    local state, ppid = st:match("%) (%a) (%d+)")
    if state then list[#list + 1] = { pid = pid, state = state, ppid = tonumber(ppid), cmd = cmd:gsub("%z", " ") } end
  end
  return list
end

local function running(words)
  local n = 0
  for _, p in ipairs(proc_list()) do if p.cmd == words .. " " then n = n + 1 end end
  return n
end

local function zombie_children()
  local n = 0
  for _, p in ipairs(proc_list()) do if p.ppid == core.pid() and p.state == "Z" then n = n + 1 end end
  return n
end

local function no_secret(out, what)
  T.ok(not out:find(PASS, 1, true), "the secret is not in " .. what .. ": " .. out)
  T.ok(not out:find(header_of_pass, 1, true), "the auth header is not in " .. what)
  T.ok(not out:find(core.base64_encode(USER .. ":" .. PASS), 1, true), "user:pass base64 not in " .. what)
end

local function pulled(out) return out:find("OK " .. test_img.id, 1, true) end

T.test("set-up: an htpasswd registry, an open one, the helper on PATH", function()
  local _, found = T.sh("command -v docker-registry")
  T.ok(found, "docker-registry is installed (apt-get install docker-registry)")
  local hash, hashed = T.sh("htpasswd -Bbn " .. T.q(USER) .. " " .. T.q(PASS))
  T.ok(hashed and hash:find(USER .. ":", 1, true), "htpasswd -Bbn (apt-get install apache2-utils)")
  write(tmp .. "/htpasswd", hash)
  AUTHREG = registry.start(tmp, "auth", table.concat({
    "auth:", "  htpasswd:", "    realm: luadock-test", "    path: " .. tmp .. "/htpasswd" }, "\n"))
  OPENREG = registry.start(tmp, "open")
  os.execute("mkdir -p " .. T.q(CRED) .. " " .. T.q(LINKS))
  local _, linked = T.sh("ln -sf " .. T.q(FIXTURES .. "/docker-credential-luadock-test") .. " "
    .. T.q(LINKS .. "/docker-credential-luadock-other"))
  T.ok(linked, "second helper name linked")
  local _, x = T.sh("test -x " .. T.q(FIXTURES .. "/docker-credential-luadock-test"))
  T.ok(x, "the fixture helper is executable")
  header_of_pass = require("luadock.image.registry").auth_header(A("1"), { username = USER, password = PASS }):match(": (.*)$")
  test_img:tag(A("1")); refs[#refs + 1] = A("1")
  T.eq(d:push(A("1"), { auth = { username = USER, password = PASS } }), true, "seeded with explicit auth")
  d:image(A("1")):remove()
  test_img:tag(OPENREG .. "/luadock-test/o-" .. RUN .. ":1"); refs[#refs + 1] = OPENREG .. "/luadock-test/o-" .. RUN .. ":1"
  T.eq(d:push(OPENREG .. "/luadock-test/o-" .. RUN .. ":1"), true)
end)

T.test("credHelpers: pull and push with the helper's credentials", function()
  helper("luadock-test", { MODE = "ok", SERVER = AUTHREG, USERNAME = USER, SECRET = PASS })
  local dir = config{ credHelpers = { [AUTHREG] = "luadock-test" } }
  local out = child(dir, attempt(string.format("d:pull(%q)", A("1"))))
  T.ok(pulled(out), "pulled: " .. out)
  T.eq(helper_log("luadock-test"), "get " .. AUTHREG .. "\n", "one get, the bare host:port on stdin, stdin closed")
  d:image(A("1")):remove()
  test_img:tag(A("h")); refs[#refs + 1] = A("h")
  out = child(dir, attempt(string.format("d:push(%q)", A("h"))))
  T.ok(out:find("OK true", 1, true), "pushed: " .. out)
end)

T.test("credsStore: pull and push with the default helper's credentials", function()
  helper("luadock-test", { MODE = "ok", SERVER = AUTHREG, USERNAME = USER, SECRET = PASS })
  local dir = config{ credsStore = "luadock-test" }
  local out = child(dir, attempt(string.format("d:pull(%q)", A("1"))))
  T.ok(pulled(out), "pulled: " .. out)
  d:image(A("1")):remove()
  test_img:tag(A("s")); refs[#refs + 1] = A("s")
  out = child(dir, attempt(string.format("d:push(%q)", A("s"))))
  T.ok(out:find("OK true", 1, true), "pushed: " .. out)
  T.eq(helper_log("luadock-test"), "get " .. AUTHREG .. "\nget " .. AUTHREG .. "\n")
end)

T.test("credHelpers wins over credsStore, credsStore over auths", function()
  helper("luadock-test", { MODE = "ok", SERVER = AUTHREG, USERNAME = USER, SECRET = PASS })
  helper("luadock-other", { MODE = "fail", MESSAGE = "other was asked" })
  local wrong = { auth = core.base64_encode(USER .. ":wrong-" .. RUN) }
  local right = { auth = core.base64_encode(USER .. ":" .. PASS) }
  local dir = config{ credHelpers = { [AUTHREG] = "luadock-test" }, credsStore = "luadock-other",
                      auths = { [AUTHREG] = wrong } }
  local out = child(dir, attempt(string.format("d:pull(%q)", A("1"))))
  T.ok(pulled(out), "credHelpers used: " .. out)
  T.eq(helper_log("luadock-other"), "", "credsStore not asked")
  d:image(A("1")):remove()
  dir = config{ credsStore = "luadock-test", auths = { [AUTHREG] = wrong } }
  out = child(dir, attempt(string.format("d:pull(%q)", A("1"))))
  T.ok(pulled(out), "credsStore over a wrong auths entry: " .. out)
  d:image(A("1")):remove()
  -- as the CLI: with credsStore, auths holds no credentials (only e-mails)
  helper("luadock-test", { MODE = "notfound" })
  dir = config{ credsStore = "luadock-test", auths = { [AUTHREG] = right } }
  out = child(dir, attempt(string.format("d:pull(%q)", A("1"))))
  T.ok(out:find("FAILED auth", 1, true) and out:find("helper=nil", 1, true),
    "credsStore's not found wins over a right auths entry: anonymous, the registry refuses: " .. out)
  -- another registry's credHelpers entry does not apply
  dir = config{ credHelpers = { ["127.0.0.1:1"] = "luadock-other" }, auths = { [AUTHREG] = right } }
  out = child(dir, attempt(string.format("d:pull(%q)", A("1"))))
  T.ok(pulled(out), "auths used when no helper is named for the registry: " .. out)
  T.eq(helper_log("luadock-other"), "", "the other registry's helper not asked")
  d:image(A("1")):remove()
end)

T.test("not found and empty answers mean anonymous", function()
  for _, mode in ipairs{ "notfound", "empty" } do
    helper("luadock-test", { MODE = mode })
    local dir = config{ credHelpers = { [AUTHREG] = "luadock-test", [OPENREG] = "luadock-test" } }
    local out = child(dir, attempt(string.format("d:pull(%q)", A("1"))))
    T.ok(out:find("FAILED auth", 1, true), mode .. ": the registry's own refusal: " .. out)
    T.ok(not out:find("credential helper", 1, true) and out:find("helper=nil", 1, true),
      mode .. ": not a helper error: " .. out)
    out = child(dir, attempt(string.format("d:pull(%q)", OPENREG .. "/luadock-test/o-" .. RUN .. ":1")))
    T.ok(pulled(out), mode .. ": anonymous pull from the open registry: " .. out)
    T.ok(helper_log("luadock-test"):find("get " .. OPENREG, 1, true), "helper asked for the open registry")
  end
end)

T.test("an identity token goes as identitytoken only", function()
  helper("luadock-test", { MODE = "token", SERVER = AUTHREG, SECRET = PASS })
  local dir = config{ credHelpers = { [AUTHREG] = "luadock-test" } }
  local out = child(dir, string.format([[
local h = require("luadock.image.registry").auth_header(%q):match(": (.*)$")
local a = docker.core.json_decode(docker.core.base64_decode(h))
print("TOKEN_OK", a.identitytoken == %q, a.username == nil and a.password == nil, a.serveraddress)]], A("1"), PASS))
  T.ok(out:find("TOKEN_OK\ttrue\ttrue\t" .. AUTHREG, 1, true), "identitytoken, no username/password: " .. out)
  out = child(dir, attempt(string.format("d:pull(%q)", A("1"))))
  T.ok(out:find("FAILED auth", 1, true), "an htpasswd registry takes no token: " .. out)
  no_secret(out, "the token pull's error")
end)

T.test("Docker Hub's key is https://index.docker.io/v1/ (no traffic: the header only)", function()
  local HUB = "https://index.docker.io/v1/"
  helper("luadock-test", { MODE = "ok", SERVER = HUB, USERNAME = "hubuser", SECRET = PASS })
  local dir = config{ credHelpers = { [HUB] = "luadock-test" } }
  local out = child(dir, [[
for _, ref in ipairs{ "busybox", "library/busybox:1", "docker.io/x/y", "index.docker.io/x/y:2" } do
  local h = require("luadock.image.registry").auth_header(ref):match(": (.*)$")
  local a = docker.core.json_decode(docker.core.base64_decode(h))
  print("HUB", ref, a.username, a.serveraddress)
end]])
  for _, ref in ipairs{ "busybox", "library/busybox:1", "docker.io/x/y", "index.docker.io/x/y:2" } do
    T.ok(out:find("HUB\t" .. ref .. "\thubuser\t" .. HUB, 1, true), ref .. ": " .. out)
  end
  T.eq(helper_log("luadock-test"), string.rep("get " .. HUB .. "\n", 4), "the helper was asked for the Hub key")
end)

T.test("credentials print without the secret", function()
  helper("luadock-test", { MODE = "ok", SERVER = AUTHREG, USERNAME = USER, SECRET = PASS })
  local dir = config{ credHelpers = { [AUTHREG] = "luadock-test" } }
  local out = child(dir, string.format([[
local a = require("luadock.image.registry").stored_auth(%q)
print(tostring(a)); print(pretty.format(a)); print(pretty.format({ a })); docker.pp(a)
print("FIELD", a.password == %q)]], AUTHREG, PASS))
  T.ok(out:find("credentials for " .. AUTHREG .. " (user " .. USER .. ")", 1, true), "tostring names registry and user: " .. out)
  T.ok(out:find("FIELD\ttrue", 1, true), "the password is there for the header")
  no_secret(out, "printed credentials")
end)

-- each failing helper: kind auth, names helper and registry, carries `want`
local function failing(name, conf, want, extra)
  helper(name, conf)
  local dir = config{ credHelpers = { [AUTHREG] = name } }
  local t0 = core.clock()
  local out = child(dir, (extra or "") .. attempt(string.format("d:pull(%q)", A("1"))))
  local took = core.clock() - t0
  T.ok(out:find("FAILED auth", 1, true), conf.MODE .. ": kind auth: " .. out)
  T.ok(out:find("credential helper docker-credential-" .. name .. " (registry " .. AUTHREG .. ")", 1, true),
    conf.MODE .. ": names helper and registry: " .. out)
  T.ok(out:find("helper=docker-credential-" .. name, 1, true), conf.MODE .. ": e.helper")
  T.ok(out:find(want, 1, true), conf.MODE .. ": says " .. want .. ": " .. out)
  T.ok(#out < 2000, conf.MODE .. ": bounded: " .. #out)
  no_secret(out, conf.MODE .. "'s error")
  return out, took
end

T.test("a missing helper program is an error naming it", function()
  local dir = config{ credHelpers = { [AUTHREG] = "luadock-missing" } }
  local out = child(dir, attempt(string.format("d:pull(%q)", A("1"))))
  T.ok(out:find("FAILED auth", 1, true), "kind auth: " .. out)
  T.ok(out:find("docker-credential-luadock-missing (registry " .. AUTHREG .. "): executable file not found in $PATH", 1, true), out)
  dir = config{ credsStore = "luadock-missing" }
  out = child(dir, attempt(string.format("d:push(%q)", A("1"))))
  T.ok(out:find("docker-credential-luadock-missing", 1, true) and out:find("FAILED auth", 1, true), "push too: " .. out)
  dir = config{ credsStore = "../../bin/sh" }
  out = child(dir, attempt(string.format("d:pull(%q)", A("1"))))
  T.ok(out:find("config.json: credsStore must be a helper name", 1, true), "a path is refused: " .. out)
end)

T.test("a failing helper's own message, from stdout or stderr", function()
  failing("luadock-test", { MODE = "fail", MESSAGE = "keychain locked\tplease unlock" },
    "'get' failed with exit status 1: keychain locked\\tplease unlock")
  failing("luadock-test", { MODE = "stderr", MESSAGE = "gpg: decryption failed" },
    "'get' failed with exit status 2: gpg: decryption failed")
  local long = string.rep("x", 5000)
  local out = failing("luadock-test", { MODE = "fail", MESSAGE = long }, "xxx…")
  T.ok(not out:find(string.rep("x", 400), 1, true), "a long message is cut")
end)

T.test("garbage and oversize answers: errors that quote nothing", function()
  failing("luadock-test", { MODE = "garbage", USERNAME = USER, SECRET = PASS },
    "'get' answered with something other than {ServerURL, Username, Secret} JSON")
  failing("luadock-test", { MODE = "huge", SECRET = PASS }, "answered 'get' with more than 65536 bytes (killed)")
  -- a failure whose output holds credentials is not quoted
  helper("luadock-test", { MODE = "fail", MESSAGE = '{"Username":"' .. USER .. '","Secret":"' .. PASS .. '"}' })
  local dir = config{ credHelpers = { [AUTHREG] = "luadock-test" } }
  local out = child(dir, attempt(string.format("d:pull(%q)", A("1"))))
  T.ok(out:find("its output is not shown", 1, true), "withheld: " .. out)
  no_secret(out, "a failure printing JSON")
end)

T.test("a hanging helper is killed at the timeout, nothing left behind", function()
  local hang = string.format("57.%d", math.random(100000, 999999))
  local _, took = failing("luadock-test", { MODE = "hang", HANG = hang }, "no answer to 'get' within 1 s (killed)",
    "require('luadock.credentials').timeout = 1\n")
  T.ok(took < 6, "bounded by the timeout: " .. took)
  T.eq(running("sleep " .. hang), 0, "the helper's sleep was killed with it")
end)

T.test("SIGINT while a helper hangs: it is killed at once, the pull is interrupted", function()
  local hang = string.format("56.%d", math.random(100000, 999999))
  helper("luadock-test", { MODE = "hang", HANG = hang })
  local dir = config{ credHelpers = { [AUTHREG] = "luadock-test" } }
  local i = -1
  while arg and arg[i - 1] do i = i - 1 end
  local exe = arg and arg[i] or ((BIN or "build") .. "/luadock")
  local code = "local docker = require 'luadock'\nlocal pretty = require 'luadock.pretty'\n" .. attempt(string.format("d:pull(%q)", A("1")))
  local t0 = core.clock()
  local out = T.sh(env(dir) .. " sh -c " .. T.q(T.q(exe) .. " -e " .. T.q(code)
    .. " 2>&1 & p=$!; sleep 1; kill -INT $p; wait $p"))
  local took = core.clock() - t0
  -- the host turns SIGINT into the error "interrupted!" (stock lua5.4: kind canceled)
  T.ok(out:find("FAILED canceled", 1, true) or out:find("FAILED nil | interrupted!", 1, true), "interrupted: " .. out)
  T.ok(took < 4, "at once, not at the 10 s timeout: " .. took)
  T.ok(helper_log("luadock-test"):find("get " .. AUTHREG, 1, true), "the helper was running")
  T.eq(running("sleep " .. hang), 0, "its sleep was killed too")
end)

T.test("core.run_program keeps the exit status when the parent ignores SIGCHLD", function()
  -- an ignored SIGCHLD survives exec; the kernel would reap the helper and lose its status
  local BIN = os.getenv("LUADOCK_BINARY_DIR") .. "/luadock"
  local out = T.sh("perl -e '$SIG{CHLD}=\"IGNORE\"; exec @ARGV' " .. T.q(BIN) .. " -e "
    .. T.q("local r = docker.core.run_program({'sh','-c','echo hi; exit 3'}, {timeout=5}) "
      .. "print(r.status, r.timed_out, r.stdout)") .. " 2>&1")
  T.eq(out, "3\tfalse\thi\n\n")
end)

T.test("core.run_program: timeout kills the group and reaps, in this process", function()
  local hang = string.format("58.%d", math.random(100000, 999999))
  local t0 = core.clock()
  local r = core.run_program({ "sh", "-c", "sleep " .. hang .. "; echo late" }, { timeout = 0.5 })
  local took = core.clock() - t0
  T.eq(r.timed_out, true); T.eq(r.signal, 9); T.eq(r.status, nil); T.eq(r.stdout, "")
  T.ok(took >= 0.5 and took < 2, "took " .. took)
  T.eq(running("sleep " .. hang), 0, "its sleep was killed too")
  T.eq(zombie_children(), 0, "no zombie child")
  local left = string.format("59.%d", math.random(100000, 999999))
  t0 = core.clock()
  r = core.run_program({ "sh", "-c", "sleep " .. left .. " & echo answer" })
  T.eq(r.stdout, "answer\n"); T.eq(r.status, 0)
  T.ok(core.clock() - t0 < 1, "no wait for what it left running")
  T.eq(running("sleep " .. left), 0, "what it left in its group was killed")
  r = core.run_program({ "sh", "-c", "yes luadock" }, { max_output = 1000 })
  T.eq(r.too_large, true); T.eq(#r.stdout, 1000); T.eq(r.signal, 9)
  r = core.run_program({ "sh", "-c", "exec 1>&- 2>&-; sleep 0.3; exit 5" })
  T.eq(r.status, 5, "waits for the exit after the outputs close")
  r = core.run_program({ "cat" }, { input = string.rep("y", 300000), max_output = 400000 })
  T.eq(#r.stdout, 300000, "input larger than a pipe's buffer")
  r = core.run_program({ "true" }, { input = string.rep("y", 300000) })
  T.eq(r.status, 0, "a program that does not read its input (EPIPE, no SIGPIPE death)")
  T.eq(zombie_children(), 0, "no zombie child")
end)

T.test("build: X-Registry-Config from credsStore's list and get; credHelpers failures only warn", function()
  helper("luadock-test", { MODE = "ok", SERVER = AUTHREG, USERNAME = USER, SECRET = PASS })
  helper("luadock-other", { MODE = "fail", MESSAGE = "no such account" })
  local ctx = tmp .. "/ctx"
  os.execute("mkdir -p " .. T.q(ctx))
  write(ctx .. "/Dockerfile", "FROM " .. A("1") .. "\nLABEL built=credhelpers\n")
  local dir = config{ credsStore = "luadock-test", credHelpers = { ["127.0.0.1:1"] = "luadock-other" } }
  pcall(function() d:image(A("1")):remove() end)
  refs[#refs + 1] = A("built")
  local out = child(dir, attempt(string.format("d:build{ context = %q, tag = %q, on_progress = function() end }", ctx, A("built"))))
  T.ok(out:find("OK sha256:", 1, true), "built FROM the protected image: " .. out)
  T.eq(helper_log("luadock-test"), "list unused\nget " .. AUTHREG .. "\n", "list, then get per server")
  T.ok(out:find("warning: no credentials for build: credential helper docker-credential-luadock-other (registry 127.0.0.1:1)", 1, true)
    and out:find("no such account", 1, true), "the other helper's failure is a warning: " .. out)
  no_secret(out, "build output")
  T.eq(d:image(A("built")).labels.built, "credhelpers")
  -- a failing credsStore fails the build
  helper("luadock-test", { MODE = "fail", MESSAGE = "store is down" })
  out = child(dir, attempt(string.format("d:build{ context = %q, on_progress = function() end }", ctx)))
  T.ok(out:find("FAILED auth", 1, true) and out:find("'list' failed with exit status 1: store is down", 1, true), out)
end)

T.test("helpers inside docker.parallel", function()
  helper("luadock-test", { MODE = "ok", SERVER = AUTHREG, USERNAME = USER, SECRET = PASS })
  local dir = config{ credHelpers = { [AUTHREG] = "luadock-test" } }
  pcall(function() d:image(A("1")):remove() end)
  test_img:tag(A("p")); refs[#refs + 1] = A("p")
  local out = child(dir, string.format([[
local d = docker.connect()
local a, b, c = docker.parallel{
  function() return d:pull(%q).id end,
  function() return d:push(%q) end,
  function() docker.sleep(0.2) return "slept" end }
print("PAR", a, b, c)]], A("1"), A("p")))
  T.ok(out:find("PAR\t" .. test_img.id .. "\ttrue\tslept", 1, true), "pull, push and a sleep overlap: " .. out)
  T.eq(select(2, helper_log("luadock-test"):gsub("get ", "")), 2, "two gets")
end)

T.test("the docker CLI on the same configs", function()
  local _, has_cli = T.sh("command -v docker")
  T.ok(has_cli, "the docker CLI is installed")
  local function cli(dir, ref)
    local out, ok = T.sh(env(dir) .. " docker pull -q " .. T.q(ref) .. " 2>&1")
    print("  docker CLI: " .. (ok and "ok" or "failed") .. ": " .. out:gsub("\n", " "))
    return out, ok
  end
  pcall(function() d:image(A("1")):remove() end)
  helper("luadock-test", { MODE = "ok", SERVER = AUTHREG, USERNAME = USER, SECRET = PASS })
  local _, ok = cli(config{ credHelpers = { [AUTHREG] = "luadock-test" } }, A("1"))
  T.ok(ok, "CLI pulls with credHelpers")
  T.eq(helper_log("luadock-test"), "get " .. AUTHREG .. "\n", "the CLI sends the same key")
  d:image(A("1")):remove()
  _, ok = cli(config{ credsStore = "luadock-test", auths = { [AUTHREG] = {} } }, A("1"))
  T.ok(ok, "CLI pulls with credsStore")
  d:image(A("1")):remove()
  helper("luadock-test", { MODE = "notfound" })
  _, ok = cli(config{ credsStore = "luadock-test", auths = { [AUTHREG] = { auth = core.base64_encode(USER .. ":" .. PASS) } } }, A("1"))
  T.ok(not ok, "CLI: credsStore's not found wins over auths there too")
  -- `docker pull` (20.10, and current CLIs too) drops a helper's failure and
  -- pulls anonymously; luadock (like docker-py) raises the helper's error.
  -- Either way the pull fails; the output says which way the CLI went.
  local function says(out)
    return out:find("no basic auth credentials", 1, true) and "anonymous"
      or out:find("docker-credential-", 1, true) and "helper error" or "?"
  end
  local out
  out, ok = cli(config{ credHelpers = { [AUTHREG] = "luadock-missing" } }, A("1"))
  T.ok(not ok and says(out) ~= "?", "CLI fails on a missing helper: " .. out)
  print("  docker CLI on a missing helper: " .. says(out) .. "; luadock: helper error")
  helper("luadock-test", { MODE = "fail", MESSAGE = "keychain locked" })
  out, ok = cli(config{ credHelpers = { [AUTHREG] = "luadock-test" } }, A("1"))
  T.ok(not ok and says(out) ~= "?", "CLI fails on a failing helper: " .. out)
  print("  docker CLI on a failing helper: " .. says(out) .. "; luadock: helper error")
end)

T.test("core.run_program: bad input", function()
  T.raises(function() core.run_program() end, "bad argument #1 to 'run_program'")
  T.raises(function() core.run_program({}) end, "bad argument #1 to 'run_program' %(array of strings expected")
  T.raises(function() core.run_program({ "true", 3 }) end, "item 2: string expected, got number")
  T.raises(function() core.run_program({ "" }) end, "empty program name")
  T.raises(function() core.run_program({ "tr\0ue" }) end, "contains a NUL byte")
  T.raises(function() core.run_program({ "true" }, 5) end, "bad argument #2 to 'run_program'")
  T.raises(function() core.run_program({ "true" }, { input = 5 }) end, "field 'input'")
  T.raises(function() core.run_program({ "true" }, { timeout = 0 }) end, "field 'timeout'")
  T.raises(function() core.run_program({ "true" }, { timeout = "x" }) end, "field 'timeout'")
  T.raises(function() core.run_program({ "true" }, { max_output = 0 }) end, "field 'max_output'")
  T.raises(function() core.run_program({ "true" }, { max_output = 1.5 }) end, "field 'max_output'")
  local r = core.run_program({ "sh", "-c", "cat; echo e >&2; exit 4" }, { input = "in" })
  T.eq(r.stdout, "in"); T.eq(r.stderr, "e\n"); T.eq(r.status, 4)
  T.eq(r.timed_out, false); T.eq(r.too_large, false)
  local none, msg, code = core.run_program({ "luadock-no-such-program-" .. RUN })
  T.eq(none, nil); T.eq(code, "NOT_FOUND"); T.ok(msg:find("not found in $PATH", 1, true), msg)
end)

T.test("core.run_program under stock lua5.4, where SIGPIPE is not ignored", function()
  local _, has = T.sh("command -v lua5.4")
  T.ok(has, "lua5.4 is installed (apt-get install lua5.4)")
  local code = [[
local core = require "luadock.core"
local r = core.run_program({ "sh", "-c", "exec 0<&-; sleep 0.2; echo closed" }, { input = string.rep("y", 300000) })
assert(r.status == 0 and r.stdout == "closed\n")
for _ = 1, 10 do assert(core.run_program({ "true" }, { input = string.rep("y", 300000) }).status == 0) end
print("ALIVE")]]
  -- the host ignores SIGPIPE and children inherit that: give lua5.4 the default.
  -- An ASan module needs its runtime preloaded into the uninstrumented lua5.4
  -- (leaks are checked in this process, not there).
  local so = (BIN or "build") .. "/lua/luadock/core.so"
  local asan = T.sh("ldd " .. T.q(so) .. " | awk '/libasan/ { print $3 }'"):gsub("%s+$", "")
  local pre = asan ~= "" and ("LD_PRELOAD=" .. T.q(asan) .. " ASAN_OPTIONS=detect_leaks=0 ") or ""
  local out = T.sh("env --default-signal=PIPE " .. pre .. "LUA_CPATH=" .. T.q((BIN or "build") .. "/lua/?.so;;")
    .. " lua5.4 -e " .. T.q(code) .. " 2>&1")
  T.eq(out, "ALIVE\n", "a helper that does not read its input does not kill us")
end)

T.test("clean-up: tags and registries", function()
  untag_all()
  for _, r in ipairs(refs) do T.ok(not exists(r), "left " .. r) end
  T.ok(exists(T.image), "test image untouched")
  registry.stop_all()
end)

untag_all()
registry.stop_all()
T.done()
