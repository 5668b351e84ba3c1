-- luadock.image.credentials (also luadock.credentials): registry credentials the way the docker CLI finds
-- them in $DOCKER_CONFIG/config.json (default ~/.docker): `credHelpers[key]`
-- (a helper per registry) over `credsStore` (the default helper) over
-- `auths[key]`. A helper is the program docker-credential-<name> on PATH,
-- run once per question (`get` with the server URL on stdin, `list`) through
-- core.run_program, without a shell, bounded in time (M.timeout seconds, then
-- killed and reaped) and output (M.max_output bytes). "credentials not found
-- in native keychain", or an answer with empty Username and Secret, means
-- anonymous; any other failure raises a docker.Error of kind "auth" naming
-- the helper and the registry, with the helper's own message (which helpers
-- print on stdout) escaped and cut short. A secret never reaches an error
-- message, a warning or a printed value: output that may hold one is never
-- quoted, and credentials are returned as objects whose tostring (what the
-- REPL and docker.pp show) names the registry and user only. Keys are spelled
-- as the CLI spells them: Docker Hub is https://index.docker.io/v1/, any
-- other registry its bare host[:port].
-- Room image/: images, registries, builds and the progress streams they send;
-- methods go in M.Image / M.Client, merged by luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local trim = require("luadock.base.shell").trim
local errors = require "luadock.base.errors"
local listing = require "luadock.text.listing"
local endpoint = require "luadock.client.endpoint"
argcheck.mark()

local M = {}

M.HUB = "https://index.docker.io/v1/"
M.timeout = 10                 -- seconds a helper may take
M.max_output = 64 * 1024       -- bytes a helper may write (each of stdout, stderr)

local HUB_ALIASES = keys.set { "docker.io", "index.docker.io", "registry-1.docker.io" }
local NOT_FOUND = "credentials not found in native keychain"
local TOKEN_USER = "<token>"
local MESSAGE_MAX = 300        -- characters of a helper's message in an error

-- ---- credentials objects ------------------------------------------------------

-- What the engine's AuthConfig wants (username, password, identitytoken,
-- serveraddress), with a tostring that shows neither password nor token.
local Credentials = { __name = "luadock.credentials" }
Credentials.__index = Credentials

function Credentials.__tostring(c)
  local who = rawget(c, "username") and ("user " .. listing.escape(rawget(c, "username")))
    or (rawget(c, "identitytoken") and "identity token") or "anonymous"
  return "credentials for " .. listing.escape(tostring(rawget(c, "serveraddress"))) .. " (" .. who .. ")"
end

function M.new(fields)
  return setmetatable(fields, Credentials)
end

function M.is_credentials(v)
  return getmetatable(v) == Credentials
end

-- ---- config.json ---------------------------------------------------------------

-- config.json as a table, or {}: a missing or unreadable file means no
-- credentials (the docker CLI only warns; luadock.client.endpoint reads it).
function M.config()
  return (endpoint.config())
end

-- "https://127.0.0.1:5000/v2/" -> "127.0.0.1:5000"; Hub spellings -> HUB.
local function normalize_key(key)
  if key == M.HUB then return M.HUB end
  local host = key:gsub("^%a[%w+.-]*://", ""):gsub("/.*$", "")
  if HUB_ALIASES[host] then return M.HUB end
  return host
end

-- An entry of `auths` as credentials, or nil.
local function from_entry(entry, registry)
  if type(entry) ~= "table" then return nil end
  local out = { serveraddress = registry }
  local found = false
  if type(entry.auth) == "string" and entry.auth ~= "" then
    local plain = core.base64_decode(entry.auth)
    local user, pass = (plain or ""):match("^([^:]*):(.*)$")
    if user then out.username, out.password, found = user, pass, true end
  end
  if type(entry.identitytoken) == "string" and entry.identitytoken ~= "" then
    out.identitytoken, found = entry.identitytoken, true
  end
  return found and M.new(out) or nil
end

-- The `auths` entry for a registry: the exact key, else one that names the
-- same host (a scheme or a path around it).
local function from_auths(auths, registry)
  if type(auths) ~= "table" then return nil end
  local exact = from_entry(auths[registry], registry)
  if exact then return exact end
  for _, key in ipairs(keys.sorted_keys(auths)) do
    if type(key) == "string" and normalize_key(key) == registry then
      local a = from_entry(auths[key], registry)
      if a then return a end
    end
  end
  return nil
end

-- ---- helpers ------------------------------------------------------------------

local function helper_fail(program, registry, what)
  errors.throw("auth", "credential helper " .. program
    .. (registry and (" (registry " .. listing.escape(registry) .. ")") or "") .. ": " .. what,
    { helper = program, registry = registry })
end

-- The program for a helper name from config.json; a name with a '/' would
-- run a program off PATH, so it is refused.
local function program_of(name, field, registry)
  if type(name) ~= "string" or name == "" or name:find("[/%z]") then
    errors.throw("auth", "config.json: " .. field .. " must be a helper name (docker-credential-<name> on PATH), got "
      .. (type(name) == "string" and listing.escape(name, { quote = true }) or type(name)),
      { registry = registry })
  end
  return "docker-credential-" .. name
end

local function looks_like_credentials(text)
  return text:find("Secret", 1, true) or text:find("^[{%[]")
end

