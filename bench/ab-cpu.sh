#!/usr/bin/env bash
# bench/ab-cpu.sh: proxy CPU time per request of two Sluice builds, measured at the same time.
#
#   bash bench/ab-cpu.sh A_DIST B_DIST [--rounds N] [--duration S] [--mode plain|hook]
#   A_NODE_OPTIONS=... B_NODE_OPTIONS=... bash bench/ab-cpu.sh dist dist   (one build, two Node settings)
#   A_ENV='VAR=value ...' B_ENV=... bash bench/ab-cpu.sh dist dist          (two environments)
#
# A_DIST and B_DIST are build folders (e.g. dist/ of two git worktrees, each built with
# `node build-ts.mjs --outDir dist`). Both proxies run examples/proxy.ts (or bench/routing-hook.ts
# with --mode hook), A on port 8000 and B on 8001, pinned together to CPU 0, each behind its
# own `wrk -t1 -c50` on CPU 1, with one upstream nginx (`return 200`) on CPU 1. Each round
# prints the CPU time (utime+stime) each proxy spent per request served, B/A, and each proxy's
# RSS at the end of the round. A_NODE_OPTIONS / B_NODE_OPTIONS are each side's NODE_OPTIONS,
# A_ENV / B_ENV extra environment variables for each side.
#
# Why at the same time: on a shared or virtualised machine absolute rps moves with the
# neighbours; two builds measured together see the same noise, so B/A holds to about +-0.02
# (a build against itself). This is how each change in bench/RESULTS.md was measured.
#
# Needs nginx, wrk, taskset, and root for a private network namespace (else ports 8000, 8001
# and 8080 on 127.0.0.1 must be free).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ -z "${SLUICE_BENCH_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
  exec unshare --net env SLUICE_BENCH_NETNS=1 bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi
[ $# -ge 2 ] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
A_DIST=$(cd "$1" && pwd); B_DIST=$(cd "$2" && pwd); shift 2
ROUNDS=5; DURATION=4; MODE=plain
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --mode) MODE=$2; shift 2 ;;
    *) echo "ab-cpu.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for d in "$A_DIST" "$B_DIST"; do [ -f "$d/runtime/cli/main.js" ] || { echo "ab-cpu.sh: $d is not a build" >&2; exit 1; }; done
case "$MODE" in plain) SRC=examples/proxy.ts ;; hook) SRC=bench/routing-hook.ts ;; *) echo "ab-cpu.sh: --mode plain|hook" >&2; exit 2 ;; esac

WORK=$(mktemp -d /tmp/sluice-ab.XXXXXX)
mkdir -p "$WORK/tmp"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$WORK"; }
trap cleanup EXIT
# The same script on two ports, beside the original so its imports resolve the same way.
for port in 8000 8001; do sed "s/pipy.listen(8000,/pipy.listen($port,/" "$SRC" > "$(dirname "$SRC")/.ab-$port.ts"; done
trap 'rm -f "$(dirname "$SRC")"/.ab-800[01].ts; cleanup' EXIT

sed -e "s|@PREFIX@|$WORK|g" -e "s|@WORKERS@|1|g" bench/nginx/upstream.conf > "$WORK/upstream.conf"
taskset -c 1 nginx -p "$WORK" -c "$WORK/upstream.conf" -g 'daemon off;' > "$WORK/upstream.log" 2>&1 &
PIDS+=($!)
env ${A_ENV:-} NODE_OPTIONS="${A_NODE_OPTIONS:-}" SLUICE_DIST="$A_DIST" taskset -c 0 bin/sluice "$(dirname "$SRC")/.ab-8000.ts" --admin-port=-1 --log-level=warn > "$WORK/a.log" 2>&1 &
PA=$!; PIDS+=($PA)
env ${B_ENV:-} NODE_OPTIONS="${B_NODE_OPTIONS:-}" SLUICE_DIST="$B_DIST" taskset -c 0 bin/sluice "$(dirname "$SRC")/.ab-8001.ts" --admin-port=-1 --log-level=warn > "$WORK/b.log" 2>&1 &
PB=$!; PIDS+=($PB)
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 150); do up 8000 && up 8001 && up 8080 && break; sleep 0.1; done
up 8000 && up 8001 || { echo "ab-cpu.sh: a proxy did not start" >&2; cat "$WORK/a.log" "$WORK/b.log" >&2; exit 1; }

cpu() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
HZ=$(getconf CLK_TCK)
WRK_ARGS=(-t1 -c50)
[ "$MODE" = hook ] && WRK_ARGS+=(-s bench/wrk-routes.lua)
echo "# A: $A_DIST"
echo "# B: $B_DIST"
ratios=()
for i in $(seq 1 "$ROUNDS"); do
  taskset -c 1 wrk "${WRK_ARGS[@]}" -d1s http://127.0.0.1:8000/ > /dev/null & W1=$!
  taskset -c 1 wrk "${WRK_ARGS[@]}" -d1s http://127.0.0.1:8001/ > /dev/null; wait $W1
  a0=$(cpu $PA); b0=$(cpu $PB)
  taskset -c 1 wrk "${WRK_ARGS[@]}" -d"${DURATION}s" http://127.0.0.1:8000/ > "$WORK/wa.txt" & W1=$!
  taskset -c 1 wrk "${WRK_ARGS[@]}" -d"${DURATION}s" http://127.0.0.1:8001/ > "$WORK/wb.txt"; wait $W1
  a1=$(cpu $PA); b1=$(cpu $PB)
  ra=$(awk '/requests in/ {print $1}' "$WORK/wa.txt"); rb=$(awk '/requests in/ {print $1}' "$WORK/wb.txt")
  line=$(awk -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v ra="$ra" -v rb="$rb" -v hz="$HZ" 'BEGIN {
    ua = a / hz * 1e6 / ra; ub = b / hz * 1e6 / rb
    printf "%d %d %.2f %d %.2f %.3f", 0, ra, ua, rb, ub, ub / ua }')
  set -- $line
  printf "round %d  A %7d req %6.2f us/req   B %7d req %6.2f us/req   B/A %s   RSS A %s B %s MB\n" "$i" "$2" "$3" "$4" "$5" "$6" "$(rss $PA)" "$(rss $PB)"
  ratios+=("$6")
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR] = $1} END {printf "B/A CPU per request, median of %d rounds: %.3f\n", NR, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
