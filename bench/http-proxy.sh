#!/usr/bin/env bash
# bench/http-proxy.sh: HTTP reverse-proxy throughput, Sluice against nginx, side by side.
#
#   wrk -t1 -c50 --> proxy (CPU 0) --> upstream nginx `return 200 "hello\n"` on 127.0.0.1:8080
#   (wrk and the upstream share CPU 1)
#
#   nginx   one worker, HTTP/1.1 keepalive upstream pool, on 127.0.0.1:8090 (bench/nginx/proxy.conf)
#   sluice  `sluice examples/proxy.ts` (bin/sluice: the command `npx sluice` runs), one process,
#           on 8000; NODE_OPTIONS reaches it (a --max-semi-space-size there replaces the
#           command's --optimize-for-size, e.g. =16 for V8's default young generation)
#
# Both proxies run at once (an idle one costs nothing); each round runs wrk against nginx and
# then Sluice (the order alternates per round), and the table shows medians over the rounds.
# Proxy CPU is utime+stime from /proc/<pid>/stat over the run (100% = one core), RSS is VmRSS
# at the end of the run (summed over the proxy's processes), steal% the share of the proxy
# CPUs' time the hypervisor gave to someone else (/proc/stat; on a shared VM, a round with
# steal is one the host took time from). The last line is the median of
# the per-round rps ratios.
#
#   bash bench/http-proxy.sh [--mode plain|hook] [--threads N] [--rounds N] [--duration S]
#                            [--connections N] [--warmup S]
#
#   --mode hook   Sluice runs bench/routing-hook.ts (routes by host and path in a per-request
#                 hook and adds a header); nginx does the same with server/location blocks
#                 (bench/nginx/proxy-hook.conf); wrk rotates three hosts/paths (bench/wrk-routes.lua).
#   --threads N   Sluice --threads N against nginx with N workers; everything then shares
#                 CPUs 0..N-1 (no separate CPU for wrk and the upstream).
#   --local-hop   Sluice with the kernel companion's local-hop bypass (sockops + sk_msg) on its
#                 two hops (ports 8000 and 8080), against nginx WITHOUT it (nginx reaches the
#                 same upstream through port 8081, which is not in the policy map). Needs root
#                 and the built BPF objects and addon (npm run build); uses a private cgroup
#                 and pin directory, and detaches everything at the end.
#
# Needs: nginx, wrk, taskset (util-linux), node; on Debian/Ubuntu: apt-get install -y nginx wrk.
# Uses the build in $DIST (default dist/, made by `npm ci` / `npm run build`); builds it with
# build-ts.mjs if it is missing. As root (with unshare and ip) it runs in a private network namespace,
# so ports 8000/8080/8090 used by anything else on the machine do not matter; otherwise those
# ports on 127.0.0.1 must be free.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ -z "${SLUICE_BENCH_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1; then
  exec unshare --net env SLUICE_BENCH_NETNS=1 bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi

