#!/usr/bin/env bash
# Data path benchmark: 64-byte frames/s and TCP throughput through the agent (plain and vnet-header) and through the kernel alone, side by side in one run.
set -euo pipefail

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

SRC_ROOT=$BENCH_ROOT
BENCH_DIR=$BENCH_ROOT/scripts/bench

ROUNDS=3
SECONDS_PER_TRIAL=3
BUDGET=${DATAPATH_BUDGET_SECONDS:-270}
CONFIGS="kernel agent agent-vnet"
BASELINE_JAR=
TESTS="frames-in frames-out tcp-in tcp-out"

usage() {
  cat <<EOF
Usage: $PROG [--rounds N] [--seconds S] [--configs "LIST"] [--tests "LIST"] [--baseline-jar JAR]

Measures, in one run and on one topology, the data path of tapover against the kernel alone:

  configs   kernel      the host's IP (192.0.2.1/24) directly on the lower link 'primary', no agent
            agent       tapover run --no-vnet-header (plain TAP master fo0 = 192.0.2.1/24)
            agent-vnet  tapover run --vnet-header (TAP with virtio_net_hdr and offloads)
            base, base-vnet  the same two with another build of the agent (--baseline-jar), to
                        compare two versions side by side
  tests     frames-in   64-byte frames/s peer -> host: a generator in the peer namespace blasts
                        minimum-size IPv4/UDP frames (AF_PACKET, sendmmsg) at the host's MAC for S
                        seconds; counted where they reach the host's UDP layer (a socket that never
                        reads: UDP InDatagrams + RcvbufErrors of the host namespace)
            frames-out  the same host -> peer: the generator sends on fo0 (agent) or primary (kernel),
                        counted at the peer's UDP layer
            tcp-in      iperf3 TCP, one stream, peer -> host, S seconds
            tcp-out     iperf3 TCP, one stream, host -> peer (-R), S seconds

Every round runs every config once (kernel, agent, agent-vnet, then again), so slow drifts of a shared
machine hit all configs alike; medians, minima and maxima over the rounds are printed with the ratio of
each median to the kernel's, then RESULT lines (datapath.fps.agent, datapath.tcp.ratio_pct, ...; see
docs/benchmarks.md). Tables go to stdout, progress to stderr. No new round starts once the run would pass
\$DATAPATH_BUDGET_SECONDS (default $BUDGET; all.sh sets it to its time limit less 40 s). The topology is
scripts/lab.sh's (host, switch, peer namespaces) with the prefix tovbdp<pid>; the switch's bridge
netfilter hooks are turned off in its namespace so the switch costs less than the path under test.
Nothing is created in the root namespace; everything is removed on exit, even on failure or Ctrl-C.

Options:
  --rounds N      rounds (default $ROUNDS, 1..20)
  --seconds S     seconds per trial (default $SECONDS_PER_TRIAL, 1..30)
  --configs LIST  subset of "$CONFIGS"
  --tests LIST    subset of "$TESTS"
  --baseline-jar JAR  runs configs base and base-vnet with this tapover.jar (TAPOVER_JAR); they are
                  added to the configs unless --configs names one of them

Needs root, iproute2, iperf3 and a JDK (java + javac); builds the agent jar first if it is missing or
older than the sources. Exit codes: 0 done (targets met or not: read the summary), 64 usage, 69 a tool
is missing, 70 a step failed, 77 not root.
EOF
}

while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --rounds) [ $# -ge 2 ] || usage_error "--rounds needs a value"; ROUNDS=$2; shift 2 ;;
    --seconds) [ $# -ge 2 ] || usage_error "--seconds needs a value"; SECONDS_PER_TRIAL=$2; shift 2 ;;
    --configs) [ $# -ge 2 ] || usage_error "--configs needs a value"; CONFIGS=$2; shift 2 ;;
    --tests) [ $# -ge 2 ] || usage_error "--tests needs a value"; TESTS=$2; shift 2 ;;
    --baseline-jar) [ $# -ge 2 ] || usage_error "--baseline-jar needs a value"; BASELINE_JAR=$(readlink -f -- "$2"); shift 2
      [ -f "$BASELINE_JAR" ] || usage_error "--baseline-jar: no file $2" ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
if ! [[ $ROUNDS =~ ^[0-9]+$ ]] || [ "$ROUNDS" -lt 1 ] || [ "$ROUNDS" -gt 20 ]; then usage_error "--rounds must be 1..20"; fi
if ! [[ $SECONDS_PER_TRIAL =~ ^[0-9]+$ ]] || [ "$SECONDS_PER_TRIAL" -lt 1 ] || [ "$SECONDS_PER_TRIAL" -gt 30 ]; then
  usage_error "--seconds must be 1..30"
fi
if [ -n "$BASELINE_JAR" ] && [[ " $CONFIGS " != *" base"* ]]; then CONFIGS="$CONFIGS base base-vnet"; fi
for c in $CONFIGS; do case $c in kernel|agent|agent-vnet|base|base-vnet) ;; *) usage_error "unknown config '$c'" ;; esac; done
if [[ " $CONFIGS " == *" base"* ]] && [ -z "$BASELINE_JAR" ]; then usage_error "configs base and base-vnet need --baseline-jar"; fi
for t in $TESTS; do case $t in frames-in|frames-out|tcp-in|tcp-out) ;; *) usage_error "unknown test '$t'" ;; esac; done

