-- luadock.image.object: the Image class (id, short_id, tags, size, created, labels,
-- attrs; tag, remove, history) and the client methods images, image,
-- import (a root-filesystem tar, from a file or bytes, labelled as luadock's),
-- load and save (`docker save` tars; save streams to a file, never holding
-- the tar in memory) and prune_images. It also holds the one place where
-- run/create get a missing image (pull_for_run, which pulls through
-- luadock.image.registry). No option of a call reaches the engine before the whole
-- call was checked.
-- Room image/: images, registries, builds and the progress streams they send;
-- methods go in M.Image / M.Client, merged by luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local lazy = require "luadock.base.lazy"   -- loaded on first use: start-up speed
local keys = require "luadock.base.keys"
local units = require "luadock.base.units"
local errors = require "luadock.base.errors"
local session = require "luadock.base.session"
local options = lazy "luadock.spec.options"
local convert = lazy "luadock.spec.convert"
local progress = lazy "luadock.image.progress"
local listing = lazy "luadock.text.listing"
argcheck.mark()

local check = errors.check
local M = {}

local class = require("luadock.base.classes").Image   -- the metatable
local Image = {}   -- this file's Image methods, merged into the class by init.lua
M.Image = Image

function Image.__tostring(img)
  local tag = img.tags and img.tags[1] or "<none>"
  return string.format("luadock.Image: %s (%s)", tag, img.short_id or "?")
end

local function tags_of(list)
  local out = {}
  for _, t in ipairs(list or {}) do
    if t ~= "<none>:<none>" then out[#out + 1] = t end
  end
  return out
end

local function base(client, t, ref)
  local hex = (t.Id or ""):gsub("^sha256:", "")
  return setmetatable({
    _client = client, _ref = ref,
    id = t.Id, short_id = hex:sub(1, 12), tags = tags_of(t.RepoTags),
    size = math.tointeger(t.Size) or t.Size, attrs = t,
  }, class)
end

function M.from_list(client, t)
  local img = base(client, t, nil)
  img.created = math.tointeger(t.Created) or t.Created
  img.labels = t.Labels or {}
  return img
end

function M.from_inspect(client, t, ref)
  local img = base(client, t, ref)
  img.created = units.parse_time(t.Created)
  img.labels = (t.Config and t.Config.Labels) or {}
  return img
end

-- Was `name` the image's id (full, "sha256:"-prefixed or a hex prefix)
-- rather than a repo:tag reference?
local function names_id(name, id)
  local n = name:gsub("^sha256:", "")
  local hex = (id or ""):gsub("^sha256:", "")
  return n:match("^%x+$") ~= nil and hex:sub(1, #n) == n
end

function M.inspect(client, name)
  local t = check(client._cli:image_inspect(name))
  return M.from_inspect(client, t, (not names_id(name, t.Id)) and name or nil)
end

local self_check = argcheck.self_checker(class, "img")

-- img:tag("repo", "tag") or img:tag("repo:tag")
function Image:tag(repo, tag)
  local cli = self_check(self, "tag")
  if type(repo) ~= "string" or repo == "" then
    argcheck.argerror("tag", 1, nil, "string expected, got " .. (repo == "" and "empty string" or type(repo)))
  end
  if tag == nil then
    local r, t = repo:match("^(.*):([%w_][%w_.%-]*)$")
    if r and not t:find("/", 1, true) then repo, tag = r, t end
  elseif type(tag) ~= "string" then
    argcheck.argerror("tag", 2, nil, "string expected, got " .. type(tag))
  end
  check(cli:image_tag(self.id, { repo = repo, tag = tag }))
  self.tags[#self.tags + 1] = repo .. ":" .. (tag or "latest")
  return self
end

-- Looked up by repo:tag, this untags that reference (docker rmi repo:tag);
-- looked up by id or listed, it removes the image.
function Image:remove(spec)
  local cli = self_check(self, "remove")
  local chk = argcheck.checker("remove", 1)
  spec = chk:opts(spec, true)
  chk:only(spec, { force = true, noprune = true })
  local q = {
    force = chk:type("force", spec.force, "boolean", true),
    noprune = chk:type("noprune", spec.noprune, "boolean", true),
  }
  local r = check(cli:image_delete(self._ref or self.id, q))
  return type(r) == "table" and r or {}
end

function Image:history()
  local cli = self_check(self, "history")
  return check(cli:image_history(self.id))
end

function Image:reload()
  local cli = self_check(self, "reload")
  local t = check(cli:image_inspect(self.id))
  local fresh = M.from_inspect(self._client, t, self._ref)
  for k, v in pairs(fresh) do self[k] = v end
  return self
end

-- run/create with pull = "always", or "missing" when the engine found no
-- image: pull it (credentials from config.json, like the docker CLI). A
-- failed "missing" pull reads like the CLI's: "Unable to find image 'x:1'
-- locally; pulling it failed: <the engine's reason>".
function M.pull_for_run(client, ref, policy)
  local registry = require("luadock.image.registry")
  local context = policy == "missing"
    and ("Unable to find image '" .. registry.full_ref(ref) .. "' locally; pulling it failed") or nil
  return registry.pull(client, ref, nil, "run", context)
end

-- Dockerfile-style quoting for LABEL keys and values.
local function quote(s)
  return '"' .. s:gsub('[\\"]', "\\%0"):gsub("\n", "\\n") .. '"'
end

local function is_file(path)
  local f = io.open(path, "rb")
  if not f then return false end
  local ok = f:read(0)
  f:close()
  return ok ~= nil
end

-- A tar given as a file path or as bytes: true when it is a path. Raises
-- naming `field` (a short string that is no file was meant as a path: a tar
-- is at least two 512-byte blocks).
local function tar_source(chk, field, source)
  if type(source) ~= "string" or source == "" then
    chk:fail(field, type(source) == "string" and "empty string" or "string expected, got " .. type(source))
  end
  local is_path = #source < 4096 and not source:find("\0", 1, true) and is_file(source)
  if not is_path and #source < 1024 then
    chk:fail(field, "no such file: " .. source:gsub("%c", "?"))
  end
  return is_path
end

-- A checker for a positional argument (no field name in its messages).
local function positional(fname, n)
  return { fail = function(_, _, msg) argcheck.argerror(fname, n, nil, msg) end }
end

local IMPORT_OPTS = keys.set { "source", "repo", "tag", "changes", "labels", "message", "platform" }
local DEFAULT_PATH = "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

-- Client methods, merged into the class by luadock/init.lua (PARTS)
M.Client = {}
do
  local Client = M.Client
  function Client:images(spec)
    local chk = argcheck.checker("images", 1)
    spec = chk:opts(spec, true)
    chk:only(spec, { all = true, filters = true, digests = true })
    local q = {
      all = chk:type("all", spec.all, "boolean", true),
      digests = chk:type("digests", spec.digests, "boolean", true),
      filters = options.filters(chk, spec.filters),
    }
    local out = {}
    for i, t in ipairs(check(self._cli:image_list(q))) do out[i] = M.from_list(self, t) end
    return listing.list(out, "Image")   -- prints as `docker images`
  end

  function Client:image(name)
    if type(name) ~= "string" or name == "" then
      argcheck.argerror("image", 1, nil, "string expected, got " .. (name == "" and "empty string" or type(name)))
    end
    return M.inspect(self, name)
  end

  -- d:import{ source = path_or_tar_bytes, repo=, tag=, changes={...}, labels= }
  function Client:import(spec)
    local chk = argcheck.checker("import", 1)
    spec = chk:opts(spec)
    chk:only(spec, IMPORT_OPTS)
    local source = spec.source
    local is_path = tar_source(chk, "source", source)
    local repo = chk:type("repo", spec.repo, "string", true)
    local tag = chk:type("tag", spec.tag, "string", true)
    if tag and not repo then chk:fail("tag", "needs 'repo'") end
    if tag and not tag:match("^[%w_][%w_.%-]*$") then chk:fail("tag", "invalid tag '" .. tag .. "'") end
    local changes, has_path = core.array {}, false
    if spec.changes ~= nil then
      if type(spec.changes) ~= "table" or not keys.is_array(spec.changes) then
        chk:fail("changes", "array of Dockerfile instructions expected, got " .. type(spec.changes))
      end
      for i, c in ipairs(spec.changes) do
        if type(c) ~= "string" then chk:fail("changes", "item " .. i .. ": string expected, got " .. type(c)) end
        if c:match("^%s*[Ee][Nn][Vv]%s+PATH[%s=]") then has_path = true end
        changes[#changes + 1] = c
      end
    end
    local labels = session.labels(spec.labels ~= nil and convert.label_map(chk, "labels", spec.labels) or nil,
      "image")
    for _, k in ipairs(keys.sorted_keys(labels)) do
      changes[#changes + 1] = "LABEL " .. quote(k) .. "=" .. quote(labels[k])
    end
    if not has_path then changes[#changes + 1] = DEFAULT_PATH end
    local q = {
      fromSrc = "-", repo = repo, tag = tag, changes = changes,
      message = chk:type("message", spec.message, "string", true),
      platform = chk:type("platform", spec.platform, "string", true),
    }

    local s <close> = check(self._cli:image_create(not is_path and source or nil, q,
      is_path and { body_file = source } or nil))
    local last
    while true do
      local v, msg, code, detail = s:read()
      if v == nil then
        if msg ~= nil then errors.raise(errors.from_core(msg, code, detail)) end
        break
      end
      if type(v) == "table" then
        if v.error or v.errorDetail then
          local m = v.error or (v.errorDetail and v.errorDetail.message) or "import failed"
          errors.throw("server", m, { method = "POST", path = "/images/create" })
        end
        if type(v.status) == "string" then last = v.status end
      end
    end
    local id = last and last:match("^%s*(sha256:%x+)%s*$")
    if not id then
      errors.throw("protocol", "import ended without an image id (last status: " .. tostring(last) .. ")",
        { method = "POST", path = "/images/create" })
    end
    local ref = repo and (repo .. ":" .. (tag or "latest")) or nil
    return M.from_inspect(self, check(self._cli:image_inspect(id)), ref)
  end

  -- d:load(path_or_tar_bytes) -> array of the Images the tar held
  function Client:load(source)
    local is_path = tar_source(positional("load", 1), nil, source)
    local s <close> = check(self._cli:image_load(not is_path and source or nil, { quiet = false },
      is_path and { body_file = source } or nil))
    local refs = {}
    local show = progress.default_handler()
    progress.drain(s, function(ev)
      if show then show(ev) end
      local text = type(ev.stream) == "string" and ev.stream or ""
      for line in text:gmatch("[^\n]+") do
        local ref = line:match("^Loaded image: (%S+)%s*$")
        local id = line:match("^Loaded image ID: (%S+)%s*$")
        if ref or id then refs[#refs + 1] = { name = ref or id, ref = ref } end
      end
    end, { method = "POST", path = "/images/load" }, function() return "server" end)
    local out = {}
    for i, r in ipairs(refs) do
      out[i] = M.from_inspect(self, check(self._cli:image_inspect(r.name)), r.ref)
    end
    return out
  end

  -- d:save(name_or_names, path) -> true. The tar streams to a temporary file
  -- next to `path`, renamed over it once complete (removed on failure).
  function Client:save(names, path)
    local list = type(names) == "string" and { names } or names
    if type(list) ~= "table" or #list == 0 or not keys.is_array(list) then
      argcheck.argerror("save", 1, nil, "image name or array of names expected, got "
        .. (type(names) == "table" and "empty or non-array table" or type(names)))
    end
    for i, n in ipairs(list) do
      if type(n) ~= "string" or n == "" or n:find("%c") then
        argcheck.argerror("save", 1, nil, "item " .. i .. ": image name expected, got "
          .. (type(n) == "string" and string.format("%q", (n:gsub("%c", "?"))) or type(n)))
      end
    end
    if type(path) ~= "string" or path == "" then
      argcheck.argerror("save", 2, nil, "file path expected, got " .. (path == "" and "empty string" or type(path)))
    end
    local tmp = path .. ".part-" .. core.random_hex(4)
    local f, ferr = io.open(tmp, "wb")
    if not f then argcheck.argerror("save", 2, nil, "cannot write " .. tostring(ferr)) end
    local ok, err = pcall(function()
      local s <close> = check(self._cli:image_get_all({ names = core.array({ table.unpack(list) }) }))
      while true do
        local what, chunk, code, detail = s:read()
        if what == nil then
          if chunk ~= nil then errors.raise(errors.from_core(chunk, code, detail)) end
          break
        end
        assert(f:write(chunk))
      end
      assert(f:close())
    end)
    if not ok then
      pcall(f.close, f)
      os.remove(tmp)
      error(err, 0)
    end
    local renamed, rerr = os.rename(tmp, path)
    if not renamed then
      os.remove(tmp)
      errors.throw("io", "cannot rename the saved tar to " .. path .. ": " .. tostring(rerr))
    end
    return true
  end

  -- d:prune_images{ dangling = true, filters = } -> { deleted = {ids},
  -- untagged = {refs}, space_reclaimed = bytes }; dangling = false prunes
  -- every unused image that matches the filters, as the engine does.
  function Client:prune_images(spec)
    local chk = argcheck.checker("prune_images", 1)
    spec = chk:opts(spec, true)
    chk:only(spec, { dangling = true, filters = true })
    local dangling = chk:type("dangling", spec.dangling, "boolean", true)
    local filters = options.filters(chk, spec.filters) or {}
    if filters.dangling and dangling ~= nil then
      chk:fail("dangling", "conflicts with filters.dangling")
    end
    if not filters.dangling then
      filters.dangling = core.array { dangling == false and "false" or "true" }
    end
    local r = check(self._cli:image_prune({ filters = filters }))
    local deleted, untagged = {}, {}
    for _, item in ipairs(r.ImagesDeleted or {}) do
      if item.Deleted then deleted[#deleted + 1] = item.Deleted end
      if item.Untagged then untagged[#untagged + 1] = item.Untagged end
    end
    return { deleted = deleted, untagged = untagged, space_reclaimed = r.SpaceReclaimed or 0 }
  end
end

return M
