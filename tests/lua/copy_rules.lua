-- tests/lua/copy_rules.lua — c:copy_in and c:copy_out follow `docker cp`'s
-- rules in both directions (issue 9): a file into an existing folder, to a
-- missing path (renamed), over a file; a folder to a missing path (renamed,
-- also with a trailing "/"), into a folder (as a sub-folder); "dir/." as
-- the folder's contents, into a folder or to a new one; symlinks copied as
-- links; a destination symlink followed; the errors (missing source,
-- missing parent, folder onto file, file onto a missing "x/", folder
-- replacing non-folder) each naming the function and the path, with nothing
-- changed; the safety rules kept when copy_out renames; core.untar's rename
-- against hostile names; bad input. Every case also runs the real
-- `docker cp` on the same input (when the CLI is installed) and compares
-- the resulting trees. The one container carries a test label and is
-- removed at the end; host files live in T.tmpdir() folders.
local T = require "testlib"
local docker = require "luadock"
local core = require "luadock.core"

local d = docker.connect()
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local TESTLABEL = "luadock.test.copy_rules"
local SLEEPER = "sh -c 'trap \"exit 0\" TERM; sleep 600 & wait'"
local _, HAVE_CLI = T.sh("command -v docker >/dev/null 2>&1")
if not HAVE_CLI then print("# docker CLI not found: comparisons with docker cp skipped") end

local ok_setup, c = pcall(d.run, d, { image = T.image, cmd = SLEEPER, name = "ld-cprules-" .. RUN,
  detach = true, stop_timeout = 1, labels = { [TESTLABEL] = RUN } })
if not ok_setup then
  print("not ok - setup: " .. tostring(c))
  pcall(d.cleanup, d, {})
  os.exit(1)
end

-- ---- helpers ---------------------------------------------------------------------

local function sh_ok(cmd)
  local out, ok = T.sh(cmd)
  T.ok(ok, "command failed: " .. cmd .. "\n" .. out)
  return out
end

local function ctr_sh(script)
  local r = c:exec{ cmd = { "sh", "-c", script } }
  T.eq(r.exit_code, 0, "in the container: " .. script .. "\n" .. tostring(r.stderr))
  return r.stdout
end

-- One line per entry under the current folder: path, type, and mode, mtime
-- and md5 for files, mode for folders, the target for symlinks. Plain sh, so
-- busybox in the container and the host run the same lines.
local LIST = [[find . | LC_ALL=C sort | while read -r p; do
  [ "$p" = . ] && continue
  if [ -L "$p" ]; then echo "$p|l|$(readlink "$p")"
  elif [ -d "$p" ]; then echo "$p|d|$(stat -c %a "$p")"
  elif [ -f "$p" ]; then echo "$p|f|$(stat -c %a "$p")|$(stat -c %Y "$p")|$(md5sum < "$p" | cut -c1-32)"
  else echo "$p|other"; fi
done]]

local function ctr_list(dir) return ctr_sh("cd " .. T.q(dir) .. " && " .. LIST) end
local function host_list(dir) return sh_ok("cd " .. T.q(dir) .. " && " .. LIST) end

local function has(listing, prefix)
  return ("\n" .. listing):find("\n" .. prefix, 1, true) ~= nil
end

local write = T.write

-- The host source tree, made once: a file, a folder with a sub-folder, an
-- executable, a 0640 file, a relative symlink, and a symlink to a file.
local SRC = T.tmpdir()
sh_ok("mkdir -p " .. T.q(SRC .. "/site/sub") .. " && chmod 750 " .. T.q(SRC .. "/site/sub"))
write(SRC .. "/f.txt", "new content\n", 420)
write(SRC .. "/site/a.txt", "alpha\n", 420)
write(SRC .. "/site/run.sh", "#!/bin/sh\necho run\n", 493)
write(SRC .. "/site/sub/b.txt", "beta\n", 416)
sh_ok("ln -s ../a.txt " .. T.q(SRC .. "/site/sub/up") .. " && ln -s f.txt " .. T.q(SRC .. "/lnk"))

