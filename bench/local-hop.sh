#!/usr/bin/env bash
# bench/local-hop.sh: loopback TCP with and without the sockops + sk_msg
# local-hop bypass, in the same run. A cgroup and network namespace of its
# own; `sluice kernel up` attaches to that cgroup with port 9000 in the
# policy map; 9001 is the control (plain TCP). Throughput: server pinned to
# CPU 0, client to CPU 1; ping-pong: both on CPU 1. Rounds alternate;
# medians printed; ratios last.
#   throughput: iperf3 single stream; latency: 1-byte ping-pong (local-hop-rr.c)
#   bash bench/local-hop.sh [seconds per run, default 4] [rounds, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-4}
ROUNDS=${2:-5}
DIST=${DIST:-dist-kernel}
NAME=sluice-bench-hop-$$
CG=$(awk '$3=="cgroup2"{print $2; exit}' /proc/mounts)/$NAME
export SLUICE_BPF_DIR=/sys/fs/bpf/$NAME
WORK=$(mktemp -d)
PIDS=()

kcmd() { node -e "import('./$DIST/runtime/offload/index.js').then(async m => process.exit(await m.kernelCommand(process.argv.slice(1))))" "$@"; }

cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  sleep 0.2
  kcmd down >/dev/null 2>&1 || true
  if [ -d "$CG" ]; then for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done; sleep 0.1; rmdir "$CG" 2>/dev/null || true; fi
  ip netns del "$NAME" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for c in iperf3 taskset nsenter cc; do command -v $c >/dev/null || { echo "SKIP: $c missing"; exit 0; }; done
[ -f kernel/build/sockops.bpf.o ] || { echo "SKIP: BPF objects not built (npm run build:kernel)"; exit 0; }
[ -f native/build/Release/sluice_native.node ] || { echo "SKIP: addon not built (npm run build:native)"; exit 0; }
[ -f "$DIST/runtime/offload/index.js" ] || node build-ts.mjs --outDir "$DIST" >/dev/null 2>&1 || true
cc -O2 -o "$WORK/rr" bench/local-hop-rr.c

mkdir -p "$CG"
ip netns add "$NAME"
nsenter --net=/run/netns/$NAME -- ip link set lo up
kcmd up --cgroup "$CG" --ports 9000 >/dev/null
# Runs a command in the netns and the cgroup, pinned to a CPU.
IN() { local cpu=$1; shift; nsenter --net=/run/netns/$NAME -- sh -c "echo \$\$ > '$CG/cgroup.procs' && exec taskset -c $cpu \"\$0\" \"\$@\"" "$@"; }

IN 0 iperf3 -s -p 9000 >/dev/null 2>&1 & PIDS+=($!)
IN 0 iperf3 -s -p 9001 >/dev/null 2>&1 & PIDS+=($!)
# Ping-pong runs client and server on the same CPU: waking an idle vCPU on
# the other core costs ~100 us on this VM and would drown the difference.
IN 1 "$WORK/rr" server 9100 & PIDS+=($!)  # 9100 accelerated via the policy below
IN 1 "$WORK/rr" server 9101 & PIDS+=($!)
kcmd port add 9100 >/dev/null
sleep 0.5

declare -A TP P50 P99
for r in $(seq "$ROUNDS"); do
  for mode in skmsg tcp; do
    if [ $mode = skmsg ]; then ip=9000; rp=9100; else ip=9001; rp=9101; fi
    bps=$(IN 1 iperf3 -c 127.0.0.1 -p $ip -t "$SECS" -J | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).end.sum_received.bits_per_second))')
    TP[$mode]+="$(node -e "console.log(($bps/1e9).toFixed(2))") "
    read -r p50 p99 < <(IN 1 "$WORK/rr" client $rp 50000)
    P50[$mode]+="$p50 "; P99[$mode]+="$p99 "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "local hop: loopback TCP in one cgroup, ${ROUNDS} alternating rounds (iperf3 server CPU 0 / client CPU 1; ping-pong both CPU 1)"
printf '%-6s %10s %9s %9s   %s\n' path Gbit/s p50_us p99_us 'runs Gbit/s'
declare -A M5 M9 MT
for m in skmsg tcp; do
  MT[$m]=$(echo "${TP[$m]}" | median); M5[$m]=$(echo "${P50[$m]}" | median); M9[$m]=$(echo "${P99[$m]}" | median)
  printf '%-6s %10s %9s %9s   %s\n' "$m" "${MT[$m]}" "${M5[$m]}" "${M9[$m]}" "${TP[$m]}"
done
kcmd status | sed -n '/counters:/,/hop_msg_passed/p'
ratio() { node -e "console.log(($1/$2).toFixed(2))"; }
echo "throughput sk_msg/tcp = $(ratio "${MT[skmsg]}" "${MT[tcp]}")"
echo "rr p50 latency sk_msg/tcp = $(ratio "${M5[skmsg]}" "${M5[tcp]}")"
echo "rr p99 latency sk_msg/tcp = $(ratio "${M9[skmsg]}" "${M9[tcp]}")"
