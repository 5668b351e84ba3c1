-- faults/truncated.lua - streams cut in the middle (fault catalogue (tests/faults/README.md) #14, #15,
-- B.2 "Frame format"): a `logs follow` of a real container read through a socat
-- proxy that is killed mid-stream must end in kind "truncated" (the docker CLI
-- says "unexpected EOF"; a cut is not a clean end), on both layers, without a
-- crash; a response cut inside a multiplexed frame hands out the bytes that did
-- arrive and then reports truncated. Fake engines cover what the real one
-- cannot do on demand: a body that ends cleanly mid-frame or mid-JSON, a bad
-- frame type and a type-3 (system error) frame. Test containers are labelled
-- luadock.managed=1 and removed at the end.

local T = require "testlib"
local F = require "_faultlib"
local core = require "luadock.core"
local docker = require "luadock"

local dir = T.tmpdir()
local LOOP = "i=0; while true; do echo line$i; i=$((i+1)); sleep 0.05; done"
local containers = {}

-- Reads a core stream until it ends or fails (each read bounded, the whole
-- loop too). Returns the chunks by stream, and the fail values or nil at a
-- clean end.
local function read_to_end(s, seconds)
  local got = { stdout = {}, stderr = {} }
  local deadline = core.clock() + (seconds or 10)
  while core.clock() < deadline do
    local a, b, code, detail = s:read(1)
    if a == nil then
      for k, v in pairs(got) do got[k] = table.concat(v) end
      if b == nil then return got end
      return got, { msg = b, code = code, detail = detail }
    elseif a then
      table.insert(got[a], b)
    end
  end
  error("the stream neither ended nor failed within " .. (seconds or 10) .. " s", 2)
end

