-- tests/lua/interrupt_containers.lua — the interruption matrix (tests/lua/_matrix.lua)
-- for containers: a <close> container, the same inside docker.parallel tasks, and
-- a one-shot run with remove = true, each interrupted by SIGINT, SIGTERM and a
-- double SIGINT every 0.2 s of its run; kill -9 with the killed script left an
-- unreaped zombie; and shield.run's bad input.
local matrix = require "_matrix"
local T = matrix.T

matrix.matrix{ "close", "parallel", "run_rm" }
matrix.kill9_zombie()

T.test("bad input: shield.run names its argument", function()
  local shield = require "luadock.base.shield"
  T.raises(function() shield.run(nil, print) end, "bad argument #1 to 'shield.run'")
  T.raises(function() shield.run(-1, print) end, "bad argument #1 to 'shield.run'")
  T.raises(function() shield.run(1, 42) end, "bad argument #2 to 'shield.run'")
  T.eq(shield.run(1, function(a, b) return a + b end, 2, 3), 5)
  T.eq(shield.active(), nil, "the shield is left")
end)

matrix.finish()