need_root
need_tool ip ss iperf3 java javac timeout awk sort pgrep

# ------------------------------------------------------------------------------------------- setup

JAR=$SRC_ROOT/agent/target/tapover.jar
build_if_stale

export LAB_PREFIX="tovbdp$$"
P=$LAB_PREFIX
NS_HOST="$P-host" NS_SWITCH="$P-switch" NS_PEER="$P-peer"
WORK=$(mktemp -d "/tmp/$P.XXXXXX")
CONTROL="/run/tapover/$P.sock"
AGENT_PID=
STARTED=()   # PIDs of background processes this run started

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  stop_agent
  for pid in "${STARTED[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  "$SRC_ROOT/scripts/lab.sh" down >/dev/null 2>&1 || true
  rm -f "$CONTROL"
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_host() { ip netns exec "$NS_HOST" "$@"; }
in_peer() { ip netns exec "$NS_PEER" "$@"; }

javac -d "$WORK/classes" -cp "$JAR" "$BENCH_DIR/lib/FrameBlaster.java"
BLAST=(java -XX:+UseSerialGC -cp "$JAR:$WORK/classes" FrameBlaster)

"$SRC_ROOT/scripts/lab.sh" up >/dev/null
for k in iptables ip6tables arptables; do
  ip netns exec "$NS_SWITCH" sysctl -qw "net.bridge.bridge-nf-call-$k=0" 2>/dev/null || true
done
NCONFIGS=$(wc -w <<<"$CONFIGS")
TOTAL_SECONDS_BOUND=$(( (ROUNDS * NCONFIGS * 4 * (SECONDS_PER_TRIAL + 8)) + 120 ))
for ns in "$NS_HOST" "$NS_PEER"; do
  ip netns exec "$ns" timeout "$TOTAL_SECONDS_BOUND" "${BLAST[@]}" sink 9 "$(( TOTAL_SECONDS_BOUND < 900 ? TOTAL_SECONDS_BOUND : 900 ))" \
    >"$WORK/sink-$ns.log" 2>&1 &
  STARTED+=($!)
done
PEER_MAC=$(in_peer cat /sys/class/net/eth0/address)

# ------------------------------------------------------------------------------------ one config

# Stops the agent this run started: TERM through timeout(1), which passes it on; KILL after 10 s (the
# java child too: timeout does not pass KILL on); then waits for the TAP to go with the process.
stop_agent() {
  if [ -n "$AGENT_PID" ]; then
    local java _
    java=$(pgrep -P "$AGENT_PID" 2>/dev/null | head -1) || true
    kill -TERM "$AGENT_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$AGENT_PID" 2>/dev/null; then
      echo "$PROG: the agent did not stop in 10 s; killing it" >&2
      [ -z "$java" ] || kill -KILL "$java" 2>/dev/null || true
      kill -KILL "$AGENT_PID" 2>/dev/null || true
    fi
    wait "$AGENT_PID" 2>/dev/null || true
    AGENT_PID=
    for _ in $(seq 1 50); do ip -n "$NS_HOST" link show fo0 >/dev/null 2>&1 || break; sleep 0.1; done
  fi
}

