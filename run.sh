#!/usr/bin/env bash
# run.sh — the README's two commands: `bash run.sh tutorial` runs the tutorial and
# `bash run.sh test` runs the whole suite, on a fresh Debian 12 machine as root.
# It installs the Debian packages that are missing, brings up the Docker engine
# through tests/engine.sh (`test` stops it at exit if it started it; the
# tutorial leaves it running for the README's examples), builds
# luadock (plus an ASan+UBSan build for `test`) and runs ctest on both builds.
# `test` also brings up the second engine, Debian sid's Docker 28, through
# tests/engine2.sh (stopped at exit if it started it): the plain build's run
# goes through every Lua test on both engines, as two streams side by side
# (ctest -j2, one RESOURCE_LOCK per engine); the ASan run covers the system's.
# It never skips: no engine means failure. For `test`, the asan ctest summary is
# the last thing printed, and the exit status is non-zero if either run failed.
# Extra arguments after `test` go to both ctest runs (e.g. `-R lua.containers`).
# `bash run.sh fuzz [seconds]` needs no engine: it builds the libFuzzer targets
# of tests/fuzz/ with clang (ASan + UBSan, build-fuzz/) and runs each in turn,
# one process at a time, for the given seconds (default 600), then prints a
# table of runs, coverage edges and time per target. It exits non-zero if a
# target crashed; the input is kept in build-fuzz/fuzz/crashes/<target>/.
# `bash run.sh soak [minutes]` (not in CI; default 60, at least 2) installs the
# packages, brings up the engine DOCKER_HOST names (the system's by default, or
# the second engine through tests/engine2.sh when DOCKER_HOST is its socket),
# leaves it running, builds build/, imports the test image (tests/fixtures/setup.lua)
# and runs tests/soak/soak.lua: a one-shot container every second, a volume
# backup every 30 s and an events follower in one process, a table row per
# minute and PASS/FAIL checks at the end (exit status 1 on any FAIL).
# `bash run.sh memcheck [ctest args]` (not in CI: long) brings up the system
# engine, builds the plain build with every Lua test registered as
# memcheck.<name> (tests/memcheck/: the host and the luadock processes each
# test starts, under valgrind memcheck) and runs them, then prints a table of
# processes, errors and bytes lost per test. `test` runs a subset of them
# (label memcheck) and, in the ASan build, the allocation-failure tests
# (tests/allocfail/, label alloc-fail).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD

PACKAGES=(build-essential cmake pkg-config liblua5.4-dev lua5.4 libcurl4-openssl-dev
          libcjson-dev libedit-dev libarchive-dev docker.io busybox-static socat curl
          util-linux python3-docker tmux docker-registry apache2-utils faketime iproute2
          debian-archive-keyring libssl-dev openssl openssh-server openssh-client
          valgrind python3-yaml)
APT_LOG=/tmp/luadock-apt.log
JOBS=2

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

usage() {
    echo "usage: bash run.sh tutorial | bash run.sh test [ctest args...] |" \
         "bash run.sh fuzz [seconds per target] | bash run.sh soak [minutes] |" \
         "bash run.sh memcheck [ctest args...]" >&2
    exit 2
}

