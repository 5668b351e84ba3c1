#!/usr/bin/env bash
# bench.sh — luadock against the C floor, the docker CLI and python3-docker.
#
# A benchmark, not a test: it prints numbers and never fails on them.
# See README.md in this directory for what it measures and how to read it.
#
#   tests/bench/bench.sh            (from the repository root, after building)
#
# Environment:
#   BENCH_ROUNDS=5        interleaved rounds
#   BENCH_N=200           calls per in-process loop
#   BENCH_CLI_N=20        separate docker CLI processes per round (per-call time;
#                         for pinspect run through xargs -P8)
#   BENCH_START_REPS=3    start+one-call runs of each tool per round
#   BENCH_EXTRA=20        extra created containers so the list is non-trivial
#   BENCH_LUADOCK=build/luadock   BENCH_DOCKER=/usr/bin/docker
#   BENCH_PYTHON=/usr/bin/python3 BENCH_IMAGE=luadock-test/busybox:1
#   BENCH_KEEP=1          keep the temp dir (raw results in results.tsv)
#   BENCH_ONLY="floor luadock ..."  restrict the tools (names as in the table)
#   BENCH_FLOWS=0         skip flows.sh (one-shot runs, logs, events) at the end
set -uo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

ROUNDS=${BENCH_ROUNDS:-5}
N=${BENCH_N:-200}
CLI_N=${BENCH_CLI_N:-20}
START_REPS=${BENCH_START_REPS:-3}
EXTRA=${BENCH_EXTRA:-20}
ME=bench.sh
# PAR (pinspect's calls in flight), the clients, say/die, stats
. "$here/common.sh"

tmp=$(mktemp -d /tmp/luadock-bench.XXXXXX) || die "mktemp failed"
ids=$tmp/container-ids
: >"$ids"
results=$tmp/results.tsv
: >"$results"
errors=$tmp/errors.log
: >"$errors"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -s "$ids" ]; then
        say "removing $(wc -l <"$ids") bench containers"
        # Only the containers this run created (their ids were recorded).
        xargs -r "$DOCKER" rm -f <"$ids" >/dev/null 2>&1 || say "warning: some bench containers could not be removed: $(tr '\n' ' ' <"$ids")"
    fi
    if [ -n "${BENCH_KEEP:-}" ]; then
        say "kept $tmp"
    else
        rm -rf "$tmp"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the C floor ------------------------------------------------------------
floor=$tmp/floor
# shellcheck disable=SC2046
cc -O2 -o "$floor" "$here/floor.c" $(pkg-config --cflags --libs libcurl libcjson) \
    || die "could not build floor.c"

# ---- which tools can run ----------------------------------------------------
tools_start=(floor)
tools_loop=(floor)
if [ -x "$LUADOCK" ]; then
    tools_start+=(luadock luadock-core)
    tools_loop+=(luadock luadock-core)
else
    say "warning: no $LUADOCK — build it first; luadock rows skipped"
fi
tools_start+=(cli)
if "$PY" -c 'import docker' 2>/dev/null; then
    tools_start+=(python)
    tools_loop+=(python python-api)
else
    say "warning: $PY cannot import docker (apt-get install python3-docker); python rows skipped"
fi
tools_loop+=(cli)

if [ -n "${BENCH_ONLY:-}" ]; then
    keep() { local t out=(); for t in "$@"; do case " $BENCH_ONLY " in *" $t "*) out+=("$t");; esac; done; printf '%s\n' "${out[@]}"; }
    mapfile -t tools_start < <(keep "${tools_start[@]}")
    mapfile -t tools_loop < <(keep "${tools_loop[@]}")
    case " $BENCH_ONLY " in *" floor "*) ;; *) say "note: without floor there are no ratios";; esac
fi