-- The same tree inside the container, under /src, for copy_out.
ctr_sh("set -e; mkdir -p /src/site/sub; chmod 750 /src/site/sub; printf 'new content\\n' > /src/f.txt; "
  .. "printf 'alpha\\n' > /src/site/a.txt; printf '#!/bin/sh\\necho run\\n' > /src/site/run.sh; "
  .. "chmod 755 /src/site/run.sh; printf 'beta\\n' > /src/site/sub/b.txt; chmod 640 /src/site/sub/b.txt; "
  .. "ln -s ../a.txt /src/site/sub/up; ln -s f.txt /src/lnk")

-- A destination set up twice the same way (`pre`, shell, run inside each):
-- <area>/lua for luadock and <area>/cli for the CLI.
local function ctr_area(name, pre)
  local area = "/r/" .. name
  ctr_sh(string.format("set -e; mkdir -p %s/lua %s/cli; cd %s/lua; %s; cd %s/cli; %s",
    area, area, area, pre or ":", area, pre or ":"))
  return area
end

local function host_area(pre)
  local area = T.tmpdir()
  sh_ok(string.format("set -e; cd %s; mkdir lua cli; cd lua; %s; cd ../cli; %s", T.q(area),
    pre or ":", pre or ":"))
  return area
end

-- copy_in src to <area>/lua/<dst>, and `docker cp src ctr:<area>/cli/<dst>`;
-- the two trees must match. Returns the tree and the area.
local function in_case(name, src, dst, pre)
  local area = ctr_area(name, pre)
  T.eq(c:copy_in(src, area .. "/lua/" .. dst), true)
  local got = ctr_list(area .. "/lua")
  if HAVE_CLI then
    local out, ok = T.sh("docker cp " .. T.q(src) .. " " .. T.q(c.id .. ":" .. area .. "/cli/" .. dst) .. " 2>&1")
    T.ok(ok, "docker cp succeeds too: " .. out)
    T.eq(got, ctr_list(area .. "/cli"), "the same tree as docker cp makes")
  end
  return got, area
end

-- copy_out src to <area>/lua/<dst>, and `docker cp ctr:src <area>/cli/<dst>`.
local function out_case(src, dst, pre)
  local area = host_area(pre)
  local r = c:copy_out(src, area .. "/lua/" .. dst)
  T.eq(type(r), "table")
  T.eq(r.skipped, 0)
  local got = host_list(area .. "/lua")
  if HAVE_CLI then
    local out, ok = T.sh("docker cp " .. T.q(c.id .. ":" .. src) .. " " .. T.q(area .. "/cli/" .. dst) .. " 2>&1")
    T.ok(ok, "docker cp succeeds too: " .. out)
    T.eq(got, host_list(area .. "/cli"), "the same tree as docker cp makes")
  end
  return got, area, r
end

-- A failing copy: a docker.Error of `kind` whose text names the function
-- and `names` (plain text); nothing changed, unless `partial` (a clash
-- found midway leaves what came before it, as with docker cp); the CLI
-- fails too, leaving the same tree (when cli_list is given).
local function expect_failure(fname, fn, kind, names, list, cli_cmd, cli_list, partial)
  local before = list()
  local e = T.raises_kind(fn, kind)
  local text = tostring(e)
  T.ok(text:find(fname .. ": ", 1, true), "names the function: " .. text)
  T.ok(text:find(names, 1, true), "names " .. names .. ": " .. text)
  if not partial then T.eq(list(), before, "nothing changed") end
  if HAVE_CLI then
    local out, ok = T.sh(cli_cmd .. " 2>&1")
    T.ok(not ok, "docker cp fails as well: " .. out)
    if cli_list then T.eq(cli_list(), list(), "docker cp leaves the same tree") end
  end
  return e
end

