-- luadock.image.registry: talking to registries through the engine. d:pull and
-- d:push, the reading of image references (name[:tag][@digest], where the
-- port of a registry host such as 127.0.0.1:5000/x is not a tag), the
-- X-Registry-Auth header (always sent: base64url of the credentials given as
-- `auth`, else of those luadock.credentials finds for the reference's
-- registry in $DOCKER_CONFIG/config.json (credHelpers, credsStore, auths),
-- else of "{}"). The streams are read by luadock.image.progress. Credentials, and
-- the header that carries them, never appear in error messages or argument
-- errors: only the names of fields do.
-- Room image/: images, registries, builds and the progress streams they send;
-- methods go in M.Image / M.Client, merged by luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local errors = require "luadock.base.errors"
local image = require "luadock.image.object"
local progress = require "luadock.image.progress"
local credentials = require "luadock.image.credentials"
argcheck.mark()

local check = errors.check
local M = {}

M.HUB = credentials.HUB
local HUB_ALIASES = keys.set { "docker.io", "index.docker.io", "registry-1.docker.io" }
local ANONYMOUS = "e30="   -- base64url("{}")

-- ---- references -----------------------------------------------------------

-- "host:5000/a/b:tag@sha256:..." -> name, tag (or nil), digest (or nil).
-- A tag is the text after the last ':' when no '/' follows it.
function M.parse_ref(ref)
  local name, digest = ref:match("^(.-)@(.+)$")
  name = name or ref
  local n, tag = name:match("^(.*):([^:/]+)$")
  if n then name = n end
  return name, tag, digest
end

-- The registry a repository name lives on, spelled as config.json keys it:
-- the first path component when it looks like a host (has '.' or ':', or is
-- localhost), otherwise Docker Hub.
function M.registry_of(name)
  local first, rest = name:match("^([^/]+)/(.+)$")
  if first and rest and (first:find("[.:]") or first == "localhost") then
    if HUB_ALIASES[first] then return M.HUB end
    return first
  end
  return M.HUB
end

