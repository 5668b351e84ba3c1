-- luadock: what `require "luadock"` returns. It wraps the C module
-- luadock.core into the friendly API of scripts/luadock/API.md: docker.connect and the
-- Client class (system calls here; containers, run, images and cleanup are
-- installed by their own modules), every client method mirrored as a module
-- function on a default client created on first use (docker.ps()), and the
-- small utilities docker.clock, docker.sleep, docker.pp, docker.Error,
-- docker.is_error, docker.VERSION. Engine failures raise docker.Error values;
-- wrong arguments raise ordinary errors. No URL or HTTP logic belongs here.

local core = require "luadock.core"
local util = require "luadock.util"
local errors = require "luadock.errors"
local session = require "luadock.session"
local container = require "luadock.container"
local image = require "luadock.image"
local registry = require "luadock.registry"
local build = require "luadock.build"
local run = require "luadock.run"
local cleanup = require "luadock.cleanup"
local exec = require "luadock.exec"
local volume = require "luadock.volume"
local network = require "luadock.network"
local events = require "luadock.events"
require "luadock.attach"   -- Container:attach, Container:stats
require "luadock.commit"   -- Container:commit
require "luadock.archive"  -- Container:put_archive, get_archive, copy_in, copy_out
util.mark()

local check = errors.check
local M = {}

-- SIGINT/SIGTERM become a Lua error that lets shielded clean-up finish
-- (bindings/lsignal.c); the host does this itself, stock lua5.4 needs it here.
core.catch_interrupts()

M.VERSION = core.VERSION
M.Error = errors.Error
M.is_error = errors.is_error
M.Container = container.Container
M.Image = image.Image
M.Volume = volume.Volume
M.Network = network.Network
M.session = session.id   -- this process's luadock.session label value
M.core = core
-- help(docker.run), help "run": the host makes it the global `help` too
-- loaded on first use: the topic texts are large and most scripts never ask
function M.help(...) return require("luadock.help").help(...) end
-- docker.pp(v): the REPL's printer for scripts (luadock.pretty)
M.pp = require("luadock.pretty").pp

function M.clock()
  return core.clock()
end

function M.sleep(seconds)
  if type(seconds) ~= "number" or seconds ~= seconds or seconds < 0 then
    util.argerror("sleep", 1, nil, "non-negative number expected, got "
      .. (type(seconds) == "number" and tostring(seconds) or type(seconds)))
  end
  return require("luadock.loop").sleep(seconds)
end

-- docker.parallel(fns, { max = 8 }): see luadock.parallel
function M.parallel(fns, opts)
  return require("luadock.parallel").parallel(fns, opts)
end

-- ---- the Client class -------------------------------------------------------

local Client = {}
Client.__index = Client
Client.__name = "luadock.Client"
M.Client = Client

function Client.__tostring(c)
  return "luadock.Client: " .. tostring(c._host)
end

function Client.__close(c)
  c._cli:close()
end

function Client:ping()
  check(self._cli:system_ping())
  return true
end

function Client:version()
  return check(self._cli:system_version())
end

function Client:info()
  return check(self._cli:system_info())
end

function Client:df()
  return check(self._cli:system_data_usage())
end

function Client:api_version()
  return check(self._cli:api_version())
end

function Client:host()
  return self._host
end

function Client:close()
  self._cli:close()
end

container.install(Client)
run.install(Client)
image.install(Client)
registry.install(Client)
build.install(Client)
cleanup.install(Client)
exec.install(Client)
volume.install(Client)
network.install(Client)
events.install(Client)
require("luadock.backup").install(Client)   -- Client:backup, Client:restore

-- ---- connecting ---------------------------------------------------------------

local CONNECT_OPTS = util.set { "host", "timeout", "api_version", "tls" }

-- docker.connect(), docker.connect("unix:///path"), docker.connect{ host=,
-- timeout=, api_version=, tls= }. DOCKER_HOST and DOCKER_API_VERSION are
-- honoured by core when the call does not say otherwise.
-- An address as messages show it: a password in an ssh:// URL (refused) is
-- replaced, so it never reaches an error message or a log.
local function shown_host(spec)
  return (spec:gsub("^(%s*ssh://[^/?#@]-:)[^/?#]*@", "%1xxxxx@"))
end

function M.connect(spec)
  local chk = util.checker("connect", 1)
  local o = {}
  if type(spec) == "string" then
    local ok, msg = core.parse_host(spec)
    if not ok then util.argerror("connect", 1, nil, "bad host '" .. shown_host(spec) .. "': " .. tostring(msg)) end
    o.host = spec
  elseif type(spec) == "table" then
    chk:only(spec, CONNECT_OPTS)
    if spec.tls ~= nil and spec.tls ~= false then chk:fail("tls", "TLS comes in a later release") end
    o.host = chk:type("host", spec.host, "string", true)
    if o.host then
      local ok, msg = core.parse_host(o.host)
      if not ok then chk:fail("host", "bad host '" .. shown_host(o.host) .. "': " .. tostring(msg)) end
    end
    o.timeout = chk:seconds("timeout", spec.timeout)
    if spec.api_version ~= nil then
      local v = chk:type("api_version", spec.api_version, "string")
      if not v:match("^%d+%.%d+$") then chk:fail("api_version", "version like \"1.41\" expected") end
      o.api_version = v
    end
  elseif spec ~= nil then
    util.argerror("connect", 1, nil, "string or table expected, got " .. type(spec))
  end
  local verify = os.getenv("DOCKER_TLS_VERIFY")
  if verify and verify ~= "" then
    -- the docker CLI turns TLS on for any non-empty value; never fall back to plain
    errors.throw("connection", "DOCKER_TLS_VERIFY is set, but TLS comes in a later release of luadock")
  end
  local cli = check(core.new(o))
  return setmetatable({ _cli = cli, _host = cli:host(), _timeout = cli:timeout() }, Client)
end

-- ---- module functions on a default client -------------------------------------

local default

function M.default_client()
  if not default then default = M.connect() end
  return default
end

local NOT_MIRRORED = util.set { "close" }

for name, f in pairs(Client) do
  if type(f) == "function" and not name:match("^_") and not NOT_MIRRORED[name] and M[name] == nil then
    -- docker.ps{} and docker:ps{} both work; tail calls keep error positions
    -- at the caller
    M[name] = function(first, ...)
      if first == M then return f(M.default_client(), ...) end
      return f(M.default_client(), first, ...)
    end
  end
end

return M
