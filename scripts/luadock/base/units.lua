-- luadock.base.units: the units users write: byte sizes ("64m"), durations
-- ("1h30m"), RFC 3339 times from the engine and docker-style human
-- durations ("Up 3 seconds"), and API versions compared. Returns nil,
-- message on bad input and leaves raising to the caller. Room base/: pure
-- Lua, no engine calls and no luadock.core.

local M = {}

local size_units = { [""] = 1, b = 1, k = 1024, m = 1024^2, g = 1024^3, t = 1024^4, p = 1024^5 }

-- Bytes from an integer or a string like "64m", "1g", "512k", "1.5GB"
-- (1024-based, like docker's RAMInBytes). Returns nil, msg when invalid.
function M.parse_size(v)
  if math.type(v) == "integer" or (math.type(v) == "float" and v == math.floor(v)) then
    if v < 0 then return nil, "must not be negative" end
    return math.tointeger(v)
  end
  if type(v) ~= "string" then
    return nil, "size (integer bytes or a string like \"64m\") expected, got " .. type(v)
  end
  local num, unit = v:lower():match("^%s*(%d+%.?%d*)%s*([bkmgtp]?)b?%s*$")
  if not num then
    return nil, "invalid size '" .. v .. "' (use bytes or a number with b, k, m, g, t)"
  end
  return math.floor(tonumber(num) * size_units[unit])
end

local duration_units = { s = 1, m = 60, h = 3600, d = 86400, w = 604800 }

-- Seconds from a number or a string "90s", "5m", "6h", "1d", "1h30m".
function M.parse_duration(v)
  if type(v) == "number" then
    if v ~= v or v < 0 then return nil, "must be a non-negative number" end
    return v
  end
  if type(v) ~= "string" then return nil, "seconds or a duration string expected, got " .. type(v) end
  local total, rest = 0, v
  if rest == "" then return nil, "empty duration" end
  while rest ~= "" do
    local num, unit, tail = rest:match("^(%d+%.?%d*)([smhdw])(.*)$")
    if not num then
      if rest:match("^%d+%.?%d*$") then return total + tonumber(rest) end
      return nil, "invalid duration '" .. v .. "' (e.g. 90, \"90s\", \"5m\", \"6h\", \"1d\")"
    end
    total, rest = total + tonumber(num) * duration_units[unit], tail
  end
  return total
end

-- Whether an API version such as "1.44" is at least major.minor (false when
-- it is not of that form).
function M.api_at_least(version, major, minor)
  local ma, mi = tostring(version):match("^(%d+)%.(%d+)$")
  ma, mi = tonumber(ma), tonumber(mi)
  return ma ~= nil and (ma > major or (ma == major and mi >= minor))
end

-- Days since 1970-01-01 of a proleptic Gregorian date (Lua's // floors, so
-- no correction for negative years is needed).
function M.days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
  return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
end

-- Epoch seconds (integer) from an RFC 3339 time such as
-- "2026-11-28T05:04:31.123456789Z" or "...+01:00"; nil when unparsable
-- or the Go zero time (year 1, "never").
function M.parse_time(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, sec, rest = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.*)$")
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if y <= 1 then return nil end
  rest = rest:gsub("^%.%d+", "")
  local offset = 0
  if rest ~= "Z" and rest ~= "z" and rest ~= "" then
    local sign, oh, om = rest:match("^([+-])(%d%d):?(%d%d)$")
    if not sign then return nil end
    offset = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == "+" and 1 or -1)
  end
  return M.days_from_civil(y, mo, d) * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60
    + tonumber(sec) - offset
end

-- docker's units.HumanDuration: "Less than a second", "3 seconds",
-- "About a minute", "5 minutes", "About an hour", "3 hours", "2 days", ...
function M.human_duration(seconds)
  seconds = math.floor(seconds)
  if seconds < 1 then return "Less than a second" end
  if seconds == 1 then return "1 second" end
  if seconds < 60 then return seconds .. " seconds" end
  local minutes = seconds // 60
  if minutes == 1 then return "About a minute" end
  if minutes < 60 then return minutes .. " minutes" end
  local hours = math.floor(seconds / 3600 + 0.5)
  if hours == 1 then return "About an hour" end
  if hours < 48 then return hours .. " hours" end
  if hours < 24 * 7 * 2 then return hours // 24 .. " days" end
  if hours < 24 * 30 * 2 then return hours // (24 * 7) .. " weeks" end
  if hours < 24 * 365 * 2 then return hours // (24 * 30) .. " months" end
  return hours // (24 * 365) .. " years"
end

return M