install_missing() {
    local missing=() p status
    for p in "${PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        [[ $status == "install ok installed" ]] || missing+=("$p")
    done
    if (( ${#missing[@]} == 0 )); then
        echo "all ${#PACKAGES[@]} packages are installed"
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || die "missing packages: ${missing[*]} — run as root to install them"
    echo "installing ${missing[*]} (log: $APT_LOG)"
    # Installing must not start services (openssh-server's sshd on every
    # address, dockerd): Debian's policy-rc.d answer "101" forbids it while
    # apt runs; the tests start what they need themselves, on 127.0.0.1.
    local policy=/usr/sbin/policy-rc.d made_policy=
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
    fi
    local ok=1
    { apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
          "${missing[@]}"; } >"$APT_LOG" 2>&1 || ok=
    [[ -z $made_policy ]] || rm -f "$policy"
    if [[ -z $ok ]]; then
        tail -n 30 "$APT_LOG" >&2
        die "apt-get failed (full log: $APT_LOG)"
    fi
}

start_engine() {
    # `test` stops the engine it started at every exit; prints nothing on
    # stdout, so the last ctest summary stays the last thing printed. The
    # tutorial leaves it running, so the README's examples work right after.
    if [[ $mode == test ]]; then
        trap 'bash "$ROOT/tests/engine2.sh" stop >/dev/null || true
              bash "$ROOT/tests/engine.sh" stop >/dev/null || true' EXIT
    fi
    # memcheck: the system engine only, stopped at exit if started here
    if [[ $mode == memcheck ]]; then
        trap 'bash "$ROOT/tests/engine.sh" stop >/dev/null || true' EXIT
    fi
    trap 'exit 130' INT
    trap 'exit 143' TERM
    bash "$ROOT/tests/engine.sh" start || die "no Docker engine could be brought up (see above)"
    if [[ $mode == test ]]; then
        # Debian sid's Docker 28 beside it, in a network namespace of its own.
        bash "$ROOT/tests/engine2.sh" start ||
            die "the second engine (Debian sid's docker.io) could not be brought up (see above)"
    fi
}

build() { # DIR [cmake args...]
    local dir=$1; shift
    cmake -S . -B "$dir" -DLUADOCK_WERROR=ON "$@"
    cmake --build "$dir" -j"$JOBS"
}

# The libFuzzer targets (tests/fuzz/CMakeLists.txt's list), one after the
# other, each a single process (no -jobs: libFuzzer would fork workers that log
# to files of their own). New inputs that reach new coverage go to build-fuzz/fuzz/corpus/<t>/
# (the tree's seeds and regressions are read, never written).
fuzz() { # SECONDS
    local secs=$1 dir=build-fuzz/fuzz t log rc=0
    local targets=(demux jsonsplit docker_host dockerignore untar json cron context credhelper)
    local summary=()
    for t in "${targets[@]}"; do
        mkdir -p "$dir/corpus/$t" "$dir/crashes/$t" "$dir/logs"
        log=$dir/logs/$t.log
        step "fuzz_$t for ${secs}s"
        local start=$SECONDS frc=0
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$dir/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$dir/crashes/$t/" \
            "$dir/corpus/$t" "tests/fuzz/corpus/$t" \
            $( [[ -d tests/fuzz/regressions/$t ]] && echo "tests/fuzz/regressions/$t" ) \
            >"$log" 2>&1 || frc=$?
        local took=$((SECONDS - start))
        # the last status line ("#N DONE cov: E ft: F corp: C/..." or a pulse)
        local last runs cov corp crashes
        last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
        runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
        [[ -n $runs ]] || runs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
        cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
        corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")
        crashes=$(find "$dir/crashes/$t" -type f | wc -l)
        if (( frc != 0 || crashes > 0 )); then
            rc=1
            grep -E 'ERROR|SUMMARY|property broken' "$log" | head -n 5 >&2 || true
        fi
        summary+=("$(printf '%-14s %6ss %12s %8s %8s %8s' "$t" "$took" "${runs:-?}" \
                     "${cov:-?}" "${corp:-?}" "$crashes")")
    done
    step "fuzz summary (logs: $dir/logs/)"
    printf '%-14s %7s %12s %8s %8s %8s\n' target time runs cov:edges corpus crashes
    printf '%s\n' "${summary[@]}"
    return "$rc"
}

mode=${1:-}
case $mode in
    tutorial|test|memcheck) shift ;;
    fuzz)
        shift
        FUZZ_SECONDS=${1:-600}
        [[ $FUZZ_SECONDS =~ ^[0-9]+$ ]] || usage
        # clang-14 brings libFuzzer's runtime (libclang-common-14-dev)
        PACKAGES+=(clang-14)
        ;;
    soak)
        shift
        SOAK_MINUTES=${1:-60}
        [[ $SOAK_MINUTES =~ ^[0-9]+$ ]] && (( SOAK_MINUTES >= 2 )) || usage
        ;;
    *) usage ;;
esac

