-- luadock.container.archive: files in and out of containers (API.md "Containers"). It
-- gives the Container class c:put_archive(path, tar_bytes),
-- c:get_archive(path) -> tar_bytes, stat, c:copy_in(host_path, ctr_path) and
-- c:copy_out(ctr_path, host_path), which follow `docker cp`'s rules (where a
-- copy lands, renames, what is refused), and offers read_dockerignore(dir),
-- the pattern list a build context's tar (core.tar{ exclude = }) wants.
-- Tars are made and unpacked by luadock.core (core/tar/archive.c, libarchive, through luadock.core_tar),
-- which treats what comes out of a container as hostile and makes the
-- renames in the tar names; this module checks arguments, asks what is at
-- both ends (engine path stat, core.path_type), decides, and decodes the
-- path-stat header. It must not read or write tar itself, nor touch the
-- host's files except through core (and the one .dockerignore it is asked
-- to read).
-- Room container/: what a Container does and the Client methods that make or
-- list containers; methods go in M.Container / M.Client, merged by
-- luadock/init.lua (PARTS).

local core = require "luadock.core"
local argcheck = require "luadock.base.argcheck"
local units = require "luadock.base.units"
local shell = require "luadock.base.shell"
local errors = require "luadock.base.errors"
local classes = require "luadock.base.classes"
argcheck.mark()

local check = errors.check
local M = {}

local Container = {}   -- Container methods, merged into the class by luadock/init.lua (PARTS)
M.Container = Container

local self_check = argcheck.self_checker(classes.Container, "c")

