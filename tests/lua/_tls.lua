-- tests/lua/_tls.lua — throwaway TLS material and TLS endpoints on 127.0.0.1
-- for tests/lua/tls.lua. certs(dir) makes, with `openssl`, a CA, a second
-- unrelated CA, a server certificate for 127.0.0.1/localhost, one for another
-- name, a client certificate and an encrypted key. front{...} starts socat
-- as a TLS endpoint in front of the system engine's socket (or a plain tcp
-- one), registry_tls(...) Debian's docker-registry (a Go TLS server) on a
-- free port; each has a watchdog that ends it when the test process goes
-- away, and stop_all() ends them at the end of the file. Nothing here talks
-- to an address other than 127.0.0.1.
local T = require "testlib"

local M = {}
local pids = {}
-- the engine under test (DOCKER_HOST: the second engine's socket in its run)
local SOCKET = (os.getenv("DOCKER_HOST") or ""):match("^unix://(/.+)$") or "/var/run/docker.sock"

local function sh(cmd)
  local out, ok = T.sh("( " .. cmd .. " ) 2>&1")
  if not ok then error("command failed: " .. cmd .. "\n" .. out, 2) end
  return out
end

local write = T.write

-- Certificates under dir: ca, otherca, server (SAN 127.0.0.1 and localhost),
-- wrongname (SAN elsewhere.example), client; each name.pem with name-key.pem
-- (mode 0600); encrypted-key.pem is client-key.pem under a pass phrase.
function M.certs(dir)
  local function ca(name)
    sh(string.format("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout %s-key.pem "
      .. "-out %s.pem -days 2 -subj /CN=luadock-test-%s", T.q(dir), name, name, name))
  end
  local function signed(name, san, usage)
    write(dir .. "/" .. name .. ".ext", "subjectAltName=" .. san .. "\nextendedKeyUsage=" .. usage .. "\n")
    sh(string.format("cd %s && openssl req -newkey rsa:2048 -nodes -keyout %s-key.pem -out %s.csr "
      .. "-subj /CN=%s && openssl x509 -req -in %s.csr -CA ca.pem -CAkey ca-key.pem "
      .. "-CAcreateserial -out %s.pem -days 2 -extfile %s.ext",
      T.q(dir), name, name, name, name, name, name))
  end
  ca("ca")
  ca("otherca")
  signed("server", "IP:127.0.0.1,DNS:localhost", "serverAuth")
  signed("wrongname", "DNS:elsewhere.example", "serverAuth")
  signed("client", "DNS:client", "clientAuth")
  sh(string.format("cd %s && openssl pkey -in client-key.pem -aes256 -passout pass:luadock "
    .. "-out encrypted-key.pem && chmod 600 *-key.pem encrypted-key.pem", T.q(dir)))
  local p = function(n) return dir .. "/" .. n end
  return {
    dir = dir, ca = p "ca.pem", otherca = p "otherca.pem",
    server = p "server.pem", server_key = p "server-key.pem",
    wrongname = p "wrongname.pem", wrongname_key = p "wrongname-key.pem",
    client = p "client.pem", client_key = p "client-key.pem",
    encrypted_key = p "encrypted-key.pem",
  }
end

-- 1 if something listens on 127.0.0.1:port (from /proc/net/tcp).
local function listening(port)
  local f = io.open("/proc/net/tcp")
  if not f then return false end
  local want = string.format("0100007F:%04X", port)
  for line in f:lines() do
    local localaddr, state = line:match("^%s*%d+:%s+(%x+:%x+)%s+%x+:%x+%s+(%x+)")
    if localaddr == want and state == "0A" then f:close(); return true end
  end
  f:close()
  return false
end

local function spawn(cmd, log)
  local pid = T.spawn(cmd, log)
  pids[#pids + 1] = pid
  return pid
end

-- front{ certs=, cert=, key=, verify=true|false } → port of a socat TLS
-- endpoint before the engine's socket (verify: client certificates signed by
-- the test CA required); front{ plain = true } → a plain tcp one. `-t 10`:
-- after one side ends, output keeps flowing for up to 10 s (socat's default
-- is 0.5 s, which would cut an exec's output after its stdin closed).
function M.front(o)
  local port = T.free_port()
  local listen
  if o.plain then
    listen = string.format("TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork", port)
  else
    listen = string.format("OPENSSL-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork,cert=%s,key=%s,cafile=%s,verify=%d",
      port, o.cert or o.certs.server, o.key or o.certs.server_key, o.certs.ca, o.verify and 1 or 0)
  end
  local log = (o.log_dir or "/tmp") .. "/socat-" .. port .. ".log"
  spawn(string.format("socat -t 10 %s UNIX-CONNECT:%s", T.q(listen), SOCKET), log)
  T.wait_until(function() return listening(port) end, 10, "socat on 127.0.0.1:" .. port)
  return port
end

-- Debian's docker-registry serving TLS with the server certificate: a Go
-- server, which answers a plain HTTP client the way dockerd's TLS port does.
function M.registry_tls(dir, certs)
  local port = T.free_port()
  local cfg = dir .. "/registry.yml"
  write(cfg, table.concat({
    "version: 0.1", "log:", "  level: error", "  accesslog:", "    disabled: true",
    "storage:", "  filesystem:", "    rootdirectory: " .. dir .. "/registry-data",
    "http:", "  addr: 127.0.0.1:" .. port, "  secret: luadock-tls-test",
    "  tls:", "    certificate: " .. certs.server, "    key: " .. certs.server_key,
  }, "\n") .. "\n")
  spawn("docker-registry serve " .. T.q(cfg), dir .. "/registry.log")
  T.wait_until(function() return listening(port) end, 15, "docker-registry on 127.0.0.1:" .. port)
  return port
end

function M.stop_all()
  for _, pid in ipairs(pids) do os.execute("kill " .. pid .. " 2>/dev/null") end
  pids = {}
end

return M