# Brings config $1 up; sets DEV (where the host's IP lives) and HOST_MAC.
config_up() {
  local config=$1 _
  case $config in
    kernel)
      ip -n "$NS_HOST" addr add 192.0.2.1/24 dev primary
      DEV=primary
      ;;
    agent|agent-vnet|base|base-vnet)
      local flag=--no-vnet-header jar=$JAR
      [[ $config != *-vnet ]] || flag=--vnet-header
      [[ $config != base* ]] || jar=$BASELINE_JAR
      mkdir -p /run/tapover
      # timeout(1) forwards our TERM to the agent and bounds it if this script is killed hard.
      # (ip execs timeout, so $! is timeout's PID, and the agent's java is its only child.)
      TAPOVER_JAR=$jar ip netns exec "$NS_HOST" timeout "$TOTAL_SECONDS_BOUND" "$SRC_ROOT/scripts/tapover" run --master fo0 --primary primary \
        --standby standby --address 192.0.2.1/24 --control "$CONTROL" "$flag" >"$WORK/agent-$config.log" 2>&1 &
      AGENT_PID=$!
      for _ in $(seq 1 600); do
        grep -q 'event=ready' "$WORK/agent-$config.log" 2>/dev/null && break
        kill -0 "$AGENT_PID" 2>/dev/null || die "$EX_SOFTWARE" "the agent ($config) exited: $(tail -5 "$WORK/agent-$config.log")"
        sleep 0.1
      done
      grep -q 'event=ready' "$WORK/agent-$config.log" \
        || die "$EX_SOFTWARE" "the agent ($config) did not get ready in 60 s; its log ends: $(tail -5 "$WORK/agent-$config.log")"
      DEV=fo0
      ;;
  esac
  HOST_MAC=$(in_host cat "/sys/class/net/$DEV/address")
  in_peer ip neigh flush all
  in_peer ping -c 3 -i 0.2 -W 1 -q 192.0.2.1 >/dev/null || die "$EX_SOFTWARE" "$config: the peer cannot ping 192.0.2.1"
}

config_down() {
  case $1 in
    kernel) ip -n "$NS_HOST" addr del 192.0.2.1/24 dev primary ;;
    *) stop_agent ;;
  esac
}

# UDP datagrams that reached the UDP layer in a namespace: InDatagrams + RcvbufErrors.
udp_arrivals() {
  # shellcheck disable=SC2016 # awk's own $fields
  ip netns exec "$1" awk '/^Udp:/ { if (!h) { for (i = 2; i <= NF; i++) col[$i] = i; h = 1 } else { print $col["InDatagrams"] + $col["RcvbufErrors"]; exit } }' /proc/net/snmp
}

# Busy jiffies of the whole machine (all CPUs) and total jiffies.
cpu_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }

