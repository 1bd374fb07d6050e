#!/usr/bin/env bash
# bench/offload-passthrough.sh: a passthrough TCP stream relayed by
#   handoff  runtime/offload handOff() (splice(2) relay on a native thread)
#   node     Node's own relay (a.pipe(b); b.pipe(a))
#   nginx    nginx `stream` proxy, one worker
# iperf3 client -> proxy -> iperf3 server, in a network namespace of its own.
# The proxy is pinned to CPU 0, iperf3 to CPU 1; rounds alternate the
# proxies; medians are printed, ratios last.
#   bash bench/offload-passthrough.sh [seconds per run, default 4] [rounds, default 3]
# Needs root, iperf3, nginx + libnginx-mod-stream, and a built addon.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-4}
ROUNDS=${2:-3}
DIST=${DIST:-dist-kernel}
NS=sluice-bench-pt-$$
WORK=$(mktemp -d)
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  sleep 0.2
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for c in iperf3 nginx taskset nsenter; do command -v $c >/dev/null || { echo "SKIP: $c missing (apt-get install -y iperf3 nginx libnginx-mod-stream util-linux)"; exit 0; }; done
[ -f native/build/Release/sluice_native.node ] || { echo "SKIP: addon not built (npm run build:native)"; exit 0; }
[ -f "$DIST/bench/offload-passthrough-proxy.js" ] || node build-ts.mjs --outDir "$DIST" >/dev/null 2>&1 || true

ip netns add "$NS"
IN="nsenter --net=/run/netns/$NS --"
$IN ip link set lo up

$IN taskset -c 1 iperf3 -s -p 5201 >/dev/null 2>&1 & PIDS+=($!)

cat > "$WORK/nginx.conf" <<NGX
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
daemon on;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 1024; }
stream { server { listen 127.0.0.1:7002; proxy_pass 127.0.0.1:5201; } }
NGX
$IN taskset -c 0 nginx -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/error.log"
$IN taskset -c 0 node "$DIST/bench/offload-passthrough-proxy.js" handoff 7000 5201 > /dev/null & PIDS+=($!); HANDOFF_PID=$!
$IN taskset -c 0 node "$DIST/bench/offload-passthrough-proxy.js" node 7001 5201 > /dev/null & PIDS+=($!); NODE_PID=$!
sleep 1
NGINX_PIDS="$(cat "$WORK/nginx.pid") $(pgrep -P "$(cat "$WORK/nginx.pid")" | tr '\n' ' ')"

cpu_ticks() { # sum of utime+stime of the given pids (all threads)
  local t=0; for p in "$@"; do set -- $(cut -d' ' -f14,15 "/proc/$p/stat"); t=$((t + $1 + $2)); done; echo $t
}

declare -A GBPS CPU
run() { # name port pids...
  local name=$1 port=$2; shift 2
  local c0 c1 bps
  c0=$(cpu_ticks "$@")
  bps=$($IN taskset -c 1 iperf3 -c 127.0.0.1 -p "$port" -t "$SECS" -J | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(j.end.sum_received.bits_per_second)})')
  c1=$(cpu_ticks "$@")
  local hz; hz=$(getconf CLK_TCK)
  GBPS[$name]+="$(node -e "console.log(($bps/1e9).toFixed(2))") "
  CPU[$name]+="$(node -e "console.log((($c1-$c0)/$hz/$SECS*100).toFixed(0))") "
}

for r in $(seq "$ROUNDS"); do
  run handoff 7000 "$HANDOFF_PID"
  run node 7001 "$NODE_PID"
  run nginx 7002 $NGINX_PIDS
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "passthrough stream, iperf3 single stream, ${SECS}s x ${ROUNDS} rounds (proxy on CPU 0, iperf3 on CPU 1)"
printf '%-8s %10s %12s   %s\n' proxy Gbit/s 'proxy CPU%' 'runs (Gbit/s | CPU%)'
declare -A MG MC
for n in handoff node nginx; do
  MG[$n]=$(echo "${GBPS[$n]}" | median); MC[$n]=$(echo "${CPU[$n]}" | median)
  printf '%-8s %10s %12s   %s| %s\n' "$n" "${MG[$n]}" "${MC[$n]}" "${GBPS[$n]}" "${CPU[$n]}"
done
ratio() { node -e "console.log(($1/$2).toFixed(2))"; }
echo "throughput handoff/node = $(ratio "${MG[handoff]}" "${MG[node]}")"
echo "throughput handoff/nginx = $(ratio "${MG[handoff]}" "${MG[nginx]}")"
echo "proxy CPU handoff/node = $(ratio "${MC[handoff]}" "${MC[node]}")"
echo "proxy CPU handoff/nginx = $(ratio "${MC[handoff]}" "${MC[nginx]}")"
