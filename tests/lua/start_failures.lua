--[[ start_failures.lua - a start that fails after a successful create (fault #29
of tests/faults/README.md), beyond the missing binary of lua.run: a network
that does not exist (404 at start on both engines) and a bind mount the runtime
cannot make (a file over a folder: 400 at start). d:run raises the engine's
kind, status and message, for a one-shot run and a detached one, and removes
the container it created (the docker CLI leaves it in Created). On both
engines: lua.start_failures and lua2.start_failures. ]]

local T = require "testlib"
local docker = require "luadock"
local core = require "luadock.core"

local d = docker.connect { timeout = 60 }
local KEY = "luadock.test.startfail"
local RUN = core.random_hex(4)

local function left()
  return d:containers { all = true, filters = { label = { KEY .. "=" .. RUN } } }
end

local cases = {
  { what = "a network that does not exist", kind = "not_found", status = 404,
    spec = { network = "ldstartfail-" .. RUN .. "-nonet" },
    says = "network ldstartfail%-" .. RUN .. "%-nonet not found" },
  { what = "a bind mount of a file over a folder", kind = "bad_request", status = 400,
    spec = { network = "none", volumes = { "/etc/hostname:/bin" } },
    says = 'error mounting "/etc/hostname" to rootfs at "/bin"' },
}

for _, case in ipairs(cases) do
  for _, detach in ipairs { false, true } do
    T.test("start fails on " .. case.what .. (detach and " (detach = true)" or "")
      .. ": kind " .. case.kind .. ", the engine's message, no container left", function()
      local spec = { image = T.image, cmd = { "true" }, labels = { [KEY] = RUN }, detach = detach }
      for k, v in pairs(case.spec) do spec[k] = v end
      local e = T.raises_kind(function() d:run(spec) end, case.kind)
      T.eq(e.status, case.status, tostring(e))
      T.eq(e.method, "POST")
      T.ok(e.path:find("^/containers/%x+/start$"), "the start failed, not the create: " .. tostring(e.path))
      T.ok(e.message:find(case.says), "the engine's message: " .. e.message)
      T.ok(tostring(e):find(case.says), tostring(e))
      T.eq(#left(), 0, "the container luadock created was removed")
    end)
  end
end

for _, c in ipairs(left()) do pcall(c.remove, c, { force = true }) end
T.done()
