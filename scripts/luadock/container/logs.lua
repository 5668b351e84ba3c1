-- luadock.container.logs: reading a container's output. drain() pumps a luadock.core
-- stream (multiplexed, or raw for tty containers) into a callback with an
-- optional deadline; c:logs{...} returns the interleaved text or feeds
-- on_output; c:lines{...} is a generic-for iterator of (stream, line) whose
-- closing value is the stream, so `break` closes the connection. Options are
-- checked before the request; nothing here changes a container.
-- Room container/: what a Container does and the Client methods that make or
-- list containers; methods go in M.Container / M.Client, merged by
-- luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local units = require "luadock.base.units"
local errors = require "luadock.base.errors"
local classes = require "luadock.base.classes"
argcheck.mark()

local check = errors.check
local M = {}
local self_check = argcheck.self_checker(classes.Container, "c")

-- Read a MUX/RAW stream to its end, passing (stream, chunk) to fn. With a
-- deadline (a core.clock() value) it returns false when the time ran out.
function M.drain(s, fn, deadline)
  while true do
    local timeout = deadline and math.max(0, deadline - core.clock()) or nil
    local a, b, code, detail = s:read(timeout)
    if a == nil then
      if b ~= nil then errors.raise(errors.from_core(b, code, detail)) end
      return true
    elseif a == false then
      return false
    end
    fn(a, b)
  end
end

local function is_tty(self)
  if self._tty == nil then self:reload() end
  return self._tty
end

-- since/until: epoch seconds, an RFC 3339 time, or a duration ago ("10m").
local function log_time(chk, field, v)
  if v == nil then return nil end
  local t = v
  if type(v) == "string" then
    t = units.parse_time(v) or tonumber(v)
    if not t then
      local d = units.parse_duration(v)
      t = d and os.time() - d
    end
  end
  if type(t) ~= "number" then
    chk:fail(field, "epoch seconds, an RFC 3339 time or a duration like \"10m\" expected")
  end
  return math.tointeger(t) or string.format("%.6f", t)
end

local LOG_OPTS = keys.set { "stdout", "stderr", "follow", "tail", "since", "until", "timestamps", "on_output" }

local function open_logs(self, fname, spec)
  local cli = self_check(self, fname)
  local chk = argcheck.checker(fname, 1)
  spec = chk:opts(spec, true)
  chk:only(spec, LOG_OPTS)
  if fname == "lines" and spec.on_output ~= nil then chk:fail("on_output", "unknown option") end
  local tail = spec.tail
  if tail ~= nil and tail ~= "all" and not (math.type(tail) == "integer" and tail >= 0) then
    chk:fail("tail", "non-negative integer or \"all\" expected")
  end
  local q = {
    stdout = chk:type("stdout", spec.stdout, "boolean", true) ~= false,
    stderr = chk:type("stderr", spec.stderr, "boolean", true) ~= false,
    follow = chk:type("follow", spec.follow, "boolean", true) or false,
    timestamps = chk:type("timestamps", spec.timestamps, "boolean", true) or false,
    tail = tail and tostring(tail),
    since = log_time(chk, "since", spec.since),
    ["until"] = log_time(chk, "until", spec["until"]),
  }
  local on_output = chk:type("on_output", spec.on_output, "function", true)
  local tty = is_tty(self)
  local s = check(cli:container_logs(self.id, q, { raw = tty or nil }))
  return s, on_output, tty
end

function M.logs(self, spec)
  local s <close>, on_output = open_logs(self, "logs", spec)
  local out = {}
  M.drain(s, on_output or function(_, chunk) out[#out + 1] = chunk end)
  if on_output then return nil end
  return table.concat(out)
end

-- for stream, line in c:lines{...}: whole lines per stream; a last partial
-- line is flushed at the end. The stream is the loop's closing value, so a
-- `break` closes the connection.
function M.lines(self, spec)
  local s, _, tty = open_logs(self, "lines", spec)
  local partial = { stdout = "", stderr = "" }
  local queue, head, done = {}, 1, false
  local function push(stream, line)
    if tty then line = line:gsub("\r$", "") end
    queue[#queue + 1] = { stream, line }
  end
  local function iter()
    while true do
      if head <= #queue then
        local e = queue[head]
        queue[head], head = nil, head + 1
        if head > #queue then queue, head = {}, 1 end
        return e[1], e[2]
      end
      if done then return nil end
      local a, b, code, detail = s:read()
      if a == nil then
        s:close()
        if b ~= nil then errors.raise(errors.from_core(b, code, detail)) end
        done = true
        for _, name in ipairs { "stdout", "stderr" } do
          if partial[name] ~= "" then push(name, partial[name]); partial[name] = "" end
        end
      elseif a then
        local buf, pos = (partial[a] or "") .. b, 1
        while true do
          local nl = buf:find("\n", pos, true)
          if not nl then break end
          push(a, buf:sub(pos, nl - 1))
          pos = nl + 1
        end
        partial[a] = buf:sub(pos)
      end
    end
  end
  return iter, nil, nil, s
end

-- Container methods, merged into the class by luadock/init.lua (PARTS)
M.Container = { logs = M.logs, lines = M.lines }

return M
