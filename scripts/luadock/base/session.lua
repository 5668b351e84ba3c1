-- luadock.base.session: who owns what. Every object luadock creates carries
-- luadock.managed=1, luadock.session=<id of this process>, luadock.pid,
-- luadock.host, luadock.pidstart (the creating process's start time from
-- /proc, so a recycled pid is not mistaken for the creator) and luadock.kind
-- (container, image, volume, network: what luadock created it as). The kind
-- matters because a container inherits its image's labels: one made outside
-- luadock from a luadock image says kind=image and is not luadock's container
-- (so every image luadock makes, by import, commit or build, must say
-- kind=image). This module computes the labels once per process and tells
-- whether a creator is gone; it must never decide on its own to remove anything.
-- Room base/: pure helpers every room may use; no engine calls, no client, no
-- Docker objects (luadock.core only for the clock and shields).
local core = require "luadock.core"
local loop = require("luadock.base.lazy")("luadock.loop")   -- loaded on first use
local argcheck = require "luadock.base.argcheck"
argcheck.mark()

local M = {}

M.MANAGED = "luadock.managed"
M.SESSION = "luadock.session"
M.PID = "luadock.pid"
M.HOST = "luadock.host"
M.PIDSTART = "luadock.pidstart"
M.KIND = "luadock.kind"

-- Fields 3 (state: "R", "S", "Z" for a zombie, ...) and 22 (start time in
-- clock ticks since boot) of /proc/<pid>/stat, or nil when the process is
-- gone or /proc is not there. The command name in field 2 may hold spaces
-- and parentheses: count from the last ')'.
local function pid_stat(pid)
  local f = io.open("/proc/" .. tostring(pid) .. "/stat", "r")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  if not text then return nil end
  local rest = text:match("^.*%)%s+(.*)$")
  if not rest then return nil end
  local i, state = 2, nil
  for field in rest:gmatch("%S+") do
    i = i + 1
    if i == 3 then state = field end
    if i == 22 then return state, field end
  end
  return nil
end

function M.pid_start(pid)
  local _, start = pid_stat(pid)
  return start
end

M.id = core.random_hex(8)
M.pid = core.pid()
M.host = core.hostname()
M.pidstart = M.pid_start("self") or ""

-- The ownership labels of an object of this kind, merged over a copy of the
-- caller's labels (ours win), plus those of the loop task making it (a
-- scheduled run marks its containers so max_runtime can find them).
function M.labels(extra, kind)
  local out = {}
  for k, v in pairs(extra or {}) do out[k] = v end
  local task = loop.current()
  for k, v in pairs(task and task.labels or {}) do out[k] = v end
  out[M.MANAGED] = "1"
  out[M.KIND] = kind
  out[M.SESSION] = M.id
  out[M.PID] = tostring(M.pid)
  out[M.HOST] = M.host
  out[M.PIDSTART] = M.pidstart
  return out
end

-- Made by luadock (as this kind of object, when given). Exact values only:
-- a lookalike such as luadock.managed=true or =10 is not luadock's.
function M.is_managed(labels, kind)
  return type(labels) == "table" and labels[M.MANAGED] == "1"
    and (kind == nil or labels[M.KIND] == kind)
end

-- True when a process (host name, pid and start time, as strings from
-- labels or a record) is proven gone: on this host, a pid that no longer
-- exists, is a zombie (dead, not yet reaped: common in containers without an
-- init), or now belongs to a process started at another time. Another
-- host's process, or a malformed pid, is never called gone (nothing proven).
function M.process_gone(host, pid, pidstart)
  if host ~= M.host then return false end
  pid = math.tointeger(tonumber(pid or ""))
  if not pid or pid <= 0 or pid >= 1 << 22 then return false end   -- no such pid can exist: nothing proven
  if not core.pid_alive(pid) then return true end
  local state, start = pid_stat(pid)
  if state == "Z" then return true end                 -- dead, only not reaped yet
  if start and pidstart and pidstart ~= "" and start ~= pidstart then return true end
  return false
end

-- True when labels prove the object's creating process is gone (see
-- process_gone); objects without luadock's labels are never stale.
function M.is_stale(labels)
  if not M.is_managed(labels) then return false end
  return M.process_gone(labels[M.HOST], labels[M.PID], labels[M.PIDSTART])
end

return M
