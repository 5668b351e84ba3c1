-- luadock: what `require "luadock"` returns. It wraps the C module
-- luadock.core into the friendly API of scripts/luadock/API.md: docker.connect
-- (the engine chosen by luadock.client.endpoint), docker.contexts, the five
-- classes, every client method mirrored as a module function on a default
-- client created on first use (docker.ps()), and the small utilities
-- docker.clock, docker.sleep, docker.pp, docker.Error, docker.is_error,
-- docker.VERSION. Engine failures raise docker.Error values; wrong arguments
-- raise ordinary errors. No URL or HTTP logic and no method belongs here:
-- this file only lists (PARTS) which room files give the classes their
-- methods, and merges them. Rooms: base/ (pure helpers), spec/ (option
-- tables to Engine bodies), client/, container/, image/, volume/, network/,
-- backup/ (methods by the object they act on), loop/ (tasks and time, no
-- Docker objects), text/ (what people read; no engine calls).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local errors = require "luadock.base.errors"
local session = require "luadock.base.session"
local classes = require "luadock.base.classes"
argcheck.mark()

local M = {}

-- SIGINT/SIGTERM become a Lua error that lets shielded clean-up finish
-- (bindings/lsignal.c); the host does this itself, stock lua5.4 needs it here.
core.catch_interrupts()

M.VERSION = core.VERSION
M.Error = errors.Error
M.is_error = errors.is_error
M.Client = classes.Client
M.Container = classes.Container
M.Image = classes.Image
M.Volume = classes.Volume
M.Network = classes.Network
M.session = session.id   -- this process's luadock.session label value
M.core = core
-- help(docker.run), help "run": the host makes it the global `help` too
-- loaded on first use: the topic texts are large and most scripts never ask
function M.help(...) return require("luadock.text.help").help(...) end
-- docker.pp(v): the REPL's printer for scripts (luadock.text.pretty), loaded
-- on first use
function M.pp(...) return require("luadock.text.pretty").pp(...) end

function M.clock()
  return core.clock()
end

function M.sleep(seconds)
  if type(seconds) ~= "number" or seconds ~= seconds or seconds < 0 then
    argcheck.argerror("sleep", 1, nil, "non-negative number expected, got "
      .. (type(seconds) == "number" and tostring(seconds) or type(seconds)))
  end
  return require("luadock.loop").sleep(seconds)
end

-- docker.parallel(fns, { max = 8 }): see luadock.loop.parallel
function M.parallel(fns, opts)
  return require("luadock.loop.parallel").parallel(fns, opts)
end

-- ---- the classes: one place says where every method comes from ----------------

-- Each module returns its methods as tables named after the class they extend
-- (M.Client, M.Container, M.Image, M.Volume, M.Network); a method, or a
-- metamethod, may be defined in one module only. A module with `lazy` is
-- loaded on the first call of one of the methods listed there (all of its
-- methods must be listed): it is heavy and most scripts never call it.
local PARTS = {
  { "luadock.client.system" },
  { "luadock.client.events", lazy = { Client = { "events" } } },
  { "luadock.client.cleanup", lazy = { Client = { "cleanup" } } },
  { "luadock.container.object" },
  { "luadock.container.run" },
  { "luadock.container.logs" },
  { "luadock.container.exec", lazy = { Container = { "exec" }, Client = { "exec_inspect" } } },
  { "luadock.container.attach", lazy = { Container = { "attach", "stats" } } },
  { "luadock.container.commit", lazy = { Container = { "commit" } } },
  { "luadock.container.archive",
    lazy = { Container = { "put_archive", "get_archive", "copy_in", "copy_out" } } },
  { "luadock.image.object" },
  { "luadock.image.registry", lazy = { Client = { "pull", "push" } } },
  { "luadock.image.build", lazy = { Client = { "build" } } },
  { "luadock.volume.object" },
  { "luadock.network.object" },
  { "luadock.backup", lazy = { Client = { "backup", "restore" } } },
}

local function add(class_name, name, f, from)
  local class = classes[class_name]
  if rawget(class, name) ~= nil then
    error(string.format("luadock: %s.%s defined twice (again in %s)", class_name, name, from), 0)
  end
  class[name] = f
end

-- A lazy module, once loaded, must have exactly the methods PARTS lists for
-- it: one it has beyond those would be missing from its class.
local function load_lazy(part)
  local mod = require(part[1])
  if not part.checked then
    for class_name in pairs(classes) do
      local listed = keys.set(part.lazy[class_name] or {})
      for name in pairs(mod[class_name] or {}) do
        if not listed[name] then
          error(string.format("luadock: %s.%s in %s is missing from its PARTS entry", class_name,
            name, part[1]), 0)
        end
      end
    end
    part.checked = true
  end
  return mod
end

for _, part in ipairs(PARTS) do
  local modname = part[1]
  if part.lazy then
    for class_name, names in pairs(part.lazy) do
      for _, name in ipairs(names) do
        -- a tail call, so argument errors still point at the caller
        add(class_name, name, function(...)
          return load_lazy(part)[class_name][name](...)
        end, modname)
      end
    end
  else
    local mod = require(modname)
    for class_name in pairs(classes) do
      for name, f in pairs(mod[class_name] or {}) do add(class_name, name, f, modname) end
    end
  end
end

local Client = classes.Client

-- ---- connecting ---------------------------------------------------------------

-- docker.connect(), docker.connect("unix:///path"), docker.connect{ host=,
-- context=, timeout=, api_version=, tls= }: luadock.client.endpoint picks the engine
-- as the docker CLI does (DOCKER_HOST, DOCKER_CONTEXT, currentContext, the
-- local socket); core applies DOCKER_HOST, DOCKER_API_VERSION and the DOCKER_TLS*
-- variables when the call and the context leave them open.
function M.connect(spec)
  local r = require("luadock.client.endpoint").resolve(spec, "connect")
  local cli, msg, code, detail = core.new{ host = r.host, tls = r.tls, timeout = r.timeout,
    api_version = r.api_version }
  if not cli then
    local e = errors.from_core(msg, code, detail)
    if r.context and r.context ~= "default" then
      e.message = string.format("context %q: %s", r.context, tostring(e.message))
    end
    errors.raise(e)
  end
  return setmetatable({ _cli = cli, _host = cli:host(), _timeout = cli:timeout(),
    _context = r.context }, Client)
end

-- docker.contexts() -> array of { name=, host=, description=, current= }
function M.contexts(...)
  if select("#", ...) > 0 then argcheck.argerror("contexts", 1, nil, "no arguments expected") end
  return require("luadock.client.endpoint").list()
end

-- ---- module functions on a default client -------------------------------------

local default

function M.default_client()
  if not default then default = M.connect() end
  return default
end

local NOT_MIRRORED = keys.set { "close" }

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
