#!/usr/bin/env bash
# flows.sh — whole flows where the engine does most of the work: one-shot
# runs (one after the other and 8 at once), a large log read (through
# on_output and through lines) and an events stream at a high rate; luadock
# against the C floor (floor_flows.c), the docker CLI and python3-docker.
#
# A benchmark, not a test: it prints numbers and never fails on them.
# bench.sh runs it after its own rows; it runs alone too. See README.md.
#
# Environment (besides bench.sh's BENCH_ROUNDS, BENCH_LUADOCK, BENCH_DOCKER,
# BENCH_PYTHON, BENCH_IMAGE, BENCH_ONLY, BENCH_KEEP):
#   BENCH_RUNS=50        one-shot runs per round (sequential and 8 at once)
#   BENCH_LOG_MB=200     megabytes (10^6 bytes) of log output to read
#   BENCH_EVENTS=1000    image tag events per stream
set -uo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

ROUNDS=${BENCH_ROUNDS:-5}
RUNS=${BENCH_RUNS:-50}
LOG_MB=${BENCH_LOG_MB:-200}
EVENTS=${BENCH_EVENTS:-1000}
ME=flows.sh
# PAR, the clients, say/die, stats
. "$here/common.sh"
export BENCH_RUN="flows-$$-$RANDOM"   # label value of every container made here

"$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1 || die "no image $IMAGE (bench.sh imports it)"

tmp=$(mktemp -d /tmp/luadock-flows.XXXXXX) || die "mktemp failed"
results=$tmp/results.tsv errors=$tmp/errors.log tags=$tmp/tags
: >"$results"; : >"$errors"; : >"$tags"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # the containers of this run only (their label), and the tags it made
    local left
    left=$("$DOCKER" ps -aq --filter "label=luadock.bench.run=$BENCH_RUN" 2>/dev/null)
    [ -n "$left" ] && { say "removing $(wc -w <<<"$left") flow containers"; "$DOCKER" rm -f $left >/dev/null 2>&1; }
    while read -r repo; do "$floor" untag "$repo" "$((EVENTS + 1))" >/dev/null 2>&1; done <"$tags"
    if [ -n "${BENCH_KEEP:-}" ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

floor=$tmp/floor_flows
# shellcheck disable=SC2046
cc -O2 -o "$floor" "$here/floor_flows.c" $(pkg-config --cflags --libs libcurl libcjson) -lpthread \
    || die "could not build floor_flows.c"

tools=(floor)
[ -x "$LUADOCK" ] && tools+=(luadock) || say "warning: no $LUADOCK; luadock rows skipped"
tools+=(cli)
"$PY" -c 'import docker' 2>/dev/null && tools+=(python) || say "warning: no python3-docker; python rows skipped"
if [ -n "${BENCH_ONLY:-}" ]; then
    kept=(); for t in "${tools[@]}"; do case " $BENCH_ONLY " in *" $t "*) kept+=("$t");; esac; done
    tools=("${kept[@]}")
fi
has() { case " ${tools[*]} " in *" $1 "*) return 0;; esac; return 1; }

# the log source: LOG_MB megabytes of 100-byte lines, written once, read by every tool
line=$(printf '%099d' 0)
say "writing $LOG_MB MB of logs"
logc=$("$DOCKER" run -d --label luadock.managed=1 --label luadock.bench=1 \
        --label "luadock.bench.run=$BENCH_RUN" "$IMAGE" \
        sh -c "yes $line | head -c $((LOG_MB * 1000000))") || die "could not start the log container"
[ "$("$DOCKER" wait "$logc")" = 0 ] || die "the log container failed"

rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }
fail() { printf 'round %s: %s %s failed\n' "$round" "$1" "$2" >>"$errors"; }
rotate() { local k=$1; shift; local a=("$@") n=$# i; for ((i = 0; i < n; i++)); do printf '%s\n' "${a[(i + k) % n]}"; done; }
since_now() { date +%s; }

# runs TOOL OP: prints the seconds for RUNS runs (OP run or prun)
runs() {
    case $1 in
    floor)   "$floor" "$2" "$IMAGE" "$RUNS" ;;
    luadock) "$LUADOCK" "$here/flows.lua" "$2" "$IMAGE" "$RUNS" ;;
    python)  "$PY" "$here/flows.py" "$2" "$IMAGE" "$RUNS" ;;
    cli)
        local t0=$EPOCHREALTIME
        local cmd=("$DOCKER" run --rm --label luadock.managed=1 --label luadock.bench=1
                   --label "luadock.bench.run=$BENCH_RUN" "$IMAGE" true)
        if [ "$2" = run ]; then
            for ((k = 0; k < RUNS; k++)); do "${cmd[@]}" >/dev/null || return 1; done
        else
            seq "$RUNS" | xargs -P "$PAR" -I{} "${cmd[@]}" >/dev/null || return 1
        fi
        awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f\n", b - a }' ;;
    esac
}

