-- luadock.base.classes: the metatables of the five friendly classes (Client,
-- Container, Image, Volume, Network), made here and nowhere else so that a
-- room's files can set and test them (setmetatable, "is this a Container?")
-- without requiring each other. They start empty: every method, metamethods
-- included, comes from a room file's `M.<Class>` table and is merged in by
-- luadock/init.lua (its PARTS list), the one place that extends a class.
-- Room base/: no engine calls; nothing but the tables themselves belongs here.

local M = {}

for _, name in ipairs { "Client", "Container", "Image", "Volume", "Network" } do
  local class = { __name = "luadock." .. name }
  class.__index = class
  M[name] = class
end

return M
