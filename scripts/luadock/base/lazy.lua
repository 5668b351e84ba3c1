-- luadock.base.lazy: lazy("luadock.x") is a stand-in for a module that is
-- required on the first field read or write, so a file can name what it
-- uses at the top as usual while an empty script never pays for loading it
-- (listings, option specs). Only for modules whose loading has no effect a
-- caller could notice before it uses them. Room base/: no engine calls.

return function(name)
  return setmetatable({}, {
    __index = function(stand_in, k)
      local mod = require(name)
      setmetatable(stand_in, { __index = mod, __newindex = mod })
      return mod[k]
    end,
    __newindex = function(_, k, v) require(name)[k] = v end,
  })
end
