-- tests/allocfail/system.lua — the calls of no container, for the
-- allocation-failure runs (driver.lua): ping, version, a container list, an
-- image inspect and an image list (JSON in and out, the client's start-up and
-- version negotiation). Prints "ok" at the end; any failure raises.
local docker = require "luadock"
local d = docker.connect()
assert(d:ping() == true)
assert(d:version().ApiVersion)
assert(type(d:containers{ all = true, limit = 3 }) == "table")
local img = d:image(os.getenv("LUADOCK_TEST_IMAGE") or "luadock-test/busybox:1")
assert(#img.id > 0)
assert(#d:images{ filters = { reference = { img.tags[1] } } } >= 1)
print("ok")
