-- tests/lua/archives.lua — files in and out of containers (API.md "Containers":
-- put_archive, get_archive, copy_in, copy_out) and the tar layer under them
-- (core.tar, core.untar, .dockerignore): round trips with content and stat
-- fields, copy_in of a file, a folder tree (symlink, executable) and a
-- folder's contents, copy_out byte-identical to the source; HOSTILE content
-- made inside a container (symlinks to /, ../../.. and /etc, a hard link to a
-- file outside the copied folder, setuid/setgid/sticky modes, device nodes, a
-- fifo) and hand-crafted tars (absolute and ".." names, writes through a
-- symlink planted earlier in the same archive or by an earlier copy, hard
-- links leaving the destination, a folder swapped for a symlink) extracted
-- next to canaries that must not change; bad input naming the function and
-- the field; 404 -> not_found. Containers carry a test label and are removed
-- at the end; host files live in T.tmpdir() folders.
local T = require "testlib"
local docker = require "luadock"
local core = require "luadock.core"
local archive = require "luadock.container.archive"

local d = docker.connect()
local IMG = T.image
local RUN = string.format("%08x", math.random(0, 0x7fffffff))
local MARK = "ldarch" .. RUN   -- in every name the hostile content makes
local TESTLABEL = "luadock.test.archives"
local SLEEPER = "sh -c 'trap \"exit 0\" TERM; sleep 300 & wait'"

local function bg(case, cmd)
  return d:run{ image = IMG, cmd = cmd or SLEEPER, name = "ld-arch-" .. RUN .. "-" .. case,
                detach = true, stop_timeout = 1, labels = { [TESTLABEL] = RUN } }
end

-- ---- a small ustar writer (the hostile tars are made by hand) ----------------

local TYPEFLAG = { file = "0", hardlink = "1", symlink = "2", char = "3", block = "4",
                   dir = "5", fifo = "6" }

local function octal(n, width)
  return string.format("%0" .. (width - 1) .. "o", n) .. "\0"
end

