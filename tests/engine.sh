#!/usr/bin/env bash
# tests/engine.sh start|stop|status — brings up the Docker engine that luadock's
# tests and tutorial talk to, and takes it down again only if it started it.
# `start` leaves an engine that answers GET /_ping alone (on DOCKER_HOST when it is
# unix://..., else /var/run/docker.sock); otherwise it clears a stale socket or pid
# file, starts dockerd in the background (log: /tmp/luadock-dockerd.log), waits up
# to 60 s and records the dockerd pid and its owner (the calling process, or
# $LUADOCK_ENGINE_OWNER) in ${XDG_RUNTIME_DIR:-/tmp}/luadock-engine.state; if no
# engine comes up it prints the log tail and exits 1 — it never lets a run skip.
# `stop` stops that dockerd only (SIGTERM, 20 s, then SIGKILL), when called by its
# owner or when its owner is gone, and prints nothing unless it fails. `status`
# says what answers. It must never stop, kill or remove anything it did not start.
set -euo pipefail

STATE=${XDG_RUNTIME_DIR:-/tmp}/luadock-engine.state
LOG=/tmp/luadock-dockerd.log
DEFAULT_SOCK=/var/run/docker.sock
DEFAULT_PIDFILE=/var/run/docker.pid
WAIT_START=60
WAIT_STOP=20
OWNER=${LUADOCK_ENGINE_OWNER:-$PPID}