# user+system jiffies of the agent's data path thread (0 0 without an agent).
datapath_jiffies() {
  local java t
  java=$(pgrep -P "${AGENT_PID:-0}" 2>/dev/null | head -1) || true
  if [ -n "$java" ]; then
    for t in /proc/"$java"/task/*; do
      if [ "$(cat "$t/comm" 2>/dev/null)" = "datapath-fo0" ]; then
        awk '{ print $14, $15 }' "$t/stat"; return 0
      fi
    done
  fi
  echo "0 0"
}

# frames DIRECTION: prints "delivered_per_s offered_per_s machine_busy_% dp_user_ns_per_frame dp_sys_ns_per_frame"
frames() {
  local dir=$1 gen_ns gen_if dst_mac src dst count_ns before after out secs sent c0 c1 d0 d1
  if [ "$dir" = in ]; then
    gen_ns=$NS_PEER gen_if=eth0 dst_mac=$HOST_MAC src=192.0.2.2 dst=192.0.2.1 count_ns=$NS_HOST
  else
    gen_ns=$NS_HOST gen_if=$DEV dst_mac=$PEER_MAC src=192.0.2.1 dst=192.0.2.2 count_ns=$NS_PEER
  fi
  before=$(udp_arrivals "$count_ns"); c0=$(cpu_jiffies); d0=$(datapath_jiffies)
  out=$(ip netns exec "$gen_ns" timeout $((SECONDS_PER_TRIAL + 20)) "${BLAST[@]}" "$gen_if" "$dst_mac" "$src" "$dst" "$SECONDS_PER_TRIAL")
  sleep 0.2 # let queues drain into the counters
  after=$(udp_arrivals "$count_ns"); c1=$(cpu_jiffies); d1=$(datapath_jiffies)
  secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
  sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
  awk -v got=$((after - before)) -v sent="$sent" -v s="$secs" -v c0="$c0" -v c1="$c1" -v d0="$d0" -v d1="$d1" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    split(c0, a, " "); split(c1, b, " "); split(d0, x, " "); split(d1, y, " ")
    busy = (b[2] - a[2]) > 0 ? 100 * (b[1] - a[1]) / (b[2] - a[2]) : 0
    n = got > 0 ? got : 1
    printf "%.0f %.0f %.0f %.0f %.0f\n", got / s, sent / s, busy, (y[1] - x[1]) * 1e9 / hz / n, (y[2] - x[2]) * 1e9 / hz / n }'
}

# tcp DIRECTION: prints "gbit_per_s retransmits"
tcp() {
  local dir=$1 server out line
  # Runs in a $(...) subshell: the server is bounded by timeout, and 'lab.sh down' in the exit trap stops
  # anything still running in the lab's namespaces.
  ip netns exec "$NS_HOST" timeout $((SECONDS_PER_TRIAL + 25)) iperf3 -s -1 -B 192.0.2.1 -p 5201 >/dev/null 2>&1 &
  server=$!
  # On a loaded machine iperf3 can take a while to listen; a client started too early would count as 0.
  local _
  for _ in $(seq 1 100); do
    [ -z "$(in_host ss -Hltn 'sport = :5201' 2>/dev/null)" ] || break
    sleep 0.05
  done
  local reverse=()
  [ "$dir" = in ] || reverse=(-R)
  out=$(in_peer timeout $((SECONDS_PER_TRIAL + 20)) iperf3 -c 192.0.2.1 -p 5201 -t "$SECONDS_PER_TRIAL" -f m "${reverse[@]}" 2>&1) || true
  wait "$server" 2>/dev/null || true
  line=$(grep -E ' receiver$' <<<"$out" | tail -1)
  local retr
  retr=$(grep -E ' sender$' <<<"$out" | tail -1 | awk '{ for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") { print $(i + 1); exit } }')
  if [ -z "$line" ]; then echo "0 -"; return 0; fi
  awk -v r="${retr:--}" '{ for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") { printf "%.2f %s\n", $(i - 1) / 1000, r; exit } }' <<<"$line"
}

# ------------------------------------------------------------------------------------------ run

started_at=$(date +%s)
echo "tapover data path benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r), $(java -version 2>&1 | head -1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "lab $P: peer 192.0.2.2 -- bridge -- primary/standby -- host 192.0.2.1; $ROUNDS rounds x ${SECONDS_PER_TRIAL} s per trial"
echo

RESULTS=$WORK/results   # lines: test config round value extra...
: >"$RESULTS"
ROUNDS_DONE=0
for round in $(seq 1 "$ROUNDS"); do
  round_started=$(date +%s)
  if [ "$round" -gt 1 ]; then
    elapsed=$((round_started - started_at))
    if [ $((elapsed + elapsed / (round - 1))) -gt "$BUDGET" ]; then
      note "round $round would end after the ${BUDGET} s budget (${elapsed} s so far); stopping at $((round - 1)) rounds"
      break
    fi
  fi
  note "round $round of $ROUNDS"
  for config in $CONFIGS; do
    config_up "$config"
    # Warm-up: JIT-compile the agent's loops and fill the switch's FDB before anything counts.
    if [[ " $TESTS " == *" frames-"* ]]; then
      ip netns exec "$NS_PEER" timeout 20 "${BLAST[@]}" eth0 "$HOST_MAC" 192.0.2.2 192.0.2.1 1 >/dev/null
    fi
    for t in $TESTS; do
      case $t in
        frames-in) r=$(frames in) ;;
        frames-out) r=$(frames out) ;;
        tcp-in) r=$(tcp in) ;;
        tcp-out) r=$(tcp out) ;;
      esac
      echo "$t $config $round $r" >>"$RESULTS"
      printf '  round %d %-10s %-10s %s\n' "$round" "$config" "$t" "$r" >&2
    done
    if [ "$config" != kernel ]; then  # the last round's copy stays
      "$SRC_ROOT/scripts/tapover" status --control "$CONTROL" >"$WORK/status-$config.txt" 2>/dev/null || true
    fi
    config_down "$config"
  done
  ROUNDS_DONE=$round
done

# ----------------------------------------------------------------------------------------- report

# stats TEST CONFIG FIELD -> "median min max" of field FIELD (4 = first value) over the rounds
stats() {
  awk -v t="$1" -v c="$2" -v f="$3" '$1 == t && $2 == c { print $f }' "$RESULTS" | sort -g \
    | awk '{ v[NR] = $1 } END { if (NR == 0) { print "- - -"; exit }
             m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'
}

label() {
  case $1 in
    frames-in) echo "64-byte frames/s, peer -> host (delivered to a UDP socket)" ;;
    frames-out) echo "64-byte frames/s, host -> peer (delivered to a UDP socket)" ;;
    tcp-in) echo "TCP Gbit/s (iperf3, 1 stream), peer -> host" ;;
    tcp-out) echo "TCP Gbit/s (iperf3, 1 stream), host -> peer" ;;
  esac
}

echo
if [ "$ROUNDS_DONE" -lt "$ROUNDS" ]; then
  echo "(stopped after $ROUNDS_DONE of $ROUNDS rounds: another round would have ended after the ${BUDGET} s budget)"
fi
echo "== results (median of $ROUNDS_DONE rounds; min..max; ratio = median / kernel's median)"
for t in $TESTS; do
  echo
  label "$t"
  read -r kmed _ _ <<<"$(stats "$t" kernel 4)"
  if [[ $t == frames-* ]]; then
    printf '  %-11s %10s %21s %6s %10s %5s %24s %9s\n' config median "min..max" ratio offered busy% "datapath ns/frame" "capacity"
  else
    printf '  %-11s %10s %21s %6s %10s\n' config median "min..max" ratio retrans
  fi
  for config in $CONFIGS; do
    read -r med lo hi <<<"$(stats "$t" "$config" 4)"
    ratio=$(awk -v m="$med" -v k="${kmed:--}" 'BEGIN { if (k + 0 > 0 && m != "-") printf "%.2f", m / k; else print "-" }')
    if [[ $t == frames-* ]]; then
      read -r off _ _ <<<"$(stats "$t" "$config" 5)"
      read -r busy _ _ <<<"$(stats "$t" "$config" 6)"
      read -r usr _ _ <<<"$(stats "$t" "$config" 7)"
      read -r sys _ _ <<<"$(stats "$t" "$config" 8)"
      dp="-" cap="-"
      if [ "$config" != kernel ]; then
        dp="usr $usr + sys $sys"
        cap=$(awk -v u="$usr" -v s="$sys" 'BEGIN { if (u + s > 0) printf "%.0fk", 1e6 / (u + s); else print "-" }')
      fi
      printf '  %-11s %10.0f %10.0f..%-10.0f %6s %10.0f %5s %24s %9s\n' "$config" "$med" "$lo" "$hi" "$ratio" "$off" "$busy" "$dp" "$cap"
    else
      read -r retr _ _ <<<"$(stats "$t" "$config" 5)"
      printf '  %-11s %10.2f %10.2f..%-10.2f %6s %10s\n' "$config" "$med" "$lo" "$hi" "$ratio" "$retr"
    fi
  done
done

echo
echo "== targets"
# The configuration the targets are judged on: the agent with the vnet header (the fast mode), else plain.
judged=agent-vnet
[[ " $CONFIGS " == *" agent-vnet "* ]] || judged=agent
FPS_AGENT='' FPS_DIR='' TCP_RATIO='' TCP_DIR=''
if [[ " $CONFIGS " == *" $judged "* ]]; then
  for t in frames-in frames-out; do
    [[ " $TESTS " == *" $t "* ]] || continue
    read -r med _ _ <<<"$(stats "$t" "$judged" 4)"
    if [ -z "$FPS_AGENT" ] || awk -v a="$FPS_AGENT" -v b="$med" 'BEGIN { exit !(b + 0 > a + 0) }'; then
      FPS_AGENT=$med FPS_DIR=${t#frames-}
    fi
  done
  for t in tcp-in tcp-out; do
    if [[ " $TESTS " != *" $t "* ]] || [[ " $CONFIGS " != *" kernel "* ]]; then continue; fi
    read -r kmed _ _ <<<"$(stats "$t" kernel 4)"
    read -r med _ _ <<<"$(stats "$t" "$judged" 4)"
    r=$(awk -v m="$med" -v k="$kmed" 'BEGIN { printf "%.1f", (k > 0 ? 100 * m / k : 0) }')
    if [ -z "$TCP_RATIO" ] || awk -v a="$TCP_RATIO" -v b="$r" 'BEGIN { exit !(b + 0 < a + 0) }'; then
      TCP_RATIO=$r TCP_DIR=${t#tcp-}
    fi
  done
fi
if [ -n "$FPS_AGENT" ]; then
  awk -v b="$FPS_AGENT" -v c="$judged" -v d="$FPS_DIR" 'BEGIN { printf "  >= 300k 64-byte frames/s one way through the agent (%s, better direction: %s): %s (median %.0f)\n", c, d, (b >= 300000 ? "MET" : "MISSED"), b }'
fi
if [ -n "$TCP_RATIO" ]; then
  awk -v r="$TCP_RATIO" -v c="$judged" -v d="$TCP_DIR" 'BEGIN { printf "  >= 30%% of the kernel'"'"'s TCP through the agent (%s, worse direction: %s): %s (%.0f%%)\n", c, d, (r >= 30 ? "MET" : "MISSED"), r }'
fi

echo
echo "== where the time goes"
echo "  offered = what the generator (one JVM thread, sendmmsg of 64 frames) got into its link. delivered below"
echo "  offered: the path under test is the bottleneck; delivered = offered: the generator is."
echo "  busy% = both CPUs of the machine over the trial (100 = saturated; includes other users of the machine)."
echo "  datapath ns/frame = CPU time of the agent's data path thread per delivered frame (median), user (Java,"
echo "  JNR) and system: the TAP's read/write, sendmmsg to the link, and the kernel work those calls carry"
echo "  inline: for frames into the TAP the host's own IP/UDP receive, for frames out of the link the veth,"
echo "  the bridge and the peer's receive. capacity = 1e9 / ns-per-frame: the frames/s the data path thread"
echo "  would move with a CPU of its own (an estimate; on a busy machine it shares one)."
echo "  the agent's own counters after the last round (drops by reason; kernel = its ring was full):"
for config in agent agent-vnet base base-vnet; do
  f=$WORK/status-$config.txt
  [ -s "$f" ] || continue
  echo "    $config:"
  awk '/^ +counters / { sub(/^ +/, ""); print "      master " $0 } /^ +LINK +IFINDEX/ || /^[* ] +(primary|standby) / { print "      " $0 }' "$f" \
    | cut -c1-160
done
echo "  load average at end: $(cut -d' ' -f1-3 /proc/loadavg); run took $(( $(date +%s) - started_at )) s"

# ------------------------------------------------------------------------------- RESULT lines
echo
n=$ROUNDS_DONE
if [ -n "$FPS_AGENT" ]; then
  echo "RESULT datapath.fps.agent=$FPS_AGENT unit=fps n=$n label=\"64-byte frames/s through the agent ($judged, $FPS_DIR), median\""
fi
if [ -n "$TCP_RATIO" ]; then
  echo "RESULT datapath.tcp.ratio_pct=$TCP_RATIO unit=% n=$n label=\"TCP through the agent ($judged) / kernel alone, worse direction ($TCP_DIR), medians\""
fi
for t in $TESTS; do
  dir=${t#*-} kind=${t%%-*}
  read -r kmed _ _ <<<"$(stats "$t" kernel 4)"
  for config in $CONFIGS; do
    key=${config//-/_}
    read -r med lo hi <<<"$(stats "$t" "$config" 4)"
    [ "$med" != "-" ] || continue
    if [ "$kind" = frames ]; then
      echo "RESULT datapath.fps.$dir.$key.median=$med unit=fps n=$n min=$lo max=$hi"
    else
      awk -v m="$med" -v l="$lo" -v h="$hi" -v k="datapath.tcp.$dir.$key.median" -v n="$n" \
        'BEGIN { printf "RESULT %s=%.0f unit=Mbit/s n=%d min=%.0f max=%.0f\n", k, m * 1000, n, l * 1000, h * 1000 }'
    fi
    if [ "$config" != kernel ] && [[ " $CONFIGS " == *" kernel "* ]]; then
      awk -v m="$med" -v k="$kmed" -v key="datapath.${kind/frames/fps}.$dir.$key.ratio_pct" -v n="$n" \
        'BEGIN { if (k + 0 > 0) printf "RESULT %s=%.1f unit=%% n=%d\n", key, 100 * m / k, n }'
    fi
    if [ "$kind" = frames ] && [ "$config" != kernel ]; then
      read -r usr _ _ <<<"$(stats "$t" "$config" 7)"
      read -r sys _ _ <<<"$(stats "$t" "$config" 8)"
      awk -v u="$usr" -v s="$sys" -v k="datapath.ns_per_frame.$dir.$key" -v c="datapath.capacity.$dir.$key" -v n="$n" \
        'BEGIN { if (u + s > 0) { printf "RESULT %s.median=%.0f unit=ns n=%d user=%.0f system=%.0f\n", k, u + s, n, u, s
                                  printf "RESULT %s=%.0f unit=fps n=%d label=\"1e9 / ns per frame\"\n", c, 1e9 / (u + s), n } }'
    fi
  done
done
