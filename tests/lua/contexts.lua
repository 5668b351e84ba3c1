-- tests/lua/contexts.lua — docker CLI contexts (issue 10 §4): contexts made by
-- the docker CLI itself (`docker context create`, `docker context use`) in a
-- temporary DOCKER_CONFIG, then read by luadock in child processes whose
-- environment each case sets: the precedence DOCKER_HOST > DOCKER_CONTEXT >
-- currentContext > "default" (each proven by a ping that goes through that
-- context's own socat front, whose traffic log must show it), connect{ context= },
-- docker.contexts() against `docker context ls --format '{{json .}}'` of every
-- docker CLI installed, the TLS settings a context carries (its copied files,
-- skip-tls-verify; the environment's DOCKER_TLS* never apply to it), a plain
-- tcp:// context, unknown contexts, broken files and bad arguments. The
-- engine is touched only by pings; no Docker object is created.
local T = require "testlib"
local F = require "_faultlib"
local docker = require "luadock"
local core = require "luadock.core"

local BIN = (os.getenv("LUADOCK_BINARY_DIR") and os.getenv("LUADOCK_BINARY_DIR") .. "/luadock") or arg[-1]
local ENGINE = "unix://" .. F.ENGINE_SOCKET
local work = T.tmpdir()
local cfg = work .. "/config"          -- the DOCKER_CONFIG of every case
local broken = work .. "/broken"       -- a DOCKER_CONFIG with damaged files
assert(os.execute("mkdir -p " .. T.q(cfg) .. " " .. T.q(broken)))

-- Every variable that decides the endpoint is cleared, then `env` (a shell
-- fragment of NAME=value words) is applied.
local CLEAN = "env -u DOCKER_HOST -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY -u DOCKER_TLS "
  .. "-u DOCKER_CERT_PATH -u DOCKER_API_VERSION"

local n = 0
-- child(env, code [, config]) -> stdout, stderr, exit code of `luadock -e code`
local function child(env, code, config)
  n = n + 1
  local out, err = work .. "/out" .. n, work .. "/err" .. n
  local cmd = string.format("%s DOCKER_CONFIG=%s %s %s -e %s </dev/null >%s 2>%s; echo $?", CLEAN,
    T.q(config or cfg), env or "", T.q(BIN), T.q(code), T.q(out), T.q(err))
  local status = T.sh(cmd)
  return T.read(out) or "", T.read(err) or "", tonumber(status:match("(%d+)%s*$"))
end

-- child_json(env, expr [, config]) -> the value of the Lua expression expr in a child
local function child_json(env, expr, config)
  local out, err, code = child(env, "print(docker.core.json_encode(" .. expr .. "))", config)
  T.eq(code, 0, "child exit code for " .. expr .. " with " .. tostring(env) .. "; stderr: " .. err)
  return T.ok(core.json_decode(out), "JSON from the child: " .. out)
end

-- cli(args [, cli_path [, env]]) -> output (stdout and stderr), ok
local function cli(args, cli_path, env)
  local out, ok = T.sh(string.format("%s DOCKER_CONFIG=%s %s %s %s 2>&1", CLEAN, T.q(cfg), env or "",
    cli_path or "docker", args))
  return out, ok
end

local function must_cli(args)
  local out, ok = cli(args)
  T.ok(ok, "docker " .. args .. ": " .. out)
  return out
end

local write = T.write

local function sha_of(name)
  local out = T.sh("printf %s " .. T.q(name) .. " | sha256sum")
  return out:match("^(%x+)")
end

-- ---- the fronts and the contexts --------------------------------------------------

-- Set-up failures end the run, but never leave a front running.
local front_a, front_b, tcp_port
local certs = work .. "/certs"
local function openssl(args)
  local out, ok = T.sh("openssl " .. args .. " 2>&1")
  assert(ok, "openssl " .. args .. ": " .. out)
end
local set_up, set_up_err = pcall(function()
  front_a = F.proxy(work, { name = "a", fork = true, verbose = true })
  front_b = F.proxy(work, { name = "b", fork = true, verbose = true })
  tcp_port = T.free_port()
  F.spawn("socat " .. T.q("TCP-LISTEN:" .. tcp_port .. ",bind=127.0.0.1,fork,reuseaddr") .. " "
    .. T.q("UNIX-CONNECT:" .. F.ENGINE_SOCKET), work .. "/tcp.log")
  F.wait_for(function()
    return T.sh("cat /proc/net/tcp"):find(string.format(":%04X 00000000:0000 0A", tcp_port)) ~= nil
  end, 10, "the tcp front on 127.0.0.1:" .. tcp_port)
  -- throwaway certificates: a CA and a client certificate it signed
  assert(os.execute("mkdir -p " .. T.q(certs)))
  openssl("req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=luadock-test-ca -keyout "
    .. T.q(certs .. "/ca-key.pem") .. " -out " .. T.q(certs .. "/ca.pem"))
  openssl("req -newkey rsa:2048 -nodes -subj /CN=luadock-client -keyout " .. T.q(certs .. "/key.pem")
    .. " -out " .. T.q(certs .. "/client.csr"))
  openssl("x509 -req -days 1 -in " .. T.q(certs .. "/client.csr") .. " -CA " .. T.q(certs .. "/ca.pem")
    .. " -CAkey " .. T.q(certs .. "/ca-key.pem") .. " -CAcreateserial -out " .. T.q(certs .. "/cert.pem"))
end)
if not set_up then
  F.kill_all()
  error("set-up failed: " .. tostring(set_up_err), 0)
end

local TLS_PORT = T.free_port()   -- nothing listens there: TLS contexts are only resolved
local contexts = {
  { "ctx-a", "--description 'front a' --docker host=" .. front_a.host },
  { "ctx-b", "--docker host=" .. front_b.host },
  { "plain-tcp", "--description 'tcp, no TLS' --docker host=tcp://127.0.0.1:" .. tcp_port },
  { "tls-ctx", "--description 'mutual TLS' --docker " .. T.q(string.format(
    "host=tcp://127.0.0.1:%d,ca=%s/ca.pem,cert=%s/cert.pem,key=%s/key.pem", TLS_PORT, certs, certs, certs)) },
  { "skip-ctx", "--docker " .. T.q("host=tcp://127.0.0.1:" .. TLS_PORT .. ",skip-tls-verify=true") },
  { "ca-skip", "--docker " .. T.q(string.format("host=tcp://127.0.0.1:%d,ca=%s/ca.pem,skip-tls-verify=true",
    TLS_PORT, certs)) },
  { "unix-tls", "--docker " .. T.q("host=" .. front_a.host .. ",ca=" .. certs .. "/ca.pem") },
  -- names that show the natural order of `docker context ls`
  { "n10", "--docker host=" .. front_a.host }, { "n9", "--docker host=" .. front_a.host },
  { "n.b", "--docker host=" .. front_a.host }, { "N2", "--docker host=" .. front_a.host },
  { "n09", "--docker host=" .. front_a.host },
}

T.test("the docker CLI creates the test's contexts", function()
  for _, c in ipairs(contexts) do must_cli("context create " .. c[1] .. " " .. c[2]) end
  T.ok(T.read(cfg .. "/contexts/meta/" .. sha_of("ctx-a") .. "/meta.json"), "meta.json under sha256(name)")
end)

local function log_size(front) return #(T.read(front.log) or "") end

-- ---- precedence ---------------------------------------------------------------------

local WHO = "local d = docker.connect(); d:ping(); "
  .. "print(docker.core.json_encode({ context = d:context(), host = d:host(), "
  .. "source = require('luadock.client.endpoint').resolve().source }))"

-- connects in a child with env; checks the context, host and that the ping
-- went through `front` (its traffic log grew) when one is given
local function expect(env, context, host, front, source)
  local before = front and log_size(front)
  local out, err, code = child(env, WHO)
  T.eq(code, 0, "exit code with " .. tostring(env) .. "; stderr: " .. err)
  local got = T.ok(core.json_decode(out), "JSON: " .. out)
  T.eq(got.context, context, "context with " .. tostring(env))
  T.eq(got.host, host, "host with " .. tostring(env))
  if source then T.eq(got.source, source, "source with " .. tostring(env)) end
  if front then
    T.ok(log_size(front) > before, "the ping went through " .. front.sock)
    T.ok((T.read(front.log) or ""):find("GET /_ping", 1, true), "GET /_ping in " .. front.log)
  end
end

T.test("nothing set: the default context, the local socket", function()
  if F.ENGINE_SOCKET ~= "/var/run/docker.sock" then
    print("# the engine under test is at " .. ENGINE .. "; the default socket is checked by host only")
  end
  local out, err, code = child("", "local d = docker.connect(); print(d:context(), d:host(), tostring(d))")
  T.eq(code, 0, err)
  T.eq(out, "default\tunix:///var/run/docker.sock\tluadock.Client: unix:///var/run/docker.sock\n")
  T.eq(child_json("", "require('luadock.client.endpoint').resolve()"), { context = "default" })
end)

T.test("docker context use X: currentContext picks X", function()
  must_cli("context use ctx-a")
  T.ok((T.read(cfg .. "/config.json") or ""):find('"currentContext"%s*:%s*"ctx%-a"'), "config.json names ctx-a")
  expect("", "ctx-a", front_a.host, front_a, cfg .. "/config.json")
  local out = child("", "print(tostring(docker.connect()))")
  T.eq(out, "luadock.Client: " .. front_a.host .. " (context ctx-a)\n")
end)

T.test("DOCKER_CONTEXT beats currentContext; empty counts as unset", function()
  expect("DOCKER_CONTEXT=ctx-b", "ctx-b", front_b.host, front_b, "DOCKER_CONTEXT")
  expect("DOCKER_CONTEXT=", "ctx-a", front_a.host, front_a)
  expect("DOCKER_CONTEXT=default", "default", "unix:///var/run/docker.sock", nil, "DOCKER_CONTEXT")
end)

T.test("DOCKER_HOST beats DOCKER_CONTEXT and currentContext; empty counts as unset", function()
  expect("DOCKER_HOST=" .. T.q(front_b.host) .. " DOCKER_CONTEXT=ctx-a", "default", front_b.host, front_b,
    "DOCKER_HOST")
  expect("DOCKER_HOST= DOCKER_CONTEXT=ctx-b", "ctx-b", front_b.host, front_b, "DOCKER_CONTEXT")
  expect("DOCKER_HOST=", "ctx-a", front_a.host, front_a)
end)

T.test("connect{ context = } beats DOCKER_HOST and DOCKER_CONTEXT", function()
  local env = "DOCKER_HOST=" .. T.q(front_a.host) .. " DOCKER_CONTEXT=ctx-a"
  local got = child_json(env, "(function() local d = docker.connect{ context = 'ctx-b', timeout = 5 }; "
    .. "d:ping(); return { d:context(), d:host() } end)()")
  T.eq(got, { "ctx-b", front_b.host })
  got = child_json("DOCKER_CONTEXT=ctx-b", "(function() local d = docker.connect{ context = 'default' }; "
    .. "return { d:context(), d:host(), d:ping() } end)()")
  T.eq(got, { "default", "unix:///var/run/docker.sock", true })
  -- a host given to connect is no context at all
  got = child_json("DOCKER_CONTEXT=ctx-b", "(function() local d = docker.connect(" .. string.format("%q", front_a.host)
    .. "); return { d:context() == nil, d:host(), d:ping() } end)()")
  T.eq(got, { true, front_a.host, true })
end)

T.test("a plain tcp:// context connects without TLS", function()
  local got = child_json("", "(function() local d = docker.connect{ context = 'plain-tcp' }; "
    .. "return { d:host(), d:ping(), d:version().ApiVersion ~= nil, "
    .. "require('luadock.client.endpoint').resolve{ context = 'plain-tcp' }.tls } end)()")
  T.eq(got, { "tcp://127.0.0.1:" .. tcp_port, true, true, false })
end)

T.test("docker context use default removes currentContext", function()
  must_cli("context use default")
  local text = T.read(cfg .. "/config.json") or ""
  T.ok(not text:find("currentContext", 1, true), "config.json without currentContext: " .. text)
  expect("", "default", "unix:///var/run/docker.sock", nil, nil)
  T.eq(child_json("", "require('luadock.client.endpoint').resolve()"), { context = "default" })
  must_cli("context use ctx-a")   -- the listing cases below expect a current context
end)

T.test("without DOCKER_CONFIG (or with it empty) the contexts live in ~/.docker", function()
  local home = work .. "/home"
  assert(os.execute("mkdir -p " .. T.q(home)))
  local out, ok = T.sh(string.format("%s DOCKER_CONFIG=%s docker context create home-ctx --docker host=%s 2>&1 && "
    .. "DOCKER_CONFIG=%s docker context use home-ctx 2>&1", CLEAN, T.q(home .. "/.docker"), T.q(front_b.host),
    T.q(home .. "/.docker")))
  T.ok(ok, out)
  for _, env in ipairs { "DOCKER_CONFIG= HOME=" .. T.q(home), "-u DOCKER_CONFIG HOME=" .. T.q(home) } do
    local cmd = string.format("%s %s %s -e %s 2>&1", CLEAN, env, T.q(BIN),
      T.q("local d = docker.connect(); print(d:context(), d:host(), d:ping(), #docker.contexts())"))
    local got = T.sh(cmd)
    T.eq(got, "home-ctx\t" .. front_b.host .. "\ttrue\t2\n", env)
  end
end)

-- ---- TLS of contexts ------------------------------------------------------------------

local function resolve_in_child(name, env)
  return child_json(env or "", "require('luadock.client.endpoint').resolve{ context = " .. string.format("%q", name) .. " }")
end

T.test("a TLS context gives its copied files and verify = true", function()
  local r = resolve_in_child("tls-ctx")
  local dir = cfg .. "/contexts/tls/" .. sha_of("tls-ctx") .. "/docker"
  T.eq(r, { context = "tls-ctx", source = "argument", host = "tcp://127.0.0.1:" .. TLS_PORT,
    tls = { ca = dir .. "/ca.pem", cert = dir .. "/cert.pem", key = dir .. "/key.pem", verify = true } })
  for _, f in ipairs { "ca", "cert", "key" } do
    T.eq(T.read(dir .. "/" .. f .. ".pem"), T.read(certs .. "/" .. f .. ".pem"), f .. ".pem is the CLI's copy")
  end
end)

T.test("skip-tls-verify: TLS without verification, with or without a CA", function()
  T.eq(resolve_in_child("skip-ctx").tls, { verify = false })
  local dir = cfg .. "/contexts/tls/" .. sha_of("ca-skip") .. "/docker"
  T.eq(resolve_in_child("ca-skip").tls, { ca = dir .. "/ca.pem", verify = false })
end)

T.test("named contexts ignore DOCKER_TLS_VERIFY, DOCKER_TLS and DOCKER_CERT_PATH", function()
  local env = "DOCKER_TLS_VERIFY=1 DOCKER_TLS=1 DOCKER_CERT_PATH=" .. T.q(work .. "/no-such-dir")
  T.eq(resolve_in_child("plain-tcp", env).tls, false)
  T.eq(resolve_in_child("skip-ctx", env).tls, { verify = false })
  -- a socket context carries no TLS, even with TLS files (as the CLI)
  T.eq(resolve_in_child("unix-tls", env).tls, false)
  local got = child_json(env .. " DOCKER_CONTEXT=ctx-b", "(function() local d = docker.connect(); "
    .. "return { d:context(), d:ping() } end)()")
  T.eq(got, { "ctx-b", true })
  -- "default" leaves TLS to the environment's rules (core applies them)
  local r = child_json(env, "require('luadock.client.endpoint').resolve{ context = 'default' }")
  T.eq(r, { context = "default", source = "argument" })
end)

-- ---- listing --------------------------------------------------------------------------

local function cli_paths()
  local found, seen = {}, {}
  for _, p in ipairs { (T.sh("command -v docker"):gsub("%s+$", "")), "/usr/local/bin/docker", "/usr/bin/docker" } do
    local real = T.sh("readlink -f " .. T.q(p) .. " 2>/dev/null"):gsub("%s+$", "")
    if p ~= "" and real ~= "" and not seen[real] and T.sh("test -x " .. T.q(p) .. " && echo y") == "y\n" then
      seen[real] = true
      found[#found + 1] = p
    end
  end
  return found
end

-- `docker context ls` as { name=, host=, description=, current= } rows
local function cli_list(cli_path, env)
  local out, ok = cli("context ls --format '{{json .}}'", cli_path, env)
  T.ok(ok, cli_path .. " context ls: " .. out)
  local rows = {}
  for line in out:gmatch("[^\n]+") do
    if line:match("^{") then
      local j = T.ok(core.json_decode(line), "JSON line: " .. line)
      rows[#rows + 1] = { name = j.Name, host = j.DockerEndpoint, description = j.Description,
        current = j.Current, error = (j.Error or "") ~= "" and j.Error or nil }
    end
  end
  return rows
end

T.test("docker.contexts() matches `docker context ls` of every docker CLI", function()
  local paths = cli_paths()
  T.ok(#paths >= 1, "a docker CLI")
  for _, env in ipairs { "", "DOCKER_CONTEXT=ctx-b", "DOCKER_HOST=" .. T.q(front_b.host),
      "DOCKER_HOST=tcp://127.0.0.1", "DOCKER_CONTEXT=n09" } do
    local mine = child_json(env, "docker.contexts()")
    T.eq(#mine, #contexts + 1, "every context and default with " .. env)
    for _, p in ipairs(paths) do
      T.eq(mine, cli_list(p, env), p .. " with " .. (env == "" and "nothing set" or env))
    end
  end
  print("# compared with: " .. table.concat(paths, ", "))
end)

T.test("a current context that does not exist is listed with its error", function()
  local rows = child_json("DOCKER_CONTEXT=nope", "docker.contexts()")
  T.eq(#rows, #contexts + 2)
  local row
  for _, r in ipairs(rows) do if r.name == "nope" then row = r end end
  T.eq(row, { name = "nope", host = "", description = "", current = true,
    error = 'context "nope": context not found' })
  local compared = {}
  for _, p in ipairs(cli_paths()) do
    local _, ok = cli("context ls", p, "DOCKER_CONTEXT=nope")
    if ok then   -- docker 28 lists it; docker 20.10 refuses to list at all
      local theirs = cli_list(p, "DOCKER_CONTEXT=nope")
      local mine = {}
      for i, r in ipairs(rows) do
        mine[i] = { name = r.name, host = r.host, description = r.description, current = r.current }
        if r.error then
          local e = theirs[i] and theirs[i].error or ""
          T.eq(e:sub(1, #r.error), r.error, p .. ": the error of " .. r.name)
          theirs[i].error = nil
        end
      end
      T.eq(mine, theirs, p)
      compared[#compared + 1] = p
    end
  end
  print("# compared with: " .. (#compared > 0 and table.concat(compared, ", ") or "none (every CLI refused)"))
end)

T.test("the default context in the list: DOCKER_HOST as the CLI shows it, TLS gives :2376", function()
  local function default_row(env)
    local rows = child_json(env, "docker.contexts()")
    for _, r in ipairs(rows) do if r.name == "default" then return r end end
  end
  T.eq(default_row("DOCKER_HOST=tcp://127.0.0.1"), { name = "default", host = "tcp://127.0.0.1:2375",
    description = "Current DOCKER_HOST based configuration", current = true })
  T.eq(default_row("DOCKER_TLS_VERIFY=1").host, "tcp://localhost:2376")
  T.eq(default_row("DOCKER_TLS=1 DOCKER_HOST=").host, "tcp://localhost:2376")
  T.eq(default_row("DOCKER_TLS_VERIFY=").host, "unix:///var/run/docker.sock")
  T.eq(default_row("").current, false, "ctx-a is current")
end)

-- ---- errors ---------------------------------------------------------------------------

T.test("an unknown context is an error naming it", function()
  local e = child_json("", "select(2, pcall(docker.connect, { context = 'nope' }))")
  T.eq(e.kind, "not_found")
  T.ok(e.message:find('context "nope": context not found', 1, true), e.message)
  T.ok(e.message:find(" in " .. cfg .. "/contexts/meta", 1, true), e.message)
  local _, err, code = child("DOCKER_CONTEXT=nope", "docker.ping()")
  T.eq(code, 1)
  T.ok(err:find('context "nope" (from DOCKER_CONTEXT): context not found', 1, true), err)
  -- a name the CLI could never create is simply not found, as with the CLI
  e = child_json("", "select(2, pcall(docker.connect, { context = '../x' }))")
  T.ok(e.message:find('context "../x": context not found', 1, true), e.message)
  local _, cli_ok = cli("--context nope version")
  T.ok(not cli_ok, "the docker CLI refuses it too")
end)

T.test("a currentContext that does not exist names config.json", function()
  write(broken .. "/config.json", '{ "currentContext": "gone" }')
  local _, err, code = child("", "docker.ping()", broken)
  T.eq(code, 1)
  T.ok(err:find('context "gone" (from ' .. broken .. '/config.json): context not found', 1, true), err)
  -- DOCKER_HOST wins, so the file is not even read
  local out, err2, code2 = child("DOCKER_HOST=" .. T.q(front_b.host), "print(docker.connect():ping())", broken)
  T.eq(code2, 0, err2)
  T.eq(out, "true\n")
end)

T.test("a broken config.json warns and the defaults apply (as the CLI); a broken meta.json is kind io", function()
  -- the docker CLI: "WARNING: Error loading config file: ...", then the default context
  local warning = "luadock: warning: error loading config file " .. broken .. "/config.json: "
  write(broken .. "/config.json", '{ "currentContext": ')
  local out, err, code = child("", "for _ = 1, 2 do docker.connect() end print(docker.connect():context())", broken)
  T.eq({ out, code }, { "default\n", 0 }, err)
  T.eq(err, warning .. broken .. "/config.json: malformed JSON (a JSON object expected)\n", "one warning")
  write(broken .. "/config.json", '{ "currentContext": 5 }')
  out, err = child("", "print(docker.connect():context())", broken)
  T.eq(out, "default\n")
  T.eq(err, warning .. "currentContext: string expected, got number\n")
  -- unreadable: a folder where the file should be
  os.remove(broken .. "/config.json")
  assert(os.execute("mkdir " .. T.q(broken .. "/config.json")))
  out, err = child("", "print(docker.connect():context())", broken)
  T.eq(out, "default\n")
  T.ok(err:find(warning .. "cannot read ", 1, true), err)
  assert(os.execute("rmdir " .. T.q(broken .. "/config.json")))
  write(broken .. "/config.json", "")   -- empty is fine, as for the CLI
  T.eq(child_json("", "docker.connect():context()", broken), "default")
  local e

  local meta = broken .. "/contexts/meta/" .. sha_of("bad")
  assert(os.execute("mkdir -p " .. T.q(meta)))
  write(meta .. "/meta.json", '{"Name":"bad",')
  e = child_json("", "select(2, pcall(docker.connect, { context = 'bad' }))", broken)
  T.eq(e.kind, "io")
  T.ok(e.message:find(meta .. "/meta.json: malformed JSON", 1, true), e.message)
  e = child_json("", "select(2, pcall(docker.contexts))", broken)
  T.eq(e.kind, "io")
  T.ok(e.message:find(meta .. "/meta.json", 1, true), e.message)
  write(meta .. "/meta.json", '{"Name":"bad","Endpoints":{"docker":{"Host":42}}}')
  e = child_json("", "select(2, pcall(docker.connect, { context = 'bad' }))", broken)
  T.ok(e.message:find("Endpoints.docker.Host: string expected, got number", 1, true), e.message)
  -- unreadable: a folder where the file should be
  os.remove(meta .. "/meta.json")
  assert(os.execute("mkdir " .. T.q(meta .. "/meta.json")))
  e = child_json("", "select(2, pcall(docker.connect, { context = 'bad' }))", broken)
  T.eq(e.kind, "io")
  T.ok(e.message:find("cannot read " .. meta .. "/meta.json", 1, true), e.message)
  assert(os.execute("rm -rf " .. T.q(meta)))
end)

T.test("a context without a docker endpoint, and one without a host", function()
  local meta = broken .. "/contexts/meta/" .. sha_of("noep")
  assert(os.execute("mkdir -p " .. T.q(meta)))
  write(meta .. "/meta.json", '{"Name":"noep","Metadata":{},"Endpoints":{}}')
  local e = child_json("", "select(2, pcall(docker.connect, { context = 'noep' }))", broken)
  T.eq(e.kind, "io")
  T.ok(e.message:find('context "noep": cannot find docker endpoint in context', 1, true), e.message)
  local rows = child_json("", "docker.contexts()", broken)
  T.eq(rows[2], { name = "noep", host = "", description = "",
    current = false, error = "cannot find docker endpoint in context" })
  -- no Host: the CLI's default address
  local meta2 = broken .. "/contexts/meta/" .. sha_of("nohost")
  assert(os.execute("mkdir -p " .. T.q(meta2)))
  write(meta2 .. "/meta.json", '{"Name":"nohost","Metadata":{"Description":"d"},'
    .. '"Endpoints":{"docker":{"SkipTLSVerify":false}}}')
  local got = child_json("", "(function() local d = docker.connect{ context = 'nohost' }; "
    .. "return { d:host(), d:ping() } end)()", broken)
  T.eq(got, { "unix:///var/run/docker.sock", true })
  -- a Host core cannot parse: core's reason, prefixed with the context
  local meta3 = broken .. "/contexts/meta/" .. sha_of("badhost")
  assert(os.execute("mkdir -p " .. T.q(meta3)))
  write(meta3 .. "/meta.json", '{"Name":"badhost","Endpoints":{"docker":{"Host":"bogus://x"}}}')
  e = child_json("", "select(2, pcall(docker.connect, { context = 'badhost' }))", broken)
  T.ok(tostring(e.message):find('^context "badhost": .*"bogus://x"'), T.show(e))
  assert(os.execute("rm -rf " .. T.q(broken .. "/contexts")))
end)

T.test("bad arguments name connect and the field", function()
  local cases = {
    { { context = 1 }, "field 'context': string expected, got number" },
    { { context = "" }, "field 'context': a context name expected, got an empty string" },
    { { context = "ctx-a", host = ENGINE }, "field 'context': context and host cannot be used together" },
    { { context = "ctx-a", tls = false }, "field 'context': context and tls cannot be used together" },
    { { contxt = "ctx-a" }, "field 'contxt': unknown option" },
    { { tls = true }, "field 'tls': false or a table { ca=, cert=, key=, verify= } expected, got boolean" },
    { { tls = "yes" }, "field 'tls': false or a table" },
    { { tls = { ca = 1 } }, "field 'tls.ca': string expected, got number" },
    { { tls = { ca = "" } }, "field 'tls.ca': a file path expected" },
    { { tls = { verify = "no" } }, "field 'tls.verify': boolean expected, got string" },
    { { tls = { cert = "c.pem" } }, "field 'tls.key': cert and key are given together" },
    { { tls = { key = "k.pem" } }, "field 'tls.cert': cert and key are given together" },
    { { tls = { capath = "x" } }, "field 'tls.capath': unknown option" },
    { { host = 5 }, "field 'host': string expected, got number" },
    { { host = "bogus://x" }, "field 'host': bad host 'bogus://x'" },
    { 42, "string or table expected, got number" },
  }
  for _, c in ipairs(cases) do
    local e = T.raises(function() docker.connect(c[1]) end, "bad argument #1 to 'connect'")
    T.ok(tostring(e):find(c[2], 1, true), T.show(c[1]) .. " -> " .. tostring(e))
    T.ok(tostring(e):find("contexts.lua:", 1, true), "the error points at the caller: " .. tostring(e))
  end
  T.raises(function() docker.contexts("x") end, "bad argument #1 to 'contexts' %(no arguments expected%)")
  T.raises(function() require("luadock.client.endpoint").resolve{ context = 2 } end,
    "bad argument #1 to 'connect' %(field 'context'")
end)

T.test("tls given without a host while DOCKER_CONTEXT names a context is refused", function()
  local e = child_json("DOCKER_CONTEXT=ctx-b", "select(2, pcall(docker.connect, { tls = { ca = 'x.pem' } }))")
  T.ok(tostring(e):find("field 'tls': tls goes with DOCKER_HOST or host; the context \"ctx-b\" "
    .. "(from DOCKER_CONTEXT) has its own TLS files", 1, true), tostring(e))
  -- with DOCKER_HOST the tls table applies to it (the default context)
  local r = child_json("DOCKER_CONTEXT=ctx-b DOCKER_HOST=tcp://127.0.0.1:1",
    "require('luadock.client.endpoint').resolve{ tls = { ca = 'x.pem', verify = false } }")
  T.eq(r, { context = "default", source = "DOCKER_HOST", tls = { ca = "x.pem", verify = false } })
  r = child_json("", "require('luadock.client.endpoint').resolve{ host = 'tcp://127.0.0.1:9', tls = { cert = 'c', key = 'k' } }")
  T.eq(r, { host = "tcp://127.0.0.1:9", source = "argument", tls = { cert = "c", key = "k", verify = true } })
end)

T.test("the REPL's completion asks the current context's engine", function()
  local before = log_size(front_b)
  local out, err, code = child("DOCKER_CONTEXT=ctx-b", "local c = require('luadock.text.complete'); "
    .. "print(type(c.candidates('docker.volume(\"', '')))")
  T.eq(code, 0, err)
  T.eq(out, "table\n")
  local log = (T.read(front_b.log) or ""):sub(before + 1)
  T.ok(log:find("GET /v[%d.]+/volumes"), "the volume names came through " .. front_b.sock .. ": " .. log:sub(1, 300))
end)

T.test("help topics for connect, contexts and d:context", function()
  local help = require "luadock.text.help"
  T.ok(help.topic_text("contexts"):find("current", 1, true))
  T.ok(help.topic_text("connect"):find("DOCKER_CONTEXT", 1, true))
  T.ok(help.topic_text("context"):find("d:context()", 1, true))
end)

F.kill_all()
T.done()