local function in_error(name, src, dst, pre, kind, names, partial)
  local area = ctr_area(name, pre)
  return expect_failure("copy_in", function() c:copy_in(src, area .. "/lua/" .. dst) end, kind,
    names or (area .. "/lua/" .. dst), function() return ctr_list(area .. "/lua") end,
    "docker cp " .. T.q(src) .. " " .. T.q(c.id .. ":" .. area .. "/cli/" .. dst),
    -- a partial copy depends on the order of the tar, which is the CLI's own
    not partial and function() return ctr_list(area .. "/cli") end or nil, partial)
end

local function out_error(src, dst, pre, kind, names, partial)
  local area = host_area(pre)
  return expect_failure("copy_out", function() c:copy_out(src, area .. "/lua/" .. dst) end, kind,
    names and names(area .. "/lua") or (area .. "/lua/" .. dst), function() return host_list(area .. "/lua") end,
    "docker cp " .. T.q(c.id .. ":" .. src) .. " " .. T.q(area .. "/cli/" .. dst),
    function() return host_list(area .. "/cli") end, partial)
end

-- The site/ tree copied to `at` (its files, modes and link).
local function site_at(listing, at)
  return has(listing, at .. "/a.txt|f|644|") and has(listing, at .. "/run.sh|f|755|")
    and has(listing, at .. "/sub|d|750") and has(listing, at .. "/sub/b.txt|f|640|")
    and has(listing, at .. "/sub/up|l|../a.txt")
end

-- ---- copy_in: host -> container ------------------------------------------------------

T.test("copy_in: file into an existing folder lands inside it", function()
  local got, area = in_case("in-f-dir", SRC .. "/f.txt", "edir", "mkdir edir")
  T.ok(has(got, "./edir/f.txt|f|644|"), got)
  T.eq(ctr_sh("cat " .. area .. "/lua/edir/f.txt"), "new content\n")
end)

T.test("copy_in: file to a missing path becomes that path", function()
  local got, area = in_case("in-f-new", SRC .. "/f.txt", "newf")
  T.ok(has(got, "./newf|f|644|"), got)
  T.ok(not has(got, "./f.txt"), got)
  T.eq(ctr_sh("cat " .. area .. "/lua/newf"), "new content\n")
end)

T.test("copy_in: file over an existing file overwrites it", function()
  local got, area = in_case("in-f-file", SRC .. "/f.txt", "efile", "echo old > efile")
  T.eq(ctr_sh("cat " .. area .. "/lua/efile"), "new content\n")
  T.ok(not has(got, "./f.txt"), got)
end)

T.test("copy_in: folder to a missing path is created with the folder's content", function()
  local got = in_case("in-d-new", SRC .. "/site", "newd")
  T.ok(site_at(got, "./newd"), got)
  T.ok(not has(got, "./newd/site"), got)
  got = in_case("in-d-new-slash", SRC .. "/site/", "newd2/")
  T.ok(site_at(got, "./newd2"), "a trailing / on either side changes nothing: " .. got)
end)

T.test("copy_in: folder into an existing folder lands as a sub-folder", function()
  local got = in_case("in-d-dir", SRC .. "/site", "edir", "mkdir edir && echo keep > edir/k")
  T.ok(site_at(got, "./edir/site"), got)
  T.ok(has(got, "./edir/k|f|"), "what was there stays: " .. got)
end)

T.test("copy_in: dir/. copies the content, into an existing or a new folder", function()
  local got = in_case("in-dot-dir", SRC .. "/site/.", "edir", "mkdir edir")
  T.ok(site_at(got, "./edir"), got)
  T.ok(not has(got, "./edir/site"), got)
  got = in_case("in-dot-new", SRC .. "/site/.", "dotnew")
  T.ok(site_at(got, "./dotnew"), got)
end)

