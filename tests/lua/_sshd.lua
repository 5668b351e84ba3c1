-- tests/lua/_sshd.lua — a throwaway OpenSSH server on 127.0.0.1 for
-- tests/lua/ssh.lua: its own folder, throwaway host and user keys, a free
-- port, root login by key only, and a watchdog that ends it when the test
-- process goes away. ssh reads the home folder from the password database,
-- not $HOME, so the client settings go into root's ~/.ssh/config through ONE
-- line, `Include /tmp/luadock-ssh-tests/*.conf` (added once, at the top, and
-- harmless when that folder is empty or gone); each run writes its own
-- <alias>.conf there and removes it in stop(). Nothing here talks to another
-- address than 127.0.0.1.
local T = require "testlib"
local core = require "luadock.core"

local M = {}
M.CONF_DIR = "/tmp/luadock-ssh-tests"
M.INCLUDE = "Include " .. M.CONF_DIR .. "/*.conf"

local write = T.write

local function keygen(path)
  local out, ok = T.sh("ssh-keygen -q -t ed25519 -N '' -C luadock-test -f " .. T.q(path) .. " 2>&1")
  assert(ok, "ssh-keygen failed: " .. out)
  return (assert(T.read(path .. ".pub"), "no " .. path .. ".pub"):gsub("%s+$", ""))
end

-- Root's ~/.ssh/config gets the Include line once, before any Host block.
local function ensure_include()
  local home = assert(T.sh("getent passwd root | cut -d: -f6"):match("[^\n]+"), "no home for root")
  local cfg = home .. "/.ssh/config"
  assert(os.execute("mkdir -p -m 700 " .. T.q(home .. "/.ssh")))
  local text = T.read(cfg) or ""
  for line in text:gmatch("[^\n]+") do
    if line == M.INCLUDE then return end
  end
  write(cfg, "# luadock's ssh tests (tests/lua/_sshd.lua); harmless when the folder is gone\n"
    .. M.INCLUDE .. "\n" .. text, "600")
end

