-- luadock.schedule: a public module name (README, API.md) kept after the
-- schedule moved into the loop room; it is loop/schedule.lua and nothing
-- else. Add nothing here: new code goes in loop/schedule.lua.
return require "luadock.loop.schedule"
