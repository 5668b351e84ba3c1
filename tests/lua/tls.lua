-- tests/lua/tls.lua — TLS to tcp:// engines (README "TLS", API.md "Clients"):
-- the system engine behind socat TLS fronts on 127.0.0.1 with throwaway
-- certificates (tests/lua/_tls.lua). Over TLS: ping and version, a one-shot
-- run with output and one fed stdin (attach), logs that follow, events, exec
-- with stdin and its end-of-file (a hijacked connection: close_notify),
-- archives in and out, docker.parallel. The docker CLI's variables, in child
-- luadock processes (Lua cannot set the environment): DOCKER_TLS_VERIFY=0
-- still verifies, DOCKER_TLS alone does not, DOCKER_CERT_PATH, the default
-- from DOCKER_CONFIG and from ~/.docker, a missing ca.pem, cert/key dropped
-- when missing, no DOCKER_HOST meaning tcp://localhost:2376, a port-less
-- tcp:// meaning 2375, unix:// ignoring TLS, tls = false, the key.pem
-- permission warning (once) and encrypted keys. Every failure is kind "tls"
-- with words that say which, and comes at once: a wrong CA, a certificate
-- for another name, a missing client certificate, plain HTTP to a TLS port
-- (socat, and a Go server answering as dockerd does), TLS to a plain port.
-- Contexts made by the docker CLI with TLS files or skip-tls-verify connect
-- with their own files, never the environment's.
-- Containers carry luadock.test.tls=<run> and are removed at the end.
local T = require "testlib"
local docker = require "luadock"
local tls = require "_tls"
local check = require("luadock.base.errors").check

local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local TESTLABEL = "luadock.test.tls"
local BIN = os.getenv("LUADOCK_BINARY_DIR") .. "/luadock"
local IMG = T.image
local tmp = T.tmpdir()
local certs = tls.certs(tmp)
local mutual = tls.front{ certs = certs, verify = true, log_dir = tmp }     -- client cert required
local server_only = tls.front{ certs = certs, verify = false, log_dir = tmp }
local wrong_name = tls.front{ certs = certs, cert = certs.wrongname, key = certs.wrongname_key,
                              verify = false, log_dir = tmp }
local plain = tls.front{ plain = true, log_dir = tmp }
local FAST = 3   -- seconds: every failure must come at once, not by a timeout

local GOOD = { ca = certs.ca, cert = certs.client, key = certs.client_key }
local function addr(port) return "tcp://127.0.0.1:" .. port end
local d = docker.connect{ host = addr(mutual), tls = GOOD }

local function labels() return { [TESTLABEL] = RUN } end

-- fn must raise kind "tls" quickly with a message matching every pattern.
local function tls_error(fn, ...)
  local t0 = docker.clock()
  local e = T.raises_kind(fn, "tls")
  local took = docker.clock() - t0
  T.ok(took < FAST, "failed at once, not after " .. took .. " s")
  for _, pat in ipairs{ ... } do
    T.ok(tostring(e.message):find(pat), "message " .. T.show(e.message) .. " has " .. T.show(pat))
  end
  return e
end

-- ---- over TLS --------------------------------------------------------------

T.test("ping and version over mutual TLS", function()
  T.eq(d:ping(), true)
  -- the front leads to the engine under test (DOCKER_HOST: either engine)
  T.eq(d:version().Version, docker.connect():version().Version, "the engine under test")
  T.eq(d:host(), addr(mutual))
  T.eq(d._cli:tls(), { ca = certs.ca, cert = certs.client, key = certs.client_key, verify = true })
end)

T.test("a one-shot run with output, and one fed stdin (attach)", function()
  local r = d:run{ image = IMG, cmd = { "sh", "-c", "echo out; echo err >&2" }, labels = labels(), remove = true }
  T.eq(r.exit_code, 0)
  T.eq(r.stdout, "out\n")
  T.eq(r.stderr, "err\n")
  r = d:run{ image = IMG, cmd = "sh -c 'cat; echo end'", stdin = "fed\n", labels = labels(), remove = true }
  T.eq(r.stdout, "fed\nend\n")
end)

