-- faults/upload_cut.lua - a peer that hangs up while luadock is still sending a
-- large body (fault #36 of tests/faults/README.md): writing to a socket whose
-- other end is gone raises SIGPIPE, which kills a process that does not ignore
-- it. luadock must instead fail the call with an error, in the host (which
-- ignores SIGPIPE) and under stock lua5.4 with SIGPIPE at its default. The
-- peer is a fake engine that reads the first 4 KB of the request and closes
-- the connection (a real engine dying mid-upload, on demand).

local T = require "testlib"
local F = require "_faultlib"
local core = require "luadock.core"

local dir = T.tmpdir()
local SIZE = 32 << 20
local KINDS = { connection = true, protocol = true, truncated = true }

F.finally(function()

local eater = F.listener(dir, "eater", "head -c 4096 >/dev/null")

T.test("host: a 32 MB archive upload to a peer that hangs up fails with an error, at once", function()
  local cli = assert(core.new { host = eater.host, timeout = 10, api_version = "1.41" })
  local t0 = core.clock()
  local r, msg, code, detail = cli:put_container_archive("ldfault-x", string.rep("a", SIZE), { path = "/tmp" })
  local secs = core.clock() - t0
  T.eq(r, nil, "no success")
  T.ok(KINDS[detail.kind], "kind " .. tostring(detail.kind) .. " (" .. tostring(code) .. "): " .. tostring(msg))
  T.ok(msg:find(eater.sock, 1, true), "names the address: " .. msg)
  T.eq(detail.method, "PUT")
  T.ok(secs < 5, "failed after " .. secs .. " s")
  io.stdout:write("# kind ", detail.kind, " (", tostring(code), "): ", msg, "\n")
  -- the process and the client live on: the same again
  local r2, _, _, d2 = cli:put_container_archive("ldfault-x", string.rep("b", SIZE), { path = "/tmp" })
  T.eq(r2, nil)
  T.ok(KINDS[d2.kind], tostring(d2.kind))
end)

T.test("stock lua5.4 with SIGPIPE at its default: the same upload fails, the process lives", function()
  local _, has = T.sh("command -v lua5.4")
  T.ok(has, "lua5.4 is installed")
  local bin = os.getenv("LUADOCK_BINARY_DIR") or "build"
  local so = bin .. "/lua/luadock/core.so"
  local asan = T.sh("ldd " .. T.q(so) .. " | awk '/libasan/ { print $3 }'"):gsub("%s+$", "")
  local pre = asan ~= "" and ("LD_PRELOAD=" .. T.q(asan) .. " ASAN_OPTIONS=detect_leaks=0 ") or ""
  local code = string.format([[
local core = require "luadock.core"
local cli = assert(core.new { host = %q, timeout = 10, api_version = "1.41" })
for _ = 1, 3 do
  local r, msg, code, detail = cli:put_container_archive("ldfault-x", string.rep("a", %d), { path = "/tmp" })
  assert(r == nil, "no success")
  io.write(detail.kind, "\n")
end
print("ALIVE")]], eater.host, SIZE)
  local out = T.sh("env --default-signal=PIPE " .. pre .. "LUA_CPATH=" .. T.q(bin .. "/lua/?.so;;")
    .. " timeout -s KILL 60 lua5.4 -e " .. T.q(code) .. " 2>&1; echo \"rc=$?\"")
  T.ok(out:find("ALIVE\nrc=0\n", 1, true), "not killed by SIGPIPE: " .. out)
  for kind in out:gmatch("(%a+)\n") do
    if kind ~= "ALIVE" then T.ok(KINDS[kind], "kind " .. kind) end
  end
end)

end, F.kill_all)

T.done()
