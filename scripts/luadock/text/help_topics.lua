-- luadock.text.help_topics: the texts behind luadock.text.help, one short topic per
-- function of the Lua API (scripts/luadock/API.md has the full reference;
-- tests/lua/api_reference.lua keeps the two in step), and the sections
-- help(docker) lists them in. Text only: nothing here runs.
-- Room text/: what people read (listings, the value printer, progress bars,
-- help, completion); no engine calls of its own, and nothing here changes an
-- object.

-- Sections and their topics, in the order help(docker) lists them.
local SECTIONS = {
  { "Loading and utilities", { "VERSION", "connect", "contexts", "Client", "default_client", "host",
    "context", "close",
    "clock", "sleep", "session", "interactive", "help", "pp" } },
  { "System", { "ping", "version", "info", "df", "api_version", "events" } },
  { "Containers", { "run", "create", "containers", "ps", "container", "prune_containers",
    "exec_inspect", "Container" } },
  { "Container methods (c:…)", { "c:start", "c:stop", "c:restart", "c:kill", "c:pause", "c:unpause",
    "c:remove", "c:wait", "c:logs", "c:lines", "c:exec", "c:attach", "c:reload", "c:put_archive",
    "c:get_archive", "c:copy_in", "c:copy_out", "c:stats", "c:rename", "c:top", "c:diff",
    "c:commit", "c:update" } },
  { "Clean-up", { "cleanup" } },
  { "Images", { "images", "image", "pull", "push", "import", "load", "save", "build",
    "prune_images", "Image", "img:tag", "img:remove", "img:history", "img:reload" } },
  { "Volumes", { "volumes", "volume", "volume_create", "prune_volumes", "Volume", "vol:remove",
    "vol:reload" } },
  { "Networks", { "networks", "network", "network_create", "prune_networks", "Network",
    "net:connect", "net:disconnect", "net:remove", "net:reload" } },
  { "Errors", { "errors", "Error", "is_error" } },
  { "Scheduling and backups", { "schedule", "schedule.every", "schedule.cron", "schedule.spawn",
    "schedule.run", "schedule.next", "schedule.history", "schedule.configure", "schedule.jobs",
    "job", "backup", "restore" } },
  { "Concurrency", { "parallel" } },
}

local TOPICS = {}
local function topic(name, text) TOPICS[name] = text end

-- ---- loading and utilities ----------------------------------------------------
topic("VERSION", [[
docker.VERSION -> string
  The luadock release, e.g. "0.1.0".]])
topic("connect", [[
docker.connect([host | { host=, context=, tls=, timeout=, api_version= }]) -> Client
  Opens a client. With no argument the docker CLI's rules pick the engine:
  DOCKER_HOST (non-empty) > DOCKER_CONTEXT > currentContext in
  $DOCKER_CONFIG/config.json (default ~/.docker) > unix:///var/run/docker.sock.
  DOCKER_TLS_VERIFY, DOCKER_TLS, DOCKER_CERT_PATH apply to DOCKER_HOST and to
  a host given here, never to a named context. DOCKER_API_VERSION pins the
  API version. help "contexts" lists the contexts.
  host         "unix:///path.sock", "tcp://host:port", "ssh://user@host"
  context      a docker CLI context by name (its host and TLS files); not
               with host or tls; "default" is DOCKER_HOST / the local socket
  tls          false (plain) or { ca=, cert=, key=, verify=true } (file paths;
               cert and key together); nil: the DOCKER_TLS* variables decide
  timeout      seconds allowed to a call that does not stream (default 60)
  api_version  "1.41" etc.; default: negotiated with the engine
  Every Client method is also a module function on a default client:
  docker.ps() is docker.connect():ps().
  Raises: a bad argument error for a malformed host or option; "not_found"
  for an unknown context; "io" for an unreadable or malformed meta.json
  (the message names the file; a broken config.json is a warning on stderr
  and the defaults apply, as for the CLI); "tls" for an unreadable or
  encrypted TLS file; "connection" or "tls" later, on use.]])
topic("contexts", [[
docker.contexts() -> array of { name=, host=, description=, current= }
  The docker CLI's contexts ($DOCKER_CONFIG/contexts), "default" included,
  in the order of `docker context ls`. current is true for the one
  docker.connect() would use. A context without a docker endpoint, and a
  current one that does not exist, have host "" and error=.
  Raises "io" for a malformed meta.json.]])
