-- luadock.image.progress: reading the JSON progress streams of pull, push, build,
-- import and load, whose failures arrive inside a 200 response as an
-- {"error", "errorDetail"} event. The kind of a registry failure comes from
-- its text (the engine reports most of them as 500s or in the stream), read
-- through core.error_kind: core/error.c decides it, never this module. It must
-- not open requests itself.
-- Room image/: images, registries, builds and the progress streams they send;
-- methods go in M.Image / M.Client, merged by luadock/init.lua (PARTS).

local core = require "luadock.core"
local errors = require "luadock.base.errors"
local argcheck = require "luadock.base.argcheck"
argcheck.mark()

local M = {}

-- The kind core gives the text of a registry call's failure (an error event
-- carries no status): "auth", "not_found" or "server".
function M.kind_of(message)
  return core.error_kind(nil, tostring(message), "registry")
end

-- Raise core's failure of a registry call, with the kind core gives it as one.
function M.raise_core(msg, code, detail)
  local e = errors.from_core(msg, code, detail)
  e.kind = core.error_kind(code, tostring(e.message), "registry")
  errors.raise(e)
end

-- Read a progress stream to its end. Every event but an error goes to
-- on_progress (when given); an error event closes the stream and raises a
-- docker.Error with the engine's message, its kind from classify(message)
-- (default: kind_of(message)). `where` = { method=, path= }.
-- Returns the events' `aux` values in order.
function M.drain(s, on_progress, where, classify)
  local aux = {}
  while true do
    local v, msg, code, detail = s:read()
    if v == nil then
      if msg ~= nil then errors.raise(errors.from_core(msg, code, detail)) end
      return aux
    end
    if type(v) == "table" then
      if v.error ~= nil or v.errorDetail ~= nil then
        local m = type(v.errorDetail) == "table" and v.errorDetail.message or v.error
        m = tostring(m or "the engine reported an error")
        s:close()
        local kind = classify and classify(m) or M.kind_of(m)
        errors.throw(kind, m, { method = where.method, path = where.path })
      end
      if v.aux ~= nil then aux[#aux + 1] = v.aux end
      if on_progress then on_progress(v) end
    end
  end
end

-- The on_progress of a pull, push, build or load that was given none: a
-- luadock.text.progressbar on stdout once the host's REPL has set
-- docker.interactive = true, else nil (scripts stay quiet). The one place
-- that decides it.
function M.default_handler()
  local docker = package.loaded["luadock"]
  if type(docker) ~= "table" or rawget(docker, "interactive") ~= true then return nil end
  return require("luadock.text.progressbar").new{}:handler()
end

-- Run fn(); a docker.Error it raises gets `lead .. ": "` in front of its
-- message and `image = ref`, so a failed pull says which image it was for
-- (the engine's text often names only the registry's URL). The kind stays;
-- a cancel (Ctrl-C) and other errors pass through as they are.
function M.naming(lead, ref, fn)
  local ok, e = pcall(fn)
  if ok then return end
  if errors.is_error(e) and e.kind ~= "canceled" and e.image == nil then
    e.message = lead .. ": " .. tostring(e.message or e.kind)
    e.image = ref
  end
  error(e, 0)
end

-- Open a stream op (cli:opname(...)), raising a registry-aware Error.
function M.open(cli, opname, ...)
  local s, msg, code, detail = cli[opname](cli, ...)
  if s == nil then M.raise_core(msg, code, detail) end
  return s
end

return M
