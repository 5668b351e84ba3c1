-- luadock.text.progressbar: shows the progress events of pull, push, build and
-- load the way the docker CLI does (moby pkg/jsonmessage).
-- On a terminal: one line per layer id, rewritten in place (cursor up
-- ESC[nA, clear ESC[2K, "id: status [===>   ] 1.053MB/1.982MB", cursor back
-- down ESC[nB); the bar only when the terminal is wider than 110 columns. A
-- message without an id starts a new block of layer lines. Elsewhere: no
-- cursor movement and no byte counts, each distinct status of a layer once.
-- Build output (`stream`) is written as it comes. Every engine string is
-- escaped (luadock.text.listing) before it is written; nothing here calls the
-- engine. progressbar.new{ out =, tty =, width = } makes one renderer;
-- r:handler() is an on_progress function.
-- Room text/: what people read (listings, the value printer, progress bars,
-- help, completion); no engine calls of its own, and nothing here changes an
-- object.

local listing = require "luadock.text.listing"

local M = {}

local ESC = "\27"

local Bar = {}
Bar.__index = Bar
Bar.__name = "luadock.ProgressBar"

local function stdout_is_tty()
  local ok, core = pcall(require, "luadock.core")
  return ok and type(core) == "table" and type(core.isatty) == "function" and core.isatty(1) == true
end

-- Columns of the terminal: $COLUMNS, else 80 (narrow on purpose: a line that
-- wraps breaks the cursor arithmetic, and the bar wants more than 110).
local function term_width()
  local ok, core = pcall(require, "luadock.core")
  if ok and type(core) == "table" and type(core.term_width) == "function" then
    local w = core.term_width(1)
    if math.type(w) == "integer" and w > 0 then return w end
  end
  return math.tointeger(tonumber(os.getenv("COLUMNS") or "")) or 80
end

-- progressbar.new{ out = io.stdout, tty = <isatty(1)>, width = <columns>,
-- now = os.time }: out needs only :write(...) (and :flush() if it has one).
function M.new(opts)
  opts = opts or {}
  local out = opts.out or io.stdout
  local tty = opts.tty
  if tty == nil then tty = out == io.stdout and stdout_is_tty() end
  return setmetatable({
    out = out, tty = tty == true, width = opts.width or term_width(),
    now = opts.now or os.time, ids = {}, n = 0, seen = {},
  }, Bar)
end

local function go_duration(s)
  s = math.max(0, math.floor(s))
  local h, m, sec = s // 3600, s % 3600 // 60, s % 60
  if h > 0 then return string.format("%dh%dm%ds", h, m, sec) end
  if m > 0 then return string.format("%dm%ds", m, sec) end
  return sec .. "s"
end

-- JSONProgress.String(): "[=====>    ] 1.053MB/1.982MB 3s"; "" when there
-- is nothing to count. current > total fills the bar and hides the total.
function M.progress_text(pd, width, now)
  local current, total = tonumber(pd.current) or 0, tonumber(pd.total) or 0
  local units = type(pd.units) == "string" and pd.units or ""
  local function hs(n) return listing.human_size(n, 4) end
  if current <= 0 and total <= 0 then return "" end
  if total <= 0 then
    if units == "" then return string.format("%8s", hs(current)) end
    return string.format("%d %s", current, listing.escape(units))
  end
  local pct = math.floor(current / total * 100) // 2
  pct = math.max(0, math.min(50, pct))
  local bar, nums, left = "", "", ""
  if width > 110 then bar = "[" .. string.rep("=", pct) .. ">" .. string.rep(" ", 50 - pct) .. "] " end
  if pd.hidecounts == true then
    nums = ""
  elseif units == "" then
    nums = current > total and string.format("%8s", hs(current))
      or string.format("%8s/%s", hs(current), hs(total))
  else
    nums = current > total and string.format("%d %s", current, listing.escape(units))
      or string.format("%d/%d %s", current, total, listing.escape(units))
  end
  local start = tonumber(pd.start) or 0
  if current > 0 and start > 0 and pct < 50 and width > 50 then
    left = " " .. go_duration((total - current) * ((now - start) / current))
  end
  return bar .. nums .. left
end

function Bar:write(s)
  self.out:write(s)
end

-- One event's line (JSONMessage.Display); returns false when suppressed.
function Bar:display(ev, id, pd, pm)
  local progress = pd and M.progress_text(pd, self.width, self.now()) or ""
  local stream = type(ev.stream) == "string" and ev.stream or ""
  local status = listing.escape(ev.status == nil and "" or ev.status)
  local endl = ""
  if self.tty and stream == "" and pd then
    self:write(ESC .. "[2K\r")
    endl = "\r"
  elseif pd and progress ~= "" then
    return false
  end
  if not self.tty and id then
    local key = id .. "\0" .. status
    if self.seen[key] then return false end
    self.seen[key] = true
  end
  local prefix = id and listing.escape(id) .. ": " or ""
  if pd and self.tty then
    local line = prefix .. status .. " " .. progress
    if listing.width(line) >= self.width then line = listing.ellipsis(line, math.max(self.width - 1, 10)) end
    self:write(line .. endl)
  elseif pm ~= "" then
    self:write(prefix .. status .. " " .. listing.escape(pm) .. endl)
  elseif stream ~= "" then
    self:write(prefix .. listing.escape(stream, { keep = "\n\t" }) .. endl)
  else
    self:write(prefix .. status .. endl .. "\n")
  end
  return true
end

-- Show one progress event (a table as the engine sent it).
function Bar:event(ev)
  if type(ev) ~= "table" or ev.aux ~= nil then return end
  if ev.error ~= nil or ev.errorDetail ~= nil then
    local m = type(ev.errorDetail) == "table" and ev.errorDetail.message or ev.error
    self:write(listing.escape(m or "error") .. "\n")
    return
  end
  local id = type(ev.id) == "string" and ev.id ~= "" and ev.id or nil
  local pd = type(ev.progressDetail) == "table" and ev.progressDetail or nil
  local pm = type(ev.progress) == "string" and ev.progress or ""
  local diff = 0
  if id and (pd or pm ~= "") then
    local line = self.ids[id]
    if not line then
      line, self.n = self.n, self.n + 1
      self.ids[id] = line
      if self.tty then self:write("\n") end
    end
    diff = self.n - line
    if self.tty then self:write(ESC .. "[" .. diff .. "A") end
  else
    self.ids, self.n = {}, 0
  end
  self:display(ev, id, pd, pm)
  if id and self.tty and diff > 0 then self:write(ESC .. "[" .. diff .. "B") end
  if self.out.flush then self.out:flush() end
end

-- An on_progress function feeding this renderer.
function Bar:handler()
  return function(ev) self:event(ev) end
end

return M
