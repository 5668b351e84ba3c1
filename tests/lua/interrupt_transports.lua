-- tests/lua/interrupt_transports.lua — the promises of an interrupted script
-- (README "Promises that hold when a script is interrupted") over TLS and
-- ssh://, not only the local socket: a <close> container, two inside
-- docker.parallel tasks, and a one-shot run with remove = true are each
-- interrupted by SIGINT and by SIGTERM once their containers run, and at a
-- moment of their start-up; afterwards no container of theirs is left, and
-- over ssh no ssh process is left either. The engine is the one under test
-- (DOCKER_HOST: the system's or the second), reached through a socat TLS
-- front (tests/lua/_tls.lua) and a throwaway sshd (tests/lua/_sshd.lua),
-- both on 127.0.0.1; the children are
-- tests/lua/_interrupt_child.lua run by the luadock host with DOCKER_HOST
-- (and the TLS variables) set as a user would.
local T = require "testlib"
local docker = require "luadock"
local tls = require "_tls"
local sshd = require "_sshd"

-- the engine under test, which both fronts reach (the ssh URL names its
-- socket when it is not the default one)
local SOCKET = (os.getenv("DOCKER_HOST") or ""):match("^unix://(/.+)$") or "/var/run/docker.sock"
local ENGINE = "unix://" .. SOCKET
local d = docker.connect{ host = ENGINE }
local BIN = os.getenv("LUADOCK_BINARY_DIR") .. "/luadock"
local CHILD = os.getenv("LUADOCK_SOURCE_DIR") .. "/tests/lua/_interrupt_child.lua"
local L = "luadock.test.it"
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local tmp = T.tmpdir()

local certs = tls.certs(tmp)
local front = tls.front{ certs = certs, verify = true, log_dir = tmp }
local certdir = tmp .. "/docker-certs"
assert(os.execute("mkdir -p " .. T.q(certdir)))
for name, src in pairs { ["ca.pem"] = certs.ca, ["cert.pem"] = certs.client, ["key.pem"] = certs.client_key } do
  assert(os.execute("cp " .. T.q(src) .. " " .. T.q(certdir .. "/" .. name) .. " && chmod 600 "
    .. T.q(certdir .. "/" .. name)))
end
local server = sshd.start(tmp)

local TRANSPORTS = {
  { name = "tls", env = { DOCKER_HOST = "tcp://127.0.0.1:" .. front, DOCKER_TLS_VERIFY = "1",
                          DOCKER_CERT_PATH = certdir } },
  { name = "ssh", env = { DOCKER_HOST = "ssh://" .. server.alias
                          .. (SOCKET ~= "/var/run/docker.sock" and SOCKET or "") } },
}
local OPS = { close = 1, parallel = 2, run_rm = 1 }   -- containers each one holds

local function leftovers(tag)
  return d:containers{ all = true, filters = { label = { L .. "=" .. tag } } }
end

local function running(tag)
  local n = 0
  for _, c in ipairs(leftovers(tag)) do
    if c.state == "running" then n = n + 1 end
  end
  return n
end

-- Starts the child for op over transport t; returns its pid and its log
-- and exit-code files.
local function launch(t, op, tag)
  local vars = { "env -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH -u DOCKER_CONTEXT" }
  for k, v in pairs(t.env) do vars[#vars + 1] = k .. "=" .. T.q(v) end
  local base = tmp .. "/" .. tag
  local child = table.concat(vars, " ") .. " " .. T.q(BIN) .. " " .. T.q(CHILD) .. " " .. op .. " "
    .. tag .. " " .. L
  local script = child .. " >" .. T.q(base .. ".log") .. " 2>&1 & p=$!; echo $p >" .. T.q(base .. ".pid")
    .. "; wait $p; echo $? >" .. T.q(base .. ".rc")
  os.execute("sh -c " .. T.q(script) .. " </dev/null >/dev/null 2>&1 &")
  local pid = T.wait_until(function() return tonumber((T.read(base .. ".pid") or ""):match("%d+")) end,
    10, "the child's pid")
  return pid, base .. ".log", base .. ".rc"
end

-- Interrupt op over t with sig: `when` is "running" (once its containers
-- run) or a number of seconds after the start; then check the promise.
local function case(t, op, sig, when)
  local tag = string.format("%s-%s-%s-%s-%s", RUN, t.name, op, sig, tostring(when))
  local pid, log, rc = launch(t, op, tag)
  T.ok(pid, "the child started")
  if when == "running" then
    T.wait_until(function() return running(tag) == OPS[op] end, 30,
      op .. "'s containers running over " .. t.name)
  else
    docker.sleep(when)
  end
  os.execute("kill -" .. sig .. " " .. pid .. " 2>/dev/null")
  T.wait_until(function() return T.read(rc) ~= nil end, 60, "the child to exit after SIG" .. sig)
  local out = T.read(log) or ""
  T.ok(out:find(sig == "INT" and "interrupted!\n" or "terminated!\n", 1, true) or out:find("done\n", 1, true),
    "the child ended by the signal: " .. out)
  T.wait_until(function() return #leftovers(tag) == 0 end, 15,
    "no container of " .. op .. " left over " .. t.name .. " after SIG" .. sig .. " (" .. out .. ")")
  if t.name == "ssh" then
    T.wait_until(function() return sshd.ssh_processes(server) == "" end, 10,
      "no ssh process left: " .. sshd.ssh_processes(server))
  end
end

for _, t in ipairs(TRANSPORTS) do
  for _, op in ipairs { "close", "parallel", "run_rm" } do
    T.test(string.format("%s: %s interrupted once its containers run (SIGINT, SIGTERM)", t.name, op), function()
      case(t, op, "INT", "running")
      case(t, op, "TERM", "running")
    end)
  end
  T.test(t.name .. ": a <close> container interrupted during its start-up", function()
    for _, at in ipairs { 0.3, 0.6, 0.9 } do case(t, "close", "INT", at) end
  end)
end

T.test("clean-up: nothing of this file is left", function()
  for _, c in ipairs(d:containers{ all = true, filters = { label = { L } } }) do
    if (c.labels or {})[L]:find("^" .. RUN) then c:remove{ force = true } end
  end
end)

tls.stop_all()
sshd.stop(server)
T.done()