topic("Client", [[
Client (from docker.connect)
  Has every call of the System, Containers, Images, Volumes, Networks and
  Clean-up sections as a method: d:ps{}, d:run{...}, d:pull("busybox").
  d:host() is the engine address, d:context() the docker CLI context it came
  from; d:close() drops its connections. A Client
  is a to-be-closed value: `local d <close> = docker.connect()`.]])
topic("default_client", [[
docker.default_client() -> Client
  The client the module functions use (docker.ps() and friends), created by
  docker.connect() on first use.]])
topic("host", [[
d:host() -> string
  The engine address the client talks to, e.g. "unix:///var/run/docker.sock".]])
topic("context", [[
d:context() -> string | nil
  The docker CLI context the client was made from: its name, "default" for
  DOCKER_HOST or the local socket, nil when connect was given a host.]])
topic("close", [[
d:close()
  Closes the client's connections. Not mirrored as a module function.]])
topic("clock", [[
docker.clock() -> seconds
  A monotonic clock as a float: for measuring durations, not the date.]])
topic("sleep", [[
docker.sleep(seconds) -> true
  Waits; fractions allowed. Inside a schedule or docker.parallel other work
  runs meanwhile. Raises "canceled" when interrupted (Ctrl-C).]])
topic("session", [[
docker.session -> string
  This process's session id: the value of the luadock.session label on every
  object it creates (see cleanup).]])
topic("interactive", [[
docker.interactive = true | nil
  Set by the luadock REPL. When true, pull, push, build and load called without
  on_progress show docker-style progress bars on standard output.]])
topic("help", [[
help([topic | function | object])
  help() gives an overview, help(docker) the list of topics, help "run",
  help(docker.run), help "c:logs" (or "logs"), help(c) for an object's class.]])
topic("pp", [[
docker.pp(value, ...)
  Prints each value the way the REPL does: tables with sorted keys (depth 4,
  cycles marked), lists from d:ps(), d:images(), d:volumes(), d:networks() as
  the docker CLI's tables (tostring(list) gives that text too), a string with
  line breaks as its lines; engine text escaped. Raises a bad argument error
  when called with no value (pp(nil) prints nil).]])

-- ---- system ----------------------------------------------------------------------
topic("ping", [[
d:ping() -> true
  Checks that the engine answers. Raises "connection" (no engine) or
  "permission" (socket not accessible).]])
topic("version", [[
d:version() -> table
  The engine's version JSON: Version, ApiVersion, MinAPIVersion, Os, Arch, ...]])
topic("info", [[
d:info() -> table
  The engine's system-wide information JSON (Containers, Images, Driver, ...).]])
topic("df", [[
d:df() -> table
  Disk usage: the engine's JSON with LayersSize, Images, Containers, Volumes,
  BuildCache.]])
topic("api_version", [[
d:api_version() -> string
  The API version in use with this engine, e.g. "1.41".]])
topic("events", [[
for ev in d:events{ since=, ["until"]=, filters= } do ... end
  Iterates over the engine's events (tables with Type, Action, Actor, time).
  since, until  epoch seconds, an RFC 3339 time, or a duration ago ("10m")
  filters       { type = "container", event = "die", label = "k=v", ... }
  Without until the loop waits for more events; `break` closes the stream.
  Raises "connection" or "timeout" if the stream fails.]])

-- ---- containers -----------------------------------------------------------------
topic("run", [[
d:run{ image=, cmd=, ... } -> result | Container
  Creates and starts a container (labelled as luadock's).
  One-shot (default): waits for the exit and returns { exit_code, stdout,
  stderr, id }. A non-zero exit raises kind "exit" (with exit_code, stdout,
  stderr) unless check = false.
  detach = true: returns the started Container at once.
  image       image reference (required); a missing one is pulled first
  pull        "missing" (default) | "always" | "never"
  cmd, entrypoint  a string (split like a shell, none run) or an array
  env         { K = "v" } or { "K=v", "K" }
  ports       { ["80/tcp"] = 8080 | "127.0.0.1:8080" | true | {...} }
  volumes     { volname = "/data", ["/host/dir"] = "/in:ro" }
  name, labels, workdir, user, network, restart, memory ("64m"), cpus (0.5), tty
  stdin       text fed to the process (then closed)
  remove      the engine removes it when it exits (AutoRemove, as docker run --rm;
              also auto_remove = true), even if the script dies
  timeout     seconds for a one-shot run: killed, then raises "timeout"
  on_output   function(stream, chunk) instead of collecting stdout/stderr
  check       false: return the result of a failed run instead of raising
  Other Engine fields in snake_case: cap_add, log_config, readonly_rootfs, ...
  Raises: "not_found" (image), "conflict" (name taken), "exit", "timeout".]])
topic("create", [[
d:create{ image=, ... } -> Container
  Like run, but the container is only created, not started: takes the same
  options except detach, remove, check, timeout and on_output (stdin = true
  only opens stdin). Raises "not_found", "conflict", "bad_request".]])
topic("containers", [[
d:containers{ all=false, filters=, limit=, size= } -> array of Container
  Lists running containers (all = true: every state).
  filters  { label = {"a=b"}, status = "exited", name = "x", ancestor = ... }
  In the REPL the array prints like `docker ps`. Alias: d:ps.]])
topic("ps", [[
d:ps{ all=false, filters=, limit= } -> array of Container
  Same as d:containers; prints like `docker ps` in the REPL.]])
topic("container", [[
d:container(id_or_name) -> Container
  Looks a container up (inspect). Raises "not_found".]])
topic("prune_containers", [[
d:prune_containers{ filters= } -> { deleted = {ids}, space_reclaimed = bytes }
  The engine's own prune of stopped containers, whoever made them. To remove
  only what luadock made, use cleanup.]])
topic("exec_inspect", [[
d:exec_inspect(exec_id) -> table
  State of an exec started with c:exec{ detach = true }: Running, ExitCode, ...]])
topic("Container", [[
Container: id, short_id (12 chars), name, image, status ("Up 3 seconds"),
  state ("running", "exited", ...), labels, created (epoch seconds),
  ports ({ ["80/tcp"] = { { host_ip=, host_port= } } }), attrs (engine JSON).
  Methods: start stop restart kill pause unpause remove wait logs lines exec
  attach reload put_archive get_archive copy_in copy_out stats rename top diff
  commit update (help "c:NAME"). To-be-closed: `local c <close> = d:run{...,
  detach = true}` stops and removes it when the scope ends, also on an error
  and when the script is interrupted (Ctrl-C, SIGTERM, a max_runtime cancel):
  that clean-up is shielded from the interruption and bounded by the stop
  timeout plus 30 s.]])

-- ---- container methods --------------------------------------------------------
topic("c:start", [[
c:start() -> c
  Starts a created or stopped container.]])
topic("c:stop", [[
c:stop{ timeout= } -> c
  Sends SIGTERM, then SIGKILL after `timeout` seconds (default: the container's
  StopTimeout, else 10).]])
topic("c:restart", [[
c:restart{ timeout= } -> c
  Stops (as c:stop) and starts again.]])
topic("c:kill", [[
c:kill{ signal= } -> c
  Sends a signal ("KILL" by default; a name like "HUP" or a number).
  Raises "conflict" when the container is not running.]])
topic("c:pause", [[
c:pause() -> c
  Freezes every process of the container.]])
topic("c:unpause", [[
c:unpause() -> c
  Resumes a paused container.]])
topic("c:remove", [[
c:remove{ force=false, volumes=false } -> true
  Removes the container; force kills a running one first, volumes also
  removes its anonymous volumes. Raises "conflict" if running without force.]])
topic("c:wait", [[
c:wait{ condition="not-running", timeout= } -> exit_code
  Waits for the container to stop ("next-exit", "removed" also allowed).
  No time limit unless `timeout` is given (then raises "timeout").]])
topic("c:logs", [[
c:logs{ stdout=true, stderr=true, follow=false, tail=, since=, ["until"]=,
        timestamps=false, on_output= } -> text
  The container's output, stdout and stderr interleaved in order. With
  on_output = function(stream, chunk) the output is handed over instead.
  follow = true keeps reading until the container stops.]])
topic("c:lines", [[
for stream, line in c:lines{ follow=, tail=, since=, timestamps= } do ... end
  The output line by line (without newlines); stream is "stdout" or "stderr".
  `break` closes the stream.]])
topic("c:exec", [[
c:exec{ cmd=, env=, workdir=, user=, privileged=, tty=, stdin=, timeout=,
        on_output=, detach= } -> { exit_code, stdout, stderr } | { id }
  Runs a command in a running container. A non-zero exit is returned, not
  raised. With tty all output is in stdout. detach = true returns { id } at
  once (see exec_inspect). timeout raises "timeout" (the process may go on).]])
topic("c:attach", [[
c:attach{ stdin=, on_output=, logs=false, detach_keys= } -> { stdout, stderr, state, exit_code }
  Attaches to a running container: feeds stdin (then closes it), hands output
  to on_output(stream, chunk), returns when the stream ends. logs = true
  replays earlier output first. state says why it ended: "exited" (with
  exit_code), "detached" (it runs on: detach_keys such as "ctrl-x" were in
  stdin, or it closed its output) or "removed". Raises "conflict" if it is not
  running, "connection" if the engine went away during the attach.]])
topic("c:reload", [[
c:reload() -> c
  Refreshes the fields from the engine (inspect).]])
topic("c:put_archive", [[
c:put_archive(path, tar_bytes) -> true
  Unpacks a tar stream into the directory `path` of the container.]])
topic("c:get_archive", [[
c:get_archive(path) -> tar_bytes, stat
  A tar of `path`, and its stat { name, size, mode, mtime, link_target }.]])
topic("c:copy_in", [[
c:copy_in(host_path, ctr_path) -> true
  Copies a host file or folder into the container by `docker cp`'s rules:
  into an existing folder it lands inside (as its own name; "dir/." copies
  only dir's contents); a missing ctr_path becomes the copy (its parent
  must exist); a file replaces a file. Refused: a folder onto a file
  ("conflict"), a file onto a missing "x/" and a missing source
  ("not_found"). Symlinks are copied as links, not followed.]])
topic("c:copy_out", [[
c:copy_out(ctr_path, host_path) -> r
  Copies a file or folder out of the container by the same rules, the other
  way. Nothing is written outside host_path (or host_path/<name>): entries
  that would land elsewhere are refused, devices, fifos and sockets skipped,
  setuid/setgid/sticky bits dropped, symlinks stored, never followed. r
  counts files, skipped, devices, fifos, sockets, unsafe, other; r.stat is
  the source's stat.]])
topic("c:stats", [[
c:stats() -> sample | for s in c:stats{ stream = true } do ... end
  Resource usage (the engine's JSON: cpu_stats, memory_stats, ...): one sample,
  or an iterator of samples (`break` closes it).]])
topic("c:rename", [[
c:rename(name) -> c
  Renames the container. Raises "conflict" if the name is taken.]])
topic("c:top", [[
c:top{ ps_args= } -> { Titles = {...}, Processes = {{...}} }
  The processes running in the container.]])
topic("c:diff", [[
c:diff() -> array of { Path, Kind }
  Filesystem changes since creation (Kind 0 changed, 1 added, 2 deleted).]])
topic("c:commit", [[
c:commit{ repo=, tag=, message=, author=, changes=, labels=, pause= } -> Image
  Makes an image from the container (labelled as luadock's). changes are
  Dockerfile instructions ("CMD ...", "ENV K=v").]])
topic("c:update", [[
c:update{ memory=, cpus=, restart=, ... } -> c, warnings
  Changes resource limits and the restart policy of a container.]])

-- ---- clean-up ------------------------------------------------------------------------
topic("cleanup", [[
d:cleanup{ session=, older_than=, labels=, volumes=false, networks=false,
           dry_run=false, stale=false } -> { containers, volumes, networks }
  Removes only objects luadock created (label luadock.managed=1), by default
  those of this process's session. older_than "1h" or seconds; labels
  {"k=v"}; stale = true: those whose creating process is gone (or is a
  zombie), after starting again what a killed docker.backup left stopped.
  dry_run lists without removing. Never touches anything else.]])

-- ---- images ---------------------------------------------------------------------------
topic("images", [[
d:images{ all=, filters=, digests= } -> array of Image
  Lists images; prints like `docker images` in the REPL.]])
topic("image", [[
d:image(name) -> Image
  Looks an image up by name, name:tag or id. Raises "not_found".]])
topic("pull", [[
d:pull(ref, { on_progress=, auth=, all_tags=false, platform= }) -> Image
  Pulls from a registry; no tag means :latest. on_progress(ev) gets each
  progress event (in the REPL: progress bars). auth = { username=, password= }
  or { identitytoken= }; default: ~/.docker/config.json's credHelpers,
  credsStore (docker-credential-<name> on PATH) or auths. all_tags returns an
  array of Images. Raises "not_found", "auth", "connection".]])
topic("push", [[
d:push(ref, { on_progress=, auth= }) -> true
  Pushes name:tag (default :latest) to its registry. Raises "auth", "not_found".]])
topic("import", [[
d:import{ source = path_or_bytes, repo=, tag=, changes={...}, labels= } -> Image
  Makes an image from a root-filesystem tar (a file path or the bytes).]])
topic("load", [[
d:load(path_or_bytes) -> array of Image
  Loads images from a `docker save` tar (progress bars in the REPL).]])
topic("save", [[
d:save(name_or_names, path) -> true
  Writes images as a `docker save` tar to path (complete or not at all).]])
topic("build", [[
d:build{ context = dir, dockerfile=, tag=, buildargs=, labels=, on_progress=,
         nocache=, pull=, target=, network_mode=, platform= } -> Image
  Builds from a directory (.dockerignore honoured); tag is a string or array.
  on_progress(ev) gets each event (ev.stream holds the build output; in the
  REPL it is shown). A failing step raises kind "server" with its message.]])
topic("prune_images", [[
d:prune_images{ dangling=true, filters= } -> { deleted, untagged, space_reclaimed }
  The engine's prune of unused images (only untagged ones unless dangling = false).]])
topic("Image", [[
Image: id, short_id, tags, size (bytes), created (epoch seconds), labels, attrs.
  Methods: img:tag, img:remove, img:history, img:reload.]])
topic("img:tag", [[
img:tag(repo[, tag]) -> img
  Adds a tag: img:tag("me/app", "1") or img:tag("me/app:1").]])
topic("img:remove", [[
img:remove{ force=, noprune= } -> table
  Looked up by repo:tag: removes that tag (like `docker rmi repo:tag`); by id
  or from a list: the image. Raises "conflict" when a container uses it.]])
topic("img:history", [[
img:history() -> array of layers { Id, Created, CreatedBy, Size, Tags }]])
topic("img:reload", [[
img:reload() -> img
  Refreshes the fields from the engine.]])

-- ---- volumes and networks ---------------------------------------------------------
topic("volumes", [[
d:volumes{ filters= } -> array of Volume
  Prints like `docker volume ls` in the REPL.]])
topic("volume", [[
d:volume(name) -> Volume
  Raises "not_found".]])
topic("volume_create", [[
d:volume_create{ name=, driver=, driver_opts=, labels= } -> Volume
  Creates a volume labelled as luadock's; an existing name is returned as is.]])
topic("prune_volumes", [[
d:prune_volumes{ filters= } -> { deleted = {names}, space_reclaimed }
  The engine's own prune of unused volumes, named ones too on every API version
  (luadock adds filters.all = true from API 1.42, unless `all` is given).]])
topic("Volume", [[
Volume: name, driver, mountpoint, labels, scope, created, attrs.
  Methods: vol:remove, vol:reload.]])
topic("vol:remove", [[
vol:remove{ force= } -> true
  Raises "conflict" while a container uses it.]])
topic("vol:reload", [[
vol:reload() -> vol]])
topic("networks", [[
d:networks{ filters= } -> array of Network
  Prints like `docker network ls` in the REPL.]])
topic("network", [[
d:network(name_or_id) -> Network
  Raises "not_found".]])
topic("network_create", [[
d:network_create{ name=, driver=, internal=, ipam=, options=, labels=,
                  attachable=, enable_ipv6= } -> Network
  Creates a network labelled as luadock's. ipam = { config = { { subnet =
  "10.9.0.0/24" } } }. Raises "conflict" when the name is taken.]])
topic("prune_networks", [[
d:prune_networks{ filters= } -> { deleted = {names} }
  The engine's own prune of unused networks.]])
topic("Network", [[
Network: id, short_id, name, driver, scope, internal, labels, containers, attrs.
  Methods: net:connect, net:disconnect, net:remove, net:reload.]])
topic("net:connect", [[
net:connect(c, { aliases=, ipv4_address=, ipv6_address=, links= }) -> net
  Attaches a container (a Container or its id or name).]])
topic("net:disconnect", [[
net:disconnect(c, { force= }) -> net]])
topic("net:remove", [[
net:remove() -> true
  Raises "conflict" while containers are attached.]])
topic("net:reload", [[
net:reload() -> net
  Refreshes the fields, including containers.]])

-- ---- errors -------------------------------------------------------------------------
topic("errors", [[
Engine and connection failures raise docker.Error values: fields kind, status
  (HTTP status or nil), message (the engine's), method, path. kinds:
  not_found conflict bad_request server connection tls permission timeout
  api_version auth protocol truncated canceled exit io. Catch with pcall and tell
  them apart with docker.is_error(e). A wrong argument is a plain Lua error:
  "bad argument #1 to 'run' (field 'image': string expected, got nil)".]])
topic("Error", [[
docker.Error: the metatable of engine errors; tostring(e) reads like
  "luadock: 404 No such container: web (DELETE /containers/web)". See "errors".]])
topic("is_error", [[
docker.is_error(v) -> boolean
  True when v is a docker.Error (and not, e.g., an argument error).]])

-- ---- scheduling, backups, concurrency ------------------------------------------
topic("schedule", [[
local schedule = require "luadock.loop.schedule"
  Runs jobs at intervals or by cron expression on one event loop; see
  schedule.every, schedule.cron, schedule.spawn, schedule.run, schedule.next,
  schedule.history, schedule.configure and job.]])
topic("schedule.every", [[
schedule.every(interval, fn, { name=, max_runtime=, run_now=false }) -> job
  Runs fn(job) every "30s", "5m", "1h30m", "1d" (or seconds, fractions
  allowed), first one interval after schedule.run starts (at once too with
  run_now). A job never overlaps itself: a due run while the last still runs
  is skipped and logged. A failing run is logged and the loop goes on.
  max_runtime ("2h" or seconds): past it, the containers the run started are
  killed and its waiting call fails (kind "canceled"); they are removed when
  the run ends.]])
topic("schedule.cron", [[
schedule.cron(expr, fn, { name=, max_runtime=, run_now=false }) -> job
  expr has 5 fields (6 with seconds first), or @daily, @hourly, @every 10m;
  local time, TZ honoured; daylight-saving rule as Debian's cron (see
  luadock.cron). Options as schedule.every.]])
topic("schedule.spawn", [[
schedule.spawn(fn, { name= })
  Runs fn as its own task from the start of schedule.run, e.g. a loop over
  docker.events{}; logged if it fails, closed when schedule.run returns.]])
topic("schedule.run", [[
schedule.run{ ["until"] = epoch_time } -> "until" | "SIGINT" | "SIGTERM" | "idle"
schedule.run{ duration = "40s" }   -- or "5m", "1h30m", "1d", seconds
  Runs due jobs until that time, or for that long from now (returns "until";
  `until` is a Lua keyword, hence duration; not both). Neither: forever
  ("idle" when no job is left).
  The first SIGINT/SIGTERM starts no new run and returns once the running
  ones finished; a second one stops at once. Inside jobs, luadock calls and
  docker.sleep let other jobs run meanwhile.]])
topic("schedule.next", [[
schedule.next(expr, t) -> epoch time of the next fire after t (local time, TZ)]])
topic("schedule.history", [[
schedule.history(name, n) -> last n (10) runs, newest first (name nil: all jobs):
  { name, started (epoch), seconds, ok, error }
  Read from the history file (one tab-separated line per run), so runs of
  earlier processes count too.]])
topic("schedule.configure", [[
schedule.configure{ history = path | false, log = function(line) | false } -> settings
  history: default $XDG_STATE_HOME/luadock/schedule-history.tsv (else
  ~/.local/state/luadock/...). log: where the one line per run goes
  (default: standard error).]])
topic("schedule.jobs", [[
schedule.jobs() -> the registered jobs, in order]])
topic("job", [[
job.name, job.spec, job.last (the last run: { started, seconds, ok, error })
job:cancel() -> true if it was registered; a running run finishes.
job:run_now() inside schedule.run: due at once; elsewhere: runs it here
  (logged and recorded) and returns ok, error.]])
topic("backup", [[
docker.backup{ volume=, to = dir, image=, keep=, stop = {names or Containers},
               stop_timeout=, name_prefix= } -> { archive, bytes, seconds }
  Archives a volume to dir/<volume>-<UTC time>.tar.gz (written under a
  temporary name, renamed when complete; `to` is created when missing).
  Containers in `stop` are stopped for the copy (stop_timeout seconds before
  the engine kills them) and started again in every case: failure, Ctrl-C,
  SIGTERM, max_runtime. After kill -9, the next backup of that volume,
  schedule.run or cleanup{ stale = true } starts them again (one log line).
  Only the `keep` newest archives stay.]])
topic("restore", [[
docker.restore{ volume=, from = archive, image=, wipe = false }
  Puts an archive made by docker.backup back into a volume (created when
  missing); wipe = true empties it first.]])
topic("parallel", [[
docker.parallel(fns, { max = 8 }) -> results in order
  Runs each function in its own coroutine; luadock calls inside them overlap
  on one event loop. An error in one is raised after all finished, naming it.]])

return { sections = SECTIONS, topics = TOPICS }
