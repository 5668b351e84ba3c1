--[[ tests/allocfail/driver.lua — runs one end-to-end script (system.lua,
container.lua beside it) again and again under a LUADOCK_ALLOC_FAIL build
(core/alloc.h), allocation N failing, over a spread of N from the first
allocations to past the last, in two modes:
  all  every allocation counts (the Lua state's, the core's, cJSON's,
       libcurl's) and the Nth and all later ones fail: real exhaustion;
  c    only luadock's own C allocations (core, bindings) and cJSON's count,
       and only the Nth fails: the program goes on, so what the core returns
       reaches Lua. (libcurl's are left to mode all: libcurl 7.88 swallows
       some of its own single failures, e.g. sends an attach without its
       query string, which no luadock code can see.)
Each run must end
  - with exit 0 and "ok" printed (the failure came after the last allocation,
    or was absorbed), or
  - with exit 1 and a one-line error, no traceback: in mode all, "not enough
    memory" (Lua's) or "out of memory" (the core's); in mode c any error
    luadock reports (most say "out of memory"; the summary counts them),
and never with a crash, a sanitizer report (ASan, LeakSanitizer, UBSan: the
build is the ASan+UBSan one) or another exit status.
Usage: luadock driver.lua LUADOCK SCRIPT MODE [RUNS]   (RUNS: N values, default 100)
The spread in mode all: a quarter of the runs over the start-up (the
allocations of `luadock -e ''`: loading the embedded modules), the rest over
the script's own calls; in mode c, evenly over them all (every N when RUNS is
enough); in both, three past the end. $LUADOCK_ALLOCFAIL_SEED shifts every N by a
fraction of a step (printed; set it to replay a run). Containers a failed run
left behind (label luadock.test.allocfail=<run>) are removed at the end.
Hand-written: no packaged tool fails the allocations of a Lua host. ]]

local T = require "testlib"
local docker = require "luadock"

local BIN, SCRIPT, MODE, RUNS = arg[1], arg[2], arg[3], tonumber(arg[4] or "100")
assert(BIN and SCRIPT and (MODE == "all" or MODE == "c") and RUNS,
       "usage: luadock driver.lua LUADOCK SCRIPT all|c [RUNS]")
local NAME = SCRIPT:match("([^/]+)%.lua$") .. "/" .. MODE
local SEED = tonumber(os.getenv("LUADOCK_ALLOCFAIL_SEED") or "") or (os.time() % 1000)
local RUN = string.format("%s-%d-%d", NAME, SEED, os.time())
local TMP = T.tmpdir()
local ENV = "LUADOCK_ALLOCFAIL_RUN=" .. T.q(RUN) .. " LUADOCK_ALLOCFAIL_TMP=" .. T.q(TMP)
  .. (MODE == "c" and " LUADOCK_ALLOC_FAIL_ONLY=c" or "")

-- One run: exit status, stdout, stderr. fail_at nil: nothing fails, count.
local function run(fail_at, args)
  local out, err = TMP .. "/out", TMP .. "/err"
  local env = ENV .. (fail_at and (" LUADOCK_ALLOC_FAIL_AT=" .. fail_at) or " LUADOCK_ALLOC_COUNT=1")
  local cmd = string.format("env %s %s %s >%s 2>%s", env, T.q(BIN), args, T.q(out), T.q(err))
  local _, how, code = os.execute(cmd)
  local rc = how == "exit" and code or 128 + code
  return rc, T.read(out) or "", T.read(err) or ""
end

-- The most allocations a process reported (forked children report too).
local function count(args)
  local rc, out, err = run(nil, args)
  local most = 0
  for k in err:gmatch("luadock%-alloc%-count: (%d+)") do most = math.max(most, tonumber(k)) end
  if rc ~= 0 or not err:find("luadock-alloc-count", 1, true) then
    error(string.format("%s: the counting run failed (exit %d):\n%s%s", NAME, rc, out, err), 0)
  end
  return most, out
end

local start_up = count("-e ''")
local total, out = count(T.q(SCRIPT))
assert(out == "ok\n" and total > 0, NAME .. ": the counting run printed " .. out)

-- The N values: sorted, distinct, from 1 to past the end.
local ns, seen = {}, {}
local function add(n)
  n = math.max(1, math.floor(n))
  if not seen[n] then seen[n] = true; ns[#ns + 1] = n end
end
local shift = (SEED % 97) / 97
if MODE == "all" then
  local early = RUNS // 4
  for i = 0, early - 1 do add(1 + (i + shift) * (start_up - 1) / early) end
  local late = RUNS - early - 3
  for i = 0, late - 1 do add(start_up + (i + shift) * (total - start_up) / late) end
else
  local n = math.min(RUNS - 3, total)
  for i = 0, n - 1 do add(1 + (i + shift) * (total - 1) / n) end
end
add(total + 100); add(total + 1000); add(total * 2)
table.sort(ns)

local OOM = { "not enough memory", "out of memory" }
local function oom_line(err)
  for _, w in ipairs(OOM) do
    if err:find(w, 1, true) then return true end
  end
  return false
end
-- one line, "luadock: ..." (main.c's form), no traceback
local function one_line(err)
  return err:match("^luadock: [^\n]+\n$") ~= nil
end

local t0 = os.time()
local ok_runs, oom_runs, other_runs, bad = 0, 0, 0, {}
for _, n in ipairs(ns) do
  local rc, o, e = run(n, T.q(SCRIPT))
  local why
  if e:find("Sanitizer", 1, true) or e:find("runtime error", 1, true) then
    why = "sanitizer report"
  elseif rc == 0 then
    if o == "ok\n" then ok_runs = ok_runs + 1 else why = "exit 0 without ok" end
  elseif rc == 1 and one_line(e) and oom_line(e) then
    oom_runs = oom_runs + 1
  elseif rc == 1 and one_line(e) and MODE == "c" then
    other_runs = other_runs + 1
  else
    why = "exit " .. rc .. (one_line(e) and "" or ", not one error line")
      .. (oom_line(e) and "" or ", no out-of-memory message")
  end
  if why then
    bad[#bad + 1] = n
    print(string.format("not ok - %s N=%d: %s\n%s", NAME, n, why, (e:gsub("\n*$", ""))))
  end
end
local took = os.time() - t0

-- what failed runs left on the engine
local d = docker.connect()
local left = d:containers{ all = true, filters = { label = { "luadock.test.allocfail=" .. RUN } } }
for _, c in ipairs(left) do pcall(c.remove, c, { force = true }) end

print(string.format("allocfail %s: %d allocations (start-up %d), %d runs (N from %d to %d; seed %d): "
  .. "%d ok, %d out-of-memory errors, %d other one-line errors, %d bad; "
  .. "%d containers left by failed runs removed; %ds",
  NAME, total, start_up, #ns, ns[1], ns[#ns], SEED, ok_runs, oom_runs, other_runs, #bad, #left, took))
if #bad > 0 then
  print("replay one: env " .. (MODE == "c" and "LUADOCK_ALLOC_FAIL_ONLY=c " or "")
        .. "LUADOCK_ALLOC_FAIL_AT=<N> " .. BIN .. " " .. SCRIPT)
end
os.execute("rm -rf " .. T.q(TMP))
os.exit(#bad == 0 and 0 or 1, true)
