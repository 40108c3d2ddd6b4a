#!/usr/bin/env bash
# Benchmarks failover announcements: cable pull to the first gratuitous ARP on the standby wire, tapover against a naive ip-monitor + arping loop.
set -euo pipefail

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

ROOT=$BENCH_ROOT
LIB=$BENCH_LIB
PULLS=${PULLS:-50}
TUNED_PULLS=${TUNED_PULLS:-20}
TUNED_JAVA_OPTS=${TUNED_JAVA_OPTS:--XX:TieredStopAtLevel=1 -Xcomp}
TAP_PULLS=${TAP_PULLS:-10}
PLOT=${PLOT:-$ROOT/docs/img/failover-latency.png}
MARKDOWN=${MARKDOWN:-}
OUT=${OUT:-}
PYTHON=$(bench_python)   # Debian's /usr/bin/python3 has python3-matplotlib for the plot
P=tovbf$$
H=$P-host     # tapover's host: primary, standby (veth to the switch), later the TAP tprimary
B=$P-base     # the naive baseline's host: its own primary and standby cables into the same switch
S=$P-sw       # the switch: bridge br0, and mk0/mk1 for marker frames
R=$P-peer     # a Linux peer at 192.0.2.2 that pings the master at 500 pps
MAC_A=02:00:5e:00:53:01   # tapover's master
MAC_B=02:00:5e:00:53:02   # what the baseline announces (arping -s)
PING_COUNT=200            # per cable change: ~0.5 s at 500 pps, the change 0.2 s in

usage() {
  cat <<EOF
Usage: sudo $PROG [-h]

Measures, over PULLS cable pulls and plugs of a veth "cable" (default $PULLS), the time from the pull to
the first gratuitous ARP on the standby wire (and from the plug to the first one on the primary wire),
for tapover with its default JVM flags and, interleaved in the same run and on the same switch, for a
naive user-space loop (ip -o monitor link | while read ...; arping -U). The peer pings the master at
500 pps across each tapover change; probes lost are counted. Then TUNED_PULLS more (default
$TUNED_PULLS) with every method compiled at its first call (TUNED_JAVA_OPTS), to show what cold,
interpreted code costs on a path that runs once per failover. Then TAP_PULLS pulls (default $TAP_PULLS)
of a TAP lower link's carrier (TUNSETCARRIER 0, which the kernel's linkwatch batches up to 1 s), with
the agent's /sys carrier poll at 10 ms and then off. Everything runs in namespaces $P-* that are
deleted on every exit; nothing is created in the root namespace. Runtime with the defaults: about
3.5 minutes (under all.sh's 300 s limit).

Environment:
  PULLS            veth pulls (and plugs), each for tapover and the baseline (default 50, at least 1)
  TUNED_PULLS      veth pulls with TUNED_JAVA_OPTS (default 20, 0 to skip)
  TUNED_JAVA_OPTS  JVM flags of that run (default "-XX:TieredStopAtLevel=1 -Xcomp")
  AGENT_PREFIX     a command put before the agent, e.g. "nice -n -10" (default none)
  AGENT_ARGS       more 'tapover run' options for every agent, e.g. "--realtime-priority 0" or
                   "--carrier-poll 2ms" (default none: the agent's defaults)
  TAP_PULLS        TAP carrier-off trials per carrier-poll setting (default 10, 0 to skip)
  OUT              directory for the raw data (default: a new /tmp/tapover-failover.XXXXXX)
  PLOT             latency distribution PNG (default docs/img/failover-latency.png)
  MARKDOWN         also write the results table as Markdown to this file
  BENCH_PYTHON     the python3 with matplotlib (default /usr/bin/python3)

Prints (stdout) median, p90, p99, min and max per scenario (p99 of 50 samples is the maximum), the
same from the marker frames the switch captured, probes lost, where the time goes (per stage of the
path, from the agent's event=failover-path log lines lined up with the capture), which carrier source
saw each change first, and RESULT lines (failover.first_announcement.median ...,
failover.first_announcement.stage.STAGE.median ...); progress goes to stderr.
Exit codes: 0 ok, 64 usage, 69 a tool is missing, 70 a measurement failed, 77 not root.
EOF
}

case ${1:-} in
  -h|--help|help) usage; exit 0 ;;
  "") ;;
  *) usage_error "unknown argument '$1'" ;;