# ---- fixture: the image and the containers ------------------------------------
make_image() {
    local rootfs=$tmp/rootfs tar=$tmp/busybox-rootfs.tar
    if [ -x "$root/tests/fixtures/busybox-rootfs.sh" ]; then
        "$root/tests/fixtures/busybox-rootfs.sh" "$tar" >/dev/null 2>&1 || rm -f "$tar"
    fi
    if [ ! -s "$tar" ]; then
        local bb
        bb=$(command -v busybox) || die "no busybox to build $IMAGE from (apt-get install -y busybox-static)"
        mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root" || die "mkdir rootfs"
        chmod 1777 "$rootfs/tmp"
        cp "$bb" "$rootfs/bin/busybox" || die "copy busybox"
        local a
        for a in $("$bb" --list); do
            [ "$a" = busybox ] || ln -sf busybox "$rootfs/bin/$a"
        done
        tar -C "$rootfs" -cf "$tar" . || die "tar rootfs"
    fi
    "$DOCKER" import --change 'ENV PATH=/bin' --change 'LABEL luadock.managed=1' \
        "$tar" "$IMAGE" >/dev/null || die "docker import $IMAGE failed"
    say "imported $IMAGE (left in place for the other suites)"
}

"$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1 || make_image

create_one() {
    local id
    id=$("$DOCKER" create --label luadock.managed=1 --label luadock.bench=1 \
            --name "luadock-bench-$$-$1" "$IMAGE" sleep 3600) || die "docker create failed"
    printf '%s\n' "$id" >>"$ids"
    printf '%s\n' "$id"
}
fixture=$(create_one 0)
for ((i = 1; i <= EXTRA; i++)); do create_one "$i" >/dev/null; done
ncont=$("$DOCKER" ps -aq | wc -l)  # at fixture time; other suites may add or remove theirs
say "fixture $fixture; $ncont containers on the engine"
# the CLI's pinspect: xargs -P$PAR runs one `docker inspect ID` per line
for ((k = 0; k < CLI_N; k++)); do printf '%s\n' "$fixture"; done >"$tmp/pinspect-ids"

# ---- timing helpers ---------------------------------------------------------
# elapsed T0 T1: seconds between two $EPOCHREALTIME values
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", b - a }'; }
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }
# rec_rss TOOL: peak RSS (KiB) and CPU seconds (user+sys) from /usr/bin/time's last line
rec_rss() {
    local kb u s
    read -r kb u s < <(tail -n1 "$tmp/rss")
    rec rss "$1" "$kb"
    rec cpu "$1" "$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f\n", u + s }')"
}
fail() { printf 'round %s: %s %s failed (see above)\n' "$round" "$1" "$2" >>"$errors"; }

start_cmd() {
    case $1 in
    floor)        "$floor" version 1 ;;
    luadock)      "$LUADOCK" -e 'local d=require"luadock".connect(); d:version()' ;;
    luadock-core) "$LUADOCK" -e 'local c=require"luadock.core".new{}; assert(c:system_version())' ;;
    cli)          "$DOCKER" version --format '{{.Server.Version}}' ;;
    python)       "$PY" -c 'import docker; docker.from_env().version()' ;;
    esac
}

# loop_argv TOOL OP: sets cmd=(argv) that prints the loop's elapsed seconds for N calls
loop_argv() {
    local lvl
    case $1 in
    floor)
        case $2 in
        inspect|pinspect) cmd=("$floor" "$2" "$fixture" "$N") ;;
        *) cmd=("$floor" "$2" "$N") ;;
        esac ;;
    luadock|luadock-core)
        lvl=friendly; [ "$1" = luadock-core ] && lvl=core
        if [ "$2" = inspect ] || [ "$2" = pinspect ]; then cmd=("$LUADOCK" "$here/bench.lua" "$2" "$N" "$fixture" "$lvl")
        else cmd=("$LUADOCK" "$here/bench.lua" "$2" "$N" "$lvl"); fi ;;
    python|python-api)
        lvl=friendly; [ "$1" = python-api ] && lvl=api
        if [ "$2" = inspect ] || [ "$2" = pinspect ]; then cmd=("$PY" "$here/bench.py" "$2" "$N" "$fixture" "$lvl")
        else cmd=("$PY" "$here/bench.py" "$2" "$N" "$lvl"); fi ;;
    esac
}

cli_once() {
    case $1 in
    inspect) "$DOCKER" inspect "$fixture" ;;
    ps)      "$DOCKER" ps -a ;;
    pinspect) xargs -P "$PAR" -n 1 "$DOCKER" inspect <"$tmp/pinspect-ids" ;;  # all CLI_N at once
    esac
}

# rotate K ITEMS...: the items starting at index K mod count (order varies per round)
rotate() {
    local k=$1; shift
    local a=("$@") n=$# i
    for ((i = 0; i < n; i++)); do printf '%s\n' "${a[(i + k) % n]}"; done
}