# log_argv TOOL: sets cmd=(argv) printing "seconds bytes lines" for one read of
# the log container (the CLI is timed from outside: docker logs >/dev/null)
log_argv() {
    case $1 in
    floor)         cmd=("$floor" logs "$logc") ;;
    floor-lines)   cmd=("$floor" loglines "$logc") ;;
    luadock)       cmd=("$LUADOCK" "$here/flows.lua" logs "$logc") ;;
    luadock-lines) cmd=("$LUADOCK" "$here/flows.lua" loglines "$logc") ;;
    python)        cmd=("$PY" "$here/flows.py" logs "$logc") ;;
    esac
}
log_tools=()
for t in "${tools[@]}"; do
    log_tools+=("$t")
    case $t in floor|luadock) log_tools+=("$t-lines");; esac
done

# listen TOOL SINCE PREFIX: returns once EVENTS tag events named PREFIX* came.
# The docker CLI has no row: `docker events` cannot stop after N events, and a
# pipe into `grep -m` leaves it waiting for a write that never comes.
listen() {
    case $1 in
    floor)   "$floor" events "$2" "$3" "$EVENTS" ;;
    luadock) "$LUADOCK" "$here/flows.lua" events "$2" "$3" "$EVENTS" ;;
    python)  "$PY" "$here/flows.py" events "$2" "$3" "$EVENTS" ;;
    esac
}

ev_tools=(); for t in "${tools[@]}"; do [ "$t" = cli ] || ev_tools+=("$t"); done

say "flows: rounds $ROUNDS; $RUNS runs; $LOG_MB MB of logs; $EVENTS events; tools: ${tools[*]}"
for ((round = 1; round <= ROUNDS; round++)); do
    say "flows round $round/$ROUNDS"
    for op in run prun; do
        mapfile -t order < <(rotate "$round" "${tools[@]}")
        for t in "${order[@]}"; do
            if s=$(runs "$t" "$op" 2>>"$errors" | tail -n1) && [ -n "$s" ]; then
                rec "$op" "$t" "$(awk -v s="$s" -v n="$RUNS" 'BEGIN { printf "%.9f\n", s / n }')"
            else
                fail "$op" "$t"
            fi
        done
    done
    mapfile -t order < <(rotate "$round" "${log_tools[@]}")
    for t in "${order[@]}"; do
        if [ "$t" = cli ]; then
            t0=$EPOCHREALTIME
            if "$DOCKER" logs "$logc" >/dev/null 2>&1; then
                rec logs cli "$(awk -v a="$t0" -v b="$EPOCHREALTIME" -v n="$((LOG_MB * 1000000))" 'BEGIN { printf "%.3f\n", n / (b - a) / 1e6 }')"
            else
                fail logs cli
            fi
            continue
        fi
        log_argv "$t"
        if out=$("$TIME" -f '%M %U %S' -o "$tmp/rss" "${cmd[@]}" 2>>"$errors" | tail -n1) && [ -n "$out" ]; then
            read -r secs bytes _ <<<"$out"
            rec logs "$t" "$(awk -v s="$secs" -v b="$bytes" 'BEGIN { printf "%.3f\n", b / s / 1e6 }')"
            [ "$bytes" = "$((LOG_MB * 1000000))" ] || printf 'round %s: %s read %s bytes\n' "$round" "$t" "$bytes" >>"$errors"
            read -r kb _ _ < <(tail -n1 "$tmp/rss")
            rec rss "$t" "$kb"
        else
            fail logs "$t"
        fi
    done
    mapfile -t order < <(rotate "$round" "${ev_tools[@]}")
    for t in "${order[@]}"; do
        repo="luadock-bench/ev-$BENCH_RUN-$round-$t"
        since=$(since_now)
        ( listen "$t" "$since" "$repo" >/dev/null 2>>"$errors" ) &
        lp=$!
        sleep 0.5   # the listener subscribes; since= replays anything it missed
        t0=$EPOCHREALTIME
        printf '%s\n' "$repo" >>"$tags"
        g=$("$floor" tag "$IMAGE" "$repo" "$((EVENTS + 1))" 2>>"$errors")
        # a listener that lost events (the engine replays only its last 256) is given up on
        ( sleep 60; kill "$lp" 2>/dev/null ) & wd=$!
        if wait "$lp"; then
            t1=$EPOCHREALTIME
            rec events "$t" "$(awk -v a="$t0" -v b="$t1" -v n="$EVENTS" 'BEGIN { printf "%.1f\n", n / (b - a) }')"
            [ -n "$g" ] && rec keptup "$t" "$(awk -v a="$t0" -v b="$t1" -v g="$g" 'BEGIN { printf "%.3f\n", g / (b - a) }')"
        else
            fail events "$t"
        fi
        kill "$wd" 2>/dev/null; wait "$wd" 2>/dev/null
        [ -n "$g" ] && rec events generator "$(awk -v s="$g" -v n="$EVENTS" 'BEGIN { printf "%.1f\n", n / s }')"
        "$floor" untag "$repo" "$((EVENTS + 1))" >/dev/null 2>>"$errors" && sed -i '$d' "$tags"
    done
