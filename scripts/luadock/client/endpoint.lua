-- luadock.client.endpoint: which engine docker.connect talks to, decided the way the
-- docker CLI decides it. It checks connect's options (host, context, tls,
-- timeout, api_version), picks the context (an explicit one, else DOCKER_HOST
-- non-empty -> "default", else DOCKER_CONTEXT, else currentContext in
-- $DOCKER_CONFIG/config.json, else "default") and reads a named context from
-- $DOCKER_CONFIG/contexts/meta/<id>/meta.json plus its TLS files in
-- contexts/tls/<id>/docker/ (the CLI's <id> is the sha256 of the name; this
-- module finds a context by the Name inside each meta.json instead, so it
-- needs no hashing of its own). The result is core.new's options: "default"
-- leaves host and TLS to core (DOCKER_HOST and the DOCKER_TLS* rules), a named
-- context gives its own host and TLS (never the environment's). It also lists
-- the contexts (docker.contexts). It reads files only: no engine calls, no
-- writes, and it never parses a host itself (core.parse_host does).
-- Room client/: the Client's methods that belong to no object room, and how a
-- client is made; methods go in M.Client, merged by luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local files = require "luadock.base.files"
local errors = require "luadock.base.errors"
argcheck.mark()

local M = {}

M.DEFAULT_HOST = "unix:///var/run/docker.sock"
M.DEFAULT_TLS_HOST = "tcp://localhost:2376"
M.DEFAULT_DESCRIPTION = "Current DOCKER_HOST based configuration"

-- The CLI treats an empty variable as unset.
local function env(name)
  local v = os.getenv(name)
  if v == "" then return nil end
  return v
end

-- $DOCKER_CONFIG, else ~/.docker (as the CLI's config.Dir).
function M.config_dir()
  return env("DOCKER_CONFIG") or ((env("HOME") or "/root") .. "/.docker")
end

local function meta_dir()
  return M.config_dir() .. "/contexts/meta"
end

function M.tls_dir(id)
  return M.config_dir() .. "/contexts/tls/" .. id .. "/docker"
end

local function io_error(message)
  errors.throw("io", message)
end

-- A JSON file as a Lua value; nil when it does not exist. Anything else that
-- goes wrong raises kind "io" naming the file.
local ENOENT = 2
local function read_json(path, empty_ok)
  local f, msg, code = io.open(path, "rb")
  if not f then
    if code == ENOENT then return nil end
    io_error("cannot read " .. path .. ": " .. tostring(msg))
  end
  local text, rmsg = f:read("a")
  f:close()
  if not text then io_error("cannot read " .. path .. ": " .. tostring(rmsg)) end
  if empty_ok and not text:find("%S") then return {} end
  local v = core.json_decode(text)
  if type(v) ~= "table" then
    io_error(path .. ": malformed JSON (a JSON object expected)")
  end
  return v
end

-- ---- the current context ----------------------------------------------------------

-- As the docker CLI: a config.json that cannot be read or parsed is a
-- warning on stderr (once per process and file), and the defaults apply.
local warned = {}
local function config_warning(path, err)
  if warned[path] then return end
  warned[path] = true
  local why = errors.is_error(err) and err.message or tostring(err)
  io.stderr:write("luadock: warning: error loading config file ", path, ": ", why, "\n")
end

-- $DOCKER_CONFIG/config.json as a table and its path: {} when it is missing
-- or empty (as for the CLI), or cannot be read or parsed (then a warning).
-- The contexts and the registry credentials (luadock.credentials) read it here.
function M.config()
  local path = M.config_dir() .. "/config.json"
  local ok, cfg = pcall(read_json, path, true)
  if not ok then config_warning(path, cfg) return {}, path end
  return cfg or {}, path
end

local function config_current_context()
  local cfg, path = M.config()
  local cur = cfg.currentContext
  if cur == nil or cur == "" then return nil end
  if type(cur) ~= "string" then
    config_warning(path, "currentContext: string expected, got " .. type(cur))
    return nil
  end
  return cur, path
end

-- The context docker.connect() uses and where that came from: "default" for
-- a non-empty DOCKER_HOST ("DOCKER_HOST"), DOCKER_CONTEXT ("DOCKER_CONTEXT"),
-- currentContext (the config.json path), else "default" (nil).
function M.current()
  if env("DOCKER_HOST") then return "default", "DOCKER_HOST" end
  local name = env("DOCKER_CONTEXT")
  if name then return name, "DOCKER_CONTEXT" end
  local cur, path = config_current_context()
  if cur then return cur, path end
  return "default", nil
end

-- ---- reading a context ------------------------------------------------------------

local function field(path, t, key, tname, where)
  local v = t[key]
  if v ~= nil and type(v) ~= tname then
    io_error(path .. ": " .. where .. key .. ": " .. tname .. " expected, got " .. type(v))
  end
  return v
end

-- meta.json's content -> { name=, description=, host=, skip_tls_verify=, error= }
local function parse_meta(meta, path)
  local name = field(path, meta, "Name", "string", "")
  if not name or name == "" then io_error(path .. ": Name: context name expected") end
  local md = field(path, meta, "Metadata", "table", "") or {}
  local eps = field(path, meta, "Endpoints", "table", "") or {}
  local ctx = { name = name, description = field(path, md, "Description", "string", "Metadata.") or "" }
  local ep = field(path, eps, "docker", "table", "Endpoints.")
  if not ep then
    ctx.error = "cannot find docker endpoint in context"
    return ctx
  end
  ctx.host = field(path, ep, "Host", "string", "Endpoints.docker.") or ""
  ctx.skip_tls_verify = field(path, ep, "SkipTLSVerify", "boolean", "Endpoints.docker.") or false
  return ctx
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- Sockets and ssh carry no TLS (the CLI ignores TLS settings for them).
local NO_TLS_SCHEMES = keys.set { "unix", "ssh", "fd", "npipe" }

-- A named context's TLS for core.new: a table of the files it has (ca.pem,
-- cert.pem, key.pem) and verify = not SkipTLSVerify; false (plain) when it
-- has no TLS files and does not skip verification, as the CLI.
local function context_tls(id, ctx)
  local dir = M.tls_dir(id)
  local tls = {}
  for _, key in ipairs { "ca", "cert", "key" } do
    local path = dir .. "/" .. key .. ".pem"
    if exists(path) then tls[key] = path end
  end
  if next(tls) == nil and not ctx.skip_tls_verify then return false end
  tls.verify = not ctx.skip_tls_verify
  return tls
end

local function describe_source(source)
  if source == nil then return "" end
  return " (from " .. source .. ")"
end

-- The meta.json whose Name is `name`: its folder id, path and parsed
-- content. Files that cannot be read do not stop the search (another
-- context may be broken); if `name` is not found, the first of them is
-- raised (it may have been this one), else not_found.
local function find(name, source)
  local broken
  for _, id in ipairs(files.list_dir(meta_dir())) do
    local path = meta_dir() .. "/" .. id .. "/meta.json"
    local ok, meta = pcall(read_json, path)
    local ok2, ctx = ok, nil
    if ok and meta then ok2, ctx = pcall(parse_meta, meta, path) end
    if not ok2 then
      broken = broken or (ok and ctx or meta)
    elseif ctx and ctx.name == name then
      return id, path, ctx
    end
  end
  local where = string.format("context %q%s: ", name, describe_source(source))
  if broken then
    io_error(where .. "not found among the readable contexts, and "
      .. tostring(errors.is_error(broken) and broken.message or broken))
  end
  errors.throw("not_found", where .. "context not found in " .. meta_dir())
end

-- A named context -> { name=, description=, host=, tls=, meta= }. Raises
-- not_found for an unknown context, io for a broken one.
function M.load(name, source)
  local id, path, ctx = find(name, source)
  if ctx.error then
    io_error(string.format("context %q%s: %s (%s)", name, describe_source(source), ctx.error, path))
  end
  local host, tls = ctx.host, context_tls(id, ctx)
  local scheme = host:match("^([%a][%w+.-]*)://")
  if scheme and NO_TLS_SCHEMES[scheme] then
    tls = false
  elseif host == "" then
    -- no Host in the context: the CLI's default address (2376 when TLS is on)
    host = tls and M.DEFAULT_TLS_HOST or M.DEFAULT_HOST
  end
  return { name = name, description = ctx.description, host = host, tls = tls, meta = path }
end

-- ---- connect's options ------------------------------------------------------------

local CONNECT_OPTS = keys.set { "host", "context", "timeout", "api_version", "tls" }
local TLS_OPTS = keys.set { "ca", "cert", "key", "verify" }

-- The tls option: nil (the environment's rules), false (plain) or
-- { ca=, cert=, key=, verify= } (paths; verify defaults to true).
local function check_tls(chk, tls)
  if tls == nil or tls == false then return tls end
  if type(tls) ~= "table" then
    chk:fail("tls", "false or a table { ca=, cert=, key=, verify= } expected, got " .. type(tls))
  end
  for k in pairs(tls) do
    if type(k) ~= "string" or not TLS_OPTS[k] then
      chk:fail("tls." .. tostring(k), "unknown option (tls takes ca, cert, key, verify)")
    end
  end
  local out = {}
  for _, key in ipairs { "ca", "cert", "key" } do
    local v = chk:type("tls." .. key, tls[key], "string", true)
    if v == "" then chk:fail("tls." .. key, "a file path expected, got an empty string") end
    out[key] = v
  end
  if (out.cert == nil) ~= (out.key == nil) then
    chk:fail(out.cert and "tls.key" or "tls.cert", "cert and key are given together (a client certificate needs its key)")
  end
  out.verify = chk:type("tls.verify", tls.verify, "boolean", true) ~= false
  return out
end

-- An address as messages show it: a password in an ssh:// URL (refused) is
-- replaced, so it never reaches an error message or a log.
local function shown_host(spec)
  return (spec:gsub("^(%s*ssh://[^:@/]*:).*@", "%1xxxxx@"))   -- to the last '@'
end

local function check_host(chk, host, as_field)
  local ok, msg = core.parse_host(host)
  if not ok then
    local text = "bad host '" .. shown_host(host) .. "': " .. tostring(msg)
    if as_field then chk:fail("host", text) end
    argcheck.argerror(chk.fname, chk.n, nil, text)
  end
  return host
end

-- connect's argument (nil, a host string or an options table), checked.
function M.options(spec, fname)
  local chk = argcheck.checker(fname or "connect", 1)
  if spec == nil then return {} end
  if type(spec) == "string" then return { host = check_host(chk, spec, false) } end
  if type(spec) ~= "table" then
    argcheck.argerror(chk.fname, 1, nil, "string or table expected, got " .. type(spec))
  end
  chk:only(spec, CONNECT_OPTS)
  local o = {}
  o.host = chk:type("host", spec.host, "string", true)
  if o.host then check_host(chk, o.host, true) end
  o.context = chk:type("context", spec.context, "string", true)
  if o.context then
    if o.context == "" then chk:fail("context", "a context name expected, got an empty string") end
    if o.host then chk:fail("context", "context and host cannot be used together (a context names its host)") end
    if spec.tls ~= nil then chk:fail("context", "context and tls cannot be used together (a context has its own TLS files)") end
  end
  o.tls = check_tls(chk, spec.tls)
  o.timeout = chk:seconds("timeout", spec.timeout)
  if spec.api_version ~= nil then
    local v = chk:type("api_version", spec.api_version, "string")
    if not v:match("^%d+%.%d+$") then chk:fail("api_version", "version like \"1.41\" expected") end
    o.api_version = v
  end
  return o
end

-- resolve(spec) -> { context=, source=, host=, tls=, timeout=, api_version= }:
-- what docker.connect(spec) connects to. context is nil for an explicit host;
-- host nil and tls nil leave the choice to core (DOCKER_HOST, DOCKER_TLS*).
-- source says why this context: "argument", "DOCKER_HOST", "DOCKER_CONTEXT",
-- the config.json path, or nil (nothing set).
function M.resolve(spec, fname)
  local o = M.options(spec, fname)
  local r = { timeout = o.timeout, api_version = o.api_version }
  if o.host then
    r.host, r.tls, r.source = o.host, o.tls, "argument"
    return r
  end
  local name, source
  if o.context then
    name, source = o.context, "argument"
  else
    name, source = M.current()
  end
  r.context, r.source = name, source
  if name == "default" then
    r.tls = o.tls
    return r
  end
  if o.tls ~= nil then
    argcheck.argerror(fname or "connect", 1, "tls", string.format("tls goes with DOCKER_HOST or host; "
      .. "the context %q%s has its own TLS files", name, describe_source(source)))
  end
  local ctx = M.load(name, source ~= "argument" and source or nil)
  r.host, r.tls = ctx.host, ctx.tls
  return r
end

-- ---- listing ---------------------------------------------------------------------

-- The order of `docker context ls`: natural order (runs of digits compare
-- as numbers, digits before other bytes, other bytes by value).
local function natural_less(a, b)
  local i, j = 1, 1
  while i <= #a and j <= #b do
    local ca, cb = a:sub(i, i), b:sub(j, j)
    local da, db = ca:match("%d") ~= nil, cb:match("%d") ~= nil
    if da ~= db then return da end
    if not da then
      if ca ~= cb then return ca < cb end
      i, j = i + 1, j + 1
    else
      local za, na, ea = a:match("^(0*)(%d*)()", i)
      local zb, nb, eb = b:match("^(0*)(%d*)()", j)
      if #na ~= #nb then return #na < #nb end
      if na ~= nb then return na < nb end
      if #za ~= #zb then return #za < #zb end
      i, j = ea, eb
    end
  end
  return #a - i < #b - j
end
M.natural_less = natural_less

-- The "default" context's address as `docker context ls` shows it.
local function default_host()
  local h = env("DOCKER_HOST")
  if h then
    local parsed = core.parse_host(h)
    return parsed and parsed.normalized or h
  end
  if env("DOCKER_TLS_VERIFY") or env("DOCKER_TLS") then return M.DEFAULT_TLS_HOST end
  return M.DEFAULT_HOST
end

-- Every context, "default" included: { name=, host=, description=,
-- current=bool } (plus error= for a context without a docker endpoint, and
-- for a current context, from DOCKER_CONTEXT or config.json, that does not exist).
function M.list()
  local current = M.current()
  local out = { { name = "default", host = default_host(), description = M.DEFAULT_DESCRIPTION,
    current = current == "default" } }
  local dir = meta_dir()
  local found_current = current == "default"
  for _, id in ipairs(files.list_dir(dir)) do
    local path = dir .. "/" .. id .. "/meta.json"
    local meta = read_json(path)
    if meta then
      local ctx = parse_meta(meta, path)
      out[#out + 1] = { name = ctx.name, host = ctx.host or "", description = ctx.description,
        current = ctx.name == current, error = ctx.error }
      found_current = found_current or ctx.name == current
    end
  end
  if not found_current then
    -- a current context that does not exist is shown with its error (docker 28)
    out[#out + 1] = { name = current, host = "", description = "", current = true,
      error = string.format("context %q: context not found", current) }
  end
  table.sort(out, function(x, y) return natural_less(x.name, y.name) end)
  return out
end

return M
