-- luadock.archive: files in and out of containers (API.md "Containers"). It
-- installs on the Container class c:put_archive(path, tar_bytes),
-- c:get_archive(path) -> tar_bytes, stat, c:copy_in(host_path, ctr_dir) and
-- c:copy_out(ctr_path, host_dir), and offers read_dockerignore(dir), the
-- pattern list a build context's tar (core.tar{ exclude = }) wants. Tars
-- are made and unpacked by luadock.core (core/archive.c, libarchive), which
-- treats what comes out of a container as hostile; this module checks
-- arguments, calls the engine and decodes the path-stat header. It must not
-- read or write tar itself, nor touch the host's files except through
-- core.tar and core.untar (and the one .dockerignore it is asked to read).

local core = require "luadock.core"
local util = require "luadock.util"
local errors = require "luadock.errors"
local container = require "luadock.container"
util.mark()

local check = errors.check
local M = {}

local Container = container.Container

local self_check = util.self_checker(Container, "c")

local function path_arg(fname, n, field, v)
  if type(v) ~= "string" then
    util.argerror(fname, n, field, "path string expected, got " .. type(v))
  elseif v == "" then
    util.argerror(fname, n, field, "non-empty path expected")
  elseif v:find("\0", 1, true) then
    util.argerror(fname, n, field, "path contains a NUL byte")
  end
  return v
end

-- ---- the X-Docker-Container-Path-Stat header --------------------------------

-- Go's os.FileMode bits, as the engine sends them.
local GO_DIR, GO_SYMLINK, GO_DEVICE, GO_FIFO = 1 << 31, 1 << 27, 1 << 26, 1 << 25
local GO_SOCKET, GO_SETUID, GO_SETGID = 1 << 24, 1 << 23, 1 << 22
local GO_CHARDEV, GO_STICKY, GO_IRREGULAR = 1 << 21, 1 << 20, 1 << 19

local function file_type(mode)
  if mode & GO_DIR ~= 0 then return "dir" end
  if mode & GO_SYMLINK ~= 0 then return "symlink" end
  if mode & GO_DEVICE ~= 0 then return mode & GO_CHARDEV ~= 0 and "char_device" or "block_device" end
  if mode & GO_FIFO ~= 0 then return "fifo" end
  if mode & GO_SOCKET ~= 0 then return "socket" end
  if mode & GO_IRREGULAR ~= 0 then return "irregular" end
  return "file"
end

-- { name, size, mode (Go's FileMode, as sent), perm (POSIX bits, e.g. 493 =
-- 0755, with 04000/02000/01000), type ("file", "dir", "symlink", ...),
-- mtime (epoch seconds), link_target (nil unless a symlink), attrs (raw) }.
-- The header comes from the container's side: every field is type-checked.
function M.decode_stat(text)
  if type(text) ~= "string" or text == "" then return nil end
  local json = core.base64_decode(text)
  local t = json and core.json_decode(json)
  if type(t) ~= "table" then
    errors.throw("protocol", "unreadable X-Docker-Container-Path-Stat header: " .. text:sub(1, 60))
  end
  local mode = math.tointeger(t.mode)
  local stat = {
    name = type(t.name) == "string" and t.name or nil,
    size = math.tointeger(t.size),
    mode = mode,
    mtime = util.parse_time(t.mtime),
    link_target = type(t.linkTarget) == "string" and t.linkTarget ~= "" and t.linkTarget or nil,
    attrs = t,
  }
  if mode and mode >= 0 then
    stat.type = file_type(mode)
    stat.perm = (mode & 511) | (mode & GO_SETUID ~= 0 and 2048 or 0)
      | (mode & GO_SETGID ~= 0 and 1024 or 0) | (mode & GO_STICKY ~= 0 and 512 or 0)
  end
  return stat
end

-- ---- methods ---------------------------------------------------------------------

-- c:put_archive(path, tar_bytes) -> true: the tar is unpacked by the engine
-- into the folder `path` of the container (which must exist).
function Container:put_archive(path, tar_bytes)
  local cli = self_check(self, "put_archive")
  path_arg("put_archive", 1, "path", path)
  if type(tar_bytes) ~= "string" then
    util.argerror("put_archive", 2, "tar_bytes", "string of tar bytes expected, got " .. type(tar_bytes))
  end
  check(cli:put_container_archive(self.id, tar_bytes, { path = path }))
  return true