T.test("copy_in: symlinks are copied as links; a destination symlink is followed", function()
  local got = in_case("in-link", SRC .. "/lnk", "l2")
  T.ok(has(got, "./l2|l|f.txt"), "the link itself, renamed: " .. got)
  got = in_case("in-dst-link", SRC .. "/f.txt", "ledir", "mkdir edir && ln -s edir ledir")
  T.ok(has(got, "./edir/f.txt|f|644|"), "through the link into the folder: " .. got)
  T.ok(has(got, "./ledir|l|edir"), got)
end)

T.test("copy_in errors: missing source, missing parent, folder onto file, file onto x/", function()
  local e = in_error("in-e-src", SRC .. "/no-such", "x", nil, "not_found", SRC .. "/no-such")
  T.ok(tostring(e):find("no such file or folder on the host", 1, true), tostring(e))
  in_error("in-e-parent", SRC .. "/f.txt", "nop/newf", nil, "not_found", "/r/in-e-parent/lua/nop")
  in_error("in-e-parent-d", SRC .. "/site", "nop/newd", nil, "not_found", "/r/in-e-parent-d/lua/nop")
  e = in_error("in-e-dirfile", SRC .. "/site", "efile", "echo old > efile", "conflict")
  T.ok(tostring(e):find("cannot copy a folder onto a file", 1, true), tostring(e))
  in_error("in-e-dotfile", SRC .. "/site/.", "efile", "echo old > efile", "conflict")
  e = in_error("in-e-slash", SRC .. "/f.txt", "miss/", nil, "not_found")
  T.ok(tostring(e):find("no such folder", 1, true), tostring(e))
  in_error("in-e-slash-file", SRC .. "/f.txt", "efile/", "echo old > efile", "not_found")
  -- the engine keeps folders folders (noOverwriteDirNonDir, as the CLI asks)
  local e2 = in_error("in-e-clash", SRC .. "/site/.", "edir", "mkdir -p edir/a.txt/x", "conflict",
    "/edir/a.txt", true)
  T.ok(tostring(e2):find("cannot overwrite", 1, true), tostring(e2))
end)

-- ---- copy_out: container -> host ------------------------------------------------------

T.test("copy_out: file into an existing folder lands inside it", function()
  local got, area, r = out_case("/src/f.txt", "edir", "mkdir edir")
  T.ok(has(got, "./edir/f.txt|f|644|"), got)
  T.eq(T.read(area .. "/lua/edir/f.txt"), "new content\n")
  T.eq(r.files, 1)
  T.eq(r.stat.name, "f.txt")
end)

T.test("copy_out: file to a missing path becomes that path", function()
  local got, area = out_case("/src/f.txt", "newf")
  T.ok(has(got, "./newf|f|644|"), got)
  T.eq(select(2, got:gsub("\n", "")), 1, "nothing else: " .. got)
  T.eq(T.read(area .. "/lua/newf"), "new content\n")
end)

T.test("copy_out: file over an existing file overwrites it", function()
  local got, area = out_case("/src/f.txt", "efile", "echo old > efile")
  T.eq(T.read(area .. "/lua/efile"), "new content\n")
  T.ok(not has(got, "./f.txt"), got)
end)

T.test("copy_out: folder to a missing path is created with the folder's content", function()
  local got = out_case("/src/site", "newd")
  T.ok(site_at(got, "./newd"), got)
  T.ok(not has(got, "./newd/site") and not has(got, "./site"), got)
  got = out_case("/src/site/", "newd2/")
  T.ok(site_at(got, "./newd2"), got)
end)

T.test("copy_out: folder into an existing folder lands as a sub-folder", function()
  local got = out_case("/src/site", "edir", "mkdir edir && echo keep > edir/k")
  T.ok(site_at(got, "./edir/site"), got)
  T.ok(has(got, "./edir/k|f|"), got)
end)

T.test("copy_out: dir/. copies the content, into an existing or a new folder", function()
  local got = out_case("/src/site/.", "edir", "mkdir edir")
  T.ok(site_at(got, "./edir"), got)
  got = out_case("/src/site/.", "dotnew")
  T.ok(site_at(got, "./dotnew"), got)
  T.ok(has(got, "./dotnew|d|755"), got)
end)

