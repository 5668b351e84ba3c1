# common.sh — what bench.sh and flows.sh share, sourced by both after they set
# `here`, `root` and ME (the script's name for messages): the clients under
# test (BENCH_LUADOCK, BENCH_DOCKER, BENCH_PYTHON), the fixture image, the
# tools every row needs, and the median of recorded values. It only sets
# and defines; it runs nothing against the engine.

PAR=8   # calls or runs in flight at once (fixed in floor.c, floor_flows.c, bench.lua, bench.py too)
LUADOCK=${BENCH_LUADOCK:-$root/build/luadock}
DOCKER=${BENCH_DOCKER:-/usr/bin/docker}
PY=${BENCH_PYTHON:-/usr/bin/python3}
IMAGE=${BENCH_IMAGE:-luadock-test/busybox:1}
TIME=/usr/bin/time

say() { printf '%s\n' "$*" >&2; }
die() { say "$ME: $*"; exit 1; }

[ -n "${EPOCHREALTIME:-}" ] || die "needs bash >= 5 (EPOCHREALTIME)"
[ -x "$DOCKER" ] || die "no docker CLI at $DOCKER"
[ -x "$TIME" ] || die "no $TIME (apt-get install -y time)"
command -v pkg-config >/dev/null || die "no pkg-config"

# stats BENCH TOOL: "median min max count" of the values recorded in
# $results (tab-separated: bench, tool, value)
stats() {
    awk -F'\t' -v b="$1" -v t="$2" '$1 == b && $2 == t { print $3 }' "$results" | sort -g |
        awk '{ a[NR] = $1 } END {
            if (NR == 0) { print "- - - 0"; exit }
            m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            printf "%.9f %.9f %.9f %d\n", m, a[1], a[NR], NR }'
}