F.finally(function()

local loop_id = F.create_container({ "sh", "-c", LOOP })
containers[#containers + 1] = loop_id

T.test("logs follow through a proxy killed mid-stream: core kind truncated", function()
  local proxy = F.proxy(dir, { name = "single" })   -- exactly one connection
  F.finally(function()
    -- pinned: no /_ping, so the logs request is the proxy's one connection
    local cli = assert(core.new { host = proxy.host, api_version = "1.41", timeout = 10 })
    local s = assert(cli:container_logs(loop_id, { follow = true, stdout = true, stderr = true }))
    T.eq(s:status(), 200)
    local text = ""
    F.wait_for(function()
      local a, b, code = s:read(1)
      T.ok(a ~= nil, "the stream failed before the cut: " .. tostring(b) .. " " .. tostring(code))
      if a then
        T.eq(a, "stdout")
        text = text .. b
      end
      return select(2, text:gsub("\n", "")) >= 3
    end, 10, "three lines before the cut")
    T.ok(text:find("^line0\nline1\nline2\n"), "the lines in order: " .. T.show(text))
    F.kill(proxy.pid)
    local got, failure = read_to_end(s, 10)
    T.ok(failure, "a cut stream must not end cleanly (got " .. T.show(got) .. ")")
    T.eq(failure.code, "TRUNCATED", failure.msg)
    T.eq(failure.detail.kind, "truncated", failure.msg)
    T.eq(failure.detail.method, "GET")
    T.eq(failure.detail.path, "/containers/" .. loop_id .. "/logs")
    T.ok(failure.msg:find(proxy.host, 1, true), "names the address: " .. failure.msg)
    -- every line that arrived was whole and in sequence
    local all = text .. got.stdout
    local n = 0
    for line in all:gmatch("([^\n]*)\n") do
      T.eq(line, "line" .. n)
      n = n + 1
    end
    -- reading again does not crash or hang, and does not pretend a clean end
    local a, b, code = s:read(1)
    T.eq(a, nil, "read after the failure")
    T.eq(code, "TRUNCATED", "the failure is repeated: " .. tostring(b))
    s:close()
    s:close()   -- idempotent
    -- closed: no crash, no data (an error, or nil)
    local rok, r1 = pcall(s.read, s, 1)
    T.ok(not rok or r1 == nil, "read after close gives no data: " .. T.show(r1))
    -- the client itself still works on a live address afterwards
    cli:close()
    local direct = assert(core.new { timeout = 10 })
    local t = assert(direct:container_inspect(loop_id))
    T.eq(t.State.Running, true, "the container is unaffected by the client's cut")
  end, function() F.kill(proxy.pid) end)
end)

-- The friendly-layer runs happen in a child under timeout(1): lines{} and
-- logs{} have no read timeout of their own, so a client that missed the cut
-- would hang; the child is killed instead and the test fails.
local CHILD = [[
local d = docker.connect{ host = os.getenv("PROXY"), api_version = "1.41", timeout = 10 }
local c = d:container(os.getenv("CID"))
local n, lines = 0, {}
local function cut()
  os.execute("kill -KILL -" .. os.getenv("PROXY_PID") .. " 2>/dev/null; kill -KILL "
    .. os.getenv("PROXY_PID") .. " 2>/dev/null")
end
local ok, e = pcall(function()
  if os.getenv("MODE") == "lines" then
    for stream, line in c:lines{ follow = true } do
      n = n + 1
      lines[#lines + 1] = stream .. ":" .. line
      if n == 3 then cut() end
    end
  else
    c:logs{ follow = true, on_output = function(stream, chunk)
      for line in chunk:gmatch("[^\n]+") do
        n = n + 1
        lines[#lines + 1] = stream .. ":" .. line
      end
      if n >= 3 and not cutdone then cutdone = true; cut() end
    end }
  end
end)
print("ok=" .. tostring(ok))
print("n=" .. n)
print("first=" .. table.concat(lines, ",", 1, math.min(3, #lines)))
print("is_error=" .. tostring(docker.is_error(e)))
print("kind=" .. tostring(type(e) == "table" and e.kind))
print("tostring=" .. tostring(e))
]]

for _, mode in ipairs { "lines", "logs" } do
  T.test("friendly c:" .. mode .. "{follow=true} cut by the proxy's death: kind truncated", function()
    local proxy = F.proxy(dir, { name = "fork-" .. mode, fork = true })
    F.finally(function()
      local out, ok, status = F.run_child({ PROXY = proxy.host, PROXY_PID = tostring(proxy.pid),
        CID = loop_id, MODE = mode }, CHILD, 30)
      T.ok(ok, "the child exits 0 (status " .. tostring(status) .. "): " .. out)
      T.ok(out:find("ok=false\n", 1, true), "the loop must end with an error: " .. out)
      T.ok(out:find("first=stdout:line0,stdout:line1,stdout:line2\n", 1, true), out)
      T.ok(out:find("is_error=true\n", 1, true), out)
      T.ok(out:find("kind=truncated\n", 1, true), out)
      T.ok(out:find("tostring=luadock: [^\n]*%(GET /containers/" .. loop_id .. "/logs%)\n"), out)
    end, function() F.kill(proxy.pid) end)
  end)
end

-- ---- a cut inside a multiplexed frame (real engine, cut by head -c) ---------

-- Where in the raw (chunked) response the decoded body reaches `want` bytes.
local function raw_offset(raw, want)
  local head_end = assert(raw:find("\r\n\r\n", 1, true), "no header end") + 3
  local pos, decoded = head_end + 1, 0
  while true do
    local hex, line_end = raw:match("^(%x+)\r\n()", pos)
    assert(hex, "bad chunk at " .. pos)
    local size = tonumber(hex, 16)
    assert(size > 0, "the body is shorter than " .. want)
    if decoded + size >= want then return line_end + (want - decoded) - 1 end
    decoded = decoded + size
    pos = line_end + size + 2
  end
end

T.test("logs cut inside a frame's payload: the bytes that came, then truncated", function()
  local id = F.create_container({ "sh", "-c", "for i in 0 1 2 3 4 5 6 7 8 9; do echo line$i; done" })
  containers[#containers + 1] = id
  local eng = F.engine()
  local w = assert(eng:container_wait(id, nil, { timeout = 30, deadline = 30 }))
  T.eq(w.StatusCode, 0)
  local url = "http://docker/v1.41/containers/" .. id .. "/logs?stdout=1&stderr=1"
  local raw = T.sh("curl -s -i --raw --max-time 20 --unix-socket " .. T.q(F.ENGINE_SOCKET) .. " "
    .. T.q(url))
  T.ok(raw:find("^HTTP/1.1 200"), "curl read the logs: " .. raw:sub(1, 80))
  -- cut after the first frame's 8-byte header and 3 of its 6 payload bytes
  local cut = raw_offset(raw, 8 + 3)
  -- the engine's answer goes through head -c; then the inner socat, which
  -- still holds the connection as its stdin, is ended so that the connection
  -- closes (a plain pipe would keep it open)
  local script = dir .. "/cut.sh"
  F.write(script, table.concat({
    "fifo=" .. T.q(dir) .. "/cut.$$",
    "mkfifo \"$fifo\"",
    "exec 3<&0",   -- an asynchronous command's stdin would be /dev/null
    "socat - " .. T.q("UNIX-CONNECT:" .. F.ENGINE_SOCKET) .. " <&3 > \"$fifo\" &",
    "inner=$!",
    "head -c " .. cut .. " < \"$fifo\"",
    "kill $inner",
    "rm -f \"$fifo\"",
    "" }, "\n"))
  local proxy = F.listener(dir, "cut", "sh " .. script)
  F.finally(function()
    local cli = assert(core.new { host = proxy.host, api_version = "1.41", timeout = 10 })
    local s = assert(cli:container_logs(id, { stdout = true, stderr = true }))
    local got, failure = read_to_end(s, 10)
    T.eq(got.stdout, "lin", "the partial payload is handed out")
    T.ok(failure, "a cut inside a frame must not end cleanly")
    T.eq(failure.code, "TRUNCATED", failure.msg)
    T.eq(failure.detail.kind, "truncated")
    s:close()
    -- the same logs uncut, for contrast: a clean end with everything
    local whole = assert(F.engine():container_logs(id, { stdout = true, stderr = true }))
    local all, err = read_to_end(whole, 10)
    T.eq(err, nil, "the uncut stream ends cleanly")
    T.eq(all.stdout, "line0\nline1\nline2\nline3\nline4\nline5\nline6\nline7\nline8\nline9\n")
    whole:close()
  end, function() F.kill(proxy.pid) end)
end)

-- ---- fake engines: a body that ends cleanly in the middle of a message -------

local function frame(kind, payload)
  return string.char(kind, 0, 0, 0) .. string.pack(">I4", #payload) .. payload
end

local function fake_stream(name, body, op, ...)
  local fake = F.fake_engine(dir, name, F.http("200 OK", { "Api-Version: 1.41" }, body))
  local cli = assert(core.new { host = fake.host, api_version = "1.41", timeout = 5 })
  return assert(cli[op](cli, ...))
end

T.test("fake: HTTP complete but the last frame's payload cut: truncated after the data", function()
  local s = fake_stream("midpayload", frame(1, "hello\n") .. frame(2, "oops\n"):sub(1, 8 + 2),
    "container_logs", "x", { stdout = true, stderr = true })
  local got, failure = read_to_end(s, 10)
  T.eq(got.stdout, "hello\n")
  T.eq(got.stderr, "oo", "the partial stderr payload is handed out")
  T.ok(failure, "must not end cleanly (moby's StdCopy would drop this silently)")
  T.eq(failure.code, "TRUNCATED", failure.msg)
  T.eq(failure.detail.kind, "truncated")
  T.ok(failure.msg:find("payload", 1, true), failure.msg)
  s:close()
end)

T.test("fake: HTTP complete but cut inside a frame header: truncated", function()
  local s = fake_stream("midheader", frame(1, "hello\n") .. string.char(1, 0, 0),
    "container_logs", "x", { stdout = true })
  local got, failure = read_to_end(s, 10)
  T.eq(got.stdout, "hello\n")
  T.ok(failure, "must not end cleanly")
  T.eq(failure.code, "TRUNCATED", failure.msg)
  T.ok(failure.msg:find("header", 1, true), failure.msg)
  s:close()
end)

T.test("fake: unknown frame type: protocol; type 3: the engine's error text", function()
  local s = fake_stream("badtype", frame(1, "ok\n") .. frame(7, "??"), "container_logs", "x",
    { stdout = true })
  local got, failure = read_to_end(s, 10)
  T.ok(failure, "an unknown frame type is an error")
  T.eq(failure.code, "PROTOCOL", failure.msg)
  T.eq(failure.detail.kind, "protocol")
  T.ok(got.stdout == "" or got.stdout == "ok\n", T.show(got))
  s:close()
  s = fake_stream("systemerr", frame(1, "ok\n") .. frame(3, "something broke"), "container_logs",
    "x", { stdout = true })
  got, failure = read_to_end(s, 10)
  T.eq(got.stdout, "ok\n")
  T.ok(failure, "a type-3 frame is an error")
  T.ok(failure.msg:find("something broke", 1, true), failure.msg)
  s:close()
end)

T.test("fake: an events stream that ends inside a JSON value: truncated", function()
  local s = fake_stream("events", '{"status":"start","id":"a"}\n{"status":"st', "system_events")
  local v = s:read(5)
  T.eq(type(v), "table", "the whole first event")
  T.eq(v.status, "start")
  local r, msg, code, detail = s:read(5)
  T.eq(r, nil)
  T.eq(code, "TRUNCATED", tostring(msg))
  T.eq(detail.kind, "truncated")
  s:close()
end)

T.test("fake: an events stream cut by the connection (no clean end): truncated", function()
  -- declared longer than sent, then the connection closes
  local body = '{"status":"start","id":"a"}\n'
  local fake = F.fake_engine(dir, "eventscut", F.http("200 OK",
    { "Api-Version: 1.41", "Content-Length: " .. (#body + 50) }, body))
  local cli = assert(core.new { host = fake.host, api_version = "1.41", timeout = 5 })
  local s = assert(cli:system_events())
  T.eq(s:read(5).status, "start")
  local r, msg, code = s:read(5)
  T.eq(r, nil)
  T.eq(code, "TRUNCATED", tostring(msg))
  s:close()
end)

end, function()
  F.kill_all()
  for _, id in ipairs(containers) do pcall(F.remove_container, id) end
end)

T.done()