-- Host blocks of the client config: name -> { key=, known_hosts= }.
local function client_conf(s, hosts)
  local lines = {}
  for _, h in ipairs(hosts) do
    lines[#lines + 1] = "Host " .. h.alias
    lines[#lines + 1] = "  HostName 127.0.0.1"
    lines[#lines + 1] = "  Port " .. s.port
    lines[#lines + 1] = "  User root"
    lines[#lines + 1] = "  IdentityFile " .. h.key
    lines[#lines + 1] = "  IdentitiesOnly yes"
    lines[#lines + 1] = "  HostKeyAlias " .. s.alias
    lines[#lines + 1] = "  UserKnownHostsFile " .. h.known_hosts
    lines[#lines + 1] = "  GlobalKnownHostsFile /dev/null"
    lines[#lines + 1] = "  LogLevel ERROR"
    if h.shared then   -- README's advice: one login shared by every connection
      lines[#lines + 1] = "  ControlMaster auto"
      lines[#lines + 1] = "  ControlPath " .. s.dir .. "/control-%C"
      lines[#lines + 1] = "  ControlPersist 60"
    end
  end
  return table.concat(lines, "\n") .. "\n"
end

-- Client configs left by test runs that died (the pid in the alias is gone).
local function remove_stale_confs()
  for name in T.sh("ls " .. T.q(M.CONF_DIR) .. " 2>/dev/null"):gmatch("[^\n]+") do
    local pid = name:match("^luadock%-ssh%-(%d+)%-%x+%.conf$")
    if pid and not core.pid_alive(tonumber(pid)) then os.remove(M.CONF_DIR .. "/" .. name) end
  end
end

-- Start sshd in tmp/sshd. Returns a server table: alias (the trusted host
-- alias), unknown_alias (a host key nobody knows), noauth_alias (a key the
-- server does not accept), shared_alias (ControlMaster/ControlPersist),
-- port, dir, pid.
function M.start(tmp)
  local dir = tmp .. "/sshd"
  assert(os.execute("mkdir -p -m 700 " .. T.q(dir) .. " /run/sshd " .. T.q(M.CONF_DIR)))
  remove_stale_confs()
  local s = { dir = dir, port = T.free_port() }
  s.alias = string.format("luadock-ssh-%d-%08x", core.pid(), math.random(0, 0x7fffffff))
  s.unknown_alias = s.alias .. "-unknown"
  s.noauth_alias = s.alias .. "-noauth"
  s.shared_alias = s.alias .. "-shared"
  local host_pub = keygen(dir .. "/host_key")
  local user_pub = keygen(dir .. "/user_key")
  keygen(dir .. "/stranger_key")
  write(dir .. "/authorized_keys", user_pub .. "\n", "600")
  write(dir .. "/known_hosts", s.alias .. " " .. host_pub:match("^(%S+ %S+)") .. "\n")
  write(dir .. "/no_known_hosts", "")
  write(dir .. "/sshd_config", table.concat({
    "Port " .. s.port,
    "ListenAddress 127.0.0.1",
    "HostKey " .. dir .. "/host_key",
    "PidFile " .. dir .. "/sshd.pid",
    "AuthorizedKeysFile " .. dir .. "/authorized_keys",
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "StrictModes no",   -- the test folder lives under /tmp (mode 1777)
    "PrintMotd no",
    "PrintLastLog no",
    "MaxStartups 50",
    "MaxSessions 50",
    "LogLevel ERROR",
  }, "\n") .. "\n")
  s.conf = M.CONF_DIR .. "/" .. s.alias .. ".conf"
  write(s.conf, client_conf(s, {
    { alias = s.alias, key = dir .. "/user_key", known_hosts = dir .. "/known_hosts" },
    { alias = s.unknown_alias, key = dir .. "/user_key", known_hosts = dir .. "/no_known_hosts" },
    { alias = s.noauth_alias, key = dir .. "/stranger_key", known_hosts = dir .. "/known_hosts" },
    { alias = s.shared_alias, key = dir .. "/user_key", known_hosts = dir .. "/known_hosts", shared = true },
  }))
  ensure_include()
  -- The watchdog ends sshd (and its sessions) when this process goes away.
  local cmd = string.format(
    "/usr/sbin/sshd -D -f %s -E %s </dev/null >/dev/null 2>&1 & r=$!; echo $r; "
      .. "( while kill -0 %d 2>/dev/null && kill -0 $r 2>/dev/null; do sleep 1; done; "
      .. "pkill -KILL -P $r 2>/dev/null; kill $r 2>/dev/null ) >/dev/null 2>&1 </dev/null &",
    T.q(dir .. "/sshd_config"), T.q(dir .. "/sshd.log"), core.pid())
  s.pid = tonumber(T.sh(cmd):match("%d+"))
  assert(s.pid, "no pid from: " .. cmd)
  local ok = pcall(T.wait_until, function()
    local _, up = T.sh("ssh -o BatchMode=yes " .. s.alias .. " true </dev/null 2>/dev/null")
    return up
  end, 15, "sshd on 127.0.0.1:" .. s.port)
  if not ok then
    local log = T.read(dir .. "/sshd.log") or ""
    M.stop(s)
    error("sshd did not come up on 127.0.0.1:" .. s.port .. ":\n" .. log, 0)
  end
  return s
end

-- Process ids of pid's descendants (sshd's per-connection processes).
local function descendants(pid, acc)
  acc = acc or {}
  for child in T.sh("pgrep -P " .. pid):gmatch("%d+") do
    acc[#acc + 1] = child
    descendants(child, acc)
  end
  return acc
end

-- Kill sshd and every session it serves at once (SIGKILL: no goodbye to
-- the clients, as when a server dies).
function M.kill(s)
  if not s.pid then return end
  local pids = descendants(s.pid)
  pids[#pids + 1] = tostring(s.pid)
  os.execute("kill -KILL " .. table.concat(pids, " ") .. " 2>/dev/null")
  s.pid = nil
end

-- Kill sshd and remove this run's client config (a shared master first).
function M.stop(s)
  os.execute("ssh -O exit " .. s.shared_alias .. " >/dev/null 2>&1 </dev/null")
  M.kill(s)
  os.remove(s.conf)
end

-- Local ssh processes whose command line names this server's aliases.
function M.ssh_processes(s)
  return (T.sh("pgrep -a -f -- " .. T.q("^ssh .*" .. s.alias)):gsub("%s+$", ""))
end

return M
