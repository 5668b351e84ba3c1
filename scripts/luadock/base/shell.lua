-- luadock.base.shell: command lines as a POSIX shell reads them, without
-- running one (split a `cmd` string into words, quote words back for
-- messages), blanks trimmed in linear time, and the last lines of a
-- program's output for an error message.
-- Room base/: pure Lua, no engine calls and no luadock.core.

local M = {}

-- Split a command line into words the way a POSIX shell would, without
-- running one: blanks separate words, '...' is literal, "..." keeps spaces
-- and lets \ escape \ " $ ` and newline, a bare \ escapes the next
-- character. Returns the words, or nil and a message.
function M.split(s)
  local words, cur, inword = {}, {}, false
  local i, n = 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if c == "'" then
      local j = s:find("'", i + 1, true)
      if not j then return nil, "unterminated single quote" end
      cur[#cur + 1] = s:sub(i + 1, j - 1)
      inword, i = true, j + 1
    elseif c == '"' then
      i, inword = i + 1, true
      while true do
        if i > n then return nil, "unterminated double quote" end
        local d = s:sub(i, i)
        if d == '"' then i = i + 1; break end
        if d == "\\" and i < n then
          local e = s:sub(i + 1, i + 1)
          if e == "\n" then
            i = i + 2
          elseif e == "\\" or e == '"' or e == "$" or e == "`" then
            cur[#cur + 1] = e; i = i + 2
          else
            cur[#cur + 1] = d; i = i + 1
          end
        else
          cur[#cur + 1] = d; i = i + 1
        end
      end
    elseif c == "\\" then
      if i == n then return nil, "trailing backslash" end
      local e = s:sub(i + 1, i + 1)
      if e ~= "\n" then cur[#cur + 1] = e; inword = true end
      i = i + 2
    elseif c == " " or c == "\t" or c == "\n" or c == "\r" then
      if inword then words[#words + 1] = table.concat(cur); cur, inword = {}, false end
      i = i + 1
    else
      cur[#cur + 1] = c; inword = true; i = i + 1
    end
  end
  if inword then words[#words + 1] = table.concat(cur) end
  return words
end

-- Quote words for messages so they read like a shell command line.
function M.join(words)
  local out = {}
  for i, w in ipairs(words) do
    if w == "" or w:find("[^%w%-_./:=@%%+,]") then
      w = "'" .. w:gsub("'", "'\\''") .. "'"
    end
    out[i] = w
  end
  return table.concat(out, " ")
end

-- The last n lines of a text (without a trailing empty line).
-- s without leading and trailing white space, in time linear in #s:
-- "^%s*(.-)%s*$" retries at every character of a long run of blanks, which
-- is quadratic (a credential helper's 64 KiB of blanks took 11 s;
-- tests/fuzz/regressions/credhelper keeps it).
function M.trim(s)
  local first = s:find("%S")
  if not first then return "" end
  return s:sub(first, s:match("^.*()%S"))
end

function M.last_lines(text, n)
  local lines = {}
  for line in (text or ""):gmatch("[^\n]+") do
    lines[#lines + 1] = line
    if #lines > n then table.remove(lines, 1) end
  end
  return table.concat(lines, "\n")
end

return M
