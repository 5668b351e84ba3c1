#!/bin/bash
# run-under-valgrind.sh — runs the luadock host under valgrind memcheck for one
# ctest test (memcheck.<name>) and judges every log it left, its own and those
# of the luadock processes the test started. No packaged tool does this: ctest's
# own MemCheck mode (ctest -T memcheck) wraps only the test's command, not the
# luadock children that tests spawn, and has no per-test summary of its own.
#
# Two modes, one file:
#   run-under-valgrind.sh --test NAME LOGROOT REAL_LUADOCK [args...]
#       what ctest runs: the host REAL_LUADOCK under valgrind (logs in
#       LOGROOT/NAME/<pid>.log), then one summary line per log and the exit
#       status: the test's own if it failed, else 1 if any log has an error
#       or bytes definitely or indirectly lost, else 0.
#   run-under-valgrind.sh --summary LOGROOT
#       a table of every test's logs under LOGROOT (what `bash run.sh
#       memcheck` prints at the end): processes, errors, bytes definitely and
#       indirectly lost, errors suppressed, processes killed before their summary.
#   <LUADOCK_BINARY_DIR>/luadock [args...]   (a link to this file)
#       a child: tests start luadock as $LUADOCK_BINARY_DIR/luadock, which the
#       memcheck tests point at build/memcheck/bin/ (tests/CMakeLists.txt), so
#       each child luadock runs under valgrind too, logging beside its parent.
#       exec keeps its pid, so the signals tests send reach it.
# Programs that are not luadock (docker, sh, socat, ssh...) are not traced: a
# leak in them is not luadock's, and valgrind would make every shell slow.
# Children started as arg[-1] (the parent's own path) run natively.
# A child may run with any PATH (ssh.lua: PATH=/nonexistent): hence /bin/bash,
# the valgrind the parent found, `command -p` for the rest, and the PATH
# passed on untouched.
set -u

here=$(command -p dirname "$(command -p readlink -f "${BASH_SOURCE[0]}")")

valgrind_args() { # LOGDIR
    printf '%s\n' --tool=memcheck --leak-check=full \
        --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
        --error-exitcode=97 --num-callers=40 --show-error-list=yes \
        --child-silent-after-fork=yes --trace-children=no \
        --suppressions="${LUADOCK_MEMCHECK_SUPP:-$here/valgrind.supp}" --log-file="$1/%p.log"
}

# bytes of one leak kind in a log's LEAK SUMMARY (0 when none was printed:
# "All heap blocks were freed")
lost() { sed -nE "s/.*$1 lost: ([0-9,]+) bytes.*/\\1/p" "$2" | tail -n 1 | tr -d , ; }
# errors in a log's ERROR SUMMARY (empty: the process was killed before it)
errors_of() { sed -nE 's/.*ERROR SUMMARY: ([0-9,]+) errors.*/\1/p' "$1" | tail -n 1 | tr -d , ; }
# errors (leaks included) that valgrind.supp or valgrind's default file hid
suppressed_of() { sed -nE 's/.*ERROR SUMMARY: .*\(suppressed: ([0-9,]+) from.*/\1/p' "$1" | tail -n 1 | tr -d , ; }

if [[ ${1:-} == --summary ]]; then
    printf '%-22s %6s %7s %11s %11s %10s %7s\n' test procs errors definitely indirectly suppressed killed
    for dir in "$2"/*/; do
        [[ -d $dir ]] || continue
        p=0 e=0 d=0 i=0 u=0 k=0
        for log in "$dir"*.log; do
            [[ -e $log ]] || continue
            p=$((p + 1))
            x=$(errors_of "$log")
            if [[ -z $x ]]; then k=$((k + 1)); continue; fi
            e=$((e + x))
            x=$(lost definitely "$log"); d=$((d + ${x:-0}))
            x=$(lost indirectly "$log"); i=$((i + ${x:-0}))
            x=$(suppressed_of "$log"); u=$((u + ${x:-0}))
        done
        printf '%-22s %6d %7d %11d %11d %10d %7d\n' "$(basename "$dir")" "$p" "$e" "$d" "$i" "$u" "$k"
    done
    exit 0
fi

if [[ ${1:-} != --test ]]; then
    # child mode
    : "${LUADOCK_MEMCHECK_REAL:?run-under-valgrind.sh: no LUADOCK_MEMCHECK_REAL (not under a memcheck test)}"
    : "${LUADOCK_MEMCHECK_LOGDIR:?run-under-valgrind.sh: no LUADOCK_MEMCHECK_LOGDIR}"
    real=$LUADOCK_MEMCHECK_REAL
    # A test that copies "the program" to a folder of its own (repl.lua: no
    # lineedit.so beside it) has copied this script: the program is copied
    # beside the copy, so that it too finds nothing beside it.
    self=$(command -p readlink -f "$0")
    if [[ -n ${LUADOCK_MEMCHECK_SCRIPT:-} && $self != "$LUADOCK_MEMCHECK_SCRIPT" ]]; then
        real=$(command -p dirname "$self")/.luadock-under-valgrind
        command -p cp "$LUADOCK_MEMCHECK_REAL" "$real" || exit 2
    fi
    mapfile -t vargs < <(valgrind_args "$LUADOCK_MEMCHECK_LOGDIR")
    exec "${LUADOCK_MEMCHECK_VALGRIND:-valgrind}" "${vargs[@]}" "$real" "$@"
fi

shift
name=$1 logroot=$2 real=$3
shift 3
logdir=$logroot/$name
rm -rf "$logdir" && mkdir -p "$logdir" || exit 2
export LUADOCK_MEMCHECK_REAL=$real LUADOCK_MEMCHECK_LOGDIR=$logdir
export LUADOCK_MEMCHECK_SUPP=$here/valgrind.supp
LUADOCK_MEMCHECK_VALGRIND=$(command -v valgrind) || { echo "memcheck: no valgrind on PATH" >&2; exit 2; }
export LUADOCK_MEMCHECK_VALGRIND
export LUADOCK_MEMCHECK_SCRIPT=$here/run-under-valgrind.sh
mapfile -t vargs < <(valgrind_args "$logdir")
start=$SECONDS
valgrind "${vargs[@]}" "$real" "$@"
rc=$?
took=$((SECONDS - start))

bad=0 n=0
for log in "$logdir"/*.log; do
    [[ -e $log ]] || continue
    n=$((n + 1))
    errors=$(errors_of "$log")
    def=$(lost definitely "$log"); ind=$(lost indirectly "$log")
    supp=$(suppressed_of "$log")
    # a log with no ERROR SUMMARY is a process killed before valgrind ended it
    # (a test's own SIGKILL): nothing to judge, said so
    if [[ -z $errors ]]; then
        printf 'memcheck %s: %s: killed before its summary (not judged)\n' \
            "$name" "$(basename "$log")"
        continue
    fi
    printf 'memcheck %s: %s: errors %s, definitely lost %s, indirectly lost %s bytes, suppressed %s\n' \
        "$name" "$(basename "$log")" "$errors" "${def:-0}" "${ind:-0}" "$supp"
    if (( errors > 0 || ${def:-0} > 0 || ${ind:-0} > 0 )); then
        bad=1
        grep -E '^==[0-9]+== (Invalid|Conditional|Syscall|Mismatched|Source and|[0-9,]+ (\(|bytes))' \
            "$log" | head -n 5
        echo "  (full log: $log)"
    fi
done
printf 'memcheck %s: %d process(es), %ds, test exit %d\n' "$name" "$n" "$took" "$rc"
(( rc != 0 )) && exit "$rc"
exit "$bad"