MODE=plain
THREADS=1
ROUNDS=5
DURATION=10
CONNS=50
WARMUP=3
LOCAL_HOP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) MODE=$2; shift 2 ;;
    --mode=*) MODE=${1#*=}; shift ;;
    --threads) THREADS=$2; shift 2 ;;
    --threads=*) THREADS=${1#*=}; shift ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --rounds=*) ROUNDS=${1#*=}; shift ;;
    --duration) DURATION=$2; shift 2 ;;
    --duration=*) DURATION=${1#*=}; shift ;;
    --connections) CONNS=$2; shift 2 ;;
    --connections=*) CONNS=${1#*=}; shift ;;
    --local-hop) LOCAL_HOP=1; shift ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --warmup=*) WARMUP=${1#*=}; shift ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "http-proxy.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$MODE" in plain|hook) ;; *) echo "http-proxy.sh: --mode must be plain or hook" >&2; exit 2 ;; esac
[[ "$THREADS" =~ ^[1-9][0-9]*$ ]] || { echo "http-proxy.sh: --threads must be a positive integer" >&2; exit 2; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "http-proxy.sh: --rounds must be a positive integer" >&2; exit 2; }

missing=()
for c in nginx wrk taskset node; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "http-proxy.sh: missing ${missing[*]}; install with: apt-get install -y nginx wrk util-linux (and Node.js >= 20)" >&2
  exit 1
fi
NCPU=$(nproc)
if [ "$THREADS" -eq 1 ] && [ "$NCPU" -lt 2 ]; then echo "http-proxy.sh: needs 2 CPUs" >&2; exit 1; fi
if [ "$THREADS" -gt "$NCPU" ]; then echo "http-proxy.sh: --threads $THREADS but only $NCPU CPUs" >&2; exit 1; fi

DIST=${DIST:-dist}
if [ ! -f "$DIST/runtime/cli/main.js" ]; then
  echo "building $DIST/ ..." >&2
  node build-ts.mjs --outDir "$DIST" >/dev/null || [ -f "$DIST/runtime/cli/main.js" ]
fi

if [ "$THREADS" -eq 1 ]; then
  PROXY_CPUS=0; SIDE_CPUS=1
else
  PROXY_CPUS="0-$((THREADS - 1))"; SIDE_CPUS=$PROXY_CPUS
fi
if [ "$MODE" = hook ]; then
  SCRIPT=bench/routing-hook.ts; NGX_CONF=bench/nginx/proxy-hook.conf; WRK_SCRIPT=(-s bench/wrk-routes.lua)
else
  SCRIPT=examples/proxy.ts; NGX_CONF=bench/nginx/proxy.conf; WRK_SCRIPT=()
fi

WORK=$(mktemp -d /tmp/sluice-bench.XXXXXX)
mkdir -p "$WORK/tmp"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for f in upstream.pid proxy.pid; do [ -f "$WORK/$f" ] && kill "$(cat "$WORK/$f" 2>/dev/null)" 2>/dev/null || true; done
  sleep 0.3
  # After the processes are gone, so the private cgroup is empty and can be removed.
  [ "$LOCAL_HOP" = 1 ] && declare -F kernel_down >/dev/null && kernel_down
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in 8000 8080 8081 8090; do
  if port_busy "$p"; then echo "http-proxy.sh: 127.0.0.1:$p is in use; stop whatever listens there" >&2; exit 1; fi
done
wait_port() { # port what
  for _ in $(seq 1 100); do port_busy "$1" && return 0; sleep 0.1; done
  echo "http-proxy.sh: $2 did not start listening on $1" >&2
  [ -s "$WORK/$2.log" ] && tail -20 "$WORK/$2.log" >&2
  exit 1
}

conf() { # template workers [upstream port] -> file
  sed -e "s|@PREFIX@|$WORK|g" -e "s|@WORKERS@|$2|g" -e "s|127.0.0.1:8080;|127.0.0.1:${3:-8080};|g" "$1" > "$WORK/$(basename "$1")"
  echo "$WORK/$(basename "$1")"
}

NGINX_UPSTREAM_PORT=8080
if [ "$LOCAL_HOP" = 1 ]; then
  # Everything this script starts joins a private cgroup where sockops + sk_msg accelerate
  # connections to or from ports 8000 (client -> Sluice) and 8080 (Sluice -> upstream).
  [ "$(id -u)" = 0 ] || { echo "http-proxy.sh: --local-hop needs root" >&2; exit 1; }
  CG_ROOT=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
  [ -n "$CG_ROOT" ] || { echo "http-proxy.sh: --local-hop needs a cgroup v2 mount" >&2; exit 1; }
  CGROUP="$CG_ROOT/sluice-bench-$$"
  export SLUICE_BPF_DIR=/sys/fs/bpf/sluice-bench-$$
  mkdir -p "$CGROUP"
  echo $$ > "$CGROUP/cgroup.procs"
  SLUICE_DIST="$ROOT/$DIST" node bin/sluice.js kernel up --cgroup "$CGROUP" --ports 8000,8080 > "$WORK/kernel.log" 2>&1 \
    || { echo "http-proxy.sh: sluice kernel up failed:" >&2; cat "$WORK/kernel.log" >&2; exit 1; }
  NGINX_UPSTREAM_PORT=8081
  kernel_down() {
    SLUICE_DIST="$ROOT/$DIST" node bin/sluice.js kernel down > /dev/null 2>&1
    echo $$ > "$CG_ROOT/cgroup.procs" 2>/dev/null
    rmdir "$CGROUP" 2>/dev/null || true
    find "$SLUICE_BPF_DIR" -depth -type d -empty -delete 2>/dev/null || true
  }
fi

# Upstream: one worker beside wrk (or N sharing the CPUs with everything in --threads mode).
UP_CONF=$(conf bench/nginx/upstream.conf "$THREADS")
taskset -c "$SIDE_CPUS" nginx -p "$WORK" -c "$UP_CONF" -g 'daemon off;' > "$WORK/upstream.log" 2>&1 &
PIDS+=($!)
wait_port 8080 upstream

PX_CONF=$(conf "$NGX_CONF" "$THREADS" "$NGINX_UPSTREAM_PORT")
taskset -c "$PROXY_CPUS" nginx -p "$WORK" -c "$PX_CONF" -g 'daemon off;' > "$WORK/nginx.log" 2>&1 &
NGINX_PID=$!
PIDS+=($NGINX_PID)
wait_port 8090 nginx

SLUICE_ARGS=("$SCRIPT" --admin-port=-1 --log-level=warn)
[ "$THREADS" -gt 1 ] && SLUICE_ARGS+=(--threads "$THREADS")
SLUICE_DIST="$ROOT/$DIST" taskset -c "$PROXY_CPUS" bin/sluice "${SLUICE_ARGS[@]}" > "$WORK/sluice.log" 2>&1 &
SLUICE_PID=$!
PIDS+=($SLUICE_PID)
wait_port 8000 sluice

tree() { # pid and its children
  echo "$1"; pgrep -P "$1" 2>/dev/null || true
}
cpu_ticks() { # utime+stime of the pids
  local t=0 p f
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    # Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
    f=$(sed 's/^.*) //' "/proc/$p/stat")
    set -- $f
    t=$((t + ${12} + ${13}))
  done
  echo "$t"
}
rss_kb() {
  local t=0 p v
  for p in "$@"; do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
to_ms() { # wrk latency ("815.00us", "1.67ms", "1.02s") -> ms
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "nan" }'
}
HZ=$(getconf CLK_TCK)
# The proxy CPUs' lines of /proc/stat ("cpu0", ...), for their steal time.
PROXY_CPU_NAMES=$(case "$PROXY_CPUS" in *-*) seq -f 'cpu%g' "${PROXY_CPUS%-*}" "${PROXY_CPUS#*-}" ;; *) echo "cpu$PROXY_CPUS" ;; esac | tr '\n' ' ')
steal_ticks() { # ticks the hypervisor ran something else while the proxy CPUs wanted to run
  awk -v names=" $PROXY_CPU_NAMES" 'index(names, " " $1 " ") {t += $9} END {print t + 0}' /proc/stat
}

