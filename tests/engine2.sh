#!/usr/bin/env bash
# tests/engine2.sh start|stop|status|fetch|host|netns — the second engine of the test
# suite: Debian sid's docker.io (Docker 28.x, API 1.51) beside the system's engine.
# `start` fetches sid's docker.io and containerd with `apt-get download` through a
# sources list of its own (the system's apt set-up and packages are never touched),
# unpacks them with `dpkg -x` into a cache folder (a second run reuses it), and
# starts that dockerd inside a network namespace of its own (entered with
# `nsenter --net` only: `ip netns exec` would remount /sys and hide the cgroups),
# with its own socket, data root, exec root and pid file, the system's runc first
# on PATH (sid's needs a newer glibc). It records what it started, like
# tests/engine.sh, in ${XDG_RUNTIME_DIR:-/tmp}/luadock-engine2.state; `stop` ends
# only that dockerd and a namespace it created, when called by the owner or when
# the owner is gone. If the packages cannot be fetched or the engine does not
# come up it says what it tried and exits 1: a run never skips the second engine.
# `fetch` only fills the cache. `host` prints the engine's address (unix://…),
# `netns` the namespace's name. LUADOCK_ENGINE2_MIRROR overrides the Debian mirror
# (default: the one the system's sources use), LUADOCK_ENGINE2_CACHE the cache.
set -euo pipefail

NAME=luadock-e2
CACHE=${LUADOCK_ENGINE2_CACHE:-/var/cache/luadock-engine2}
RUN_DIR=/run/luadock-engine2
SOCK=$RUN_DIR/docker.sock
DATA_ROOT=/var/lib/luadock-engine2
EXEC_ROOT=$RUN_DIR/exec
PIDFILE=$RUN_DIR/dockerd.pid
NETNS=$NAME
STATE=${XDG_RUNTIME_DIR:-/tmp}/luadock-engine2.state
LOG=/tmp/luadock-dockerd2.log
FETCH_LOG=/tmp/luadock-engine2-fetch.log
SUITE=sid
PKGS=(docker.io containerd)       # not runc: sid's needs glibc >= 2.38
WAIT_START=60
WAIT_STOP=20
OWNER=${LUADOCK_ENGINE_OWNER:-$PPID}

