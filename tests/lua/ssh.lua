-- tests/lua/ssh.lua — ssh:// engines (README "ssh://", API.md "Clients"):
-- Debian's sshd on 127.0.0.1 with throwaway keys (_sshd.lua) and the remote
-- `docker system dial-stdio` reaching this machine's engine. Covered: bad URLs
-- (password never shown, query, fragment, empty host, leading '-', control
-- characters) on connect("…"), connect{host=} and DOCKER_HOST; the tutorial
-- example over DOCKER_HOST=ssh://…; a follow stream; exec with stdin and its
-- end-of-file (a hijacked connection); a socket path in the URL (and a wrong
-- one, with the remote docker's own words); an unknown host key and a refused
-- key (ssh's stderr in a `connection` error, no prompt, no hang); sshd killed
-- mid-stream (the stream ends with an error); one ssh per connection, reused,
-- never shared between clients; README's ControlMaster advice; parallel calls;
-- no ssh on PATH; and no ssh left after close, at the end of a script, on
-- SIGINT (Ctrl-C), SIGTERM and SIGKILL of the script. Containers carry a test
-- label and are removed at the end; sshd is killed at the end (and by a
-- watchdog if this process dies).
local T = require "testlib"
local S = require "_sshd"
local docker = require "luadock"
local core = require "luadock.core"

local SRC = os.getenv("LUADOCK_SOURCE_DIR") or "."
local BIN = (os.getenv("LUADOCK_BINARY_DIR") or (SRC .. "/build")) .. "/luadock"
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local TESTLABEL = "luadock.test.ssh"
local TICKER = "sh -c 'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done'"

local tmp = T.tmpdir()
-- The engine under test: DOCKER_HOST's socket (another engine's, in a run
-- against a second engine), reached over ssh with that path in the URL, since
-- the remote `docker` does not see our environment.
local SOCKET = "/var/run/docker.sock"
do
  local dh = os.getenv("DOCKER_HOST")
  local path = dh and dh:match("^unix://(/.+)$")
  if path then
    SOCKET = path
  elseif dh and dh ~= "" then
    print("# DOCKER_HOST=" .. dh .. " is not a unix socket: these tests use the engine at " .. SOCKET)
  end
end
local SUFFIX = SOCKET == "/var/run/docker.sock" and "" or SOCKET
local local_d = docker.connect("unix://" .. SOCKET)   -- the engine's own socket, for checks

-- ---- bad URLs (no server needed) ---------------------------------------------

T.test("bad ssh URLs: a clear argument error naming connect and host", function()
  local cases = {
    { "ssh://me:s3cret@host", "plain%-text password is not supported" },
    { "ssh://host?x=1", "query parameters are not allowed" },
    { "ssh://host#frag", "fragments are not allowed" },
    { "ssh://", "hostname is empty" },
    { "ssh://me@/var/run/docker.sock", "hostname is empty" },
    { "ssh://-oProxyCommand=touch", "may not start with '%-'" },
    { "ssh://ho\tst", "invalid control character" },
    { "ssh://host:99999", "invalid port" },
  }
  for _, k in ipairs(cases) do
    local spec, why = k[1], k[2]
    local ok, e = pcall(docker.connect, spec)
    T.ok(not ok, spec .. " accepted")
    e = tostring(e)
    T.ok(e:find("'connect'", 1, true) and e:find("bad host", 1, true), spec .. ": " .. e)
    T.ok(e:find(why), spec .. ": " .. e)
    T.ok(not e:find("s3cret", 1, true), "the password is shown: " .. e)
    ok, e = pcall(docker.connect, { host = spec })
    e = tostring(e)
    T.ok(not ok and e:find("'connect'", 1, true) and e:find("field 'host'", 1, true), spec .. ": " .. e)
    T.ok(e:find(why) and not e:find("s3cret", 1, true), spec .. ": " .. e)
    -- the low-level layer: nil, message, "ARG"
    local r, msg, code = core.new { host = spec }
    T.eq(r, nil, spec)
    T.eq(code, "ARG", spec)
    T.ok(msg:find(why) and msg:find("DOCKER_HOST", 1, true) and not msg:find("s3cret", 1, true), msg)
  end
  -- from DOCKER_HOST, the module's default client says the same
  local out, ok = T.sh("DOCKER_HOST='ssh://me:s3cret@host' timeout -s KILL 20 " .. T.q(BIN)
    .. " -e 'docker.ping()' 2>&1")
  T.ok(not ok, "exits non-zero: " .. out)
  T.ok(out:find("plain-text password is not supported", 1, true) and out:find("DOCKER_HOST", 1, true), out)
  T.ok(not out:find("s3cret", 1, true), "the password is shown: " .. out)
end)

T.test("parse_host: the parts of an ssh URL", function()
  T.eq(core.parse_host("ssh://deploy@web1:2222/run/user/1000/docker.sock"), {
    kind = "ssh", normalized = "ssh://deploy@web1:2222/run/user/1000/docker.sock", user = "deploy",
    hostname = "web1", port = 2222, socket_path = "/run/user/1000/docker.sock" })
  T.eq(core.parse_host("ssh://web1"), { kind = "ssh", normalized = "ssh://web1", user = "",
    hostname = "web1", port = 0, socket_path = "" })
end)

-- ---- a server ----------------------------------------------------------------

local ok_start, srv = pcall(S.start, tmp)
if not ok_start then
  print("not ok - sshd: " .. tostring(srv))
  pcall(local_d.cleanup, local_d, {})
  error("sshd could not start, so nothing over ssh was tested: " .. tostring(srv), 0)
end
local HOST = "ssh://" .. srv.alias .. SUFFIX
local REMOTE = SUFFIX == "" and "docker system dial-stdio"
  or "docker '--host=unix://" .. SOCKET .. "' system dial-stdio"

local function ssh_count()
  local n = 0
  for _ in S.ssh_processes(srv):gmatch("[^\n]+") do n = n + 1 end
  return n
end

local function wait_no_ssh(what, seconds)
  local ok = pcall(T.wait_until, function() return ssh_count() == 0 end, seconds or 5, what)
  T.ok(ok, what .. ": ssh processes left:\n" .. S.ssh_processes(srv))
end

local function ticker(d, case)
  return d:run{ image = T.image, cmd = TICKER, name = "ld-ssh-" .. RUN .. "-" .. case, detach = true,
                stop_timeout = 1, labels = { [TESTLABEL] = RUN } }
end

T.test("ping, version and host over ssh://; one ssh per connection, reused", function()
  local d <close> = docker.connect(HOST)
  T.eq(d:host(), HOST)
  T.eq(d:ping(), true)
  T.eq(d:version().ApiVersion, local_d:version().ApiVersion, "the same engine")
  T.eq(ssh_count(), 1, "one connection, one ssh:\n" .. S.ssh_processes(srv))
  local line = S.ssh_processes(srv)
  T.ok(line:find("ssh -o ConnectTimeout=30 -T -- " .. srv.alias .. " " .. REMOTE, 1, true),
       "the docker CLI's command line: " .. line)
  for _ = 1, 5 do d:ping() end
  d:info()
  T.eq(ssh_count(), 1, "later calls reuse the connection")
  -- a second client never shares the first one's connection
  local d2 <close> = docker.connect{ host = HOST }
  T.eq(d2:ping(), true)
  T.eq(ssh_count(), 2, "each client its own ssh:\n" .. S.ssh_processes(srv))
  d2:close()
  T.eq(ssh_count(), 1, "the second client's ssh is reaped on close")
  d:close()
  T.eq(ssh_count(), 0, "no ssh after close")
end)

T.test("parallel calls over one ssh client: several ssh, all reaped on close", function()
  local d <close> = docker.connect(HOST)
  local c <close> = ticker(d, "parallel")
  local fns = {}
  for i = 1, 4 do
    fns[i] = function()
      local r = c:exec{ cmd = "sh -c 'sleep 2; echo " .. i .. "'" }
      return r.stdout
    end
  end
  local t0 = docker.clock()
  local r = { docker.parallel(fns) }
  T.eq(r, { "1\n", "2\n", "3\n", "4\n" })
  T.ok(docker.clock() - t0 < 7, "they overlapped (one after another: 8 s): " .. (docker.clock() - t0) .. " s")
  T.ok(ssh_count() >= 1, "the client keeps a connection")
  c:remove{ force = true }
  d:close()
  T.eq(ssh_count(), 0, "no ssh after close:\n" .. S.ssh_processes(srv))
end)

T.test("README's ControlMaster advice: connections share one ssh login", function()
  local function sessions()   -- sshd's per-login processes
    local n = 0
    for _ in T.sh("pgrep -P " .. srv.pid):gmatch("%d+") do n = n + 1 end
    return n
  end
  T.wait_until(function() return sessions() == 0 end, 10, "earlier logins to end")
  local d1 <close> = docker.connect("ssh://" .. srv.shared_alias .. SUFFIX)
  local d2 <close> = docker.connect("ssh://" .. srv.shared_alias .. SUFFIX)
  T.eq(d1:ping(), true)
  T.eq(d2:version().ApiVersion, local_d:version().ApiVersion)
  local c <close> = ticker(d1, "shared")
  T.eq(d2:container(c.id):exec{ cmd = "cat", stdin = "shared\n" }.stdout, "shared\n")
  T.eq(sessions(), 1, "one login for both clients")
  c:remove{ force = true }
  d1:close()
  d2:close()
  T.eq(ssh_count(), 0, "the clients' ssh processes are gone (the master stays by design)")
  local out, ok = T.sh("ssh -O exit " .. srv.shared_alias .. " 2>&1 </dev/null")
  T.ok(ok, "the master was there: " .. out)
end)

T.test("no ssh on PATH: a clear connection error", function()
  local out, ok = T.sh("DOCKER_HOST=" .. T.q(HOST) .. " timeout -s KILL 20 env PATH=/nonexistent "
    .. T.q(BIN) .. " -e 'local ok, e = pcall(docker.ping); print(e.kind); error(e)' 2>&1")
  T.ok(not ok, out)
  T.ok(out:find("^connection\n"), "kind connection: " .. out)
  T.ok(out:find("cannot run ssh", 1, true) and out:find(HOST, 1, true), out)
end)

T.test("the tutorial example over DOCKER_HOST=ssh://…", function()
  if T.engine_netns then
    -- step 7 fetches a published port, which lives in the engine's namespace,
    -- while sshd listens on the host's loopback: no one network has both
    return T.not_here("the tutorial over ssh", "its published port is in the engine's network "
      .. "namespace and this test's sshd on the host's 127.0.0.1")
  end
  local out, ok, code = T.sh("cd " .. T.q(SRC) .. " && DOCKER_HOST=" .. T.q(HOST)
    .. " timeout -s KILL 180 " .. T.q(BIN) .. " examples/tutorial.lua 2>&1")
  T.ok(ok, "the tutorial failed over ssh (exit " .. tostring(code) .. "):\n" .. out)
  T.ok(out:find("\nDone.\n", 1, true), "no Done.:\n" .. out)
  wait_no_ssh("after the tutorial")
end)

T.test("a follow stream over ssh; break closes it and its ssh", function()
  local d <close> = docker.connect(HOST)
  local c <close> = ticker(d, "follow")
  local n = 0
  for stream, line in c:lines{ follow = true, tail = 0 } do
    T.eq(stream, "stdout")
    T.ok(line:match("^tick%d+$"), "line: " .. T.show(line))
    n = n + 1
    if n == 5 then break end
  end
  T.eq(n, 5)
  T.ok(ssh_count() <= 1, "the stream's ssh is gone after break:\n" .. S.ssh_processes(srv))
  T.eq(d:ping(), true, "the client still works")
  c:remove{ force = true }
  d:close()
  T.eq(ssh_count(), 0, "no ssh after close")
end)

T.test("exec with stdin over ssh (hijacked connection, end-of-file)", function()
  local d <close> = docker.connect(HOST)
  local c <close> = ticker(d, "exec")
  local r = c:exec{ cmd = "cat", stdin = "hello\nover ssh\n" }
  T.eq(r.exit_code, 0)
  T.eq(r.stdout, "hello\nover ssh\n", "cat saw end-of-file and echoed")
  local data = {}
  for i = 0, 255 do data[#data + 1] = string.char(i) end
  data = string.rep(table.concat(data), 400)   -- 100 KB, every byte value
  r = c:exec{ cmd = "cat", stdin = data }
  T.eq(#r.stdout, #data)
  T.ok(r.stdout == data, "100 KB round-trips")
  r = c:exec{ cmd = "wc -c", stdin = "" }
  T.eq(r.stdout:match("%d+"), "0", "empty stdin is an immediate end-of-file")
  c:remove{ force = true }
  d:close()
  T.eq(ssh_count(), 0, "no ssh after close")
end)

T.test("a socket path in the URL: docker --host=unix://<path> on the remote", function()
  local d <close> = docker.connect("ssh://" .. srv.alias .. SOCKET)
  T.eq(d:ping(), true)
  local line = S.ssh_processes(srv)
  T.ok(line:find("docker '--host=unix://" .. SOCKET .. "' system dial-stdio", 1, true), line)
  d:close()
  -- a wrong path: the remote docker's own words, kind connection
  local bad <close> = docker.connect("ssh://" .. srv.alias .. "/nonexistent/luadock.sock")
  local t0 = docker.clock()
  local ok, e = pcall(bad.ping, bad)
  T.ok(not ok, "a wrong socket path answered")
  T.eq(e.kind, "connection", tostring(e))
  T.ok(tostring(e):find("/nonexistent/luadock.sock", 1, true), tostring(e))
  T.ok(docker.clock() - t0 < 20, "took " .. (docker.clock() - t0) .. " s")
  bad:close()
  wait_no_ssh("after a wrong path")
end)

local function failing(alias, expect)
  local d <close> = docker.connect("ssh://" .. alias .. SUFFIX)
  local t0 = docker.clock()
  local ok, e = pcall(d.ping, d)
  local took = docker.clock() - t0
  T.ok(not ok, alias .. " answered")
  T.eq(e.kind, "connection", tostring(e))
  T.ok(tostring(e.message):find(expect, 1, true), "ssh's own words missing: " .. tostring(e))
  T.ok(tostring(e.message):find("ssh://" .. alias, 1, true), "the address is named: " .. tostring(e))
  T.ok(took < 15, "no prompt, no hang: took " .. took .. " s")
  d:close()
  wait_no_ssh("after " .. alias)
end

T.test("an unknown host key: 'Host key verification failed.', no prompt", function()
  failing(srv.unknown_alias, "Host key verification failed.")
  -- and the other calls say the same
  local d <close> = docker.connect("ssh://" .. srv.unknown_alias)
  T.raises_kind(function() d:ps() end, "connection")
  T.raises(function() d:ps() end, "Host key verification failed.")
  -- a hijacked connection as the very first (the API version pinned: no ping)
  local cli = assert(core.new { host = "ssh://" .. srv.unknown_alias, api_version = "1.41" })
  local r, msg, code = cli:container_attach("ld-ssh-none", { stream = true, stdin = true }, { stdin = "x" })
  T.eq(r, nil)
  T.eq(code, "CONNECT", msg)
  T.ok(msg:find("Host key verification failed.", 1, true), msg)
  cli:close()
  wait_no_ssh("after a hijacked connection failed")
end)

T.test("a refused key: 'Permission denied (publickey)'", function()
  failing(srv.noauth_alias, "Permission denied (publickey)")
end)

-- Runs `code` in a child luadock against HOST in the background; returns its pid.
local function child(code, log)
  local script = tmp .. "/child-" .. math.random(1, 1e9) .. ".lua"
  local f = assert(io.open(script, "w"))
  f:write(code)
  f:close()
  local out = T.sh("DOCKER_HOST=" .. T.q(HOST) .. " " .. T.q(BIN) .. " " .. T.q(script)
    .. " >" .. T.q(log) .. " 2>&1 </dev/null & echo $!")
  return assert(tonumber(out:match("%d+")), "no pid")
end

local FOLLOWER = [[
local docker = require "luadock"
local c = docker.container(%q)
for _, line in c:lines{ follow = true, tail = 0 } do io.write(line, "\n"); io.flush() end
]]

local function alive(pid) return os.execute("kill -0 " .. pid .. " 2>/dev/null") == true end

T.test("no ssh left when a script ends, on Ctrl-C (SIGINT), SIGTERM and SIGKILL", function()
  local c <close> = ticker(local_d, "script")
  -- a script that ends while a client and an idle connection are open
  local out, ok = T.sh("DOCKER_HOST=" .. T.q(HOST) .. " timeout -s KILL 30 " .. T.q(BIN)
    .. " -e 'assert(docker.ping()); print(#docker.ps())' 2>&1")
  T.ok(ok, out)
  T.eq(ssh_count(), 0, "after a script's end:\n" .. S.ssh_processes(srv))
  for _, sig in ipairs { "INT", "TERM", "KILL" } do   -- Ctrl-C, kill, kill -9
    local log = tmp .. "/follower-" .. sig .. ".log"
    local pid = child(string.format(FOLLOWER, c.id), log)
    T.wait_until(function() return (T.read(log) or ""):find("tick%d+\n") end, 20, "the follower's first line")
    T.ok(ssh_count() >= 1, "the follower holds an ssh")
    os.execute("kill -" .. sig .. " " .. pid)
    T.wait_until(function() return not alive(pid) end, 10, "the follower to end on SIG" .. sig)
    wait_no_ssh("after SIG" .. sig .. " of the script")
  end
  c:remove{ force = true }
end)

T.test("sshd killed mid-stream: the stream ends with an error, not a hang", function()
  local srv2 = S.start(tmp .. "/second")
  local d <close> = docker.connect("ssh://" .. srv2.alias .. SUFFIX)
  local c <close> = ticker(local_d, "killed")
  local remote = d:container(c.id)   -- the same container, seen through ssh
  local got, err = 0, nil
  local t0
  local ok, e = pcall(function()
    for _, line in remote:lines{ follow = true, tail = 0 } do
      T.ok(line:match("^tick%d+$"), line)
      got = got + 1
      if got == 2 then
        S.kill(srv2)
        t0 = docker.clock()
      end
      if got > 200 then break end
    end
  end)
  if not ok then err = e end
  S.stop(srv2)
  T.ok(t0, "the stream never started")
  T.ok(err, "the stream ended without an error after sshd was killed (" .. got .. " lines)")
  T.ok(err.kind == "connection" or err.kind == "truncated", "kind: " .. tostring(err and err.kind) .. " " .. tostring(err))
  T.ok(tostring(err):find("ssh", 1, true), "says ssh: " .. tostring(err))
  T.ok(docker.clock() - t0 < 15, "took " .. (docker.clock() - t0) .. " s")
  d:close()
  local ok2 = pcall(T.wait_until, function()
    return not S.ssh_processes(srv2):find("%S")
  end, 5, "ssh to the killed server")
  T.ok(ok2, "ssh processes left:\n" .. S.ssh_processes(srv2))
  c:remove{ force = true }
end)

T.test("no ssh process is left at the end", function()
  collectgarbage()
  collectgarbage()
  wait_no_ssh("at the end")
end)

S.stop(srv)
for _, c in ipairs(local_d:ps{ all = true, filters = { label = { TESTLABEL .. "=" .. RUN } } }) do
  pcall(c.remove, c, { force = true })
end
T.done()