# run NAME PORT PID SECONDS -> "rps p50 p99 cpu% rssMB errors steal%"
run() {
  local name=$1 port=$2 pid=$3 secs=$4 pids out t0 t1 s0 s1 rps p50 p99 errs
  pids=$(tree "$pid" | tr '\n' ' ')
  t0=$(cpu_ticks $pids); s0=$(steal_ticks)
  out=$(taskset -c "$SIDE_CPUS" wrk -t1 -c"$CONNS" -d"${secs}s" --latency "${WRK_SCRIPT[@]}" "http://127.0.0.1:$port/" 2>&1) || true
  t1=$(cpu_ticks $pids); s1=$(steal_ticks)
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  errs=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")
  echo "${rps:-0} ${p50:-nan} ${p99:-nan} $(awk -v d=$((t1 - t0)) -v hz="$HZ" -v s="$secs" 'BEGIN {printf "%.0f", d / hz / s * 100}') $(awk -v k="$(rss_kb $pids)" 'BEGIN {printf "%.1f", k / 1024}') $errs $(awk -v d=$((s1 - s0)) -v hz="$HZ" -v s="$secs" -v n="$(wc -w <<<"$PROXY_CPU_NAMES")" 'BEGIN {printf "%.0f", d / hz / s / n * 100}')"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "# http-proxy bench: mode=$MODE threads=$THREADS local-hop=$LOCAL_HOP rounds=$ROUNDS duration=${DURATION}s connections=$CONNS proxy CPUs=$PROXY_CPUS wrk+upstream CPUs=$SIDE_CPUS"
echo "# $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), node $(node --version), $(nginx -v 2>&1 | sed 's/.*: //')"
run nginx 8090 "$NGINX_PID" "$WARMUP" > /dev/null
run sluice 8000 "$SLUICE_PID" "$WARMUP" > /dev/null

declare -a N_RPS N_P50 N_P99 N_CPU N_RSS S_RPS S_P50 S_P99 S_CPU S_RSS RATIOS
printf '%-6s %-7s %10s %9s %9s %6s %8s %7s %7s\n' round proxy rps p50_ms p99_ms cpu% rss_MB errors steal%
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="nginx sluice"; else order="sluice nginx"; fi
  for who in $order; do
    if [ "$who" = nginx ]; then res=$(run nginx 8090 "$NGINX_PID" "$DURATION"); else res=$(run sluice 8000 "$SLUICE_PID" "$DURATION"); fi
    read -r rps p50 p99 cpu rss errs steal <<<"$res"
    printf '%-6s %-7s %10.0f %9s %9s %6s %8s %7s %7s\n' "$r" "$who" "$rps" "$p50" "$p99" "$cpu" "$rss" "$errs" "$steal"
    if [ "$who" = nginx ]; then
      N_RPS+=("$rps"); N_P50+=("$p50"); N_P99+=("$p99"); N_CPU+=("$cpu"); N_RSS+=("$rss")
    else
      S_RPS+=("$rps"); S_P50+=("$p50"); S_P99+=("$p99"); S_CPU+=("$cpu"); S_RSS+=("$rss")
    fi
  done
  RATIOS+=("$(awk -v n="${N_RPS[$((r - 1))]}" -v s2="${S_RPS[$((r - 1))]}" 'BEGIN {printf "%.4f", (n > 0 ? s2 / n : 0)}')")
done
if ! kill -0 "$SLUICE_PID" 2>/dev/null; then echo "http-proxy.sh: sluice exited during the run:" >&2; tail -20 "$WORK/sluice.log" >&2; exit 1; fi

if [ "$LOCAL_HOP" = 1 ]; then
  # Proof the bypass carried Sluice's traffic (and how much).
  SLUICE_DIST="$ROOT/$DIST" node bin/sluice.js kernel status 2>/dev/null | grep -E 'hop_(sock_added|msg_redirected|msg_passed|bytes) ' | sed 's/^ */# local hop counter: /'
fi
echo
echo "medians over $ROUNDS rounds (mode=$MODE, threads=$THREADS, local-hop=$LOCAL_HOP):"
printf '%-8s %10s %9s %9s %6s %8s %10s\n' proxy rps p50_ms p99_ms cpu% rss_MB rps/cpu-s
for who in nginx sluice; do
  if [ "$who" = nginx ]; then
    rps=$(median <<<"${N_RPS[*]}"); p50=$(median <<<"${N_P50[*]}"); p99=$(median <<<"${N_P99[*]}"); cpu=$(median <<<"${N_CPU[*]}"); rss=$(median <<<"${N_RSS[*]}")
  else
    rps=$(median <<<"${S_RPS[*]}"); p50=$(median <<<"${S_P50[*]}"); p99=$(median <<<"${S_P99[*]}"); cpu=$(median <<<"${S_CPU[*]}"); rss=$(median <<<"${S_RSS[*]}")
  fi
  printf '%-8s %10.0f %9s %9s %6s %8s %10.0f\n' "$who" "$rps" "$p50" "$p99" "$cpu" "$rss" "$(awk -v r="$rps" -v c="$cpu" 'BEGIN {print (c > 0 ? r / (c / 100) : 0)}')"
done
echo "per-round ratios: ${RATIOS[*]}"
# Requests per proxy CPU-second do not depend on whether wrk's side was the bottleneck: on a
# busy machine this is the steadier comparison (the rps ratio below is what the issue asks).
n_eff=$(awk -v r="$(median <<<"${N_RPS[*]}")" -v c="$(median <<<"${N_CPU[*]}")" 'BEGIN {print (c > 0 ? r / c : 0)}')
s_eff=$(awk -v r="$(median <<<"${S_RPS[*]}")" -v c="$(median <<<"${S_CPU[*]}")" 'BEGIN {print (c > 0 ? r / c : 0)}')
printf 'sluice/nginx rps per proxy CPU-second: %.2f\n' "$(awk -v s="$s_eff" -v n="$n_eff" 'BEGIN {print (n > 0 ? s / n : 0)}')"
printf 'sluice/nginx rps ratio: %.2f\n' "$(median <<<"${RATIOS[*]}")"