T.test("copy_out: symlinks are copied as links; a destination symlink is followed", function()
  local got = out_case("/src/lnk", "l2")
  T.ok(has(got, "./l2|l|f.txt"), got)
  got = out_case("/src/f.txt", "ledir", "mkdir edir && ln -s edir ledir")
  T.ok(has(got, "./edir/f.txt|f|644|"), got)
  T.ok(has(got, "./ledir|l|edir"), got)
end)

T.test("copy_out errors: missing source, missing parent, folder onto file, file onto x/", function()
  local e = out_error("/src/no-such", "x", nil, "not_found", function() return "/src/no-such" end)
  T.eq(e.status, 404)
  out_error("/src/f.txt", "nop/newf", nil, "not_found", function(dir) return dir .. "/nop" end)
  out_error("/src/site", "nop/newd", nil, "not_found", function(dir) return dir .. "/nop" end)
  e = out_error("/src/site", "efile", "echo old > efile", "conflict")
  T.ok(tostring(e):find("cannot copy a folder onto a file", 1, true), tostring(e))
  out_error("/src/site/.", "efile", "echo old > efile", "conflict")
  out_error("/src/f.txt", "miss/", nil, "not_found")
  out_error("/src/f.txt", "efile/", "echo old > efile", "bad_request")
  -- a folder never replaces a file, nor a file a folder
  e = out_error("/src/site/.", "edir", "mkdir -p edir && echo x > edir/sub", "conflict",
    function(dir) return dir .. "/edir/sub" end, true)
  T.ok(tostring(e):find("cannot overwrite", 1, true), tostring(e))
  out_error("/src/site/.", "edir", "mkdir -p edir/a.txt/x", "conflict",
    function(dir) return dir .. "/edir/a.txt" end, true)
end)

T.test("copy_out renaming keeps the safety rules: no setuid, no devices, links not followed", function()
  ctr_sh("set -e; mkdir -p /hostile/d; cd /hostile; ln -s / esc; ln -s ../../.. d/up; "
    .. "echo s > suid; chmod 6755 suid; mknod null c 1 3; mkfifo fifo; mkdir sticky; chmod 1777 sticky")
  local base = T.tmpdir()
  local r = c:copy_out("/hostile", base .. "/renamed")
  T.eq(r.devices, 1)
  T.eq(r.fifos, 1)
  T.eq(r.unsafe, 0)
  T.eq(sh_ok("ls -A " .. T.q(base)), "renamed\n", "nothing beside the destination")
  local got = host_list(base)
  T.ok(has(got, "./renamed/esc|l|/"), got)
  T.ok(has(got, "./renamed/d/up|l|../../.."), got)
  T.ok(has(got, "./renamed/suid|f|755|"), got)
  T.ok(has(got, "./renamed/sticky|d|755"), got)
  T.ok(not got:find("null") and not got:find("fifo"), got)
  T.eq(sh_ok("find " .. T.q(base) .. " -perm /7000"), "", "no setuid, setgid or sticky bits")
end)

-- ---- core.untar's rename against hand-made names ----------------------------------------

