-- luadock.image.build: d:build{ context = dir, ... } -> Image. The context is
-- tarred by core.tar, leaving out what dir/.dockerignore excludes (the
-- Dockerfile and .dockerignore are always sent, as the docker CLI does); the
-- engine builds it (the classic builder on 20.10) while every progress event
-- goes to on_progress; the image id comes from the stream's aux.ID. The image
-- always carries luadock's labels (managed, session, kind=image) besides the
-- caller's. Intermediate containers are removed even when a step fails
-- (forcerm), so a failed build leaves no unlabelled container behind. Every
-- option is checked before anything is read or sent.
-- Room image/: images, registries, builds and the progress streams they send;
-- methods go in M.Image / M.Client, merged by luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local errors = require "luadock.base.errors"
local session = require "luadock.base.session"
local convert = require "luadock.spec.convert"
local image = require "luadock.image.object"
local progress = require "luadock.image.progress"
local registry = require "luadock.image.registry"
local archive = require "luadock.container.archive"
argcheck.mark()

local check = errors.check
local M = {}

local BUILD_OPTS = keys.set {
  "context", "dockerfile", "tag", "buildargs", "labels", "on_progress", "nocache",
  "pull", "target", "network_mode", "platform",
}

local function is_dir(path)
  local f = io.open(path .. "/.", "rb")
  if f then f:close() end
  return f ~= nil
end

local function is_file(path)
  local f = io.open(path, "rb")
  if not f then return false end
  local ok = f:read(0)
  f:close()
  return ok ~= nil
end

local function printable(s)
  return (s:gsub("%c", "?"))
end