-- A helper's failure text, fit for an error: its own message (stdout, else
-- stderr), escaped and cut short; withheld when either output looks like
-- credentials (the message may repeat the secret the other one holds).
local function said(r)
  local out, err = trim(r.stdout), trim(r.stderr)
  local text = out ~= "" and out or err
  if text == "" then return "" end
  if looks_like_credentials(out) or looks_like_credentials(err) then
    return ": (its output is not shown: it may hold credentials)"
  end
  if #text > MESSAGE_MAX then text = text:sub(1, MESSAGE_MAX) .. "…" end
  return ": " .. listing.escape(text)
end

-- Run `program action` with input on stdin; returns the result of a
-- finished run (any exit status).
local function run(program, action, input, registry)
  local r, msg, code = core.run_program({ program, action },
    { input = input, timeout = M.timeout, max_output = M.max_output })
  if not r then
    if code == "CANCELED" then errors.throw("canceled", msg) end
    helper_fail(program, registry, code == "NOT_FOUND" and "executable file not found in $PATH" or tostring(msg))
  end
  if r.timed_out then
    helper_fail(program, registry, string.format("no answer to '%s' within %g s (killed)", action, M.timeout))
  end
  if r.too_large then
    helper_fail(program, registry, string.format("answered '%s' with more than %d bytes (killed)", action, M.max_output))
  end
  return r
end

local function failed(r)
  return r.status ~= 0
end

local function exit_text(r)
  return r.status and ("exit status " .. r.status) or ("killed by signal " .. tostring(r.signal))
end

-- `docker-credential-<name> get` for key: credentials, or nil when the
-- helper has none.
function M.helper_get(program, key)
  local r = run(program, "get", key, key)
  if failed(r) then
    if trim(r.stdout) == NOT_FOUND then return nil end
    helper_fail(program, key, "'get' failed with " .. exit_text(r) .. said(r))
  end
  local answer = core.json_decode(r.stdout)
  local user = type(answer) == "table" and (answer.Username or "")
  local secret = type(answer) == "table" and (answer.Secret or "")
  if type(user) ~= "string" or type(secret) ~= "string" then
    helper_fail(program, key, "'get' answered with something other than {ServerURL, Username, Secret} JSON ("
      .. #r.stdout .. " bytes, not shown)")
  end
  if user == "" and secret == "" then return nil end   -- pass answers so for "none"
  if user == TOKEN_USER then return M.new { identitytoken = secret, serveraddress = key } end
  return M.new { username = user, password = secret, serveraddress = key }
end

-- `docker-credential-<name> list`: { [server URL] = username }.
function M.helper_list(program)
  local r = run(program, "list", "unused", nil)
  if failed(r) then helper_fail(program, nil, "'list' failed with " .. exit_text(r) .. said(r)) end
  local answer = core.json_decode(r.stdout)
  local ok = type(answer) == "table"
  if ok then
    for k, v in pairs(answer) do
      if type(k) ~= "string" or type(v) ~= "string" then ok = false end
    end
  end
  if not ok then
    helper_fail(program, nil, "'list' answered with something other than a JSON object of server URLs ("
      .. #r.stdout .. " bytes, not shown)")
  end
  return answer
end

-- ---- what the CLI would send ------------------------------------------------------

-- The helper program config.json names for a registry key, and the field
-- that named it, or nil.
local function helper_for(cfg, registry)
  if type(cfg.credHelpers) == "table" and cfg.credHelpers[registry] ~= nil then
    local field = "credHelpers[" .. listing.escape(registry, { quote = true }) .. "]"
    return program_of(cfg.credHelpers[registry], field, registry)
  end
  if cfg.credsStore ~= nil and cfg.credsStore ~= "" then
    return program_of(cfg.credsStore, "credsStore", registry)
  end
  return nil
end

-- The credentials for a registry key, or nil (anonymous).
function M.for_registry(registry)
  local cfg = M.config()
  local program = helper_for(cfg, registry)
  if program then return M.helper_get(program, registry) end
  return from_auths(cfg.auths, registry)
end

-- Every credential, as build's X-Registry-Config wants them ({ [key] =
-- credentials }), or nil. As the CLI: with credsStore, what its `list`
-- names (each fetched with `get`), else the `auths` entries; then one `get`
-- per credHelpers key, where a failure is a warning on stderr (naming helper
-- and registry, never a secret) and that registry is left out.
function M.all()
  local cfg = M.config()
  local out = {}
  if cfg.credsStore ~= nil and cfg.credsStore ~= "" then
    local program = program_of(cfg.credsStore, "credsStore", nil)
    for _, key in ipairs(keys.sorted_keys(M.helper_list(program))) do
      local a = M.helper_get(program, key)
      if a then out[key] = a end
    end
  elseif type(cfg.auths) == "table" then
    for _, key in ipairs(keys.sorted_keys(cfg.auths)) do
      local a = type(key) == "string" and from_entry(cfg.auths[key], key)
      if a then out[key] = a end
    end
  end
  if type(cfg.credHelpers) == "table" then
    for _, key in ipairs(keys.sorted_keys(cfg.credHelpers)) do
      if type(key) == "string" then
        local ok, a = pcall(function()
          return M.helper_get(program_of(cfg.credHelpers[key], "credHelpers", key), key)
        end)
        if not ok then
          if errors.is_error(a) and a.kind == "canceled" then error(a, 0) end
          io.stderr:write("luadock: warning: no credentials for build: ", tostring(errors.is_error(a) and a.message or a), "\n")
        else
          out[key] = a   -- the registry's own helper wins, also when it has none
        end
      end
    end
  end
  return next(out) and out or nil
end

return M