T.test("logs that follow, and events", function()
  local since = os.time() - 1
  local c <close> = d:run{ image = IMG, cmd = "sh -c 'for i in 1 2 3; do echo $i; sleep 0.3; done'",
                           detach = true, labels = labels() }
  T.eq(c:logs{ follow = true }, "1\n2\n3\n")
  local seen = {}
  for ev in d:events{ since = since, ["until"] = os.time() + 1,
                      filters = { label = { TESTLABEL .. "=" .. RUN }, type = { "container" } } } do
    if ev.id == c.id or (ev.Actor and ev.Actor.ID == c.id) then seen[ev.Action] = true end
  end
  T.ok(seen.start and seen.die, "start and die seen: " .. T.show(seen))
  -- a followed events stream (no until) in the event loop, left with break
  local got = docker.parallel({
    function()
      for ev in d:events{ filters = { label = { TESTLABEL .. "=" .. RUN }, type = { "container" } } } do
        if ev.Action == "create" then return ev.Actor.Attributes.name end
      end
    end,
    function()
      docker.sleep(0.3)
      d:create{ image = IMG, cmd = "true", name = "ld-tls-" .. RUN .. "-ev", labels = labels() }
      return true
    end,
  })
  T.eq(got, "ld-tls-" .. RUN .. "-ev")
  d:container("ld-tls-" .. RUN .. "-ev"):remove{ force = true }
end)