say() { printf 'engine2.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

ping_engine() {
    [[ $(curl -fsS --max-time "${1:-3}" --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null) == OK ]]
}

source "$(dirname "${BASH_SOURCE[0]}")/engine_owner.sh"

# The mirror the system's own Debian sources use (deb822 or one-line format).
system_mirror() {
    local uri
    uri=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
            /etc/apt/sources.list.d/*.list 2>/dev/null |
          grep -oE 'https?://[^ ]*/debian/?' | grep -v security | head -n1 || true)
    echo "${LUADOCK_ENGINE2_MIRROR:-${uri:-http://deb.debian.org/debian}}"
}

# Fetches and unpacks sid's packages into $CACHE/root unless that was done already.
fetch() {
    local stamp=$CACHE/root/.luadock-fetched
    if [[ -f $stamp && -x $CACHE/root/usr/sbin/dockerd && -z ${LUADOCK_ENGINE2_REFRESH:-} ]]; then
        return 0
    fi
    local mirror apt_opts
    mirror=$(system_mirror)
    mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial"
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$SUITE" >"$CACHE/apt/sources.list"
    apt_opts=(-q -o "Dir::Etc::sourcelist=$CACHE/apt/sources.list" -o Dir::Etc::sourceparts=-
              -o "Dir::State::Lists=$CACHE/apt/lists" -o "Dir::Cache=$CACHE/apt/cache"
              -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root)
    say "fetching ${PKGS[*]} from $mirror $SUITE (log: $FETCH_LOG)"
    rm -rf "$CACHE/debs.new" && mkdir -p "$CACHE/debs.new"
    if ! { apt-get "${apt_opts[@]}" update &&
           (cd "$CACHE/debs.new" && apt-get "${apt_opts[@]}" download "${PKGS[@]/%//$SUITE}"); } >"$FETCH_LOG" 2>&1; then
        tail -n 20 "$FETCH_LOG" | sed 's/^/    /' >&2
        die "could not fetch Debian $SUITE's ${PKGS[*]}: tried 'apt-get update' and 'apt-get download ${PKGS[*]/%//$SUITE}' with the sources list 'deb $mirror $SUITE main' ($CACHE/apt/sources.list); full log: $FETCH_LOG"
    fi
    rm -rf "$CACHE/root.new" "$CACHE/debs" && mv "$CACHE/debs.new" "$CACHE/debs"
    mkdir -p "$CACHE/root.new"
    local deb
    for deb in "$CACHE"/debs/*.deb; do
        dpkg -x "$deb" "$CACHE/root.new" || die "dpkg -x $deb failed"
    done
    [[ -x $CACHE/root.new/usr/sbin/dockerd ]] || die "no usr/sbin/dockerd in $CACHE/debs/*.deb"
    rm -rf "$CACHE/root" && mv "$CACHE/root.new" "$CACHE/root"
    ls "$CACHE/debs" >"$stamp"
}

# The folder put first on dockerd's PATH: sid's dockerd, docker-proxy and
# containerd (+ shim); runc, docker-init and the rest come from the system.
make_bin() {
    local bin=$CACHE/bin f
    rm -rf "$bin" && mkdir -p "$bin"
    for f in usr/sbin/dockerd usr/sbin/docker-proxy usr/bin/containerd usr/bin/containerd-shim-runc-v2; do
        [[ -x $CACHE/root/$f ]] || die "$CACHE/root/$f is missing (LUADOCK_ENGINE2_REFRESH=1 fetches again)"
        ln -s "$CACHE/root/$f" "$bin/"
    done
    command -v runc >/dev/null || die "the system's runc is needed (apt-get install runc)"
    echo '{}' >"$CACHE/daemon.json"   # never the system engine's /etc/docker/daemon.json
}

cmd_start() {
    command -v curl >/dev/null || die "curl is needed (apt-get install curl)"
    command -v ip >/dev/null || die "ip is needed (apt-get install iproute2)"
    command -v nsenter >/dev/null || die "nsenter is needed (apt-get install util-linux)"
    if ping_engine; then
        if read_state && alive "$S_PID" "$S_START" && owner_gone; then
            write_state "$S_PID" "$S_START" "$S_EXTRA"
            say "adopted the second engine (pid $S_PID) left running by an earlier run"
        fi
        say "second engine answers at unix://$SOCK"
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || die "the second engine is started as root (it needs a network namespace)"
    fetch
    make_bin

    local netns_created=0
    if [[ ! -e /run/netns/$NETNS ]]; then
        ip netns add "$NETNS" || die "ip netns add $NETNS failed"
        netns_created=1
    fi
    ip -n "$NETNS" link set lo up || die "cannot bring up lo in network namespace $NETNS"

    mkdir -p "$RUN_DIR" "$DATA_ROOT"
    rm -f "$SOCK" "$PIDFILE"
    : >"$LOG"
    say "starting sid's dockerd in network namespace $NETNS at unix://$SOCK (log: $LOG)"
    PATH=$CACHE/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        setsid nsenter --net="/run/netns/$NETNS" "$CACHE/bin/dockerd" \
        --config-file "$CACHE/daemon.json" -H "unix://$SOCK" --data-root "$DATA_ROOT" \
        --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" </dev/null >>"$LOG" 2>&1 &
    local pid=$! start
    start=$(proc_start "$pid") || { tail -n 40 "$LOG" >&2; die "dockerd exited at once"; }
    write_state "$pid" "$start" "$netns_created"

    local deadline=$((SECONDS + WAIT_START))
    until ping_engine 2; do
        if ! alive "$pid" "$start" || (( SECONDS >= deadline )); then
            say "sid's dockerd did not answer GET /_ping at unix://$SOCK; last lines of $LOG:"
            tail -n 40 "$LOG" | sed 's/^/    /' >&2
            S_PID=$pid S_START=$start S_EXTRA=$netns_created
            stop_recorded || true
            die "the second engine could not be brought up"
        fi
        sleep 0.3
    done
    say "second engine started (dockerd pid $pid, $("$CACHE/bin/dockerd" --version)), answering at unix://$SOCK"
}

# Stops the dockerd of the state file and removes the namespace if we made it.
stop_recorded() {
    terminate "$S_PID" "$S_START" || return 1
    if [[ $S_EXTRA == 1 && -e /run/netns/$NETNS ]]; then
        ip netns delete "$NETNS" || say "could not delete network namespace $NETNS"
    fi
    rm -f "$STATE"
}

cmd_stop() {
    read_state || return 0
    if alive "$S_PID" "$S_START" && ! owned_by_caller && ! owner_gone; then
        return 0    # another run started it and still uses it
    fi
    stop_recorded || exit 1
}

cmd_status() {
    if ping_engine; then
        echo "engine2: answering at unix://$SOCK ($(curl -fsS --unix-socket "$SOCK" http://localhost/version |
              grep -o '"Version":"[^"]*"' | head -n1)), network namespace $NETNS"
        if read_state && alive "$S_PID" "$S_START"; then
            echo "engine2: dockerd pid $S_PID was started by tests/engine2.sh for pid $S_OWNER"
        fi
        return 0
    fi
    echo "engine2: not answering at unix://$SOCK"
    return 1
}

case ${1:-} in
    start)  cmd_start ;;
    fetch)  fetch; say "sid's packages are in $CACHE/root ($(tr '\n' ' ' <"$CACHE/root/.luadock-fetched"))" ;;
    stop)   cmd_stop ;;
    status) cmd_status ;;
    host)   echo "unix://$SOCK" ;;
    netns)  echo "$NETNS" ;;
    *) echo "usage: $0 start|stop|status|fetch|host|netns" >&2; exit 2 ;;
esac