-- A plausible reference: a name of letters, digits, '.', '_', '-', '/'
-- and a registry's ':port', an optional tag, an optional digest. The engine
-- has the last word; this only keeps garbage from reaching it.
function M.valid_ref(ref)
  local name, tag, digest = M.parse_ref(ref)
  if not name:match("^[%w][%w._/:-]*$") or name:find("[/:]$") or name:find("//", 1, true) then
    return false
  end
  if tag and (#tag > 128 or not tag:match("^[%w_][%w_.-]*$")) then return false end
  if digest and not digest:match("^[%w+._-]+:%x+$") then return false end
  return true
end

-- Checks a reference argument; returns it.
function M.check_ref(fname, n, ref)
  if type(ref) ~= "string" or ref == "" then
    argcheck.argerror(fname, n, nil, "image reference expected, got "
      .. (ref == "" and "empty string" or type(ref)))
  end
  if ref:find("[%s%c]") then
    argcheck.argerror(fname, n, nil, "invalid image reference " .. string.format("%q", (ref:gsub("%c", "?"))))
  end
  if not M.valid_ref(ref) then
    argcheck.argerror(fname, n, nil, "invalid image reference " .. string.format("%q", ref))
  end
  return ref
end

-- ---- credentials ----------------------------------------------------------

-- The stored credentials for a registry (config.json key) as
-- luadock.credentials finds them (credHelpers, credsStore, auths), or nil.
function M.stored_auth(registry)
  return credentials.for_registry(registry)
end

-- Every stored credential, as build's X-Registry-Config wants them
-- ({ [registry] = AuthConfig }), or nil when there are none.
function M.all_stored_auth()
  return credentials.all()
end

local AUTH_FIELDS = keys.set { "username", "password", "serveraddress", "identitytoken", "email" }

-- Checks the `auth` option (nil, false, or a table of strings). The messages
-- name fields and types only, never values.
function M.check_auth(chk, v)
  if v == nil or v == false then return v end
  if type(v) ~= "table" then chk:fail("auth", "table expected, got " .. type(v)) end
  for k, x in pairs(v) do
    if type(k) ~= "string" or not AUTH_FIELDS[k] then
      chk:fail("auth", "unknown field " .. (type(k) == "string" and "'" .. k .. "'" or type(k))
        .. " (username, password, serveraddress, identitytoken)")
    end
    if type(x) ~= "string" then chk:fail("auth", "'" .. k .. "': string expected, got " .. type(x)) end
  end
  if not v.identitytoken and not (v.username and v.password) then
    chk:fail("auth", "username and password, or identitytoken, expected")
  end
  return v
end

-- The X-Registry-Auth header line for a reference: explicit credentials
-- win, `false` means anonymous, nil looks in config.json.
function M.auth_header(name, auth)
  local a
  if type(auth) == "table" then
    a = {}
    for k, x in pairs(auth) do a[k] = x end
    a.serveraddress = a.serveraddress or M.registry_of(name)
  elseif auth == nil then
    a = M.stored_auth(M.registry_of(name))
  end
  local value = a and core.base64_encode(core.json_encode(a), true) or ANONYMOUS
  return "X-Registry-Auth: " .. value
end

-- ---- pull and push --------------------------------------------------------

local PULL_OPTS = keys.set { "on_progress", "auth", "all_tags", "platform" }
local PUSH_OPTS = keys.set { "on_progress", "auth" }

-- The reference as the docker CLI shows it: ":latest" added when there is
-- neither tag nor digest.
function M.full_ref(ref)
  local _, tag, digest = M.parse_ref(ref)
  if tag or digest then return ref end
  return ref .. ":latest"
end

-- Pull `ref` (":latest" when it has no tag); returns the Image, or with
-- all_tags an array of the repository's Images. A failure raises with the
-- reference in front of the engine's text ("cannot pull image 'x:1': ..."),
-- whose registry URL alone does not tell which pull failed; `context`
-- replaces that lead (run's "Unable to find image 'x:1' locally").
function M.pull(client, ref, spec, fname, context)
  fname = fname or "pull"
  M.check_ref(fname, 1, ref)
  local chk = argcheck.checker(fname, 2)
  spec = chk:opts(spec, true)
  chk:only(spec, PULL_OPTS)
  local on_progress = chk:type("on_progress", spec.on_progress, "function", true)
  local all_tags = chk:type("all_tags", spec.all_tags, "boolean", true)
  local platform = chk:type("platform", spec.platform, "string", true)
  local auth = M.check_auth(chk, spec.auth)
  local name, tag, digest = M.parse_ref(ref)
  if all_tags and (tag or digest) then
    argcheck.argerror(fname, 1, nil, "all_tags = true wants a repository without a tag or digest, got '" .. ref .. "'")
  end
  local q = { fromImage = name, platform = platform }
  if digest then q.tag = digest elseif not all_tags then q.tag = tag or "latest" end
  local cli = client._cli
  local shown = all_tags and name or M.full_ref(ref)
  progress.naming(context or ("cannot pull image '" .. shown .. "'"), shown, function()
    local s <close> = progress.open(cli, "image_create", nil, q, { headers = { M.auth_header(name, auth) } })
    progress.drain(s, on_progress or progress.default_handler(), { method = "POST", path = "/images/create" })
  end)
  if all_tags then
    local list = client:images{ filters = { reference = { name } } }
    return list
  end
  local want = digest and (name .. "@" .. digest) or (name .. ":" .. (tag or "latest"))
  return image.from_inspect(client, check(cli:image_inspect(want)), want)
end

-- Push `ref` (":latest" when it has no tag); returns true.
function M.push(client, ref, spec)
  M.check_ref("push", 1, ref)
  local chk = argcheck.checker("push", 2)
  spec = chk:opts(spec, true)
  chk:only(spec, PUSH_OPTS)
  local on_progress = chk:type("on_progress", spec.on_progress, "function", true)
  local auth = M.check_auth(chk, spec.auth)
  local name, tag, digest = M.parse_ref(ref)
  if digest then argcheck.argerror("push", 1, nil, "a digest cannot be pushed; give name:tag, got '" .. ref .. "'") end
  local cli = client._cli
  local where = { method = "POST", path = "/images/" .. name .. "/push" }
  local s <close> = progress.open(cli, "image_push", name, { tag = tag or "latest" },
    { headers = { M.auth_header(name, auth) } })
  progress.drain(s, on_progress or progress.default_handler(), where)
  return true
end

-- Client methods, merged into the class by luadock/init.lua (PARTS)
M.Client = {}
do
  local Client = M.Client
  function Client:pull(ref, spec) return M.pull(self, ref, spec) end
  function Client:push(ref, spec) return M.push(self, ref, spec) end
end

return M