local function octal(n, width) return string.format("%0" .. (width - 1) .. "o", n) .. "\0" end
local function pad(s, width) return s .. string.rep("\0", width - #s) end

-- A ustar tar of { name=, type = "0" file | "1" hard link | "5" folder, data=, link= }.
local function make_tar(entries)
  local parts = {}
  for _, e in ipairs(entries) do
    local data = e.data or ""
    local h = pad(e.name, 100) .. octal(e.mode or 420, 8) .. octal(0, 8) .. octal(0, 8)
      .. octal(#data, 12) .. octal(1700000000, 12) .. "        " .. (e.type or "0")
      .. pad(e.link or "", 100) .. "ustar\0" .. "00" .. string.rep("\0", 64 + 16 + 155 + 12)
    local sum = 0
    for i = 1, #h do sum = sum + h:byte(i) end
    parts[#parts + 1] = h:sub(1, 148) .. string.format("%06o", sum) .. "\0 " .. h:sub(157)
      .. data .. string.rep("\0", (512 - #data % 512) % 512)
  end
  return table.concat(parts) .. string.rep("\0", 1024)
end

T.test("core.untar rename: only names under rename_from move, none escape", function()
  local base = T.tmpdir()
  sh_ok("mkdir " .. T.q(base .. "/dest") .. " && echo secret > " .. T.q(base .. "/canary"))
  local tar = make_tar{
    { name = "x/", type = "5", mode = 488 },
    { name = "x/a", data = "a" },
    { name = "x/hl", type = "1", link = "x/a" },
    { name = "y/b", data = "outside x" },
    { name = "xx/c", data = "a longer name, not x" },
    { name = "x/../../esc", data = "dot dot" },
    { name = "/x/abs", data = "absolute" },
    { name = "x/hl2", type = "1", link = "y/b" },
    { name = "x/hl3", type = "1", link = "../canary" },
  }
  local r = assert(core.untar(tar, base .. "/dest", { rename_from = "x", rename_to = "new" }))
  T.eq(r.files, 3, T.show(r))
  T.eq(r.unsafe, 6, T.show(r))
  T.eq(sh_ok("cd " .. T.q(base) .. " && find . | LC_ALL=C sort"),
    ".\n./canary\n./dest\n./dest/new\n./dest/new/a\n./dest/new/hl\n")
  T.eq(T.read(base .. "/dest/new/hl"), "a")
  T.eq(sh_ok("stat -c %a " .. T.q(base .. "/dest/new")), "750\n", "the folder entry renamed, mode kept")
  T.eq(T.read(base .. "/canary"), "secret\n")
  -- "." renames a folder's contents
  local dest2 = T.tmpdir()
  r = assert(core.untar(make_tar{ { name = "./", type = "5", mode = 493 }, { name = "./a", data = "1" },
    { name = "b", data = "2" } }, dest2, { rename_from = ".", rename_to = "n" }))
  T.eq(r.files, 3)
  T.eq(T.read(dest2 .. "/n/a"), "1")
  T.eq(T.read(dest2 .. "/n/b"), "2")
  -- a folder never replaces a file when asked
  local r3, msg = core.untar(make_tar{ { name = "n/b/", type = "5" } }, dest2, { no_overwrite_dir_nondir = true })
  T.eq(r3, nil)
  T.ok(msg:find("cannot overwrite non%-directory .*/n/b"), msg)
  T.eq(T.read(dest2 .. "/n/b"), "2")
  -- what lies behind a planted symlink decides nothing: the write is refused
  local outside = T.tmpdir()
  sh_ok("mkdir " .. T.q(outside .. "/sub"))
  r3 = assert(core.untar(make_tar{ { name = "n/out", type = "2", link = outside },
    { name = "n/out/sub", data = "through the link" } }, dest2, { no_overwrite_dir_nondir = true }))
  T.eq(r3.unsafe, 1, T.show(r3))
  T.eq(sh_ok("cd " .. T.q(outside) .. " && find . | LC_ALL=C sort"), ".\n./sub\n", "untouched")
end)

T.test("paths split as the CLI's SplitPathDirEntry does", function()
  local split = require("luadock.container.archive").split_path
  for _, v in ipairs{
    { "/a/b", "/a", "b" }, { "/a/b/", "/a", "b" }, { "/a/b/.", "/a/b", "." }, { "dir/./", "dir", "." },
    { "a", ".", "a" }, { "/", "/", "/" }, { ".", ".", "." }, { "a/../b", ".", "b" }, { "x/..", ".", "." },
    { "/a/./b//c/", "/a/b", "c" }, { "../x", "..", "x" }, { "/../x", "/", "x" }, { "/..", "/", "/" },
  } do
    local dir, base = split(v[1])
    T.eq({ dir, base }, { v[2], v[3] }, v[1])
  end
end)

-- ---- bad input ---------------------------------------------------------------------------

T.test("bad input raises naming the function and the argument", function()
  local f = SRC .. "/f.txt"
  for _, case in ipairs{
    { function() c:copy_in(nil, "/tmp") end, "bad argument #1 to 'copy_in' %(field 'host_path': path string expected, got nil" },
    { function() c:copy_in(42, "/tmp") end, "bad argument #1 to 'copy_in' %(field 'host_path': path string expected, got number" },
    { function() c:copy_in("", "/tmp") end, "bad argument #1 to 'copy_in' %(field 'host_path': non%-empty path expected" },
    { function() c:copy_in(f, {}) end, "bad argument #2 to 'copy_in' %(field 'ctr_path': path string expected, got table" },
    { function() c:copy_in(f, "") end, "bad argument #2 to 'copy_in' %(field 'ctr_path': non%-empty path expected" },
    { function() c:copy_in(f, "/tmp\0x") end, "bad argument #2 to 'copy_in' %(field 'ctr_path': path contains a NUL" },
    { function() c:copy_out(nil, SRC) end, "bad argument #1 to 'copy_out' %(field 'ctr_path': path string expected, got nil" },
    { function() c:copy_out("", SRC) end, "bad argument #1 to 'copy_out' %(field 'ctr_path': non%-empty path expected" },
    { function() c:copy_out("/src", true) end, "bad argument #2 to 'copy_out' %(field 'host_path': path string expected, got boolean" },
    { function() c:copy_out("/src", "") end, "bad argument #2 to 'copy_out' %(field 'host_path': non%-empty path expected" },
    { function() docker.Container.copy_out({}, "/src", SRC) end, "calling 'copy_out' on bad self" },
    { function() core.tar(f, { name = "a/b" }) end, "bad argument #2 to 'tar' %(field 'name': one path segment expected" },
    { function() core.tar(f, { name = ".." }) end, "bad argument #2 to 'tar' %(field 'name'" },
    { function() core.tar(f, { name = 5 }) end, "bad argument #2 to 'tar' %(field 'name': string expected, got number" },
    { function() core.untar("", SRC, { rename_from = "x" }) end, "bad argument #3 to 'untar' %(fields 'rename_from' and 'rename_to'" },
    { function() core.untar("", SRC, { rename_from = "x", rename_to = "." }) end, "bad argument #3 to 'untar' %(field 'rename_to': one path segment" },
    { function() core.untar("", SRC, { rename_from = "", rename_to = "y" }) end, "bad argument #3 to 'untar' %(field 'rename_from'" },
    { function() core.untar("", SRC, 7) end, "bad argument #3 to 'untar'" },
    { function() core.path_type(nil) end, "bad argument #1 to 'path_type'" },
  } do
    T.raises(case[1], case[2])
  end
  T.eq(core.path_type(SRC .. "/no-such"), "missing")
  T.eq(core.path_type(SRC .. "/lnk"), "symlink")
  local kind, real = core.path_type(SRC .. "/lnk", true)
  T.eq(kind, "file")
  T.eq(real, sh_ok("realpath " .. T.q(SRC .. "/f.txt")):gsub("\n$", ""))
  local none, msg, code = core.path_type(SRC .. "/f.txt/x")
  T.eq(none, nil)
  T.eq(code, "IO")
  T.ok(msg:find("Not a directory", 1, true), msg)
end)

T.test("clean-up: remove this file's container", function()
  c:remove{ force = true }
  local left = d:containers{ all = true, filters = { label = { TESTLABEL .. "=" .. RUN } } }
  for _, x in ipairs(left) do x:remove{ force = true } end
  T.eq(#d:containers{ all = true, filters = { label = { TESTLABEL .. "=" .. RUN } } }, 0)
end)

pcall(function() c:remove{ force = true } end)
pcall(d.cleanup, d, {})
T.done()