# warm-up: every tool once, untimed (page cache, engine caches)
for t in "${tools_start[@]}"; do start_cmd "$t" >/dev/null 2>&1; done
N_TIMED=$N; N=5
for t in "${tools_loop[@]}"; do
    [ "$t" = cli ] && { cli_once ps >/dev/null 2>&1; continue; }
    loop_argv "$t" ps; "${cmd[@]}" >/dev/null 2>&1
done
N=$N_TIMED

say "rounds: $ROUNDS; start: ${tools_start[*]}; loops (N=$N): ${tools_loop[*]}"
for ((round = 1; round <= ROUNDS; round++)); do
    say "round $round/$ROUNDS"
    # (a) process start + one call
    for ((rep = 0; rep < START_REPS; rep++)); do
        mapfile -t order < <(rotate $((round * START_REPS + rep)) "${tools_start[@]}")
        for t in "${order[@]}"; do
            t0=$EPOCHREALTIME
            if start_cmd "$t" >/dev/null 2>>"$errors"; then
                t1=$EPOCHREALTIME
                rec start "$t" "$(elapsed "$t0" "$t1")"
            else
                fail start "$t"
            fi
        done
    done
    # (b) N calls inside one process; per-call seconds recorded
    for op in ping inspect pinspect ps; do
        mapfile -t order < <(rotate "$round" "${tools_loop[@]}")
        for t in "${order[@]}"; do
            if [ "$t" = cli ]; then
                [ "$op" = ping ] && continue           # the CLI has no ping command
                if [ "$op" = ps ]; then
                    # peak RSS of one CLI process
                    if "$TIME" -f '%M %U %S' -o "$tmp/rss" "$DOCKER" ps -a >/dev/null 2>>"$errors"; then
                        rec_rss cli
                    fi
                fi
                ok=1
                t0=$EPOCHREALTIME
                if [ "$op" = pinspect ]; then
                    cli_once pinspect >/dev/null 2>>"$errors" || ok=0   # CLI_N processes, PAR at once
                else
                    for ((k = 0; k < CLI_N; k++)); do
                        cli_once "$op" >/dev/null 2>>"$errors" || { ok=0; break; }
                    done
                fi
                t1=$EPOCHREALTIME
                if [ "$ok" = 1 ]; then
                    rec "$op" cli "$(awk -v a="$t0" -v b="$t1" -v n="$CLI_N" 'BEGIN { printf "%.9f\n", (b - a) / n }')"
                else
                    fail "$op" cli
                fi
                continue
            fi
            loop_argv "$t" "$op"
            if res=$("$TIME" -f '%M %U %S' -o "$tmp/rss" "${cmd[@]}" 2>>"$errors"); then
                secs=$(printf '%s\n' "$res" | tail -n1)
                rec "$op" "$t" "$(awk -v s="$secs" -v n="$N" 'BEGIN { printf "%.9f\n", s / n }')"
                [ "$op" = ps ] && rec_rss "$t"
            else
                fail "$op" "$t"
            fi
        done
    done
done

# ---- report -----------------------------------------------------------------

label() {
    case $1 in
    floor)        echo "C floor (libcurl+cJSON)" ;;
    luadock)      echo "luadock" ;;
    luadock-core) echo "luadock (core)" ;;
    cli)          echo "docker CLI" ;;
    python)       echo "python3-docker" ;;
    python-api)   echo "python3-docker (APIClient)" ;;
    esac
}
target() {  # TOOL RATIO [LIMIT]: the target (1.15x; 1.3x for RSS) applies to the luadock rows
    case $1 in
    luadock|luadock-core)
        awk -v r="$2" -v t="${3:-1.15}" 'BEGIN { if (r == "-") print "-"; else if (r + 0 <= t + 0) print "ok"; else print "**missed**" }' ;;
    *) echo "" ;;
    esac
}

echo
echo "## luadock benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo
echo "Engine $("$DOCKER" version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null);" \
     "$(nproc) CPUs; $ncont containers listed; $ROUNDS rounds, medians."