end

-- c:get_archive(path) -> tar_bytes, stat. Each wait for more bytes is
-- bounded by the client's timeout.
function Container:get_archive(path)
  local cli = self_check(self, "get_archive")
  path_arg("get_archive", 1, "path", path)
  local s = check(cli:container_archive(self.id, { path = path }))
  local ok, stat = pcall(M.decode_stat, s:path_stat())
  if not ok then s:close(); error(stat, 0) end
  local parts = {}
  while true do
    local kind, chunk, code, detail = s:read(self._client._timeout)
    if kind == false then
      s:close()
      errors.throw("timeout", "no archive data from the engine for " .. self._client._timeout .. " s",
        { method = "GET", path = "/containers/" .. self.id .. "/archive" })
    elseif kind == nil then
      s:close()
      if chunk ~= nil then errors.raise(errors.from_core(chunk, code, detail)) end
      break
    end
    parts[#parts + 1] = chunk
  end
  return table.concat(parts), stat
end

-- An empty tar (two zero blocks): extracting it checks that a folder exists
-- and is usable without writing anything.
local EMPTY_TAR = string.rep("\0", 1024)

-- c:copy_in(host_path, ctr_dir) -> true. A file lands as ctr_dir/<name>; a
-- folder as ctr_dir/<folder name>/..., like `docker cp dir ctr:/dst`; a path
-- ending in "/." copies a folder's contents only. ctr_dir must exist.
function Container:copy_in(host_path, ctr_dir)
  local cli = self_check(self, "copy_in")
  path_arg("copy_in", 1, "host_path", host_path)
  path_arg("copy_in", 2, "ctr_dir", ctr_dir)
  local contents_only = host_path:match("/%.$") ~= nil
  local bytes, msg, code = core.tar(host_path, { keep_root = not contents_only })
  if not bytes then
    if code == "IO" or code == "ARG" then util.argerror("copy_in", 1, "host_path", msg) end
    errors.raise(errors.from_core(msg, code))
  end
  check(cli:put_container_archive(self.id, bytes, { path = ctr_dir }))
  return true
end

-- c:copy_out(ctr_path, host_dir) -> { files=, skipped=, devices=, fifos=,
-- sockets=, unsafe=, other=, stat= }: ctr_path (file or folder) lands in the
-- existing folder host_dir as host_dir/<name>. Nothing is written outside
-- host_dir; devices, fifos and sockets are skipped, setuid/setgid/sticky
-- bits dropped, owners not restored (the counts say what was left out).
function Container:copy_out(ctr_path, host_dir)
  self_check(self, "copy_out")
  path_arg("copy_out", 1, "ctr_path", ctr_path)
  path_arg("copy_out", 2, "host_dir", host_dir)
  local probe, pmsg, pcode = core.untar(EMPTY_TAR, host_dir)
  if not probe then
    if pcode == "ARG" then util.argerror("copy_out", 2, "host_dir", pmsg) end
    errors.raise(errors.from_core(pmsg, pcode))
  end
  local bytes, stat = self:get_archive(ctr_path)
  local r, msg, code = core.untar(bytes, host_dir)
  if not r then
    if code == "ARG" then util.argerror("copy_out", 2, "host_dir", msg) end
    errors.raise(errors.from_core(msg, code))
  end
  r.stat = stat
  return r
end

-- ---- build contexts --------------------------------------------------------------

-- The patterns of dir/.dockerignore as the docker CLI reads them: a UTF-8
-- BOM dropped, lines starting with "#" are comments, blank lines skipped,
-- the rest trimmed (cleaning and "!" are core's: core.tar{ exclude = }).
-- No file: an empty list.
function M.read_dockerignore(dir)
  if type(dir) ~= "string" or dir == "" then
    util.argerror("read_dockerignore", 1, nil, "folder path expected, got " .. type(dir))
  end
  local f = io.open(dir .. "/.dockerignore", "rb")
  if not f then return {} end
  local text = f:read("a") or ""
  f:close()
  text = text:gsub("^\239\187\191", "")
  local out = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if line:sub(1, 1) ~= "#" then
      line = line:match("^%s*(.-)%s*$")
      if line ~= "" then out[#out + 1] = line end
    end
  end
  return out
end

return M
