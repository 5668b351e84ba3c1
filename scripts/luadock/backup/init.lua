-- luadock.backup: d:backup{...} and d:restore{...} (API.md "Scheduling and
-- backups"), Client methods (merged by luadock/init.lua) so docker.backup / docker.restore
-- mirror them. Both work through a short-lived, labelled helper container of
-- the given `image` (required: nothing is pulled); the engine must see the
-- same file system as this process (a local socket), since host folders are
-- bind-mounted.
--
-- Guarantees of backup{ volume=, to=, image=, keep=, stop=, stop_timeout=, name_prefix= }:
--  * all arguments are checked before anything happens; `to` is an absolute
--    folder, created when missing; the volume must exist (not_found; never
--    auto-created); `stop` holds container names or Container objects;
--  * the volume is mounted read-only; the archive (tar.gz, modes, symlinks
--    and numeric owners kept) is written as <to>/.<volume>-<stamp>.tar.gz.tmp-<rand>
--    and renamed to <to>/<volume>-<YYYYMMDDTHHMMSSZ>[-N].tar.gz (UTC) only
--    after the helper exited 0 and the host checked it (gzip -t, tar tzf);
--  * containers in `stop` that were running are stopped for the copy
--    (`stop_timeout` seconds before the engine kills them) and started again
--    in every case: success, failed copy, failed check, Ctrl-C, SIGTERM, a
--    max_runtime cancel. That clean-up is shielded (luadock.base.shield) and
--    bounded; a stop cut short on our side is finished before the start;
--  * kill -9 cannot be caught: a record under $XDG_STATE_HOME/luadock/backups
--    (luadock.backup.recovery), written before anything is stopped, lets the next
--    backup of that volume, schedule.run or cleanup{ stale = true } start
--    the containers again and remove the temporary archive;
--  * on any failure the temporary file is removed, no archive is left, the
--    helper is removed, and the error is re-raised as it was (docker.Error
--    stays one; a failed tar is kind "exit" with the helper's stderr);
--  * after success only the `keep` newest archives of that volume stay.
-- restore{ volume=, from=, image=, wipe=false } creates the volume (labelled)
-- when missing (and removes it again if the restore then fails), empties it
-- first with wipe=true (dotfiles too), and extracts the archive, mounted
-- read-only, keeping modes, owners and symlinks; a failed tar is kind "exit".
--
-- _delay_after_copy = seconds (0..60) is a TEST-ONLY hook: the helper sleeps
-- after writing the temporary file, so a test can interrupt a backup midway.
-- Room backup/: backup and restore of a service's volumes and the recovery of
-- interrupted ones; composes the other rooms' public methods.

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local files = require "luadock.base.files"
local errors = require "luadock.base.errors"
local shield = require "luadock.base.shield"
local recovery = require "luadock.backup.recovery"
argcheck.mark()

local M = {}

local STAMP_PAT = "%d%d%d%d%d%d%d%dT%d%d%d%d%d%dZ"
local HELPER_LABEL = "luadock.backup.helper"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function is_dir(path)
  local f = io.open(path, "r")
  if not f then return false end
  local ok, _, code = f:read(1)
  f:close()
  return ok == nil and code == 21   -- EISDIR
end

local function is_file(path)
  local f = io.open(path, "rb")
  if not f then return false end
  local ok, _, code = f:read(0)
  f:close()
  return not (ok == nil and code == 21)
end

local function exists(path)
  return os.rename(path, path) ~= nil
end

local function file_size(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local n = f:seek("end")
  f:close()
  return n
end

local function sh_ok(cmd)
  local ok = os.execute(cmd)
  return ok == true
end

local function valid_name(chk, field, v, optional)
  v = chk:type(field, v, "string", optional)
  if v ~= nil and not v:match("^[%w][%w_.%-]+$") then
    chk:fail(field, "invalid volume name '" .. v:gsub("%c", "?") .. "' ([a-zA-Z0-9][a-zA-Z0-9_.-]+)")
  end
  return v
end

local function need_image(chk, v)
  v = chk:type("image", v, "string")
  if v == "" then chk:fail("image", "non-empty image name expected") end
  return v
end

local function abs_path(chk, field, v)
  v = chk:type(field, v, "string")
  if v:sub(1, 1) ~= "/" then chk:fail(field, "absolute path expected, got '" .. v .. "'") end
  if v:find("[:%c]") then chk:fail(field, "path must not contain ':' or control characters") end
  return v
end

-- Run fn(); then finally(ok) always, shielded (luadock.base.shield) so that the
-- clean-up completes when fn ended by Ctrl-C, SIGTERM or a max_runtime
-- cancel, within `limit` seconds; the first error wins. A to-be-closed
-- value, so that it runs even when the event loop closes the coroutine.
local function protected(limit, fn, finally)
  local done = false
  local _ <close> = setmetatable({}, { __close = function(_, err)
    local fok, ferr = shield.try(limit, finally, done)
    if not fok and err == nil then error(ferr, 0) end
  end })
  local res = fn()
  done = true
  return res
end

local function remove_helper(cli, name)
  pcall(cli.container_delete, cli, name, { force = true, v = true })
end

-- Runs the helper container; raises kind "exit" (with stderr) on failure.
local function run_helper(self, name, img, volumes, script, label_value)
  return self:run{
    image = img, name = name, cmd = { "sh", "-c", script }, volumes = volumes,
    labels = { [HELPER_LABEL] = label_value }, remove = true, check = true,
    network = "none", user = "0:0",
  }
end

-- Archives of `volume` in `dir`, oldest first: { name=, stamp=, n= }.
local function archives(dir, volume)
  local out = {}
  local prefix = volume .. "-"
  for _, line in ipairs(files.list_dir(dir)) do
    if line:sub(1, #prefix) == prefix then
      local rest = line:sub(#prefix + 1)
      local stamp, n = rest:match("^(" .. STAMP_PAT .. ")%-(%d+)%.tar%.gz$")
      if not stamp then stamp = rest:match("^(" .. STAMP_PAT .. ")%.tar%.gz$"); n = "1" end
      if stamp then out[#out + 1] = { name = line, stamp = stamp, n = tonumber(n) } end
    end
  end
  table.sort(out, function(a, b)
    if a.stamp ~= b.stamp then return a.stamp < b.stamp end
    return a.n < b.n
  end)
  return out
end

local BACKUP_OPTS = keys.set { "volume", "to", "image", "keep", "stop", "stop_timeout", "name_prefix",
  "_delay_after_copy" }

local function backup_args(spec)
  local chk = argcheck.checker("backup", 1)
  spec = chk:opts(spec)
  chk:only(spec, BACKUP_OPTS)
  local a = {}
  a.volume = valid_name(chk, "volume", spec.volume)
  a.to = abs_path(chk, "to", spec.to)
  a.to = a.to:gsub("(.)/+$", "%1")
  a.image = need_image(chk, spec.image)
  if spec.keep ~= nil then
    local k = spec.keep
    if not (math.type(k) == "integer" or (math.type(k) == "float" and k == math.floor(k))) or k < 1 then
      chk:fail("keep", "positive integer expected, got " .. (type(k) == "number" and tostring(k) or type(k)))
    end
    a.keep = math.tointeger(k)
  end
  a.stop = {}
  if spec.stop ~= nil then
    local s = spec.stop
    if type(s) ~= "table" or not keys.is_array(s) then
      chk:fail("stop", "array of container names or Containers expected, got " .. type(s))
    end
    for i, n in ipairs(s) do
      if type(n) == "table" and type(n.id) == "string" and n.id ~= "" then n = n.id end
      if type(n) ~= "string" or n == "" then
        chk:fail("stop", "item " .. i .. ": container name or Container expected, got "
          .. (n == "" and "empty string" or type(n)))
      end
      a.stop[i] = n
    end
  end
  if spec.stop_timeout ~= nil then
    local t = spec.stop_timeout
    if math.type(t) ~= "integer" and not (math.type(t) == "float" and t == math.floor(t) and t < 2^31) or t < 0 then
      chk:fail("stop_timeout", "non-negative integer of seconds expected, got "
        .. (type(t) == "number" and tostring(t) or type(t)))
    end
    a.stop_timeout = math.tointeger(t)
  end
  a.prefix = chk:type("name_prefix", spec.name_prefix, "string", true) or "luadock-backup-"
  if not a.prefix:match("^[%w][%w_.%-]*$") then
    chk:fail("name_prefix", "container name prefix ([a-zA-Z0-9][a-zA-Z0-9_.-]*) expected")
  end
  if spec._delay_after_copy ~= nil then
    local dl = spec._delay_after_copy
    if type(dl) ~= "number" or dl ~= dl or dl < 0 or dl > 60 then
      chk:fail("_delay_after_copy", "test-only: seconds between 0 and 60 expected")
    end
    a.delay = dl
  end
  return a
end

-- Start again what the backup stopped. The stop may have been cut short on
-- our side (Ctrl-C) while the engine goes on stopping the container: a
-- start then would find it running and do nothing, and the engine would
-- finish the stop a few seconds later. So stop it again first, which
-- returns once it really has stopped (at once if it already had), then
-- start it.
local function start_again(cli, client, c, timeout)
  local wait = timeout or (c.attrs and c.attrs.Config and c.attrs.Config.StopTimeout) or 10
  errors.check_found(cli:container_stop(c.id, { t = wait }, { timeout = client._timeout + wait }))
  errors.check(cli:container_start(c.id))
end

-- Time for the shielded clean-up: each service may need its whole stop
-- timeout again (a stop cut short is finished first) plus the calls.
local function cleanup_limit(a, services)
  local sum = 60
  for _, c in ipairs(services) do
    local own = c.attrs and c.attrs.Config and c.attrs.Config.StopTimeout
    sum = sum + (a.stop_timeout or (type(own) == "number" and own >= 0 and own) or 10) + 15
  end
  return sum
end

local function backup(self, spec)
  local a = backup_args(spec)
  local cli = self._cli
  if not is_dir(a.to) then
    local ok, msg = core.mkdirs(a.to)
    if not ok then errors.throw("io", "backup: cannot create the folder '" .. a.to .. "': " .. tostring(msg)) end
  end
  recovery.recover(self, a.volume)
  errors.check(cli:volume_inspect(a.volume))   -- not_found: never auto-created
  local services = {}
  for i, n in ipairs(a.stop) do services[i] = self:container(n) end
  local t0 = core.clock()
  local stamp = os.date("!%Y%m%dT%H%M%SZ")
  local rand = core.random_hex(4)
  local tmpname = "." .. a.volume .. "-" .. stamp .. ".tar.gz.tmp-" .. rand
  local tmp = a.to .. "/" .. tmpname
  local helper = a.prefix .. a.volume .. "-" .. rand
  local stopped, final, record = {}, nil, nil

  return protected(cleanup_limit(a, services), function()
    record = recovery.begin(cli, a.volume, tmp)   -- what kill -9 would leave, written down first
    for _, c in ipairs(services) do
      if c.state == "running" then
        record:add(c.id, c.name)
        stopped[#stopped + 1] = c          -- before the call: it may be cut short
        c:stop{ timeout = a.stop_timeout }
      end
    end
    local script = "set -e; tar czf /backup/" .. tmpname .. " --numeric-owner -C /volume ."
    if a.delay then script = script .. "; sleep " .. string.format("%g", a.delay) end
    record:add_helper(helper)
    run_helper(self, helper, a.image, { [a.volume] = "/volume:ro", [a.to] = "/backup" }, script, a.volume)
    if not sh_ok("gzip -t " .. q(tmp) .. " 2>/dev/null && tar tzf " .. q(tmp) .. " >/dev/null 2>&1") then
      errors.throw("exit", "backup of volume '" .. a.volume .. "': the archive failed verification (gzip -t / tar tzf)",
        { volume = a.volume })
    end
    local bytes = file_size(tmp)
    local n = 1
    repeat
      final = a.to .. "/" .. a.volume .. "-" .. stamp .. (n > 1 and ("-" .. n) or "") .. ".tar.gz"
      n = n + 1
    until not exists(final)
    local ok, msg = os.rename(tmp, final)
    if not ok then final = nil; errors.throw("io", "backup: cannot rename the archive: " .. tostring(msg)) end
    return { archive = final, bytes = bytes, seconds = core.clock() - t0 }
  end, function(ok)
    remove_helper(cli, helper)
    os.remove(tmp)
    if not ok and final then os.remove(final) end
    local first
    for _, c in ipairs(stopped) do
      local sok, serr = pcall(start_again, cli, self, c, a.stop_timeout)
      if not sok and not first then first = serr end
    end
    if record then
      if first then record:close() else record:finish() end
    end
    if first then error(first, 0) end
    if ok and a.keep then
      local list = archives(a.to, a.volume)
      for i = 1, #list - a.keep do os.remove(a.to .. "/" .. list[i].name) end
    end
  end)
end

local RESTORE_OPTS = keys.set { "volume", "from", "image", "wipe" }

local function restore(self, spec)
  local chk = argcheck.checker("restore", 1)
  spec = chk:opts(spec)
  chk:only(spec, RESTORE_OPTS)
  local volume = valid_name(chk, "volume", spec.volume)
  local from = abs_path(chk, "from", spec.from)
  local img = need_image(chk, spec.image)
  local wipe = chk:type("wipe", spec.wipe, "boolean", true) or false
  if not is_file(from) then chk:fail("from", "no such archive '" .. from .. "'") end
  local cli = self._cli
  local created = false
  if not errors.check_found(cli:volume_inspect(volume)) then
    self:volume_create{ name = volume }
    created = true
  end
  local helper = "luadock-restore-" .. volume .. "-" .. core.random_hex(4)
  local script = "set -e; "
  if wipe then script = script .. "find /volume -mindepth 1 -maxdepth 1 -exec rm -rf {} +; " end
  script = script .. "tar xzf /archive.tar.gz --numeric-owner -C /volume"
  return protected(60, function()
    run_helper(self, helper, img, { [volume] = "/volume", [from] = "/archive.tar.gz:ro" }, script, volume)
    return true
  end, function(ok)
    remove_helper(cli, helper)
    if not ok and created then pcall(cli.volume_delete, cli, volume, { force = true }) end
  end)
end

-- Client methods, merged into the class by luadock/init.lua (PARTS)
M.Client = {}
do
  local Client = M.Client
  Client.backup = backup
  Client.restore = restore
end

return M
