-- faults/big_bodies.lua - big answers (faults #19 and #20 of
-- tests/faults/README.md). #19: a list of 5,000 containers (about 5 MB, what a
-- busy engine answers) is read whole and turned into 5,000 Containers, quickly
-- and in bounded memory. #20: a hostile peer that sends an endless body (a
-- non-stream call, with or without a Content-Length that lies, or one JSON value
-- that never ends inside a progress stream) is cut off at luadock's 64 MiB cap
-- (LD_BODY_CAP) with code TOO_LARGE, kind protocol, instead of growing memory
-- forever. The peers are fake engines (tests/faults/_faultlib.lua): a real
-- engine holding 5,000 containers would take minutes to fill on this machine,
-- and none sends an endless body.

local T = require "testlib"
local F = require "_faultlib"
local core = require "luadock.core"
local docker = require "luadock"

local dir = T.tmpdir()
local CAP = 64 << 20

-- Resets this process's peak resident memory (Linux: "5" to clear_refs).
local function reset_peak()
  local f = assert(io.open("/proc/self/clear_refs", "w"))
  f:write("5")
  f:close()
end

-- This process's peak resident memory (VmHWM), in bytes.
local function peak_rss()
  local s = F.read("/proc/self/status") or ""
  return (tonumber(s:match("VmHWM:%s*(%d+) kB")) or 0) * 1024
end

-- Runs fn, returning its results and the seconds it took.
local function timed(fn)
  local t0 = core.clock()
  local r = table.pack(fn())
  return core.clock() - t0, table.unpack(r, 1, r.n)
end

-- One entry of GET /containers/json as 20.10 writes it (about 1 KB).
local function entry(i)
  local id = string.format("%064x", i)
  return core.json_encode {
    Id = id, Names = { "/big-" .. i }, Image = T.image, ImageID = "sha256:" .. string.rep("ab", 32),
    Command = "sleep 3600", Created = 1700000000 + i, Ports = core.array {},
    Labels = { ["luadock.managed"] = "1", ["luadock.test"] = "faults", index = tostring(i),
      ["com.example.description"] = string.rep("x", 400) },
    State = "created", Status = "Created",
    HostConfig = { NetworkMode = "none" },
    NetworkSettings = { Networks = { none = { NetworkID = string.rep("cd", 32),
      EndpointID = "", Gateway = "", IPAddress = "", IPPrefixLen = 0, MacAddress = "" } } },
    Mounts = core.array {},
  }
end

F.finally(function()

T.test("#19 a 5,000-container list (about 5 MB): every entry, quickly, bounded memory", function()
  local parts = {}
  for i = 1, 5000 do parts[i] = entry(i) end
  local body = "[" .. table.concat(parts, ",") .. "]"
  T.ok(#body > 5e6, "the list is over 5 MB: " .. #body)
  local fake = F.fake_engine(dir, "biglist", F.http("200 OK",
    { "Api-Version: 1.41", "Content-Type: application/json" }, body))
  parts, body = nil, nil
  collectgarbage()
  reset_peak()
  local before = peak_rss()
  local cli = assert(core.new { host = fake.host, timeout = 30 })
  local secs, list = timed(function() return assert(cli:container_list({ all = true })) end)
  T.eq(#list, 5000)
  T.eq(list[4321].Names[1], "/big-4321")
  T.eq(list[5000].Labels.index, "5000")
  T.eq(list[1].Id, string.format("%064x", 1))
  T.ok(secs < 5, "core read and decoded it in " .. secs .. " s")
  list = nil
  local d = docker.connect { host = fake.host, timeout = 30 }
  local fsecs, cs = timed(function() return d:containers { all = true } end)
  T.eq(#cs, 5000)
  T.eq(cs[17].name, "big-17")
  T.eq(cs[17].labels.index, "17")
  T.eq(cs[5000].id, string.format("%064x", 5000))
  T.ok(fsecs < 10, "the friendly list took " .. fsecs .. " s")
  cs = nil
  collectgarbage()
  local grew = peak_rss() - before
  io.stdout:write(string.format("# 5,000 containers: core %.3f s, friendly %.3f s, peak memory +%.1f MB\n",
    secs, fsecs, grew / 1048576))
  T.ok(grew < 100 * 1048576, "peak memory grew by " .. grew .. " bytes")
end)

-- A fake whose 200 answer to any call is `head` and then the file `chunk`
-- (about 1 MB) again and again, until the client hangs up.
local function endless(name, head, chunk)
  local file = dir .. "/" .. name .. ".chunk"
  F.write(file, chunk)
  return F.fake_engine_cmd(dir, name, head,
    "while cat " .. T.q(file) .. "; do :; done 2>/dev/null")
end

local LIST_CHUNK = string.rep(entry(1) .. ",\n", 1000)

T.test("#20 an endless body without a Content-Length: TOO_LARGE at 64 MiB, memory bounded", function()
  local fake = endless("endless", F.http("200 OK", { "Api-Version: 1.41",
    "Content-Type: application/json", "Connection: close", no_length = true }) .. "[", LIST_CHUNK)
  local cli = assert(core.new { host = fake.host, timeout = 60 })
  collectgarbage()
  reset_peak()
  local before = peak_rss()
  local secs, r, msg, code, detail = timed(function() return cli:container_list({ all = true }) end)
  T.eq(r, nil, "no list from an endless body")
  T.eq(code, "TOO_LARGE", tostring(msg))
  T.eq(detail.kind, "protocol")
  T.eq(msg, "the response body exceeds " .. CAP .. " bytes")
  T.eq(detail.path, "/containers/json")
  T.ok(secs < 20, "stopped after " .. secs .. " s")
  local grew = peak_rss() - before
  T.ok(grew < 3 * CAP, "peak memory grew by " .. grew .. " bytes, not without end")
  local d = docker.connect { host = fake.host, timeout = 60 }
  local e = T.raises_kind(function() return d:containers { all = true } end, "protocol")
  T.eq(e.code, "TOO_LARGE")
  T.eq(tostring(e), "luadock: the response body exceeds " .. CAP .. " bytes (GET /containers/json)")
end)

T.test("#20 a Content-Length over the cap (a lie, the body endless): TOO_LARGE too", function()
  local fake = endless("liar", F.http("200 OK", { "Api-Version: 1.41",
    "Content-Type: application/json", "Content-Length: " .. (CAP * 4) }) .. "[", LIST_CHUNK)
  local cli = assert(core.new { host = fake.host, timeout = 60 })
  local _, r, msg, code, detail = timed(function() return cli:container_list({ all = true }) end)
  T.eq(r, nil)
  T.eq(code, "TOO_LARGE", tostring(msg))
  T.eq(detail.kind, "protocol")
end)

T.test("#20 one endless JSON value inside a progress stream (pull): TOO_LARGE", function()
  local fake = endless("endless_pull", F.http("200 OK", { "Api-Version: 1.41",
    "Content-Type: application/json", "Connection: close", no_length = true }) .. '{"status":"',
    string.rep("0", 1 << 20))
  local d = docker.connect { host = fake.host, timeout = 60 }
  local secs, e = timed(function()
    return T.raises_kind(function() d:pull("luadock-test/endless:1") end, "protocol")
  end)
  T.eq(e.code, "TOO_LARGE", tostring(e))
  T.ok(e.message:find("exceeds " .. CAP .. " bytes", 1, true), e.message)
  T.ok(secs < 20, "stopped after " .. secs .. " s (linear, not quadratic, in the value's size)")
end)

end, F.kill_all)

T.done()