T.test("exec with stdin over TLS: fed, closed (close_notify), output after the end", function()
  local c <close> = d:run{ image = IMG, cmd = "sleep 60", detach = true, labels = labels(), stop_timeout = 1 }
  local r = c:exec{ cmd = "cat", stdin = "hello\nworld\n" }
  T.eq(r.stdout, "hello\nworld\n")
  r = c:exec{ cmd = "wc -c", stdin = "" }
  T.eq(r.stdout:match("%d+"), "0", "empty stdin ends at once")
  r = c:exec{ cmd = "sh -c 'cat >/dev/null; sleep 1; echo after-eof'", stdin = "x" }
  T.eq(r.stdout, "after-eof\n", "output written a second after stdin's end still arrives")
  local parts = {}
  for i = 0, 200 * 1024 - 1 do parts[#parts + 1] = string.char(i % 251) end
  local data = table.concat(parts)
  r = c:exec{ cmd = "cat", stdin = data }
  T.eq(#r.stdout, #data)
  T.ok(r.stdout == data, "200 KB round-trip over TLS")
end)

T.test("archives in and out over TLS", function()
  local c <close> = d:run{ image = IMG, cmd = "sleep 60", detach = true, labels = labels(), stop_timeout = 1 }
  local src = tmp .. "/payload.txt"
  local f = assert(io.open(src, "wb"))
  f:write(string.rep("tls-archive\n", 1000))
  f:close()
  c:copy_in(src, "/tmp/")
  T.eq(c:exec{ cmd = "wc -c /tmp/payload.txt" }.stdout:match("%d+"), "12000")
  local out = tmp .. "/out"
  c:copy_out("/tmp/payload.txt", out)
  T.eq(T.read(out), string.rep("tls-archive\n", 1000))
end)

T.test("docker.parallel: several calls over TLS at once, hijacked ones among them", function()
  local c <close> = d:run{ image = IMG, cmd = "sleep 60", detach = true, labels = labels(), stop_timeout = 1 }
  local fns = {}
  for i = 1, 6 do
    fns[i] = function()
      return d:run{ image = IMG, cmd = { "sh", "-c", "sleep 0.5; echo " .. i }, labels = labels(), remove = true }.stdout
    end
  end
  for i = 7, 8 do
    fns[i] = function()
      return c:exec{ cmd = "sh -c 'cat; sleep 0.5; echo done'", stdin = "in-" .. i .. "\n" }.stdout
    end
  end
  local t0 = docker.clock()
  local res = { docker.parallel(fns) }
  for i = 1, 6 do T.eq(res[i], i .. "\n") end
  for i = 7, 8 do T.eq(res[i], "in-" .. i .. "\ndone\n") end
  T.ok(docker.clock() - t0 < 8 * 0.5 + 3, "overlapped: " .. (docker.clock() - t0) .. " s")
end)

T.test("verify = false takes any server certificate; without a client cert where none is needed", function()
  local x = docker.connect{ host = addr(server_only), tls = { ca = certs.otherca, verify = false } }
  T.eq(x:ping(), true)
  T.eq(x._cli:tls(), { ca = certs.otherca, verify = false })
  x = docker.connect{ host = addr(server_only), tls = { ca = certs.ca } }
  T.eq(x:ping(), true)
end)

-- ---- failures: kind tls, words that say which, at once -----------------------

T.test("a wrong CA", function()
  local x = docker.connect{ host = addr(mutual), tls = { ca = certs.otherca, cert = certs.client, key = certs.client_key } }
  tls_error(function() x:ping() end, "not signed by the CA", certs.otherca, "127.0.0.1:" .. mutual)
end)

-- With the API version pinned there is no ping first: the hijacked
-- connection's own TLS session meets the failure.
local function hijack(x)
  return check(x._cli:container_attach("none", { stream = true, stdin = true }, { hijack = true }))
end

T.test("a certificate for another host name", function()
  local x = docker.connect{ host = addr(wrong_name), tls = { ca = certs.ca } }
  tls_error(function() x:ping() end, "for another host name")
  -- the name is checked through the hijacked (exec) path too: same words
  local y = docker.connect{ host = addr(wrong_name), tls = { ca = certs.ca }, api_version = "1.41" }
  tls_error(function() hijack(y) end, "for another host name")
end)

T.test("hijacked connections (stdin) fail the same ways, with the same words", function()
  local x = docker.connect{ host = addr(mutual), api_version = "1.41",
                            tls = { ca = certs.otherca, cert = certs.client, key = certs.client_key } }
  tls_error(function() hijack(x) end, "not signed by the CA", certs.otherca)
  x = docker.connect{ host = addr(plain), api_version = "1.41", tls = GOOD }
  tls_error(function() hijack(x) end, "does not speak TLS")
  x = docker.connect{ host = addr(mutual), api_version = "1.41", tls = { ca = certs.ca } }
  tls_error(function() hijack(x) end, "require[s]? a client certificate")
  x = docker.connect{ host = addr(mutual), api_version = "1.41", tls = GOOD }
  T.eq(select(2, pcall(hijack, x)).kind, "not_found", "with everything right: the engine's 404")
end)

T.test("a client certificate the server requires, missing", function()
  local x = docker.connect{ host = addr(mutual), tls = { ca = certs.ca } }
  tls_error(function() x:ping() end, "require[s]? a client certificate")
end)

T.test("plain HTTP to a TLS port: fails at once and says TLS", function()
  local x = docker.connect{ host = addr(mutual), tls = false }
  local t0 = docker.clock()
  local e = T.raises(function() x:ping() end)
  T.ok(docker.clock() - t0 < FAST, "at once")
  T.ok(tostring(e.message):find("if it expects TLS"), T.show(e.message))
  -- a Go TLS server (as dockerd's --tlsverify port) answers a plain client with 400
  local port = tls.registry_tls(tmp, certs)
  local g = docker.connect{ host = addr(port), tls = false }
  tls_error(function() g:ping() end, "HTTP request to an HTTPS server", "expects TLS")
end)

T.test("TLS to a plain port: fails at once and says so", function()
  local x = docker.connect{ host = addr(plain), tls = GOOD }
  tls_error(function() x:ping() end, "does not speak TLS", "127.0.0.1:" .. plain)
  T.eq(docker.connect{ host = addr(plain), tls = false }:ping(), true, "the same port in plain HTTP")
end)

T.test("unreadable files and encrypted keys fail at connect, naming the file", function()
  local e = T.raises_kind(function() docker.connect{ host = addr(mutual), tls = { ca = tmp .. "/none.pem" } } end, "tls")
  T.ok(e.message:find(tmp .. "/none.pem", 1, true), e.message)
  e = T.raises_kind(function()
    docker.connect{ host = addr(mutual), tls = { ca = certs.ca, cert = certs.client, key = certs.encrypted_key } }
  end, "tls")
  T.ok(e.message:find("encrypted", 1, true) and e.message:find(certs.encrypted_key, 1, true), e.message)
end)

T.test("bad tls options name connect and the field", function()
  T.raises(function() docker.connect{ host = addr(mutual), tls = { cafile = "x" } } end,
    "bad argument #1 to 'connect' %(field 'tls.cafile': unknown option %(tls takes ca, cert, key, verify%)%)")
  T.raises(function() docker.connect{ host = addr(mutual), tls = { verify = "yes" } } end,
    "'connect' %(field 'tls.verify': boolean expected, got string%)")
  T.raises(function() docker.connect{ host = addr(mutual), tls = { ca = 1 } } end, "field 'tls.ca': string expected")
  T.raises(function() docker.connect{ host = addr(mutual), tls = { cert = certs.client } } end,
    "field 'tls.key': cert and key are given together")
  T.raises(function() docker.connect{ host = addr(mutual), tls = true } end, "field 'tls': false or a table { ca=, cert=, key=, verify= } expected, got boolean")
  T.raises(function() docker.core.new{ host = addr(mutual), tls = true } end, "field 'tls': false or table expected, got true")
  T.raises(function() docker.core.new{ host = addr(mutual), tls = { verify = 1 } } end, "field 'tls.verify'")
end)

-- ---- the docker CLI's variables (child processes) --------------------------

local function folder(name, files)
  local dir = tmp .. "/" .. name
  assert(os.execute("mkdir -p " .. T.q(dir)))
  for dst, src in pairs(files) do assert(os.execute(string.format("cp -p %s %s", T.q(src), T.q(dir .. "/" .. dst)))) end
  return dir
end
local full = folder("full", { ["ca.pem"] = certs.ca, ["cert.pem"] = certs.client, ["key.pem"] = certs.client_key })
local other = folder("other", { ["ca.pem"] = certs.otherca, ["cert.pem"] = certs.client, ["key.pem"] = certs.client_key })
local ca_only = folder("ca-only", { ["ca.pem"] = certs.ca })
local cert_no_key = folder("cert-no-key", { ["ca.pem"] = certs.ca, ["cert.pem"] = certs.client })
local home = tmp .. "/home"
folder("home/.docker", { ["ca.pem"] = certs.ca, ["cert.pem"] = certs.client, ["key.pem"] = certs.client_key })

-- Run code in a child luadock with exactly these TLS variables; it prints
-- a line "host|ca|cert|key|verify|ping result" (or the error's kind and
-- message). Returns stdout, stderr.
local CHILD = [[
local ok, d = pcall(docker.connect)
if not ok then print("connect-error|" .. tostring(d.kind) .. "|" .. tostring(d.message)) return end
local t = d._cli:tls() or {}
local pong, e = pcall(d.ping, d)
print(table.concat({ d:host(), t.ca or "-", t.cert or "-", t.key or "-", tostring(t.verify),
  pong and "pong" or (tostring(e.kind) .. ":" .. tostring(e.message)) }, "|"))
]]
local function child(env, code)
  local vars = { "env -u DOCKER_TLS_VERIFY -u DOCKER_TLS -u DOCKER_CERT_PATH -u DOCKER_CONFIG -u DOCKER_HOST" }
  for k, v in pairs(env) do vars[#vars + 1] = k .. "=" .. T.q(v) end
  local errf = tmp .. "/child.err"
  local out = T.sh(table.concat(vars, " ") .. " " .. T.q(BIN) .. " -e " .. T.q(code or CHILD) .. " 2>" .. T.q(errf))
  return out, T.read(errf) or ""
end
local function fields(out)
  local t = {}
  for f in (out:gsub("\n$", "") .. "|"):gmatch("(.-)|") do t[#t + 1] = f end
  return t
end

T.test("DOCKER_TLS_VERIFY=0 still means TLS with verification (DOCKER_CERT_PATH)", function()
  local f = fields(child{ DOCKER_HOST = addr(mutual), DOCKER_TLS_VERIFY = "0", DOCKER_CERT_PATH = full })
  T.eq(f, { addr(mutual), full .. "/ca.pem", full .. "/cert.pem", full .. "/key.pem", "true", "pong" })
  f = fields(child{ DOCKER_HOST = addr(mutual), DOCKER_TLS_VERIFY = "0", DOCKER_CERT_PATH = other })
  T.eq(f[5], "true")
  T.ok(f[6]:find("^tls:.*not signed by the CA " .. other:gsub("%p", "%%%0")), f[6])
end)

T.test("DOCKER_TLS alone: TLS without verification, as the docker CLI", function()
  local f = fields(child{ DOCKER_HOST = addr(mutual), DOCKER_TLS = "1", DOCKER_CERT_PATH = other })
  T.eq(f, { addr(mutual), other .. "/ca.pem", other .. "/cert.pem", other .. "/key.pem", "false", "pong" })
  f = fields(child{ DOCKER_HOST = addr(mutual), DOCKER_TLS = "", DOCKER_TLS_VERIFY = "" })
  T.eq(f[5], "nil", "empty values count as unset: plain")
end)

T.test("the files default to $DOCKER_CONFIG, else ~/.docker", function()
  local f = fields(child{ DOCKER_HOST = addr(mutual), DOCKER_TLS_VERIFY = "1", DOCKER_CONFIG = full })
  T.eq(f, { addr(mutual), full .. "/ca.pem", full .. "/cert.pem", full .. "/key.pem", "true", "pong" })
  f = fields(child{ DOCKER_HOST = addr(mutual), DOCKER_TLS_VERIFY = "1", HOME = home })
  T.eq(f, { addr(mutual), home .. "/.docker/ca.pem", home .. "/.docker/cert.pem", home .. "/.docker/key.pem", "true", "pong" })
end)

T.test("a missing ca.pem is an error naming it; missing cert/key are dropped", function()
  local empty = folder("empty", {})
  local out = child{ DOCKER_HOST = addr(mutual), DOCKER_TLS_VERIFY = "1", DOCKER_CERT_PATH = empty }
  T.ok(out:find("^connect%-error|tls|.*" .. (empty .. "/ca.pem"):gsub("%p", "%%%0")), out)
  out = child{ DOCKER_HOST = addr(mutual), DOCKER_TLS = "1", DOCKER_CERT_PATH = empty }
  T.ok(out:find("^connect%-error|tls|"), "ca.pem is needed without verification too: " .. out)
  local f = fields(child{ DOCKER_HOST = addr(server_only), DOCKER_TLS_VERIFY = "1", DOCKER_CERT_PATH = ca_only })
  T.eq(f, { addr(server_only), ca_only .. "/ca.pem", "-", "-", "true", "pong" })
  f = fields(child{ DOCKER_HOST = addr(mutual), DOCKER_TLS_VERIFY = "1", DOCKER_CERT_PATH = ca_only })
  T.ok(f[6]:find("^tls:.*requires? a client certificate"), f[6])
  out = child{ DOCKER_HOST = addr(mutual), DOCKER_TLS_VERIFY = "1", DOCKER_CERT_PATH = cert_no_key }
  T.ok(out:find("^connect%-error|tls|.*cert%.pem but not .*key%.pem"), out)
end)

T.test("addresses: none with TLS is tcp://localhost:2376, tcp://host is :2375, unix ignores TLS", function()
  local f = fields(child{ DOCKER_TLS_VERIFY = "1", DOCKER_CERT_PATH = full })
  T.eq(f[1], "tcp://localhost:2376")
  T.ok(f[6]:find("tcp://localhost:2376", 1, true), "the error names it: " .. f[6])
  f = fields(child{ DOCKER_HOST = "", DOCKER_TLS_VERIFY = "1", DOCKER_CERT_PATH = full })
  T.eq(f[1], "tcp://localhost:2376", "an empty DOCKER_HOST too")
  local out = child({ DOCKER_HOST = "tcp://127.0.0.1", DOCKER_TLS_VERIFY = "1", DOCKER_CERT_PATH = full },
    "print(docker.connect():host(), docker.connect()._cli:tls() ~= nil)")
  T.eq(out, "tcp://127.0.0.1:2375\ttrue\n")
  f = fields(child{ DOCKER_HOST = "unix:///var/run/docker.sock", DOCKER_TLS_VERIFY = "1",
                    DOCKER_CERT_PATH = tmp .. "/no-such-folder" })
  T.eq(f, { "unix:///var/run/docker.sock", "-", "-", "-", "nil", "pong" })
end)

T.test("tls = false wins over the environment; a tls table over DOCKER_CERT_PATH", function()
  local out = child({ DOCKER_HOST = addr(plain), DOCKER_TLS_VERIFY = "1", DOCKER_CERT_PATH = other },
    "local d = docker.connect{ tls = false }; print(d._cli:tls(), d:ping())")
  T.eq(out, "nil\ttrue\n")
  out = child({ DOCKER_HOST = addr(mutual), DOCKER_TLS_VERIFY = "1", DOCKER_CERT_PATH = other },
    string.format("local d = docker.connect{ tls = { ca = %q, cert = %q, key = %q } }; print(d:ping())",
      certs.ca, certs.client, certs.client_key))
  T.eq(out, "true\n")
end)

T.test("a key.pem others can read: one warning per process and file", function()
  local loose = folder("loose", { ["ca.pem"] = certs.ca, ["cert.pem"] = certs.client, ["key.pem"] = certs.client_key })
  assert(os.execute("chmod 644 " .. T.q(loose .. "/key.pem")))
  local code = "for _ = 1, 3 do docker.connect():ping() end print('ok')"
  local out, err = child({ DOCKER_HOST = addr(mutual), DOCKER_TLS_VERIFY = "1", DOCKER_CERT_PATH = loose }, code)
  T.eq(out, "ok\n")
  local _, n = err:gsub("warning: the TLS key " .. (loose .. "/key.pem"):gsub("%p", "%%%0") .. " can be read by group or others %(mode 0644%)", "")
  T.eq(n, 1, "one warning: " .. err)
  out, err = child({ DOCKER_HOST = addr(mutual), DOCKER_TLS_VERIFY = "1", DOCKER_CERT_PATH = full }, code)
  T.eq(out, "ok\n")
  T.eq(err, "", "a 0600 key: no warning")
end)

T.test("docker CLI contexts with TLS: their own files, never the environment's", function()
  local cfg = tmp .. "/ctx-config"
  local function cli(args)
    local out, ok = T.sh("docker --config " .. T.q(cfg) .. " " .. args .. " 2>&1")
    T.ok(ok, "docker " .. args .. ": " .. out)
  end
  cli("context create tls-mutual --docker " .. T.q(string.format("host=%s,ca=%s,cert=%s,key=%s",
    addr(mutual), certs.ca, certs.client, certs.client_key)))
  cli("context create tls-otherca --docker " .. T.q(string.format("host=%s,ca=%s,cert=%s,key=%s",
    addr(mutual), certs.otherca, certs.client, certs.client_key)))
  cli("context create tls-skip --docker " .. T.q(string.format("host=%s,skip-tls-verify=true",
    addr(server_only))))
  -- the environment's TLS variables point at the wrong CA: a named context ignores them
  local env = { DOCKER_CONFIG = cfg, DOCKER_TLS_VERIFY = "1", DOCKER_CERT_PATH = other }
  local code = [[
for _, name in ipairs{ "tls-mutual", "tls-otherca", "tls-skip" } do
  local d = docker.connect{ context = name }
  local t = d._cli:tls() or {}
  local ok, e = pcall(d.ping, d)
  print(name, tostring(t.verify), ok and "pong" or (e.kind .. ": " .. tostring(e.message)))
end
print("current", docker.connect():context())
]]
  local out = child(env, code)
  local lines = {}
  for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
  T.eq(lines[1], "tls-mutual\ttrue\tpong", out)
  T.ok(lines[2]:find("^tls%-otherca\ttrue\ttls: .*not signed by the CA"), "the context's own CA is used: " .. out)
  T.eq(lines[3], "tls-skip\tfalse\tpong", out)
  T.eq(lines[4], "current\tdefault", out)
  -- docker context use: the current context is the TLS one
  cli("context use tls-mutual")
  out = child({ DOCKER_CONFIG = cfg }, "local d = docker.connect(); print(d:context(), d:host(), d:ping())")
  T.eq(out, "tls-mutual\t" .. addr(mutual) .. "\ttrue\n")
end)

T.test("clean-up: nothing of this file is left", function()
  d:cleanup{}
  local left = docker.connect():containers{ all = true, filters = { label = { TESTLABEL .. "=" .. RUN } } }
  T.eq(#left, 0, "left: " .. T.show(left))
end)

pcall(d.cleanup, d, {})
tls.stop_all()
T.done()
