-- luadock.base.keys: small helpers on Lua tables' keys: a set from a list,
-- "is this a sequence", keys in a stable order. Room base/: pure Lua, no
-- engine calls and no luadock.core, so a stock lua5.4 can test it.

local M = {}

function M.set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

-- True when t is a sequence 1..n (an empty table counts).
function M.is_array(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  for i = 1, n do
    if t[i] == nil then return false end
  end
  return true
end

function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

return M
