-- luadock.base.errors: the docker.Error type. Engine and connection failures, which
-- luadock.core reports the Lua way (nil, msg, code, detail), become error
-- values with metatable docker.Error and fields kind, status, message, method,
-- path (plus code, and for kind "exit" the run's exit_code, stdout, stderr).
-- Argument mistakes are not Errors: they are ordinary Lua errors (see luadock.base.argcheck).
-- Kinds are core's (detail.kind, or core.error_kind): this module reads them
-- and never decides one. It must not talk to the engine itself.
-- Room base/: pure helpers every room may use; no engine calls, no client, no
-- Docker objects (luadock.core only for the clock, shields and error kinds).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
argcheck.mark()

local M = {}

local Error = {}
Error.__index = Error
Error.__name = "luadock.Error"

-- "luadock: 404 No such container: web (DELETE /containers/web)"
function Error.__tostring(e)
  local parts = { "luadock: " }
  if e.status then
    parts[#parts + 1] = tostring(e.status) .. " "
  end
  parts[#parts + 1] = tostring(e.message or e.kind or "error")
  if e.method and e.path then
    parts[#parts + 1] = " (" .. e.method .. " " .. e.path .. ")"
  end
  return table.concat(parts)
end

M.Error = Error

function M.new(t)
  return setmetatable(t, Error)
end

function M.is_error(v)
  return getmetatable(v) == Error
end

-- Build an Error from core's failure values.
function M.from_core(msg, code, detail)
  detail = type(detail) == "table" and detail or {}
  local status = detail.status
  if status == nil and math.type(code) == "integer" then status = code end
  return setmetatable({
    kind = detail.kind or core.error_kind(code, msg),
    status = status,
    message = detail.message or msg,
    method = detail.method,
    path = detail.path,
    code = code,
  }, Error)
end

function M.raise(e)
  error(e, 0)
end

-- Pass results through, or raise when core failed: check(cli:op(...)).
function M.check(v, msg, code, detail)
  if v == nil and msg ~= nil then
    error(M.from_core(msg, code, detail), 0)
  end
  return v
end

-- Like check, but a not_found failure returns nil instead of raising.
-- The engine's 409 for a container it is removing already (AutoRemove, or
-- a delete of another caller): for whoever wanted it gone, that is success.
function M.removal_underway(e)
  return e.kind == "conflict" and tostring(e.message):match("already in progress") ~= nil
end

function M.check_found(v, msg, code, detail)
  if v == nil and msg ~= nil then
    local e = M.from_core(msg, code, detail)
    if e.kind == "not_found" then return nil, e end
    error(e, 0)
  end
  return v
end

-- Raise an Error made here (not from core), e.g. a "timeout" of a run.
function M.throw(kind, message, fields)
  local e = fields or {}
  e.kind, e.message = kind, message
  error(setmetatable(e, Error), 0)
end

-- A generic-for iterator over the values of a JSON stream (stats, events):
-- for v in ... do end. The stream is the closing value, so `break` closes it;
-- a stream error raises as a docker.Error.
function M.stream_values(s)
  local function iter()
    local v, msg, code, detail = s:read()
    if v == nil then
      s:close()
      if msg ~= nil then error(M.from_core(msg, code, detail), 0) end
      return nil
    end
    return v
  end
  return iter, nil, nil, s
end

return M