done

# ---- report -----------------------------------------------------------------
label() {
    case $1 in
    floor) echo "C floor (libcurl+cJSON)" ;; floor-lines) echo "C floor, lines counted" ;;
    luadock) echo "luadock" ;; luadock-lines) echo "luadock \`c:lines()\`" ;;
    cli) echo "docker CLI" ;; python) echo "python3-docker" ;; generator) echo "(the tag generator alone)" ;;
    esac
}
ratio() { awk -v a="$1" -v f="$2" 'BEGIN { if (a == "-" || f == "-" || f == 0) print "-"; else printf "%.2f\n", a / f }'; }

echo
echo "### One-shot runs of \`true\`: $RUNS one after the other, then $RUNS with $PAR at once"
echo
echo "| tool | sequential ms/run | min | max | × floor | $PAR at once ms/run | min | max | × floor |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
read -r fs _ _ _ < <(stats run floor); read -r fp _ _ _ < <(stats prun floor)
for t in "${tools[@]}"; do
    read -r s smin smax _ < <(stats run "$t"); read -r p pmin pmax _ < <(stats prun "$t")
    awk -v l="$(label "$t")" -v s="$s" -v a="$smin" -v b="$smax" -v rs="$(ratio "$s" "$fs")" \
        -v p="$p" -v c="$pmin" -v d="$pmax" -v rp="$(ratio "$p" "$fp")" 'function ms(x) { return x == "-" ? "-" : sprintf("%.1f", x * 1e3) }
        BEGIN { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", l, ms(s), ms(a), ms(b), rs, ms(p), ms(c), ms(d), rp }'
done
echo
echo "### $LOG_MB MB of logs (100-byte lines) read in one call"
echo
echo "| tool | median MB/s | min | max | floor's MB/s ÷ this | median peak RSS MiB | × floor |"
echo "|---|---:|---:|---:|---:|---:|---:|"
read -r fl _ _ _ < <(stats logs floor); read -r fr _ _ _ < <(stats rss floor)
for t in "${log_tools[@]}"; do
    read -r m mn mx _ < <(stats logs "$t"); read -r r _ _ _ < <(stats rss "$t")
    awk -v l="$(label "$t")" -v m="$m" -v a="$mn" -v b="$mx" -v q="$(ratio "$fl" "$m")" -v r="$r" -v rr="$(ratio "$r" "$fr")" \
        'function f(x) { return x == "-" ? "-" : sprintf("%.1f", x) }
         BEGIN { printf "| %s | %s | %s | %s | %s | %s | %s |\n", l, f(m), f(a), f(b), q, (r == "-" ? "-" : sprintf("%.1f", r / 1024)), rr }'
done
echo
echo "### An events stream: $EVENTS image tag events as fast as one client can tag"
echo
echo "| tool | median events/s | min | max | × floor's rate | ÷ the generator's rate in the same trial |"
echo "|---|---:|---:|---:|---:|---:|"
read -r fe _ _ _ < <(stats events floor)
for t in "${ev_tools[@]}" generator; do
    read -r m mn mx _ < <(stats events "$t"); read -r k _ _ _ < <(stats keptup "$t")
    awk -v l="$(label "$t")" -v m="$m" -v a="$mn" -v b="$mx" -v q="$(ratio "$m" "$fe")" -v k="$k" \
        'function f(x) { return x == "-" ? "-" : sprintf("%.0f", x) }
         BEGIN { printf "| %s | %s | %s | %s | %s | %s |\n", l, f(m), f(a), f(b), q, (k == "-" ? "-" : sprintf("%.2f", k)) }'
done
if [ -s "$errors" ]; then
    echo; echo "Failures and stderr output during the flow runs (first 20 lines):"; echo
    echo '```'; head -n 20 "$errors"; echo '```'
fi
