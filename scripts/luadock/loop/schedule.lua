--[[ luadock.loop.schedule (also luadock.schedule): jobs on a timer or a cron spec, run on luadock's one
event loop (luadock.loop), so a job's Engine calls, docker.sleep and other
tasks (schedule.spawn, e.g. following docker.events) all share one process.

  schedule.every("30s" | seconds, fn, opts) / schedule.cron(spec, fn, opts) -> job
      opts: name, max_runtime ("2h" | seconds), run_now (fire once when run starts)
  schedule.spawn(fn, { name = }) -> task that lives as long as schedule.run
  schedule.run{ ["until"] = epoch | duration = "40s" } -> "until" | "SIGINT" | "SIGTERM" | "idle"
  schedule.next(spec, t), schedule.history(name, n), schedule.configure{ history =, log = }
  job:cancel(), job:run_now()

Rules: a job never overlaps itself (a due time while it runs is skipped and
logged); a failing run (an error, an unreachable engine) is logged and
recorded, and the loop goes on; max_runtime kills the containers the run
started (they carry luadock.run=<id>), makes the call or sleep the run waits
in fail with kind "canceled", gives it GRACE seconds to clean up, then closes
it; the run's leftover containers are removed when it ends. The first SIGINT
or SIGTERM stops new runs and returns once the running ones finished; a
second one is handled as without a schedule (the host raises "interrupted!").
Cron jobs follow the wall clock, `every` jobs the monotonic one; a wall-clock
step of more than 3 h plans cron jobs from the new time (Vixie cron's rule).
Each run is one log line and one history line: name, start (UTC), seconds,
outcome, error, tab-separated in $XDG_STATE_HOME/luadock/schedule-history.tsv
(else ~/.local/state/...).
Room loop/: tasks and time (event loop, parallel, schedule, cron); knows no
Docker objects: what a job does with the engine is the job's own code.]]

local core = require "luadock.core"
local cron = require "luadock.loop.cron"
local loop = require "luadock.loop"
local argcheck = require "luadock.base.argcheck"
local keys = require "luadock.base.keys"
local units = require "luadock.base.units"
local files = require "luadock.base.files"
argcheck.mark()

local M = {}

local GRACE = 30            -- seconds a run past max_runtime gets to clean up
local CLOCK_STEP = 3 * 3600 -- a wall-clock jump beyond this replans cron jobs (Vixie)
local MAX_NAP = 60          -- re-read the wall clock at least this often
local LABEL_JOB, LABEL_RUN = "luadock.job", "luadock.run"

local jobs = {}             -- registered jobs, in order
local active = {}           -- runs in flight (also of jobs canceled meanwhile)
local spawned = {}          -- schedule.spawn functions
local running = false       -- schedule.run is looping

local function default_history()
  return files.state_dir() .. "/schedule-history.tsv"
end

local config = {
  history = default_history(),
  log = function(line) io.stderr:write(line, "\n") io.stderr:flush() end,
}

local function iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

-- One line, no control characters: what a log or history field may hold.
local function one_line(s)
  return (tostring(s):gsub("[%c\\]", function(c)
    if c == "\n" then return "\\n" elseif c == "\t" then return "\\t"
    elseif c == "\\" then return "\\\\" end
    return string.format("\\x%02x", c:byte())
  end))
end

local function unescape(s)
  return (s:gsub("\\(x?)(%x?%x?)", function(x, hex)
    if x == "x" then return string.char(tonumber(hex, 16)) end
    return nil
  end):gsub("\\([nt\\])", { n = "\n", t = "\t", ["\\"] = "\\" }))
end

local function log(fmt, ...)
  if config.log then config.log(string.format(fmt, ...)) end
end

local warned_history = false

local function record(run)
  local path = config.history
  if not path then return end
  local line = table.concat({ one_line(run.job.name), iso(run.started),
    string.format("%.3f", run.seconds), run.ok and "ok" or "failed",
    run.ok and "" or one_line(run.error or "") }, "\t") .. "\n"
  local f = io.open(path, "a")
  if not f then
    core.mkdirs(path:match("^(.*)/[^/]*$") or ".")
    f = io.open(path, "a")
  end
  local ok, err = f and f:write(line), not f and ("cannot open " .. path)
  if f then f:close() end
  if not ok and not warned_history then
    warned_history = true
    log("%s schedule: history not written: %s", iso(core.walltime()), one_line(err or "?"))
  end
end

-- ---- runs -------------------------------------------------------------------

local function client()
  return require("luadock").connect()
end

-- The containers a run started, by its label (any state).
local function run_containers(run)
  local ok, list = pcall(function()
    return client():containers{ all = true, filters = { label = { LABEL_RUN .. "=" .. run.id } } }
  end)
  return ok and list or {}
end

-- Runs cut by max_runtime whose containers must go. A create the run had
-- in flight may still land after the run ended, so they are swept again
-- when schedule.run (or job:run_now) returns.
local expired = {}

local function sweep(final)
  for run in pairs(expired) do
    for _, c in ipairs(run_containers(run)) do
      pcall(c.remove, c, { force = true, volumes = true })
    end
    if final then expired[run] = nil end
  end
end

local function finish(run, task)
  local job = run.job
  run.seconds = core.clock() - run.mono
  if run.expired then
    run.ok, run.error = false, string.format("max_runtime of %gs exceeded", job.max_runtime)
    expired[run] = true
    sweep(false)
  else
    run.ok = task.ok
    if not task.ok then run.error = tostring(task.err) end
  end
  job.current = nil
  job.last = run
  active[run] = nil
  if run.ok then
    log("%s %s ok %.2fs", iso(run.started), one_line(job.name), run.seconds)
  else
    log("%s %s failed %.2fs: %s", iso(run.started), one_line(job.name), run.seconds,
      one_line(run.error))
  end
  record(run)
end

local function start_run(job)
  local run = { job = job, id = core.random_hex(8), started = core.walltime(), mono = core.clock() }
  job.current = run
  active[run] = true
  run.task = loop.spawn(function() return job.fn(job) end, {
    name = job.name,
    labels = { [LABEL_JOB] = job.name, [LABEL_RUN] = run.id },
    on_done = function(task) finish(run, task) end,
  })
  return run
end

-- Past max_runtime: kill its containers and fail what it waits in; past the
-- grace time too: close it.
local function police(run, now)
  local job = run.job
  if not job.max_runtime or run.task.done then return end
  local over = now - run.mono - job.max_runtime
  if over >= 0 and not run.expired then
    run.expired = true
    local killed = 0
    for _, c in ipairs(run_containers(run)) do
      if pcall(c.kill, c) then killed = killed + 1 end
    end
    log("%s %s max_runtime %gs exceeded: stopping it (%d container(s) killed)",
      iso(core.walltime()), one_line(job.name), job.max_runtime, killed)
    loop.abort(run.task, string.format("%s: max_runtime of %gs exceeded", job.name, job.max_runtime))
  elseif run.expired and over >= GRACE then
    loop.kill(run.task, "max_runtime exceeded and no end within the grace time", 0)
  end
end

-- ---- timing -----------------------------------------------------------------

-- Seconds until the job is due (<= 0: due now).
local function due_in(job, mono, wall)
  if job.fire_now then return 0 end
  if job.every then return job.due_mono - mono end
  return job.due_wall - wall
end

local function plan_next(job, mono, wall)
  if job.every then
    job.due_mono = (job.due_mono or mono) + job.every
    if job.due_mono <= mono then                  -- fell behind: the next one ahead
      job.due_mono = mono + job.every - (mono - job.due_mono) % job.every
    end
  else
    local from = math.floor(math.max(wall, job.due_wall or wall))
    job.due_wall = job.sched:next(from)
  end
end

local function start_plan(job, mono, wall)
  job.due_mono, job.due_wall = nil, nil
  if job.every then
    job.due_mono = mono + job.every
  else
    job.due_wall = job.sched:next(math.floor(wall))
  end
  job.fire_now = job.at_start
end

local function fire(job, mono, wall)
  local scheduled = wall
  if job.fire_now then                          -- run_now: the regular plan stays
    job.fire_now = false
  else
    scheduled = job.every and wall + (job.due_mono - mono) or job.due_wall
    plan_next(job, mono, wall)
  end
  if job.current then
    log("%s %s skipped: the run started at %s is still going", iso(scheduled),
      one_line(job.name), iso(job.current.started))
    return
  end
  start_run(job)
end

-- ---- jobs -------------------------------------------------------------------

local Job = {}
Job.__index = Job
Job.__name = "luadock.Job"
M.Job = Job

function Job:__tostring()
  return string.format("Job(%s, %s)", self.name, self.spec)
end

-- job:cancel(): no more runs (a running one finishes). Returns true if it
-- was registered.
function Job:cancel()
  for i, j in ipairs(jobs) do
    if j == self then
      table.remove(jobs, i)
      self.canceled = true
      return true
    end
  end
  return false
end

-- job:run_now(): inside schedule.run it is due at once (the overlap rule
-- applies); elsewhere it runs here and now, and returns ok, error.
function Job:run_now()
  if getmetatable(self) ~= Job then
    argcheck.argerror("run_now", 1, nil, "job expected (use job:run_now())")
  end
  if running then
    self.fire_now = true
    return true
  end
  if self.current then return false, "already running" end
  local run = start_run(self)
  while not run.task.done do
    police(run, core.clock())
    loop.step(1)
  end
  sweep(true)
  return run.ok, run.error
end

local JOB_OPTS = keys.set { "name", "max_runtime", "run_now" }

local function new_job(fname, fn, opts, fields)
  if type(fn) ~= "function" then
    argcheck.argerror(fname, 2, nil, "function expected, got " .. type(fn))
  end
  local chk = argcheck.checker(fname, 3)
  opts = chk:opts(opts, true)
  chk:only(opts, JOB_OPTS)
  local job = setmetatable(fields, Job)
  job.fn = fn
  job.name = chk:type("name", opts.name, "string", true) or job.spec
  if job.name == "" then chk:fail("name", "must not be empty") end
  job.at_start = chk:type("run_now", opts.run_now, "boolean", true) or false
  if opts.max_runtime ~= nil then
    local s, msg = units.parse_duration(opts.max_runtime)
    if not s or s <= 0 then chk:fail("max_runtime", msg or "must be more than 0 seconds") end
    job.max_runtime = s
  end
  jobs[#jobs + 1] = job
  if running then start_plan(job, core.clock(), core.walltime()) end
  return job
end

-- schedule.every(interval, fn, opts) -> job; interval "90s", "5m", "1h30m",
-- "1d" or seconds (fractions allowed). The first run is one interval after
-- schedule.run starts (or at once with run_now).
function M.every(interval, fn, opts)
  local seconds, msg = units.parse_duration(interval)
  if not seconds or seconds <= 0 then
    argcheck.argerror("every", 1, nil, msg or "interval must be more than 0 seconds")
  end
  return new_job("every", fn, opts, { every = seconds,
    spec = type(interval) == "string" and interval or (tostring(interval) .. "s") })
end

-- schedule.cron(spec, fn, opts) -> job; see luadock.loop.cron for the syntax and
-- the daylight-saving rule.
function M.cron(spec, fn, opts)
  local sched = cron.parse(spec, "cron")
  return new_job("cron", fn, opts, { sched = sched, spec = spec })
end

-- schedule.spawn(fn, { name = }) -> nothing; fn runs as its own task from
-- the start of schedule.run (e.g. `for ev in docker.events{} do … end`),
-- is logged if it fails, and is closed when the run ends.
function M.spawn(fn, opts)
  if type(fn) ~= "function" then
    argcheck.argerror("spawn", 1, nil, "function expected, got " .. type(fn))
  end
  local chk = argcheck.checker("spawn", 2)
  opts = chk:opts(opts, true)
  chk:only(opts, { name = true })
  spawned[#spawned + 1] = { fn = fn, name = chk:type("name", opts.name, "string", true) or "task" }
end

-- The registered jobs, in order (a copy).
function M.jobs()
  return { table.unpack(jobs) }
end

-- A backup killed with kill -9 before this start may have left services
-- stopped (luadock.backup.recovery): start them again, on the default engine.
local function recover_backups()
  local ok, err = pcall(function()
    local recovery = require "luadock.backup.recovery"
    recovery.recover(require("luadock").default_client(), nil, function(line) log("%s %s", iso(core.walltime()), line) end)
  end)
  if not ok then log("%s schedule: recovering a killed backup failed: %s", iso(core.walltime()), one_line(err)) end
end

-- schedule.run{ ["until"] = epoch } or { duration = "40s" | seconds } -> why
-- it returned ("until" also when the duration ran out)
function M.run(opts)
  local chk = argcheck.checker("run", 1)
  opts = chk:opts(opts, true)
  chk:only(opts, { ["until"] = true, duration = true })
  local stop_at = chk:type("until", opts["until"], "number", true)
  if opts.duration ~= nil then
    if stop_at then chk:fail("duration", "give either 'until' or 'duration', not both") end
    local seconds, msg = units.parse_duration(opts.duration)
    if not seconds then chk:fail("duration", msg) end
    stop_at = core.walltime() + seconds
  end
  if running then error("schedule.run: already running", 2) end
  if loop.current() then error("schedule.run: cannot run inside a job or task", 2) end

  local tasks, reason = {}, nil
  local guard <close> = setmetatable({}, { __close = function()
    running = false
    local all = { table.unpack(tasks) }
    for run in pairs(active) do all[#all + 1] = run.task end
    -- kill_all is shielded; the trap must outlast it, and go whatever happens
    local ok, err = pcall(loop.kill_all, all, "schedule.run ended")
    core.trap_signals(false)
    if not ok then error(err, 0) end
  end })
  running = true
  core.trap_signals(true)
  recover_backups()
  local mono, wall = core.clock(), core.walltime()
  for _, job in ipairs(jobs) do start_plan(job, mono, wall) end
  for _, s in ipairs(spawned) do
    tasks[#tasks + 1] = loop.spawn(s.fn, { name = s.name, on_done = function(t)
      if not t.ok and not reason then
        log("%s %s failed: %s", iso(core.walltime()), one_line(s.name), one_line(t.err))
      end
    end })
  end

  -- The wall clock against the monotonic one: a jump (an NTP step, a resume
  -- from suspend) of more than CLOCK_STEP replans the cron jobs from the new
  -- time, as Vixie cron does; smaller jumps forward run what they skipped
  -- once, smaller jumps back do not run anything twice.
  local offset = wall - mono
  local function check_clock()
    local jump = (wall - mono) - offset
    offset = wall - mono
    if math.abs(jump) <= CLOCK_STEP then return end
    log("%s schedule: the clock jumped %+.0f s; cron jobs planned from the new time", iso(wall), jump)
    for _, job in ipairs(jobs) do
      if job.sched then job.due_wall = job.sched:next(math.floor(wall)) end
    end
  end

  local function tasks_alive()
    for _, t in ipairs(tasks) do
      if not t.done then return true end
    end
    return false
  end

  while true do
    mono, wall = core.clock(), core.walltime()
    check_clock()
    if not reason then
      local sig = core.signaled()
      if sig then
        reason = sig
        log("%s schedule: %s, stopping after the running jobs", iso(wall), sig)
      elseif stop_at and wall >= stop_at then
        reason = "until"
      elseif #jobs == 0 and next(active) == nil and not tasks_alive() then
        reason = "idle"
      end
    end
    local nap = MAX_NAP
    if not reason then
      for _, job in ipairs({ table.unpack(jobs) }) do
        if due_in(job, mono, wall) <= 0 then fire(job, mono, wall) end
        nap = math.min(nap, due_in(job, mono, wall))
      end
      if stop_at then nap = math.min(nap, stop_at - wall) end
    end
    for run in pairs(active) do
      police(run, mono)
      if run.job.max_runtime and not run.task.done then
        nap = math.min(nap, run.mono + run.job.max_runtime + (run.expired and GRACE or 0) - mono)
      end
    end
    if reason and next(active) == nil then break end
    loop.step(math.max(0, nap))
  end
  sweep(true)
  return reason
end

-- schedule.next(spec, t) -> epoch second of the next fire after t
function M.next(spec, t)
  return cron.next(spec, t)
end

-- schedule.history(name, n) -> the last n runs of that job (all jobs when
-- name is nil), newest first: { name, started, seconds, ok, error }
function M.history(name, n)
  if name ~= nil and type(name) ~= "string" then
    argcheck.argerror("history", 1, nil, "job name (string) or nil expected, got " .. type(name))
  end
  if n ~= nil and (math.type(n) ~= "integer" or n < 1) then
    argcheck.argerror("history", 2, nil, "positive integer expected, got " .. tostring(n))
  end
  n = n or 10
  local out = {}
  local f = config.history and io.open(config.history, "r")
  if not f then return out end
  local all = {}
  for line in f:lines() do
    local jname, started, seconds, outcome, err = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
    if jname then
      jname = unescape(jname)
      if name == nil or jname == name then
        all[#all + 1] = { name = jname, started = units.parse_time(started),
          seconds = tonumber(seconds), ok = outcome == "ok",
          error = err ~= "" and unescape(err) or nil }
      end
    end
  end
  f:close()
  for i = #all, math.max(1, #all - n + 1), -1 do out[#out + 1] = all[i] end
  return out
end

-- schedule.configure{ history = path | false, log = function(line) | false }
-- -> the settings now in force
function M.configure(opts)
  local chk = argcheck.checker("configure", 1)
  opts = chk:opts(opts, true)
  chk:only(opts, { history = true, log = true })
  if opts.history ~= nil then
    if opts.history ~= false and (type(opts.history) ~= "string" or opts.history == "") then
      chk:fail("history", "file path or false expected, got " .. type(opts.history))
    end
    config.history = opts.history
    warned_history = false
  end
  if opts.log ~= nil then
    if opts.log ~= false and type(opts.log) ~= "function" then
      chk:fail("log", "function or false expected, got " .. type(opts.log))
    end
    config.log = opts.log
  end
  return { history = config.history, log = config.log }
end

return M