echo
echo "### Process start + one call (\`version\`)"
echo
echo "| tool | median ms | min ms | max ms | runs | × floor | ≤1.15× |"
echo "|---|---:|---:|---:|---:|---:|---|"
read -r fmed _ _ _ < <(stats start floor)
for t in "${tools_start[@]}"; do
    read -r med mn mx cnt < <(stats start "$t")
    ratio=$(awk -v a="$med" -v f="$fmed" 'BEGIN { if (a == "-" || f == "-" || f == 0) print "-"; else printf "%.2f\n", a / f }')
    awk -v l="$(label "$t")" -v m="$med" -v a="$mn" -v b="$mx" -v c="$cnt" -v r="$ratio" -v ok="$(target "$t" "$ratio")" \
        'BEGIN { if (m == "-") printf "| %s | - | - | - | 0 | - | |\n", l;
                 else printf "| %s | %.1f | %.1f | %.1f | %d | %s | %s |\n", l, m*1e3, a*1e3, b*1e3, c, r, ok }'
done

for op in ping inspect pinspect ps; do
    case $op in
    ping)    desc="\`ping\` (GET /_ping)" ;;
    inspect) desc="\`inspect\` (GET /containers/ID/json)" ;;
    pinspect) desc="\`pinspect\` (GET /containers/ID/json, $PAR in flight at once)" ;;
    ps)      desc="\`ps\` (GET /containers/json?all=1, $ncont containers)" ;;
    esac
    echo
    echo "### $N × $desc in one process"
    echo
    echo "| tool | median loop s | per call µs | min µs | max µs | × floor | ≤1.15× |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    read -r fmed _ _ _ < <(stats "$op" floor)
    for t in "${tools_loop[@]}"; do
        [ "$t" = cli ] && [ "$op" = ping ] && continue
        read -r med mn mx cnt < <(stats "$op" "$t")
        ratio=$(awk -v a="$med" -v f="$fmed" 'BEGIN { if (a == "-" || f == "-" || f == 0) print "-"; else printf "%.2f\n", a / f }')
        loop="$(awk -v m="$med" -v n="$N" 'BEGIN { if (m == "-") print "-"; else printf "%.4f", m * n }')"
        l=$(label "$t")
        if [ "$t" = cli ]; then
            l="$l ($CLI_N processes"; [ "$op" = pinspect ] && l="$l, $PAR at once"; l="$l)"; loop="—"
        fi
        awk -v l="$l" -v lp="$loop" -v m="$med" -v a="$mn" -v b="$mx" -v r="$ratio" -v ok="$(target "$t" "$ratio")" \
            'BEGIN { if (m == "-") printf "| %s | - | - | - | - | - | |\n", l;
                     else printf "| %s | %s | %.1f | %.1f | %.1f | %s | %s |\n", l, lp, m*1e6, a*1e6, b*1e6, r, ok }'
    done
done

echo
echo "### Peak RSS and CPU, $N × \`ps\` in one process"
echo
echo "| tool | median peak RSS MiB | × floor | ≤1.3× | median CPU s (user+sys, whole process) |"
echo "|---|---:|---:|---|---:|"
read -r fmed _ _ _ < <(stats rss floor)
for t in "${tools_loop[@]}"; do
    read -r med _ _ _ < <(stats rss "$t")
    read -r cpu _ _ _ < <(stats cpu "$t")
    l=$(label "$t"); [ "$t" = cli ] && l="$l (one \`docker ps -a\`)"
    r=$(awk -v m="$med" -v f="$fmed" 'BEGIN { if (m == "-" || f == "-" || f == 0) print "-"; else printf "%.2f\n", m / f }')
    awk -v l="$l" -v m="$med" -v f="$fmed" -v c="$cpu" -v ok="$(target "$t" "$r" 1.3)" 'BEGIN {
        if (c != "-") c = sprintf("%.2f", c)
        if (m == "-") printf "| %s | - | - | | %s |\n", l, c;
        else if (f == "-" || f == 0) printf "| %s | %.1f | - | | %s |\n", l, m/1024, c;
        else printf "| %s | %.1f | %.2f | %s | %s |\n", l, m/1024, m/f, ok, c }'
done

if [ -s "$errors" ]; then
    echo
    echo "Failures and stderr output during the runs (first 20 lines):"
    echo
    echo '```'
    head -n 20 "$errors"
    echo '```'
fi

# ---- the flow rows: runs, logs, events (flows.sh, same rounds and tools) ------
if [ "${BENCH_FLOWS:-1}" != 0 ]; then
    "$here/flows.sh" || say "warning: flows.sh failed"
fi
