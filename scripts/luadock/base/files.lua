-- luadock.base.files: where luadock keeps state that outlives a process and
-- how a folder is listed (Lua has no directory listing). Room base/: no
-- engine calls and no luadock.core; it only reads the environment and runs ls.

local M = {}

-- luadock's folder for state that outlives a process (schedule history,
-- backup records): $XDG_STATE_HOME/luadock, else ~/.local/state/luadock.
function M.state_dir()
  local base = os.getenv("XDG_STATE_HOME")
  if not base or base == "" then base = (os.getenv("HOME") or "/root") .. "/.local/state" end
  return base .. "/luadock"
end

-- The names in folder `dir` (dotfiles too), or an empty list when it is
-- missing or unreadable. Lua has no directory listing: ls does it.
function M.list_dir(dir)
  local out = {}
  local p = io.popen("ls -1A '" .. tostring(dir):gsub("'", "'\\''") .. "' 2>/dev/null")
  if not p then return out end
  for name in p:lines() do out[#out + 1] = name end
  p:close()
  return out
end

return M