esac
case $PULLS in ''|*[!0-9]*|0) usage_error "PULLS must be a positive number, got '$PULLS'" ;; esac
case $TAP_PULLS in ''|*[!0-9]*) usage_error "TAP_PULLS must be a number, got '$TAP_PULLS'" ;; esac
case $TUNED_PULLS in ''|*[!0-9]*) usage_error "TUNED_PULLS must be a number, got '$TUNED_PULLS'" ;; esac
need_root
need_tool ip tcpdump arping ping timeout java mvn awk
build_if_stale

[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/tapover-failover.XXXXXX)
mkdir -p "$OUT"
: >"$OUT/pulls.tsv"

PIDS=()
cleanup() {
  local rc=$? pid ns i left
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ns in "$H" "$B" "$S" "$R"; do
    [ -e "/var/run/netns/$ns" ] || continue
    for i in 1 2 3 4 5 6 7 8 9 10; do
      left=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
      [ -n "${left// /}" ] || break
      # shellcheck disable=SC2086 # a list of PIDs, all started by this script inside its own namespace
      if [ "$i" -lt 10 ]; then kill -TERM $left 2>/dev/null || true; else kill -KILL $left 2>/dev/null || true; fi
      sleep 0.2
    done
    ip netns del "$ns" 2>/dev/null || echo "$PROG: could not delete namespace $ns; remove it with: ip netns del $ns" >&2
  done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Background jobs use `ip netns exec` directly (it execs), so $! is the process itself, not a subshell.
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
quiet_link() { in_ns "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"; ip -n "$1" link set "$2" addrgenmode none; }

note "lab: namespaces $H $B $S $R (raw data in $OUT)"
for ns in "$H" "$B" "$S" "$R"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$S" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
cable_pair() { # NS LINK SWITCH_PORT
  ip -n "$1" link add "$2" type veth peer name "$3" netns "$S"
  quiet_link "$1" "$2"; quiet_link "$S" "$3"
  ip -n "$S" link set "$3" master br0 up
  ip -n "$1" link set "$2" up
}
cable_pair "$H" primary up-primary
cable_pair "$H" standby up-standby
cable_pair "$B" primary bp-primary
cable_pair "$B" standby bp-standby
ip -n "$R" link add eth0 type veth peer name to-peer netns "$S"
quiet_link "$S" to-peer
ip -n "$S" link set to-peer master br0 up
ip -n "$R" addr add 192.0.2.2/24 dev eth0
ip -n "$R" link set eth0 up
ip -n "$S" link add mk0 type veth peer name mk1
quiet_link "$S" mk0; quiet_link "$S" mk1
ip -n "$S" link set mk0 up; ip -n "$S" link set mk1 up
ip -n "$S" link set br0 up

# One capture, one clock, for everything the switch receives: announcements and marker frames.
ip netns exec "$S" timeout 900 tcpdump -i any -y LINUX_SLL2 -Q in --time-stamp-precision nano -s 128 -U \
  -w "$OUT/switch.pcap" 'arp or ether proto 0x88b5' 2>"$OUT/tcpdump.err" &
CAPTURE_PID=$!; PIDS+=("$CAPTURE_PID")
for _ in $(seq 50); do grep -q "listening on" "$OUT/tcpdump.err" && break; sleep 0.1; done
grep -q "listening on" "$OUT/tcpdump.err" || die "$EX_SOFTWARE" "tcpdump did not start: $(cat "$OUT/tcpdump.err")"
ip -n "$S" -o link show 2>/dev/null | sed -n 's/^\([0-9]*\): \([^:@]*\).*/\1 \2/p' >"$OUT/ifindex.tsv"

# helper NAME NS ARGS...: starts a cable.py helper behind two FIFOs; its fds land in HELPER_IN/HELPER_OUT.
helper() {
  local name=$1 ns=$2; shift 2
  mkfifo "$OUT/$name.in" "$OUT/$name.out"
  ip netns exec "$ns" "$PYTHON" "$LIB/cable.py" "$@" <"$OUT/$name.in" >"$OUT/$name.out" 2>"$OUT/$name.err" &
  PIDS+=("$!")
  exec {HELPER_IN}>"$OUT/$name.in" {HELPER_OUT}<"$OUT/$name.out"
}
# ask FD_IN FD_OUT COMMAND: one command to a helper, its answer's words in REPLY_WORDS.
ask() {
  local reply
  echo "$3" >&"$1"
  read -r -t 10 reply <&"$2" || die "$EX_SOFTWARE" "the cable helper did not answer '$3': $(cat "$OUT"/*.err)"
  read -r -a REPLY_WORDS <<<"$reply"
}

# The cable helper pulls switch-side ports and sends marker frames on mk0 (seen on mk1).
helper cable "$S" veth --marker mk0
CABLE_IN=$HELPER_IN CABLE_OUT=$HELPER_OUT
# change SCENARIO PHASE INDEX SWITCH_PORT ANNOUNCE_PORT MAC: pulls (phase pull) or plugs a cable.
change() {
  local action=up
  [ "$2" != pull ] || action=down
  ask "$CABLE_IN" "$CABLE_OUT" "$action $4 $1-$2-$3"
  LAST_CHANGE="$1 $2 $3 $5 $6 ${REPLY_WORDS[3]} ${REPLY_WORDS[4]}"
}
record() { echo "$LAST_CHANGE ${1:--}" >>"$OUT/pulls.tsv"; }

# ping_master: 500 pps from the peer across a change; ping_lost waits for it and sets LOST.
# (-W 0.2: a lost probe makes ping wait that long for it at the end, not a second)
ping_master() { ip netns exec "$R" ping -q -n -i 0.002 -c "$PING_COUNT" -W 0.2 192.0.2.1 >"$OUT/ping.out" 2>&1 & PING_PID=$!; }
ping_lost() {
  wait "$PING_PID" || true
  LOST=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$OUT/ping.out" \
    | awk '{ print $1 - $2 }')
  [ -n "$LOST" ] || LOST=-
}

start_agent() { # NAME JAVA-OPTS RUN-OPTIONS...
  local name=$1 java_opts=$2; shift 2
  local log=$OUT/agent-$name.log
  # shellcheck disable=SC2086 # AGENT_PREFIX is a command prefix, AGENT_ARGS a list of options: both split on spaces
  TAPOVER_JAVA_OPTS=$java_opts ip netns exec "$H" ${AGENT_PREFIX:-} "$ROOT/scripts/tapover" run --master fo0 \
    --standby standby --address 192.0.2.1/24 --mac "$MAC_A" --control "$OUT/fo0.sock" "$@" ${AGENT_ARGS:-} >"$log" 2>&1 &
  AGENT_PID=$!; PIDS+=("$AGENT_PID")
  for _ in $(seq 300); do
    # Ready: let the start-up burst pass (and, with -Xcomp, the compile queue drain) before measuring.
    grep -qs "event=ready" "$log" && { sleep "$([ -z "$java_opts" ] && echo 2 || echo 8)"; return 0; }
    kill -0 "$AGENT_PID" 2>/dev/null || break
    sleep 0.1
  done
  die "$EX_SOFTWARE" "the agent did not start ($name): $(tail -5 "$log")"
}
stop_agent() { kill -TERM "$AGENT_PID" 2>/dev/null || true; wait "$AGENT_PID" 2>/dev/null || true; }

pause() { sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", 0.1 + r / 32768 * 0.2 }')"; }

note "naive baseline in $B: ip -o monitor link | while read ...; arping -U -c 1 (its own cables, same switch)"
# shellcheck disable=SC2016 # the loop runs in the baseline namespace; only MAC_B is spliced in
ip netns exec "$B" bash -c '
  ip -o monitor link | while read -r line; do
    case $line in
      *" primary@"*NO-CARRIER*) arping -q -U -c 1 -w 0 -i standby -S 192.0.2.11 -s '"$MAC_B"' 192.0.2.11 ;;
      *" primary@"*LOWER_UP*)   arping -q -U -c 1 -w 0 -i primary -S 192.0.2.11 -s '"$MAC_B"' 192.0.2.11 ;;
    esac
  done' >"$OUT/naive.log" 2>&1 &
