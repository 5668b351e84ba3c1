-- faults/not_found_conflict.lua - the engine's ordinary refusals (status
-- codes; faults #9, #10, #11 of tests/faults/README.md): 404 "No such container" is kind
-- not_found with the engine's message and API.md's tostring form; a second
-- create with the same name, kill of a stopped container and removing a running
-- one without force are kind conflict (409); stop of a stopped container (304)
-- is a success. Both layers. Containers are labelled luadock.managed=1 and
-- removed at the end.

local T = require "testlib"
local F = require "_faultlib"
local core = require "luadock.core"
local docker = require "luadock"

local created = {}
local function track(id) created[#created + 1] = id return id end

local function esc(s) return (s:gsub("%p", "%%%0")) end

local function core_fails(status, kind, pattern, ...)
  local r, msg, code, detail = ...
  T.eq(r, nil, "result (message: " .. tostring(msg) .. ")")
  T.eq(code, status, "code (message: " .. tostring(msg) .. ")")
  T.eq(detail.kind, kind, "kind")
  T.eq(detail.status, status, "detail.status")
  T.eq(detail.message, msg)
  if pattern then T.ok(msg:find(pattern), "message " .. T.show(msg) .. " matches " .. pattern) end
  return msg, detail
end

F.finally(function()

local cli = assert(core.new { timeout = 60 })
local d = docker.connect { timeout = 60 }

T.test("404 inspect of a missing container: core not_found, engine's message", function()
  local name = F.name("missing")
  local _, detail = core_fails(404, "not_found", "^No such container: " .. esc(name) .. "$",
    cli:container_inspect(name))
  T.eq(detail.method, "GET")
  T.eq(detail.path, "/containers/" .. name .. "/json")
end)

T.test("404 inspect of a missing container: friendly not_found and its tostring", function()
  local name = F.name("missing")
  local e = T.raises_kind(function() return d:container(name) end, "not_found")
  T.ok(docker.is_error(e))
  T.eq(e.status, 404)
  T.eq(e.message, "No such container: " .. name)
  T.eq(e.method, "GET")
  T.eq(e.path, "/containers/" .. name .. "/json")
  T.eq(tostring(e), "luadock: 404 No such container: " .. name .. " (GET /containers/" .. name .. "/json)")
  -- a pcall'd error is the same value; is_error tells it from a string error
  local ok, e2 = pcall(d.container, d, name)
  T.eq(ok, false)
  T.ok(docker.is_error(e2))
  T.ok(not docker.is_error("luadock: 404 No such container"))
end)

T.test("404 on other verbs: delete, start, kill, wait of a missing container", function()
  local name = F.name("missing")
  local _, detail = core_fails(404, "not_found", "^No such container: " .. esc(name) .. "$",
    cli:container_delete(name))
  T.eq(detail.method, "DELETE")
  T.eq(detail.path, "/containers/" .. name)
  core_fails(404, "not_found", "No such container", cli:container_start(name))
  core_fails(404, "not_found", "No such container", cli:container_kill(name))
  core_fails(404, "not_found", "No such container",
    cli:container_wait(name, nil, { timeout = 30, deadline = 30 }))
end)

T.test("404 on remove of a container removed meanwhile: API.md's tostring form", function()
  local name = F.name("gone")
  local id = track(F.create_container({ "true" }, { name = name, start = false }))
  local c = d:container(name)
  T.eq(c.id, id)
  F.remove_container(id)
  local e = T.raises_kind(function() c:remove() end, "not_found")
  T.eq(e.status, 404)
  T.eq(e.method, "DELETE")
  T.ok(tostring(e):find("^luadock: 404 No such container: %x+ %(DELETE /containers/" .. id .. "%)$"),
    tostring(e))
end)

T.test("404 image: friendly d:image of a missing image is not_found", function()
  local ref = "luadock-test/" .. F.name("nope") .. ":0"
  local e = T.raises_kind(function() return d:image(ref) end, "not_found")
  T.eq(e.status, 404)
  T.ok(e.message:find("No such image", 1, true), e.message)
end)

T.test("create with a name in use: core 409 conflict", function()
  local name = F.name("dup")
  track(F.create_container({ "true" }, { name = name, start = false }))
  local r, msg, code, detail = cli:container_create({ Image = T.image, Cmd = { "true" },
    Labels = F.LABELS }, { name = name })
  if r then track(r.Id) end
  core_fails(409, "conflict", nil, r, msg, code, detail)
  T.ok(msg:find('The container name "/' .. name .. '" is already in use', 1, true), msg)
  T.eq(detail.method, "POST")
  T.eq(detail.path, "/containers/create")
end)

T.test("create with a name in use: friendly kind conflict", function()
  local name = F.name("dup")
  local c = d:create { image = T.image, cmd = { "true" }, name = name }
  track(c.id)
  T.eq(c.labels["luadock.managed"], "1", "the friendly layer labels what it creates")
  local e = T.raises_kind(function()
    local c2 = d:create { image = T.image, cmd = { "true" }, name = name }
    track(c2.id)
  end, "conflict")
  T.eq(e.status, 409)
  T.ok(e.message:find("is already in use", 1, true), e.message)
  T.ok(tostring(e):find("^luadock: 409 Conflict%. .* %(POST /containers/create%)$"), tostring(e))
end)

T.test("kill of a stopped container: 409 conflict; stop of a stopped one (304): success", function()
  local id = track(F.create_container({ "true" }))
  local w = assert(cli:container_wait(id, nil, { timeout = 30, deadline = 30 }))
  T.eq(w.StatusCode, 0)
  core_fails(409, "conflict", "is not running", cli:container_kill(id))
  -- 304 Not Modified is a success with no content
  T.eq(cli:container_stop(id), true, "core: stop of a stopped container")
  T.eq(cli:container_stop(id, { t = 1 }), true, "twice")
  local c = d:container(id)
  T.eq(c.state, "exited")
  local e = T.raises_kind(function() c:kill() end, "conflict")
  T.eq(e.status, 409)
  T.ok(e.message:find("is not running", 1, true), e.message)
  T.eq(e.method, "POST")
  T.eq(e.path, "/containers/" .. id .. "/kill")
  T.eq(c:stop(), c, "friendly: stop of a stopped container returns the Container")
  T.eq(c:stop { timeout = 1 }, c)
  T.eq(c.state, "exited")
  -- a never-started container: kill conflicts as well, stop is a no-op
  local created_only = track(F.create_container({ "true" }, { start = false }))
  core_fails(409, "conflict", "is not running", cli:container_kill(created_only))
  T.eq(cli:container_stop(created_only), true)
end)

T.test("remove a running container without force: 409 conflict; with force: gone", function()
  local id = track(F.create_container({ "sleep", "60" }))
  local msg = core_fails(409, "conflict", nil, cli:container_delete(id))
  T.ok(msg:find("You cannot remove a running container", 1, true), msg)
  local c = d:container(id)
  T.eq(c.state, "running")
  local e = T.raises_kind(function() c:remove() end, "conflict")
  T.eq(e.status, 409)
  T.eq(e.method, "DELETE")
  T.eq(e.path, "/containers/" .. id)
  T.ok(e.message:find("Stop the container before attempting removal or force remove", 1, true),
    e.message)
  T.eq(c:reload().state, "running", "a refused remove leaves it running")
  T.eq(c:remove { force = true }, true)
  T.raises_kind(function() return d:container(id) end, "not_found")
end)

T.test("pause of a stopped container: 409 conflict", function()
  local id = track(F.create_container({ "true" }, { start = false }))
  core_fails(409, "conflict", "is not running", cli:container_pause(id))
end)

end, function()
  F.kill_all()
  for _, id in ipairs(created) do pcall(F.remove_container, id) end
end)

T.done()