local function path_arg(fname, n, field, v)
  if type(v) ~= "string" then
    argcheck.argerror(fname, n, field, "path string expected, got " .. type(v))
  elseif v == "" then
    argcheck.argerror(fname, n, field, "non-empty path expected")
  elseif v:find("\0", 1, true) then
    argcheck.argerror(fname, n, field, "path contains a NUL byte")
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
  local json, msg, code = core.base64_decode(text)
  if code == "NOMEM" then errors.raise(errors.from_core(msg, code)) end
  local t = json and core.json_decode(json)
  if type(t) ~= "table" then
    errors.throw("protocol", "unreadable X-Docker-Container-Path-Stat header: " .. text:sub(1, 60))
  end
  local mode = math.tointeger(t.mode)
  local stat = {
    name = type(t.name) == "string" and t.name or nil,
    size = math.tointeger(t.size),
    mode = mode,
    mtime = units.parse_time(t.mtime),
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
    argcheck.argerror("put_archive", 2, "tar_bytes", "string of tar bytes expected, got " .. type(tar_bytes))
  end
  check(cli:put_container_archive(self.id, tar_bytes, { path = path }))
  return true
end

-- The archive stream of `path` and its stat (from the response headers,
-- before any body byte is read).
local function open_archive(c, cli, path)
  local s = check(cli:container_archive(c.id, { path = path }))
  local ok, stat = pcall(M.decode_stat, s:path_stat())
  if not ok then s:close(); error(stat, 0) end
  return s, stat
end

-- The rest of an archive stream; each wait for more bytes is bounded by the
-- client's timeout.
local function read_all(c, s)
  local parts = {}
  while true do
    local kind, chunk, code, detail = s:read(c._client._timeout)
    if kind == false then
      s:close()
      errors.throw("timeout", "no archive data from the engine for " .. c._client._timeout .. " s",
        { method = "GET", path = "/containers/" .. c.id .. "/archive" })
    elseif kind == nil then
      s:close()
      if chunk ~= nil then errors.raise(errors.from_core(chunk, code, detail)) end
      break
    end
    parts[#parts + 1] = chunk
  end
  return table.concat(parts)
end

-- c:get_archive(path) -> tar_bytes, stat. Each wait for more bytes is
-- bounded by the client's timeout.
function Container:get_archive(path)
  local cli = self_check(self, "get_archive")
  path_arg("get_archive", 1, "path", path)
  local s, stat = open_archive(self, cli, path)
  return read_all(self, s), stat
end

-- ---- docker cp's rules ---------------------------------------------------------
-- Both directions decide alike (the CLI's archive.PrepareArchiveCopy): into
-- an existing folder as is; otherwise into the destination's parent, the
-- copied item renamed to the destination's last segment. The engine only
-- unpacks into existing folders, so the rename is made where tar names are
-- made: by core.tar going in, by core.untar coming out.

-- A path split like the CLI's SplitPathDirEntry: cleaned lexically (a ".."
-- removes the segment before it), a last segment "." kept (so "dir/." names
-- dir's contents, entry "." in dir). Returns dir, base.
local function split_path(p)
  local abs, segs = p:sub(1, 1) == "/", {}
  for seg in p:gmatch("[^/]+") do
    if seg == ".." then
      if #segs > 0 and segs[#segs] ~= ".." then segs[#segs] = nil
      elseif not abs then segs[#segs + 1] = ".." end
    elseif seg ~= "." then
      segs[#segs + 1] = seg
    end
  end
  if (p:gsub("/+$", "")):match("[^/]*$") == "." then segs[#segs + 1] = "." end
  if #segs == 0 then return abs and "/" or ".", abs and "/" or "." end
  local base = table.remove(segs)
  local dir = table.concat(segs, "/")
  if abs then return "/" .. dir, base end
  return dir == "" and "." or dir, base
end
M.split_path = split_path   -- for the tests

-- The decision. src_dir: the source is a folder; dst: the destination as
-- given; dst_type: "dir", "file" or nil (missing). Returns the folder to
-- unpack into and the name the item takes there (nil: its own), or nil,
-- error kind, reason.
local function plan(src_dir, dst, dst_type)
  if dst_type == "dir" then return dst, nil end
  if dst_type and src_dir then return nil, "conflict", "cannot copy a folder onto a file" end
  local dir, base = split_path(dst)
  -- "x/" and "x/." can only name a folder (the CLI's assertsDirectory)
  if not dst_type and not src_dir and (dst:sub(-1) == "/" or base == ".") then
    return nil, "not_found", "no such folder (a file is copied into an existing folder, or to a file path)"
  end
  return dir, base ~= "." and base ~= "/" and base or nil
end

-- The engine's words for a folder/non-folder clash differ by version. 20.10:
-- `Error processing tar file(exit status 1): cannot overwrite directory
-- "/dst/a" with non-directory "/dst"`; 28 drops the prefix and names the entry
-- relative to the destination ("a"). Both become copy_out's wording, with the
-- full path: `cannot overwrite directory "/dst/a" with a non-directory`.
local function clash_message(msg)
  local head, what, path, dest = msg:match(
    '^(.-)cannot overwrite (%a[%a-]*) "([^"]*)" with [%a-]+ "([^"]*)"')
  if not head then return msg end
  head = head:gsub("Error processing tar file%(exit status %d+%): $", "")
  if path:sub(1, 1) ~= "/" then path = dest:gsub("/+$", "") .. "/" .. path end
  return string.format('%scannot overwrite %s "%s" with %s', head, what, path,
    what == "directory" and "a non-directory" or "a directory")
end

local function fail(fname, kind, message)
  errors.throw(kind, fname .. ": " .. message)
end

-- Re-raise an error from inside copy_in/copy_out: a docker.Error gets the
-- function's name in front of its message (the engine's messages name the
-- path).
local function named(fname, ok, ...)
  if ok then return ... end
  local e = ...
  if errors.is_error(e) and type(e.message) == "string"
    and e.message:sub(1, #fname + 2) ~= fname .. ": " then
    e.message = fname .. ": " .. e.message
  end
  error(e, 0)
end

-- What is at a host path ("missing", "file", "dir", ...; core.path_type),
-- and with follow its real path. Other failures (a file named as "f/", no
-- permission) raise naming fname and the path.
local function host_type(fname, path, follow)
  local kind, real = core.path_type(path, follow)
  if not kind then
    fail(fname, real:find("ermission denied") and "permission" or "bad_request", real)
  end
  return kind, real
end

-- The destination in the container: the path to plan with and its stat
-- (nil when missing: like the CLI, any refusal to stat it counts as
-- missing, and the unpacking then tells). A symlink is followed once, as
-- the CLI does.
local function ctr_dest(c, cli, path)
  local function stat_of(p)
    local text, msg, code, detail = cli:container_archive_info(c.id, { path = p })
    if text == nil and math.type(code) ~= "integer" then check(text, msg, code, detail) end
    return text and M.decode_stat(text)
  end
  local st = stat_of(path)
  if st and st.type == "symlink" and st.link_target then
    local target = st.link_target
    if target:sub(1, 1) ~= "/" then
      local dir = split_path(path)
      target = (dir == "/" and "" or dir) .. "/" .. target
    end
    return target, stat_of(target)
  end
  return path, st
end

local function copy_in(c, cli, host_path, ctr_path)
  local src_type = host_type("copy_in", host_path, false)
  if src_type == "missing" then
    fail("copy_in", "not_found", "no such file or folder on the host: " .. host_path)
  end
  local dst, st = ctr_dest(c, cli, ctr_path)
  if st and st.type ~= "dir" and st.type ~= "file" then
    fail("copy_in", "bad_request", ctr_path .. " in the container must be a folder or a regular "
      .. "file, not a " .. tostring(st.type))
  end
  local dir, name, why = plan(src_type == "dir", dst, st and st.type)
  if not dir then fail("copy_in", name, why .. ": " .. ctr_path .. " in the container") end
  local _, base = split_path(host_path)
  local bytes, msg, code = core.tar(host_path, { keep_root = base ~= ".", name = name })
  if not bytes then
    fail("copy_in", core.error_kind(code, msg), msg)
  end
  local done, emsg, ecode, detail = cli:put_container_archive(c.id, bytes,
    { path = dir, noOverwriteDirNonDir = true })
  if done == nil and emsg ~= nil then
    local e = errors.from_core(emsg, ecode, detail)
    -- a folder/non-folder clash (kind conflict) is worded one way on every engine
    if e.kind == "conflict" then
      e.message = clash_message(tostring(e.message))
    end
    errors.raise(e)
  end
  return true
end

-- c:copy_in(host_path, ctr_path) -> true, by `docker cp host_path ctr:ctr_path`'s
-- rules: into an existing folder (as <name>, or only a folder's contents
-- when host_path ends in "/."); else the file or folder becomes ctr_path
-- (its parent must exist), replacing a file; a folder never replaces a
-- file, and a file never makes a missing "ctr_path/". Symlinks are copied
-- as symlinks.
function Container:copy_in(host_path, ctr_path)
  local cli = self_check(self, "copy_in")
  path_arg("copy_in", 1, "host_path", host_path)
  path_arg("copy_in", 2, "ctr_path", ctr_path)
  return named("copy_in", pcall(copy_in, self, cli, host_path, ctr_path))
end

-- Where copy_out writes: the existing folder or file host_path resolves to
-- (and its type), or host_path itself when missing, once its parent is
-- known to be a folder (the CLI's ValidateOutputPath).
local function host_dest(host_path)
  local kind, real = host_type("copy_out", host_path, true)
  if kind == "dir" or kind == "file" then return real, kind end
  if kind ~= "missing" then
    fail("copy_out", "bad_request", host_path .. " must be a folder or a regular file, not a " .. kind)
  end
  if host_type("copy_out", host_path, false) == "symlink" then
    fail("copy_out", "bad_request", host_path .. " is a symlink to nothing; name its target instead")
  end
  local parent = split_path(host_path)
  local pkind = host_type("copy_out", parent, true)
  if pkind == "missing" then
    fail("copy_out", "not_found", "no such folder on the host: " .. parent .. " (for " .. host_path .. ")")
  elseif pkind ~= "dir" then
    fail("copy_out", "bad_request", parent .. " is not a folder (for " .. host_path .. ")")
  end
  return host_path, nil
end

local function copy_out(c, cli, ctr_path, host_path)
  local dst, dst_type = host_dest(host_path)
  -- the root's entries are absolute names ("/", "/etc"); "/." names them as
  -- the contents of "/", which the rules below handle
  local src = select(2, split_path(ctr_path)) == "/" and "/." or ctr_path
  local s, stat = open_archive(c, cli, src)
  local dir, name, why = plan(stat ~= nil and stat.type == "dir", dst, dst_type)
  if not dir then
    s:close()
    fail("copy_out", name, why .. ": " .. host_path)
  end
  local bytes = read_all(c, s)
  local opts = { no_overwrite_dir_nondir = true }
  if name then opts.rename_from, opts.rename_to = select(2, split_path(src)), name end
  local r, msg, code, detail = core.untar(bytes, dir, opts)
  if not r then
    if msg:find("^cannot overwrite") then fail("copy_out", "conflict", msg) end
    if code == "ARG" then fail("copy_out", "bad_request", msg) end
    errors.raise(errors.from_core(msg, code, detail))
  end
  r.stat = stat
  return r
end

-- c:copy_out(ctr_path, host_path) -> { files=, skipped=, devices=, fifos=,
-- sockets=, unsafe=, other=, stat= }, by `docker cp ctr:ctr_path host_path`'s
-- rules (as copy_in's, the other way). Nothing is written outside what
-- host_path names (or host_path/<name>); devices, fifos and sockets are
-- skipped, setuid/setgid/sticky bits dropped, owners not restored (the
-- counts say what was left out).
function Container:copy_out(ctr_path, host_path)
  local cli = self_check(self, "copy_out")
  path_arg("copy_out", 1, "ctr_path", ctr_path)
  path_arg("copy_out", 2, "host_path", host_path)
  return named("copy_out", pcall(copy_out, self, cli, ctr_path, host_path))
end

-- ---- build contexts --------------------------------------------------------------

-- The patterns of dir/.dockerignore as the docker CLI reads them: a UTF-8
-- BOM dropped, lines starting with "#" are comments, blank lines skipped,
-- the rest trimmed (cleaning and "!" are core's: core.tar{ exclude = }).
-- No file: an empty list.
function M.read_dockerignore(dir)
  if type(dir) ~= "string" or dir == "" then
    argcheck.argerror("read_dockerignore", 1, nil, "folder path expected, got " .. type(dir))
  end
  local f = io.open(dir .. "/.dockerignore", "rb")
  if not f then return {} end
  local text = f:read("a") or ""
  f:close()
  text = text:gsub("^\239\187\191", "")
  local out = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if line:sub(1, 1) ~= "#" then
      line = shell.trim(line)
      if line ~= "" then out[#out + 1] = line end
    end
  end
  return out
end

return M