PIDS+=("$!")

# veth_cycles SCENARIO COUNT WITH_BASELINE: pull and plug tapover's primary COUNT times (500 pps pings
# across each), each cycle followed by a pull and plug of the baseline's cable when WITH_BASELINE=1.
veth_cycles() {
  local scenario=$1 count=$2 baseline=$3 i
  in_ns "$R" ping -q -c 3 -i 0.1 -W 1 192.0.2.1 >/dev/null || die "$EX_SOFTWARE" "the peer cannot reach the master"
  for i in $(seq "$count"); do
    ping_master; sleep 0.2
    change "$scenario" pull "$i" up-primary up-standby "$MAC_A"; ping_lost; record "$LOST"
    pause
    ping_master; sleep 0.2
    change "$scenario" plug "$i" up-primary up-primary "$MAC_A"; ping_lost; record "$LOST"
    pause
    if [ "$baseline" = 1 ]; then
      change veth-naive pull "$i" bp-primary bp-standby "$MAC_B"; record; sleep 0.25
      change veth-naive plug "$i" bp-primary bp-primary "$MAC_B"; record; pause
    fi
    [ $((i % 10)) -ne 0 ] || note "$scenario: $i/$count"
  done
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
note "load before: $LOAD_BEFORE (1, 5, 15 min)"
note "tapover on veth cables, default JVM flags, carrier poll 10 ms: $PULLS pulls and plugs, each followed by the baseline's"
start_agent veth "" --primary primary
veth_cycles veth-agent "$PULLS" 1
stop_agent
if [ "$TUNED_PULLS" -gt 0 ]; then
  note "tapover on veth cables, code compiled at first call ($TUNED_JAVA_OPTS): $TUNED_PULLS pulls and plugs"
  start_agent veth-tuned "$TUNED_JAVA_OPTS" --primary primary
  veth_cycles veth-tuned "$TUNED_PULLS" 0
  stop_agent
fi

if [ "$TAP_PULLS" -gt 0 ]; then
  helper tap "$H" tap tprimary
  TAP_IN=$HELPER_IN TAP_OUT=$HELPER_OUT
  read -r -t 10 _ <&"$TAP_OUT" || die "$EX_SOFTWARE" "the TAP helper did not start: $(cat "$OUT/tap.err")"
  quiet_link "$H" tprimary
  ip -n "$H" link set tprimary up
  # tap_trials NAME: carrier off after a random 50..1250 ms hold (linkwatch's delay depends on it), then on.
  tap_trials() {
    local name=$1 i
    for i in $(seq "$TAP_PULLS"); do
      sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", 0.05 + r / 32768 * 1.2 }')"
      ask "$TAP_IN" "$TAP_OUT" "down $name-pull-$i"
      echo "$name pull $i up-standby $MAC_A ${REPLY_WORDS[3]} ${REPLY_WORDS[4]} -" >>"$OUT/pulls.tsv"
      sleep 1.3
      ask "$TAP_IN" "$TAP_OUT" "up $name-plug-$i"
      sleep 0.3
    done
  }
  note "tapover with a TAP primary (TUNSETCARRIER), /sys carrier poll 10 ms: $TAP_PULLS pulls"
  start_agent tap-poll "" --primary tprimary --carrier-poll 10ms
  tap_trials tap-poll
  stop_agent
  note "tapover with a TAP primary, netlink only (--carrier-poll 0): $TAP_PULLS pulls"
  start_agent tap-netlink "" --primary tprimary --carrier-poll 0
  tap_trials tap-netlink
  stop_agent
  echo quit >&"$TAP_IN" || true
fi

echo quit >&"$CABLE_IN" || true
sleep 0.5
kill -INT "$CAPTURE_PID" 2>/dev/null || true
wait "$CAPTURE_PID" 2>/dev/null || true

note "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
note "results ($(uname -r), $(nproc) CPUs)"
echo "Failover announcements: cable change -> first gratuitous ARP on the wire, from tcpdump timestamps on the"
echo "switch side; $PULLS veth pulls and plugs for tapover (default JVM flags) and, interleaved, for a naive"
echo "ip-monitor + arping -U loop on its own cables into the same bridge; $TUNED_PULLS with $TUNED_JAVA_OPTS;"
echo "$TAP_PULLS TAP carrier-offs (TUNSETCARRIER) per carrier-poll setting. Kernel $(uname -r), $(nproc) CPUs,"
echo "load average $LOAD_BEFORE at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end. p99 of n <= 100 is the maximum."
echo
mkdir -p "$(dirname "$PLOT")"
"$PYTHON" "$LIB/failover_report.py" "$OUT" --plot "$PLOT" --markdown "${MARKDOWN:-$OUT/failover.md}"
note "plot: $PLOT   raw data: $OUT"
