# tests/engine_owner.sh — sourced by tests/engine.sh and tests/engine2.sh: who
# started a dockerd, and stopping it. The state file holds "DOCKERD_PID
# DOCKERD_START OWNER_PID OWNER_START EXTRA" (EXTRA: the script's own field,
# the socket for engine.sh, whether it made the network namespace for
# engine2.sh); a pid is always paired with its start time, so a later process
# that reused the pid is never taken for it. The caller sets STATE, OWNER,
# WAIT_STOP and say().

# Start time (clock ticks since boot) of a live, non-zombie process; fails otherwise.
# Paired with the pid it tells a process from a later one that reused its pid.
proc_start() {
    local s; local -a f
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }              # drop "pid (comm) ": what is left starts at field 3
    read -r -a f <<<"$s"
    [[ ${f[0]} != Z ]] || return 1
    printf '%s\n' "${f[19]}"  # field 22
}

alive() { [[ -n $1 && -n $2 && $(proc_start "$1" || true) == "$2" ]]; }

# Reads the state file into S_PID S_START S_OWNER S_OWNER_START S_EXTRA.
read_state() {
    [[ -f $STATE ]] || return 1
    S_PID='' S_START='' S_OWNER='' S_OWNER_START='' S_EXTRA=''
    read -r S_PID S_START S_OWNER S_OWNER_START S_EXTRA <"$STATE" || true
    [[ $S_PID =~ ^[0-9]+$ && $S_START =~ ^[0-9]+$ ]] && return 0
    rm -f "$STATE"    # unreadable: it names nothing we could stop
    return 1
}

write_state() { # PID START EXTRA
    local owner_start
    owner_start=$(proc_start "$OWNER" || echo 0)
    mkdir -p "$(dirname "$STATE")"
    printf '%s %s %s %s %s\n' "$1" "$2" "$OWNER" "$owner_start" "$3" >"$STATE.tmp"
    mv -f "$STATE.tmp" "$STATE"
}

owned_by_caller() { [[ $S_OWNER == "$OWNER" ]] && alive "$S_OWNER" "$S_OWNER_START"; }
owner_gone() { ! alive "$S_OWNER" "$S_OWNER_START"; }

# SIGTERM, wait up to WAIT_STOP seconds, then SIGKILL. PID START [child]
terminate() {
    local pid=$1 start=$2 child=${3:-} deadline
    alive "$pid" "$start" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + WAIT_STOP))
    while alive "$pid" "$start" && (( SECONDS < deadline )); do sleep 0.2; done
    if alive "$pid" "$start"; then
        say "dockerd (pid $pid) did not stop in ${WAIT_STOP}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 5))
        while alive "$pid" "$start" && (( SECONDS < deadline )); do sleep 0.2; done
    fi
    if [[ -n $child ]]; then wait "$pid" 2>/dev/null || true; fi
    ! alive "$pid" "$start" || { say "dockerd (pid $pid) is still alive"; return 1; }
}
