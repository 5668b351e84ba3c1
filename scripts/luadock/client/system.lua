-- luadock.client.system: the Client's own methods, the ones about the engine
-- and the connection rather than any object in it: ping, version, info, df,
-- api_version, host, context, close, and how a Client prints and closes.
-- Room client/: the Client class's methods that belong to no object room
-- (containers are in container/, images in image/, ...); they are merged into
-- the class by luadock/init.lua (PARTS). Connecting (picking the engine) is
-- luadock.client.endpoint; nothing here builds URLs.

local errors = require "luadock.base.errors"
local argcheck = require "luadock.base.argcheck"
argcheck.mark()

local check = errors.check
local M = {}

-- Client methods, merged into the class by luadock/init.lua (PARTS)
local Client = {}
M.Client = Client

function Client.__tostring(c)
  if c._context and c._context ~= "default" then
    return "luadock.Client: " .. tostring(c._host) .. " (context " .. c._context .. ")"
  end
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

-- The docker CLI context the client came from ("default" for DOCKER_HOST or
-- the local socket), nil when connect was given a host.
function Client:context()
  return self._context
end

function Client:close()
  self._cli:close()
end

return M
