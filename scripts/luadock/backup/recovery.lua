-- luadock.backup.recovery: what a backup killed with kill -9 left stopped is
-- started again. Before docker.backup stops a service it writes down, in a
-- small file under $XDG_STATE_HOME/luadock/backups/ (else
-- ~/.local/state/luadock/backups/), which process it is, which engine, the
-- temporary archive and each container it is about to stop; it deletes the
-- file once every one runs again. A file whose process is gone (the same
-- rules as cleanup{ stale = true }: no such pid, a zombie, or a pid reused by
-- a later process) is recovered by recover(): each container is stopped
-- (which finishes a stop the engine may still be doing) and started, the
-- backup's helper container is removed if it is still there (a kill -9
-- between its create and its start leaves it Created), the temporary archive
-- is removed, one log line says so, and the file goes.
-- Only files of this host and of the client's engine are looked at; a live
-- backup's file is never touched.
-- Room backup/: backup and restore of a service's volumes and the recovery of
-- interrupted ones; composes the other rooms' public methods.

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local files = require "luadock.base.files"
local errors = require "luadock.base.errors"
local session = require "luadock.base.session"
argcheck.mark()

local M = {}

function M.dir()
  return files.state_dir() .. "/backups"
end

-- Fields are tab-separated; values never hold tabs or newlines (names,
-- ids and paths luadock checked), but escape them anyway.
local function clean(s)
  return (tostring(s):gsub("[%c]", "?"))
end

local Record = {}
Record.__index = Record

-- Start a record for a backup of `volume` through client cli, whose
-- temporary archive is `tmp`. Raises kind "io" when the folder cannot be
-- written: a backup that could not be recovered must not stop anything.
function M.begin(cli, volume, tmp)
  local dir = M.dir()
  local ok, msg = core.mkdirs(dir)
  if not ok then errors.throw("io", "backup: cannot create " .. dir .. ": " .. tostring(msg)) end
  local path = string.format("%s/%s.%d.%s.stopped", dir, clean(volume), session.pid, core.random_hex(4))
  local f, err = io.open(path, "w")
  if not f then errors.throw("io", "backup: cannot write " .. path .. ": " .. tostring(err)) end
  f:write("pid\t", session.pid, "\npidstart\t", session.pidstart, "\nhost\t", clean(session.host),
    "\nengine\t", clean(cli:host()), "\nvolume\t", clean(volume), "\ntmp\t", clean(tmp), "\n")
  f:flush()
  return setmetatable({ path = path, file = f }, Record)
end

-- Written (and flushed) before the container is stopped.
function Record:add(id, name)
  self.file:write("container\t", clean(id), "\t", clean(name or id), "\n")
  self.file:flush()
end

-- Written (and flushed) before the helper container is created: a kill -9
-- between its create and its start leaves it Created, where AutoRemove never
-- removes it, so recovery does.
function Record:add_helper(name)
  self.file:write("helper\t", clean(name), "\n")
  self.file:flush()
end

-- Every container runs again: the record goes.
function Record:finish()
  if self.file then self.file:close(); self.file = nil end
  os.remove(self.path)
end

function Record:close()
  if self.file then self.file:close(); self.file = nil end
end

local function read_record(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local r = { path = path, containers = {} }
  for line in f:lines() do
    local key, a, b = line:match("^(%w+)\t([^\t]*)\t?([^\t]*)$")
    if key == "container" then
      r.containers[#r.containers + 1] = { id = a, name = b ~= "" and b or a }
    elseif key then
      r[key] = a
    end
  end
  f:close()
  return r
end

local function records()
  local out = {}
  for _, name in ipairs(files.list_dir(M.dir())) do
    if name:match("%.stopped$") then out[#out + 1] = M.dir() .. "/" .. name end
  end
  table.sort(out)
  return out
end

local function gone(r)
  return session.process_gone(r.host, r.pid, r.pidstart)
end

-- Start again what dead backups of this engine left stopped (only those of
-- `volume` when given). log(line) reports each recovered backup (default:
-- stderr). Returns an array of { volume=, pid=, started = {names…} }. A
-- failure to start one leaves its record for the next try and is raised
-- after the others were tried.
function M.recover(client, volume, log)
  log = log or function(line) io.stderr:write(line, "\n") io.stderr:flush() end
  local cli = client._cli
  local engine = cli:host()
  local done, first_err = {}, nil
  for _, path in ipairs(records()) do
    local r = read_record(path)
    if r and r.engine == engine and (volume == nil or r.volume == volume) and gone(r) then
      local started, failed = {}, false
      for _, c in ipairs(r.containers) do
        local ok, e = pcall(function()
          local info = errors.check_found(cli:container_inspect(c.id))
          if not info then return end                          -- removed meanwhile: nothing to start
          local wait = info.Config and info.Config.StopTimeout or 10
          errors.check_found(cli:container_stop(c.id, { t = wait }, { timeout = client._timeout + wait }))
          errors.check(cli:container_start(c.id))
          started[#started + 1] = c.name
        end)
        if not ok then failed = true; first_err = first_err or e end
      end
      if r.helper then
        -- not_found: it ran and AutoRemove took it, or it was never made
        local ok, e = pcall(function()
          errors.check_found(cli:container_delete(r.helper, { force = true, v = true }))
        end)
        if not ok and not (errors.is_error(e) and errors.removal_underway(e)) then
          failed = true; first_err = first_err or e
        end
      end
      if r.tmp and r.tmp:match("/%.[^/]+%.tar%.gz%.tmp%-%x+$") then os.remove(r.tmp) end
      if not failed then os.remove(path) end
      log(string.format("luadock: the backup of volume '%s' by process %s did not finish (killed); %s",
        r.volume or "?", r.pid or "?", #started > 0 and ("started again: " .. table.concat(started, ", "))
          or "its temporary archive was removed"))
      done[#done + 1] = { volume = r.volume, pid = tonumber(r.pid), started = started }
    end
  end
  if first_err then error(first_err, 0) end
  return done
end

return M