# ---- soak (tests/soak/README.md) -------------------------------------------
# Engines are left running: a soak may run beside other users of them.
if [[ $mode == soak ]]; then
    step "packages"
    install_missing
    step "engine"
    soak_env=()
    if [[ -n ${DOCKER_HOST:-} && $DOCKER_HOST == "$(bash tests/engine2.sh host)" ]]; then
        bash tests/engine2.sh start ||
            die "the second engine (Debian sid's docker.io) could not be brought up (see above)"
        soak_env=(LUADOCK_ENGINE=2)
    else
        bash tests/engine.sh start || die "no Docker engine could be brought up (see above)"
    fi
    step "build (build/)"
    build build
    step "test image"
    env "${soak_env[@]}" LUADOCK_SOURCE_DIR="$ROOT" build/luadock tests/fixtures/setup.lua
    step "soak (${SOAK_MINUTES} min on ${DOCKER_HOST:-the system engine})"
    exec env "${soak_env[@]}" build/luadock tests/soak/soak.lua "$SOAK_MINUTES"
fi

if [[ $mode == fuzz ]]; then
    step "packages"
    install_missing
    step "build (build-fuzz/: clang, libFuzzer + ASan + UBSan)"
    CC=clang-14 cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang-14 -DLUADOCK_WERROR=ON \
        -DLUADOCK_FUZZ=ON -DLUADOCK_SANITIZE=ON -DLUADOCK_TESTS=OFF
    cmake --build build-fuzz -j"$JOBS" --target luadock_fuzz
    fuzz "$FUZZ_SECONDS"
    exit
fi

step "packages"
install_missing

step "engine"
start_engine

step "build (build/)"
# memcheck.* tests: the CI subset for `test`, every Lua test for `memcheck`
# (tests/CMakeLists.txt, LUADOCK_MEMCHECK); the tutorial needs none
case $mode in
    memcheck) build build -DLUADOCK_MEMCHECK=all ;;
    test) build build -DLUADOCK_MEMCHECK=ci ;;
    *) build build ;;
esac

case $mode in
tutorial)
    step "tutorial"
    build/luadock examples/tutorial.lua
    echo "The engine stays up for the README's examples (bash tests/engine.sh stop ends" \
         "one this command started)."
    ;;
test)
    step "build (build-asan/: ASan + UBSan)"
    # LUADOCK_ALLOC_FAIL: the allocation-failure hook of the alloc-fail tests
    # (core/alloc.h; idle unless a test sets LUADOCK_ALLOC_FAIL_AT)
    build build-asan -DLUADOCK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DLUADOCK_ALLOC_FAIL=ON

    rc=0
    step "ctest build/ (both engines, side by side)"
    ctest --test-dir build -j"$JOBS" --output-on-failure --no-tests=error "$@" || rc=1

    step "ctest build-asan/ (system engine)"
    # The interruption matrix (tests/lua/_matrix.lua) interrupts every 0.2 s
    # in the plain build and every 0.4 s here, where each process is slower.
    asan_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
              UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
              LUADOCK_MATRIX_STEP=0.4)
    # Suppressions name only libraries we do not own (liblua, libcurl, TLS, dlopen).
    if [[ -f $ROOT/tests/lsan.supp ]]; then
        asan_env+=("LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp:print_suppressions=0")
    fi
    # The second engine's tests (labels lua2, engine2) ran in the plain build.
    env "${asan_env[@]}" ctest --test-dir build-asan --output-on-failure --no-tests=error \
        -LE '^(lua2|engine2)$' "$@" || rc=1
    exit "$rc"
    ;;
memcheck)
    rc=0
    step "ctest build/ -L memcheck (valgrind memcheck, system engine)"
    rm -rf build/memcheck/logs   # the summary reads this run's logs only
    ctest --test-dir build --output-on-failure --no-tests=error -L '^memcheck$' "$@" || rc=1
    step "memcheck summary (logs: build/memcheck/logs/<test>/<pid>.log)"
    bash tests/memcheck/run-under-valgrind.sh --summary build/memcheck/logs
    exit "$rc"
    ;;
esac