-- "a/./b//c/" -> "a/b/c"; nil when it climbs out with "..".
local function clean_rel(path)
  local parts = {}
  for seg in path:gmatch("[^/]+") do
    if seg == ".." then
      if #parts == 0 then return nil end
      parts[#parts] = nil
    elseif seg ~= "." then
      parts[#parts + 1] = seg
    end
  end
  return table.concat(parts, "/")
end

-- The patterns of dir/.dockerignore, read as the docker CLI reads the file
-- (luadock.container.archive's reader; cleaning and '!' are core.tar's).
M.read_dockerignore = archive.read_dockerignore

local function tags_option(chk, v)
  if v == nil then return nil end
  local list = type(v) == "string" and { v } or v
  if type(list) ~= "table" or not keys.is_array(list) or #list == 0 then
    chk:fail("tag", "string or array of strings expected, got " .. type(v))
  end
  local out = core.array {}
  for i, t in ipairs(list) do
    if type(t) ~= "string" or t == "" or t:find("[%s%c]") then
      chk:fail("tag", "item " .. i .. ": image reference expected, got "
        .. (type(t) == "string" and string.format("%q", printable(t)) or type(t)))
    end
    if not registry.valid_ref(t) or t:find("@", 1, true) then
      chk:fail("tag", "invalid tag " .. string.format("%q", t) .. " (repository[:tag] expected)")
    end
    out[#out + 1] = t
  end
  return out
end

-- Checks the options; returns the request parts.
local function plan_of(spec)
  local chk = argcheck.checker("build", 1)
  spec = chk:opts(spec)
  chk:only(spec, BUILD_OPTS)
  local dir = spec.context
  if type(dir) ~= "string" or dir == "" then
    chk:fail("context", "directory path expected, got " .. (dir == "" and "empty string" or type(dir)))
  end
  if dir:find("\0", 1, true) or not is_dir(dir) then
    chk:fail("context", "no such directory: " .. printable(dir))
  end
  dir = dir:gsub("(.)/+$", "%1")

  local dockerfile = chk:type("dockerfile", spec.dockerfile, "string", true) or "Dockerfile"
  local rel = dockerfile
  if rel:sub(1, 1) == "/" then
    local prefix = (dir:sub(1, 1) == "/" and dir or nil)
    if not prefix or rel:sub(1, #prefix + 1) ~= prefix .. "/" then
      chk:fail("dockerfile", "must be inside the context directory (" .. printable(dir) .. "), got "
        .. printable(dockerfile))
    end
    rel = rel:sub(#prefix + 2)
  end
  rel = clean_rel(rel)
  if not rel or rel == "" then
    chk:fail("dockerfile", "must be a file inside the context directory, got " .. printable(dockerfile))
  end
  if not is_file(dir .. "/" .. rel) then
    chk:fail("dockerfile", "no such file in the context: " .. printable(dir .. "/" .. rel))
  end

  local q = {
    dockerfile = rel,
    t = tags_option(chk, spec.tag),
    nocache = chk:type("nocache", spec.nocache, "boolean", true),
    pull = chk:type("pull", spec.pull, "boolean", true),
    target = chk:type("target", spec.target, "string", true),
    networkmode = chk:type("network_mode", spec.network_mode, "string", true),
    platform = chk:type("platform", spec.platform, "string", true),
    rm = true, forcerm = true,
  }
  if spec.buildargs ~= nil then
    local args = convert.string_map(chk, "buildargs", spec.buildargs)
    if next(args) then q.buildargs = args end
  end
  local user = spec.labels ~= nil and convert.label_map(chk, "labels", spec.labels) or nil
  q.labels = core.object(session.labels(user, "image"))
  local on_progress = chk:type("on_progress", spec.on_progress, "function", true)
  return { dir = dir, dockerfile = rel, query = q, on_progress = on_progress }
end

-- The context of `dir` as tar bytes (core.tar), without what .dockerignore
-- excludes but always with the Dockerfile (`dockerfile`, relative to dir)
-- and .dockerignore, which the engine needs to read (it then drops them from
-- what COPY sees when they are ignored, as for the docker CLI).
function M.context_tar(dir, dockerfile)
  local list = M.read_dockerignore(dir)
  if #list > 0 then
    list[#list + 1] = "!.dockerignore"
    list[#list + 1] = "!" .. dockerfile
  end
  local ok, tar, terr = pcall(core.tar, dir, { exclude = list })
  if not ok then
    -- core.tar refused a pattern the way Go's matcher would
    local why = tostring(tar):match("field 'exclude': (.*)%)$") or tostring(tar)
    argcheck.argerror("build", 1, "context", "bad pattern in " .. printable(dir) .. "/.dockerignore: " .. why)
  end
  if not tar then
    errors.throw("io", "cannot read the build context " .. dir .. ": " .. tostring(terr))
  end
  return tar
end

-- The build stream's classic-builder error ("The command '/bin/sh -c false'
-- returned a non-zero code: 1") is the engine's failure: kind "server",
-- unless a registry refused credentials.
local function build_kind(message)
  return core.error_kind(nil, message)
end

function M.build(client, spec)
  local plan = plan_of(spec)
  local tar = M.context_tar(plan.dir, plan.dockerfile)
  local headers = {}
  local stored = registry.all_stored_auth()
  if stored then
    headers[1] = "X-Registry-Config: " .. core.base64_encode(core.json_encode(stored), true)
  end
  local where = { method = "POST", path = "/build" }
  local s <close> = progress.open(client._cli, "image_build", tar, plan.query, { headers = headers })
  tar = nil   -- core copied it: the collector may have it while the build runs
  local built
  local on_progress = plan.on_progress or progress.default_handler()
  local aux = progress.drain(s, function(ev)
    if type(ev.stream) == "string" then
      local id = ev.stream:match("^Successfully built (%x+)")
      if id then built = built or id end
    end
    if on_progress then on_progress(ev) end
  end, where, build_kind)
  for _, a in ipairs(aux) do
    if type(a) == "table" and type(a.ID) == "string" then built = a.ID end
  end
  if not built then
    errors.throw("protocol", "the build ended without an image id", where)
  end
  local ref
  if plan.query.t then
    local name, tag = registry.parse_ref(plan.query.t[1])
    ref = name .. ":" .. (tag or "latest")
  end
  return image.from_inspect(client, check(client._cli:image_inspect(built)), ref)
end

-- Client methods, merged into the class by luadock/init.lua (PARTS)
M.Client = {}
do
  local Client = M.Client
  function Client:build(spec) return M.build(self, spec) end
end

return M
