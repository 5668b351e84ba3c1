-- tests/lua/_registry.lua — a throwaway docker-registry on 127.0.0.1 for the
-- tests that push and pull (registry.lua, pull_errors.lua): its own folder,
-- a free port, a watchdog that ends it when the test process goes away, and
-- stop_all() for the end of the file. Nothing here talks to another address.
-- It runs in the network of the engine under test (T.in_engine_net): on the
-- second engine that is its namespace, where its 127.0.0.1 is the engine's.
local T = require "testlib"

local M = {}
local pids = {}
local RUN = string.format("%08x", math.random(0, 0x7fffffff))

local write = T.write

-- Start docker-registry with a config in tmp/name; returns the
-- "127.0.0.1:PORT" address once /v2/ answers.
function M.start(tmp, name, extra)
  local dir = tmp .. "/" .. name
  assert(os.execute("mkdir -p " .. T.q(dir .. "/data")))
  local port = T.free_port()
  local cfg = dir .. "/config.yml"
  write(cfg, table.concat({
    "version: 0.1",
    "log:",
    "  level: error",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    "    rootdirectory: " .. dir .. "/data",
    "  delete:",
    "    enabled: true",
    "http:",
    "  addr: 127.0.0.1:" .. port,
    "  secret: luadock-test-" .. RUN,
    extra or "",
  }, "\n") .. "\n")
  -- The watchdog ends the registry when this process goes away.
  pids[#pids + 1] = T.spawn("docker-registry serve " .. T.q(cfg), dir .. "/registry.log", T.in_engine_net)
  local addr = "127.0.0.1:" .. port
  local ok = pcall(T.wait_until, function()
    local code = T.sh(T.in_engine_net("curl -s -o /dev/null -w '%{http_code}' http://" .. addr .. "/v2/"))
    return code == "200" or code == "401"
  end, 15, "registry " .. name)
  if not ok then
    local f = io.open(dir .. "/registry.log")
    local log = f and f:read("a") or ""
    if f then f:close() end
    error("registry " .. name .. " did not come up on " .. addr .. ":\n" .. log, 0)
  end
  return addr
end

function M.stop_all()
  for _, pid in ipairs(pids) do os.execute("kill " .. pid .. " 2>/dev/null") end
  pids = {}
end

return M
