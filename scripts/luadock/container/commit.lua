-- luadock.container.commit: c:commit{ repo=, tag=, message=, author=, changes=,
-- labels=, pause= } makes an Image from a container's filesystem and config
-- (POST /commit). The image must say it is luadock's (luadock.managed=1,
-- luadock.kind=image and the session labels): the Engine merges the config
-- sent with the commit over the container's own, so sending only Labels
-- keeps the container's Cmd, Env, ... and its other labels, while ours win.
-- A `changes` instruction that would overwrite a luadock.* label is refused.
-- Everything is checked before the engine is called.
-- Room container/: what a Container does and the Client methods that make or
-- list containers; methods go in M.Container / M.Client, merged by
-- luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local errors = require "luadock.base.errors"
local session = require "luadock.base.session"
local classes = require "luadock.base.classes"
local convert = require "luadock.spec.convert"
local image = require "luadock.image.object"
argcheck.mark()

local check = errors.check
local M = {}

local Container = {}   -- Container methods, merged into the class by luadock/init.lua (PARTS)
M.Container = Container

local COMMIT_OPTS = keys.set { "repo", "tag", "message", "author", "changes", "labels", "pause" }

-- The instructions the Engine accepts in `changes` (docker commit --change).
local CHANGE_VERBS = keys.set {
  "CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME",
  "WORKDIR", "HEALTHCHECK", "SHELL",
}

function M.plan(id, spec)
  local chk = argcheck.checker("commit", 1)
  spec = chk:opts(spec, true)
  chk:only(spec, COMMIT_OPTS)
  local repo = chk:type("repo", spec.repo, "string", true)
  if repo == "" then chk:fail("repo", "non-empty string expected") end
  if repo and not repo:match("^[%w][%w_.%-/:]*$") then
    chk:fail("repo", "invalid repository name '" .. repo:gsub("%c", "?") .. "'")
  end
  local tag = chk:type("tag", spec.tag, "string", true)
  if tag and not repo then chk:fail("tag", "needs 'repo'") end
  if tag and not tag:match("^[%w_][%w_.%-]*$") then chk:fail("tag", "invalid tag '" .. tag:gsub("%c", "?") .. "'") end
  local changes
  if spec.changes ~= nil then
    local c = spec.changes
    if type(c) == "string" then c = { c } end
    if type(c) ~= "table" or not keys.is_array(c) then
      chk:fail("changes", "array of Dockerfile instructions expected, got " .. type(spec.changes))
    end
    changes = core.array {}
    for i, line in ipairs(c) do
      if type(line) ~= "string" then chk:fail("changes", "item " .. i .. ": string expected, got " .. type(line)) end
      local verb = line:match("^%s*(%a+)")
      if not verb or not CHANGE_VERBS[verb:upper()] then
        chk:fail("changes", "item " .. i .. ": a Dockerfile instruction (ENV, CMD, LABEL, ...) expected, got '"
          .. line:gsub("%c", "?") .. "'")
      end
      if verb:upper() == "LABEL" and line:find("luadock.", 1, true) then
        chk:fail("changes", "item " .. i .. ": luadock.* labels are luadock's own (use labels = { ... } for yours)")
      end
      changes[#changes + 1] = line
    end
    if #changes == 0 then changes = nil end
  end
  local labels = spec.labels ~= nil and convert.label_map(chk, "labels", spec.labels) or nil
  -- one `changes` value, the instructions a line each: the Engine document declares
  -- `changes` a string, not repeatable, and the engine parses them joined by "\n" anyway
  local q = {
    container = id, repo = repo, tag = tag, changes = changes and table.concat(changes, "\n"),
    comment = chk:type("message", spec.message, "string", true),
    author = chk:type("author", spec.author, "string", true),
    pause = chk:type("pause", spec.pause, "boolean", true),
  }
  return { query = q, body = { Labels = session.labels(labels, "image") },
           ref = repo and (repo .. ":" .. (tag or "latest")) or nil }
end

-- c:commit{...} -> Image (looked up by repo:tag when given, else by id)
function Container:commit(spec)
  if getmetatable(self) ~= classes.Container then
    argcheck.raise("calling 'commit' on bad self (use c:commit(...))")
  end
  local cli = self._client._cli
  local p = M.plan(self.id, spec)
  local r = check(cli:image_commit(p.body, p.query))
  local id = type(r) == "table" and r.Id
  if type(id) ~= "string" or id == "" then
    errors.throw("protocol", "commit answered without an image id", { method = "POST", path = "/commit" })
  end
  return image.from_inspect(self._client, check(cli:image_inspect(id)), p.ref)
end

return M