local function field(s, width)
  assert(#s <= width, "name too long for ustar: " .. s)
  return s .. string.rep("\0", width - #s)
end

-- entry{ name=, type="file"|"dir"|"symlink"|"hardlink"|"char"|"block"|"fifo",
--        data=, mode=, mtime=, link=, major=, minor= }
local function tar_entry(e)
  local kind = e.type or "file"
  local data = kind == "file" and (e.data or "") or ""
  local h = field(e.name, 100) .. octal(e.mode or 420, 8) .. octal(0, 8) .. octal(0, 8)
    .. octal(#data, 12) .. octal(e.mtime or 1700000000, 12) .. "        " .. TYPEFLAG[kind]
    .. field(e.link or "", 100) .. "ustar\0" .. "00" .. field("root", 32) .. field("root", 32)
    .. octal(e.major or 0, 8) .. octal(e.minor or 0, 8) .. field("", 155) .. field("", 12)
  local sum = 0
  for i = 1, #h do sum = sum + h:byte(i) end
  h = h:sub(1, 148) .. string.format("%06o", sum) .. "\0 " .. h:sub(157)
  return h .. data .. string.rep("\0", (512 - #data % 512) % 512)
end

local function make_tar(entries)
  local parts = {}
  for i, e in ipairs(entries) do parts[i] = tar_entry(e) end
  return table.concat(parts) .. string.rep("\0", 1024)
end

-- ---- host helpers --------------------------------------------------------------

local write = T.write

local read = T.read

local function sh_ok(cmd)
  local out, ok = T.sh(cmd)
  T.ok(ok, "command failed: " .. cmd .. "\n" .. out)
  return out
end

-- "relpath|type|mode|size|link target" per entry under dir, sorted.
local function listing(dir)
  return sh_ok("cd " .. T.q(dir) .. " && find . -mindepth 1 -printf '%P|%y|%m|%s|%l\\n' | LC_ALL=C sort")
end

-- "relpath epoch-seconds" of every regular file under dir, sorted.
local function mtimes(dir)
  return sh_ok("cd " .. T.q(dir) .. " && find . -type f -printf '%P %Ts\\n' | LC_ALL=C sort")
end

local function file_type(path)
  return (sh_ok("stat -c %F " .. T.q(path)):gsub("\n$", ""))
end

local function perm(path)
  return (sh_ok("stat -c %a " .. T.q(path)):gsub("\n$", ""))
end

local function readlink(path)
  return (sh_ok("readlink " .. T.q(path)):gsub("\n$", ""))
end

local function exists(path)
  local _, ok = T.sh("test -e " .. T.q(path) .. " -o -L " .. T.q(path))
  return ok
end

-- Names containing MARK in the folders a hostile symlink points at.
local function marks_in(...)
  local found = {}
  for _, dir in ipairs{ ... } do
    local out = T.sh("ls -A " .. T.q(dir) .. " 2>/dev/null")
    for name in out:gmatch("[^\n]+") do
      if name:find(MARK, 1, true) then found[#found + 1] = dir .. "/" .. name end
    end
  end
  return found
end

-- A folder tree with canaries next to the destination: base/canary (a file,
-- a sub-folder) and base/dest (empty). Returns base, dest, canary and a
-- function giving a snapshot of everything in base outside dest.
local function arena()
  local base = sh_ok("realpath " .. T.q(T.tmpdir())):gsub("\n$", "")
  local dest, canary = base .. "/dest", base .. "/canary"
  sh_ok("mkdir -m 755 " .. T.q(dest) .. " " .. T.q(canary) .. " " .. T.q(canary .. "/sub"))
  write(canary .. "/secret", "secret\n", 420)
  local function outside()
    return sh_ok("find " .. T.q(base) .. " -path " .. T.q(dest) .. " -prune -o -printf "
      .. "'%p|%y|%m|%s|%T@|%n|%l\\n' | LC_ALL=C sort")
  end
  return base, dest, canary, outside
end

local ok_setup, c = pcall(bg, "main")
if not ok_setup then
  print("not ok - setup: " .. tostring(c))
  pcall(d.cleanup, d, {})
  os.exit(1)
end

-- ---- round trips -------------------------------------------------------------------

local BIN = {}
for i = 0, 69999 do BIN[#BIN + 1] = string.char((i * 7 + i // 256) % 256) end
BIN = table.concat(BIN)

T.test("put_archive then get_archive: content and stat fields", function()
  local tar = make_tar{
    { name = "rt/", type = "dir", mode = 493, mtime = 1600000000 },
    { name = "rt/hello.txt", data = "hello\n", mode = 416, mtime = 1600000001 },
    { name = "rt/bin.dat", data = BIN, mode = 420, mtime = 1600000002 },
    { name = "rt/link", type = "symlink", link = "hello.txt", mtime = 1600000003 },
  }
  T.eq(c:put_archive("/tmp", tar), true)
  local bytes, st = c:get_archive("/tmp/rt/hello.txt")
  T.eq(type(bytes), "string")
  T.ok(#bytes >= 1024 and #bytes % 512 == 0, "tar size " .. #bytes)
  T.eq(st.name, "hello.txt")
  T.eq(st.size, 6)
  T.eq(st.type, "file")
  T.eq(st.perm, 416, "perm 0640")
  T.eq(st.mode, 416, "Go FileMode of a plain file is its permission bits")
  T.eq(st.mtime, 1600000001)
  T.eq(st.link_target, nil)
  T.eq(type(st.attrs), "table")
  local dir = T.tmpdir()
  local r = core.untar(bytes, dir)
  T.eq(r.files, 1)
  T.eq(read(dir .. "/hello.txt"), "hello\n")

  bytes, st = c:get_archive("/tmp/rt")
  T.eq(st.type, "dir")
  T.eq(st.name, "rt")
  T.eq(st.perm, 493)
  T.ok(st.mode & (1 << 31) ~= 0, "ModeDir bit")
  local dir2 = T.tmpdir()
  r = core.untar(bytes, dir2)
  T.eq(r.skipped, 0)
  T.eq(read(dir2 .. "/rt/bin.dat"), BIN, "70 KB of every byte value")
  T.eq(readlink(dir2 .. "/rt/link"), "hello.txt")
  T.eq(sh_ok("stat -c %Y " .. T.q(dir2 .. "/rt/bin.dat")), "1600000002\n", "mtime kept")

  bytes, st = c:get_archive("/tmp/rt/link")
  T.eq(st.type, "symlink")
  T.ok(st.link_target and st.link_target:find("hello.txt", 1, true), "link_target " .. tostring(st.link_target))
end)

T.test("copy_in of a file, checked with get_archive and copy_out", function()
  local dir = T.tmpdir()
  write(dir .. "/note.txt", "a note\n" .. BIN, 384)   -- 0600
  T.eq(c:copy_in(dir .. "/note.txt", "/tmp"), true)
  local _, st = c:get_archive("/tmp/note.txt")
  T.eq(st.name, "note.txt")
  T.eq(st.size, 7 + #BIN)
  T.eq(st.perm, 384)
  local out = T.tmpdir()
  local r = c:copy_out("/tmp/note.txt", out)
  T.eq(r.files, 1)
  T.eq(r.skipped, 0)
  T.eq(r.stat.name, "note.txt")
  T.eq(read(out .. "/note.txt"), "a note\n" .. BIN, "byte-identical")
  T.eq(perm(out .. "/note.txt"), "600")
end)

local TREE   -- the host folder copied in below

T.test("copy_in of a folder tree (symlink, executable) into a folder lands as <folder>/<name>", function()
  local base = T.tmpdir()
  TREE = base .. "/tree-" .. RUN
  sh_ok("mkdir -p " .. T.q(TREE .. "/sub/deep") .. " " .. T.q(TREE .. "/empty"))
  write(TREE .. "/a.txt", "alpha\n", 420)
  write(TREE .. "/sub/run.sh", "#!/bin/sh\necho run\n", 493)
  write(TREE .. "/sub/deep/bin.dat", BIN, 416)
  sh_ok("ln -s ../a.txt " .. T.q(TREE .. "/sub/link") .. " && ln -s /etc " .. T.q(TREE .. "/abs"))
  T.eq(c:copy_in(TREE, "/tmp"), true)
  local name = "tree-" .. RUN
  local _, st = c:get_archive("/tmp/" .. name .. "/sub/run.sh")
  T.eq(st.perm, 493, "executable stays executable")
  _, st = c:get_archive("/tmp/" .. name .. "/sub/link")
  T.eq(st.type, "symlink", "symlink stored as a symlink")
  _, st = c:get_archive("/tmp/" .. name .. "/empty")
  T.eq(st.type, "dir")
  -- back out again: the same tree, byte for byte
  local out = T.tmpdir()
  local r = c:copy_out("/tmp/" .. name, out)
  T.eq(r.skipped, 0)
  T.eq(r.files, 9)
  T.eq(listing(out .. "/" .. name), listing(TREE), "same names, types, modes, sizes, links")
  sh_ok("diff -r --no-dereference " .. T.q(TREE) .. " " .. T.q(out .. "/" .. name))
  T.eq(readlink(out .. "/" .. name .. "/abs"), "/etc", "absolute symlink kept, not followed")
  T.eq(read(out .. "/" .. name .. "/sub/deep/bin.dat"), BIN)
  -- file mtimes survive the trip (whole seconds)
  T.eq(mtimes(out .. "/" .. name), mtimes(TREE))
end)

T.test("copy_in of dir/. copies the folder's contents only", function()
  T.ok(TREE, "the tree of the last test")
  c:put_archive("/tmp", make_tar{ { name = "flat-" .. RUN .. "/", type = "dir", mode = 493 } })
  T.eq(c:copy_in(TREE .. "/.", "/tmp/flat-" .. RUN), true)
  local bytes, st = c:get_archive("/tmp/flat-" .. RUN .. "/a.txt")
  T.eq(st.size, 6)
  local out = T.tmpdir()
  core.untar(bytes, out)
  T.eq(read(out .. "/a.txt"), "alpha\n")
  T.raises_kind(function() c:get_archive("/tmp/flat-" .. RUN .. "/tree-" .. RUN) end, "not_found")
end)

T.test("copy_out of files made in the container is byte-identical (md5 inside and out)", function()
  local script = "set -e; mkdir -p /data/sub; head -c 300000 /dev/urandom > /data/rand.bin; "
    .. "printf 'x%.0s' $(seq 1 5000) > /data/sub/xs.txt; chmod 750 /data/sub/xs.txt; "
    .. "md5sum /data/rand.bin /data/sub/xs.txt; echo ready; "
    .. "trap 'exit 0' TERM; sleep 300 & wait"
  local m <close> = bg("md5", { "sh", "-c", script })
  local logs = T.wait_until(function()
    local l = m:logs()
    return l:find("ready", 1, true) and l
  end, 20, "the files")
  local want = {}
  for sum, path in logs:gmatch("(%x+)%s+(%S+)") do want[path] = sum end
  local out = T.tmpdir()
  local r = m:copy_out("/data/rand.bin", out)
  T.eq(r.files, 1)
  T.eq(sh_ok("md5sum < " .. T.q(out .. "/rand.bin")):match("%x+"), want["/data/rand.bin"])
  local out2 = T.tmpdir()
  r = m:copy_out("/data", out2)
  T.eq(r.skipped, 0)
  T.eq(r.stat.type, "dir")
  T.eq(sh_ok("md5sum < " .. T.q(out2 .. "/data/rand.bin")):match("%x+"), want["/data/rand.bin"])
  T.eq(sh_ok("md5sum < " .. T.q(out2 .. "/data/sub/xs.txt")):match("%x+"), want["/data/sub/xs.txt"])
  T.eq(perm(out2 .. "/data/sub/xs.txt"), "750")
end)

-- ---- hostile content ------------------------------------------------------------------

local HOSTILE = table.concat({
  "set -e",
  "mkdir -p /evil/sub",
  "cd /evil",
  "ln -s / esc",
  "ln -s ../../.. up",
  "ln -s /etc abs",
  "ln -s /tmp/nowhere-M dangling",
  "echo outside > /outside-M",
  "ln /outside-M hl-M",                      -- hard link to a file outside /evil
  "printf '#!/bin/sh\\necho hi\\n' > suid-M && chmod 4755 suid-M",
  "echo g > sgid-M && chmod 2755 sgid-M",
  "mkdir sticky-M && chmod 1777 sticky-M",
  "mknod null-M c 1 3",
  "mknod blk-M b 7 0",
  "mkfifo fifo-M",
  "echo inner > sub/file-M",
  "echo ready",
  "trap 'exit 0' TERM; sleep 300 & wait",
}, "\n"):gsub("%-M", "-" .. MARK)

T.test("HOSTILE container content: copy_out keeps everything inside the destination", function()
  local h <close> = bg("hostile", { "sh", "-c", HOSTILE })
  T.wait_until(function() return h:logs():find("ready", 1, true) end, 20, "the hostile setup")
  -- what the engine says about it
  local _, st = h:get_archive("/evil/suid-" .. MARK)
  T.eq(st.perm, 2541, "04755 in the container")
  _, st = h:get_archive("/evil/null-" .. MARK)
  T.eq(st.type, "char_device")
  _, st = h:get_archive("/evil/fifo-" .. MARK)
  T.eq(st.type, "fifo")
  _, st = h:get_archive("/evil/esc")
  T.eq(st.type, "symlink")
  T.eq(st.link_target, "/")

  local base, dest, canary, outside = arena()
  local before = outside()
  local r = h:copy_out("/evil", dest)
  T.eq(r.devices, 2, "two device nodes skipped")
  T.eq(r.fifos, 1, "one fifo skipped")
  T.eq(r.skipped, 3)
  T.eq(r.unsafe, 0)
  local ev = dest .. "/evil"
  -- nothing outside changed, nothing at the symlinks' real targets
  T.eq(outside(), before, "canary and everything else in " .. base)
  T.eq(marks_in("/", "/etc", "/tmp", base .. "/..", canary), {})
  T.ok(not exists("/outside-" .. MARK), "no /outside on the host")
  -- no special files, no setuid/setgid/sticky bits
  T.eq(sh_ok("find " .. T.q(dest) .. " \\( -type c -o -type b -o -type p -o -type s \\) -print"), "")
  T.eq(sh_ok("find " .. T.q(dest) .. " -perm /7000 -print"), "")
  T.eq(perm(ev .. "/suid-" .. MARK), "755")
  T.eq(perm(ev .. "/sgid-" .. MARK), "755")
  T.eq(perm(ev .. "/sticky-" .. MARK), "755")
  T.eq(read(ev .. "/suid-" .. MARK), "#!/bin/sh\necho hi\n")
  -- symlinks come out as symlinks, pointing where they pointed
  T.eq(file_type(ev .. "/esc"), "symbolic link")
  T.eq(readlink(ev .. "/esc"), "/")
  T.eq(readlink(ev .. "/up"), "../../..")
  T.eq(readlink(ev .. "/abs"), "/etc")
  T.eq(readlink(ev .. "/dangling"), "/tmp/nowhere-" .. MARK)
  -- the hard link to a file outside /evil is just a file here
  T.eq(file_type(ev .. "/hl-" .. MARK), "regular file")
  T.eq(read(ev .. "/hl-" .. MARK), "outside\n")
  T.eq(read(ev .. "/sub/file-" .. MARK), "inner\n")

  -- a second copy over the planted symlinks still writes nothing outside
  r = h:copy_out("/evil", dest)
  T.eq(r.unsafe, 0)
  T.eq(outside(), before, "after a second copy")
  T.eq(marks_in("/", "/etc", "/tmp", canary), {})
  -- copying the symlink itself copies the link, not what it points at
  local dest2 = T.tmpdir()
  r = h:copy_out("/evil/abs", dest2)
  T.eq(r.files, 1)
  T.eq(readlink(dest2 .. "/abs"), "/etc")
end)

T.test("HOSTILE crafted tar through the engine: put_archive, get_archive, copy_out", function()
  local tar = make_tar{
    { name = "evil2-" .. MARK .. "/", type = "dir", mode = 511 },
    { name = "evil2-" .. MARK .. "/esc", type = "symlink", link = "/" },
    { name = "evil2-" .. MARK .. "/esc/tmp/pwned-" .. MARK, data = "x" },
    { name = "evil2-" .. MARK .. "/suid", data = "s", mode = 3565 },
  }
  c:put_archive("/", tar)   -- the engine follows the link inside the container's own root
  local base, dest, canary, outside = arena()
  local before = outside()
  local r = c:copy_out("/evil2-" .. MARK, dest)
  T.eq(r.unsafe, 0)
  T.eq(readlink(dest .. "/evil2-" .. MARK .. "/esc"), "/")
  T.eq(perm(dest .. "/evil2-" .. MARK .. "/suid"), "755")
  T.ok(not exists("/tmp/pwned-" .. MARK), "nothing written through the link on the host")
  T.eq(outside(), before)
  T.eq(marks_in("/", "/tmp", canary), {})
  -- the engine refuses names that leave the target folder (a docker.Error)
  local e = T.raises(function() c:put_archive("/tmp", make_tar{ { name = "../dotdot", data = "x" } }) end)
  T.ok(docker.is_error(e), "a docker.Error: " .. T.show(e))
end)

T.test("HOSTILE crafted tar into core.untar: absolute, .., write-through, escaping links", function()
  local base, dest, canary, outside = arena()
  local before = outside()
  local ev = "evil-" .. MARK
  local tar = make_tar{
    { name = ev .. "/", type = "dir", mode = 511 },
    { name = ev .. "/esc", type = "symlink", link = canary },
    { name = ev .. "/esc/pwned-" .. MARK, data = "through an absolute symlink" },
    { name = ev .. "/up", type = "symlink", link = "../../canary" },
    { name = ev .. "/up/pwned2-" .. MARK, data = "through a relative symlink" },
    { name = ev .. "/root", type = "symlink", link = "/" },
    { name = ev .. "/root/tmp/pwned3-" .. MARK, data = "through a link to /" },
    { name = ev .. "/hl", type = "hardlink", link = "../canary/secret" },
    { name = ev .. "/hl2", type = "hardlink", link = canary .. "/secret" },
    { name = ev .. "/hl3", type = "hardlink", link = ev .. "/esc/secret" },
    { name = "/tmp/abs-" .. MARK, data = "absolute name" },
    { name = "../dotdot-" .. MARK, data = "dot dot" },
    { name = ev .. "/../../dotdot2-" .. MARK, data = "dot dot inside" },
    { name = ev .. "/suid", data = "#!/bin/sh\n", mode = 3565 },          -- 06755
    { name = ev .. "/sticky/", type = "dir", mode = 1023 },               -- 01777
    { name = ev .. "/null", type = "char", major = 1, minor = 3 },
    { name = ev .. "/sda", type = "block", major = 8, minor = 0 },
    { name = ev .. "/fifo", type = "fifo" },
    { name = ev .. "/d/", type = "dir", mode = 511, mtime = 1000 },      -- fixed up at the end...
    { name = ev .. "/d", type = "symlink", link = canary },               -- ...but now a symlink
    { name = ev .. "/esc", data = "replaces the symlink" },
    { name = ev .. "/ok", data = "fine" },
    { name = ev .. "/hlok", type = "hardlink", link = ev .. "/ok" },
  }
  local r = assert(core.untar(tar, dest))
  T.eq(r.unsafe, 9, "3 write-throughs, 3 escaping hard links, absolute, 2 x ..: " .. T.show(r))
  T.eq(r.devices, 2)
  T.eq(r.fifos, 1)
  T.eq(r.skipped, 12)
  T.eq(r.files, 11)
  T.eq(outside(), before, "canary untouched (mode, mtime, link count)")
  T.eq(marks_in("/", "/tmp", base, canary, base .. "/.."), {})
  T.eq(perm(canary), "755", "the folder swapped for a symlink did not pass its mode on")
  local e = dest .. "/" .. ev
  T.eq(file_type(e .. "/esc"), "regular file", "the last entry replaced the symlink")
  T.eq(read(e .. "/esc"), "replaces the symlink")
  T.eq(readlink(e .. "/d"), canary)
  T.eq(perm(e .. "/suid"), "755")
  T.eq(perm(e .. "/sticky"), "755")
  T.eq(read(e .. "/hlok"), "fine")
  T.eq(sh_ok("stat -c %h " .. T.q(e .. "/ok")), "2\n", "a hard link inside is fine")
  T.eq(sh_ok("find " .. T.q(dest) .. " \\( -type c -o -type b -o -type p \\) -print"), "")
  T.ok(not exists(dest .. "/tmp"), "the absolute name is not rebased either")

  -- symlinks planted by an earlier extraction are not followed by a later one
  local r2 = assert(core.untar(make_tar{
    { name = ev .. "/d/pwned4-" .. MARK, data = "x" },
    { name = ev .. "/up/pwned5-" .. MARK, data = "x" },
    { name = ev .. "/root/tmp/pwned6-" .. MARK, data = "x" },
  }, dest))
  T.eq(r2.unsafe, 3)
  T.eq(r2.files, 0)
  T.eq(outside(), before)
  T.eq(marks_in("/", "/tmp", canary), {})
end)

T.test("untar of garbage, truncated or empty input fails cleanly", function()
  local dir = T.tmpdir()
  local r, msg, code = core.untar(string.rep("not a tar ", 100), dir)
  T.eq(r, nil)
  T.eq(code, "PROTOCOL")
  T.ok(msg:find("tar", 1, true), msg)
  T.eq(listing(dir), "", "nothing written")
  local whole = make_tar{ { name = "big", data = BIN } }
  r, msg, code = core.untar(whole:sub(1, 5000), T.tmpdir())
  T.eq(r, nil, "truncated")
  T.eq(code, "PROTOCOL")
  r, msg, code = core.untar(whole:sub(1, 300), T.tmpdir())
  T.eq(code, "PROTOCOL", "cut inside the header: " .. tostring(msg))
  r = core.untar(string.rep("\0", 1024), dir)
  T.eq(r.files, 0, "an empty tar is fine")
  T.eq(listing(dir), "")
end)

-- ---- build contexts: core.tar with .dockerignore ------------------------------------

T.test("core.tar with .dockerignore patterns (read_dockerignore)", function()
  local ctx = T.tmpdir()
  for _, p in ipairs{ "node_modules/x", "src", "docs", "sub" } do sh_ok("mkdir -p " .. T.q(ctx .. "/" .. p)) end
  for _, p in ipairs{ "Dockerfile", "a.log", "keep.log", "app.js", "node_modules/x/y.js", "src/z.tmp",
                      "src/main.c", "secret", "docs/a.md", "docs/README.md", "sub/secret" } do
    write(ctx .. "/" .. p, p .. "\n")
  end
  write(ctx .. "/.dockerignore", "\239\187\191# comment\n*.log\n!keep.log\nnode_modules\n\n"
    .. "**/*.tmp\r\n/secret\n  docs/*.md  \n!docs/README.md\n #not a comment\n")
  local pats = archive.read_dockerignore(ctx)
  T.eq(pats, { "*.log", "!keep.log", "node_modules", "**/*.tmp", "/secret", "docs/*.md",
               "!docs/README.md", "#not a comment" })
  T.eq(archive.read_dockerignore(T.tmpdir()), {}, "no file, no patterns")
  local bytes = assert(core.tar(ctx, { exclude = pats }))
  local out = T.tmpdir()
  core.untar(bytes, out)
  T.eq(sh_ok("cd " .. T.q(out) .. " && find . -mindepth 1 -printf '%P\\n' | LC_ALL=C sort"), table.concat({ ".dockerignore", "Dockerfile", "app.js",
    "docs", "docs/README.md", "keep.log", "src", "src/main.c", "sub", "sub/secret" }, "\n") .. "\n")
  -- an excluded folder is still walked for an exception below it
  bytes = assert(core.tar(ctx, { exclude = { "docs", "!docs/README.md", "src" } }))
  out = T.tmpdir()
  core.untar(bytes, out)
  T.eq(read(out .. "/docs/README.md"), "docs/README.md\n")
  T.ok(not exists(out .. "/docs/a.md") and not exists(out .. "/src"), "the rest stays out")
  -- entries are relative to the context, owned by 0:0
  local f = T.tmpdir() .. "/ctx.tar"
  write(f, bytes)
  local list = sh_ok("tar tvf " .. T.q(f) .. " --numeric-owner")
  T.ok(not list:find(ctx, 1, true), "no absolute names: " .. list)
  for line in list:gmatch("[^\n]+") do T.ok(line:find(" 0/0 ", 1, true), "owner 0/0: " .. line) end
  T.eq(core.ignore_match({ "*.md", "!README.md" }, "README.md"), false)
  T.eq(core.ignore_match({ "*.md", "!README.md" }, "x.md"), true)
end)

-- ---- bad input and engine errors ------------------------------------------------------

T.test("bad input raises naming the function and the field", function()
  local f = T.tmpdir() .. "/f.txt"
  write(f, "x")
  local dir = T.tmpdir()
  local tar = make_tar{ { name = "x", data = "x" } }
  T.raises(function() c:put_archive(nil, tar) end, "bad argument #1 to 'put_archive' %(field 'path'")
  T.raises(function() c:put_archive("/tmp", 42) end, "bad argument #2 to 'put_archive' %(field 'tar_bytes'")
  T.raises(function() c:put_archive("/tmp") end, "bad argument #2 to 'put_archive' %(field 'tar_bytes'")
  T.raises(function() c:get_archive(42) end, "bad argument #1 to 'get_archive' %(field 'path'")
  T.raises(function() c:get_archive("") end, "bad argument #1 to 'get_archive' %(field 'path'")
  T.raises(function() c:copy_in(nil, "/tmp") end, "bad argument #1 to 'copy_in' %(field 'host_path'")
  T.raises(function() c:copy_in(f, 5) end, "bad argument #2 to 'copy_in' %(field 'ctr_path'")
  T.raises(function() c:copy_in(dir .. "/no-such-file", "/tmp") end,
    "copy_in: no such file or folder on the host: .*/no%-such%-file")
  T.raises(function() c:copy_in("a\0b", "/tmp") end, "bad argument #1 to 'copy_in' %(field 'host_path': path contains a NUL")
  T.raises(function() c:copy_out({}, dir) end, "bad argument #1 to 'copy_out' %(field 'ctr_path'")
  T.raises(function() c:copy_out("/etc/hostname", nil) end, "bad argument #2 to 'copy_out' %(field 'host_path'")
  T.raises(function() c:copy_out("/etc/hostname", dir .. "/missing/x") end,
    "copy_out: no such folder on the host: .*/missing")
  T.raises(function() c:copy_out("/etc/hostname", f .. "/") end, "copy_out: stat .*f%.txt/: Not a directory")
  T.raises(function() docker.Container.copy_in({}, f, "/tmp") end, "calling 'copy_in' on bad self")
  T.raises(function() c.get_archive("/tmp") end, "calling 'get_archive' on bad self")
  T.raises(function() core.tar(nil) end, "bad argument #1 to 'tar'")
  T.raises(function() core.tar(dir, { exclude = "*.o" }) end, "bad argument #2 to 'tar' %(field 'exclude'")
  T.raises(function() core.tar(dir, { exclude = { "[" } }) end, "field 'exclude': bad .dockerignore pattern")
  T.raises(function() core.tar(dir, { exclude = { "!" } }) end, "field 'exclude'")
  T.raises(function() core.untar(nil, dir) end, "bad argument #1 to 'untar'")
  T.raises(function() core.untar(tar) end, "bad argument #2 to 'untar'")
  T.raises(function() archive.read_dockerignore(nil) end, "bad argument #1 to 'read_dockerignore'")
  T.eq(listing(dir), "", "nothing was written by the failed calls")
end)

T.test("a missing path in the container raises not_found (404)", function()
  local dir = T.tmpdir()
  local f = dir .. "/f.txt"
  write(f, "x")
  local e = T.raises_kind(function() c:get_archive("/no/such-" .. MARK) end, "not_found")
  T.eq(e.status, 404)
  T.ok(tostring(e):find("such-" .. MARK, 1, true), tostring(e))
  T.raises_kind(function() c:copy_out("/no/such-" .. MARK, dir) end, "not_found")
  T.raises_kind(function() c:put_archive("/no/such-" .. MARK, make_tar{ { name = "x" } }) end, "not_found")
  T.raises_kind(function() c:copy_in(f, "/no/such-" .. MARK) end, "not_found")
  e = T.raises(function() c:put_archive("/tmp", "this is not a tar archive at all") end)
  T.ok(docker.is_error(e), "garbage tar: a docker.Error, got " .. T.show(e))
  T.eq(listing(dir), "f.txt|f|644|1|\n", "copy_out wrote nothing")
  -- a removed container
  local gone = bg("gone")
  gone:remove{ force = true }
  T.raises_kind(function() gone:get_archive("/etc") end, "not_found")
  T.raises_kind(function() gone:copy_in(f, "/tmp") end, "not_found")
end)

T.test("clean-up: remove this file's containers", function()
  c:remove{ force = true }
  local left = d:containers{ all = true, filters = { label = { TESTLABEL .. "=" .. RUN } } }
  for _, x in ipairs(left) do x:remove{ force = true } end
  T.eq(#d:containers{ all = true, filters = { label = { TESTLABEL .. "=" .. RUN } } }, 0)
end)

pcall(function() c:remove{ force = true } end)
pcall(d.cleanup, d, {})
T.done()