say() { printf 'engine.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Sets SOCK (unix socket path) or URL (tcp engine), and WHERE for messages.
resolve_host() {
    local h=${DOCKER_HOST:-}
    SOCK='' URL='' CURL_TLS=()
    case $h in
        '')       SOCK=$DEFAULT_SOCK ;;
        unix://*) SOCK=${h#unix://} ;;
        tcp://*)
            if [[ -n ${DOCKER_TLS_VERIFY:-} ]]; then
                local certs=${DOCKER_CERT_PATH:-$HOME/.docker}
                URL=https://${h#tcp://}
                CURL_TLS=(--cacert "$certs/ca.pem" --cert "$certs/cert.pem" --key "$certs/key.pem")
            else
                URL=http://${h#tcp://}
            fi ;;
        *) die "unsupported DOCKER_HOST=$h (want unix:// or tcp://)" ;;
    esac
    [[ -z $SOCK || $SOCK == /* ]] || die "DOCKER_HOST=$h: the socket path must be absolute"
    WHERE=${SOCK:+unix://$SOCK}${URL}
}

# GET PATH on the engine; prints the body. curl's exit code is returned:
# 7 = nothing listens (or no socket), 28 = no answer in time.
engine_get() {
    local path=$1 t=${2:-3}
    if [[ -n $SOCK ]]; then
        curl -fsS --max-time "$t" --unix-socket "$SOCK" "http://localhost$path" 2>/dev/null
    else
        curl -fsS --max-time "$t" "${CURL_TLS[@]}" "$URL$path" 2>/dev/null
    fi
}

# 0 when the engine answers _ping with OK; else curl's code (1 for a wrong body).
ping_engine() {
    local out rc=0
    out=$(engine_get /_ping "${1:-3}") || rc=$?
    (( rc == 0 )) || return "$rc"
    [[ $out == OK ]]
}

source "$(dirname "${BASH_SOURCE[0]}")/engine_owner.sh"

is_dockerd() { [[ $(cat "/proc/$1/comm" 2>/dev/null || true) == dockerd ]]; }

# Pid of a live dockerd named by the default pid file (only meaningful when we
# are about the default socket); empty when there is none.
default_dockerd_pid() {
    local pid
    [[ $SOCK == "$DEFAULT_SOCK" && -f $DEFAULT_PIDFILE ]] || return 0
    pid=$(tr -dc 0-9 <"$DEFAULT_PIDFILE" || true)
    if [[ -n $pid ]] && is_dockerd "$pid" && proc_start "$pid" >/dev/null; then echo "$pid"; fi
}

wait_for_engine() { # SECONDS [PID START]: 0 once it answers; 1 on timeout; 2 if PID died
    local deadline=$((SECONDS + $1))
    while (( SECONDS < deadline )); do
        ping_engine 2 && return 0
        if [[ -n ${2:-} ]] && ! alive "$2" "$3"; then return 2; fi
        sleep 0.5
    done
    ping_engine 2
}

log_tail() {
    if [[ -s $LOG ]]; then
        say "last lines of $LOG:"
        tail -n 40 "$LOG" | sed 's/^/    /' >&2
    fi
}

cmd_start() {
    resolve_host
    command -v curl >/dev/null || die "curl is needed (apt-get install curl)"
    if ping_engine; then
        if read_state; then
            if ! alive "$S_PID" "$S_START"; then
                rm -f "$STATE"
            elif owner_gone; then
                # dockerd from a run that died without stopping it: ours to stop now.
                write_state "$S_PID" "$S_START" "$S_EXTRA"
                say "adopted dockerd (pid $S_PID) left running by an earlier run"
            fi
        fi
        say "engine answers at $WHERE"
        return 0
    fi
    [[ -n $SOCK ]] || die "no engine answers at $WHERE; engine.sh only starts local engines (unix://)"

    # curl 7: nothing listens (no socket, or a stale one). 28: something accepts
    # but does not answer yet — a dockerd still starting, like one named by the
    # pid file. Anything else answers and is not an engine: leave it alone.
    local running rc=0
    ping_engine || rc=$?
    running=$(default_dockerd_pid)
    if (( rc == 28 )) || [[ -n $running ]]; then
        say "an engine is starting at $WHERE${running:+ (dockerd pid $running)}; waiting up to ${WAIT_START}s"
        if wait_for_engine "$WAIT_START"; then say "engine answers at $WHERE"; return 0; fi
        die "the engine at $WHERE is running but does not answer GET /_ping after ${WAIT_START}s; not starting a second one"
    fi
    (( rc == 7 )) || die "something listens at $WHERE but does not answer GET /_ping like an engine (curl exit $rc); not touching it"

    command -v dockerd >/dev/null || die "no engine answers at $WHERE and dockerd is not installed (apt-get install docker.io)"
    if [[ -e $SOCK || -L $SOCK ]]; then
        [[ -S $SOCK ]] || die "$SOCK exists and is not a socket; refusing to touch it"
        say "removing stale socket $SOCK (nothing listens on it)"
        rm -f "$SOCK"
    fi
    if [[ $SOCK == "$DEFAULT_SOCK" && -f $DEFAULT_PIDFILE ]]; then
        say "removing stale $DEFAULT_PIDFILE (no dockerd runs under that pid)"
        rm -f "$DEFAULT_PIDFILE"
    fi

    local args=() pid start
    [[ $SOCK == "$DEFAULT_SOCK" ]] || args+=(-H "unix://$SOCK")
    mkdir -p "$(dirname "$SOCK")"
    : >"$LOG"
    say "starting dockerd${args[*]:+ ${args[*]}} (log: $LOG)"
    # setsid: a Ctrl-C meant for the caller must not kill dockerd before `stop`.
    setsid dockerd "${args[@]}" </dev/null >>"$LOG" 2>&1 &
    pid=$!
    start=$(proc_start "$pid") || { log_tail; die "dockerd exited at once"; }
    write_state "$pid" "$start" "$SOCK"

    rc=0
    wait_for_engine "$WAIT_START" "$pid" "$start" || rc=$?
    if (( rc == 0 )) && ! is_dockerd "$pid"; then
        rc=3
    fi
    if (( rc != 0 )); then
        case $rc in
            2) say "dockerd (pid $pid) exited before answering" ;;
            3) say "pid $pid is not dockerd although an engine answers; not recording it" ;;
            *) say "dockerd (pid $pid) did not answer GET /_ping at $WHERE within ${WAIT_START}s" ;;
        esac
        log_tail
        terminate "$pid" "$start" child || true
        rm -f "$STATE"
        die "no engine could be brought up"
    fi
    say "dockerd started (pid $pid), answering at $WHERE"
}

cmd_stop() {
    read_state || return 0
    if ! alive "$S_PID" "$S_START"; then
        rm -f "$STATE"
        return 0
    fi
    if ! owned_by_caller && ! owner_gone; then
        return 0    # another run started it and still uses it
    fi
    terminate "$S_PID" "$S_START" || exit 1
    rm -f "$STATE"
}

cmd_status() {
    resolve_host
    local version
    if ping_engine; then
        version=$(engine_get /version | grep -o '"ApiVersion":"[^"]*"' | head -n1 | cut -d'"' -f4 || true)
        echo "engine: answering at $WHERE (API ${version:-?})"
        if read_state && alive "$S_PID" "$S_START"; then
            echo "engine: dockerd pid $S_PID (socket $S_EXTRA) was started by tests/engine.sh for pid $S_OWNER"
        else
            echo "engine: not started by tests/engine.sh"
        fi
        return 0
    fi
    echo "engine: not answering at $WHERE"
    if [[ -n $SOCK && -S $SOCK ]]; then
        echo "engine: $SOCK exists but nothing answers on it (stale or starting)"
    fi
    return 1
}

case ${1:-} in
    start)  cmd_start ;;
    stop)   cmd_stop ;;
    status) cmd_status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
