#!/usr/bin/env bash
# The main job: a narrated failover on the netns lab — real TAP master, real cable pull, real GARP frames, decoded.
set -euo pipefail

readonly EX_USAGE=64 EX_UNAVAILABLE=69 EX_SOFTWARE=70 EX_NOPERM=77
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
OUT=${DEMO_OUT:-$PWD}
export LAB_PREFIX=${LAB_PREFIX:-tovd$$}
HOST_NS="${LAB_PREFIX}-host"
PEER_NS="${LAB_PREFIX}-peer"
SOCK=/run/tapover/${LAB_PREFIX}-fo0.sock
WORK=$(mktemp -d /tmp/tapover-demo.XXXXXX)
PIDS=()
AGENT_PID=

usage() {
  cat <<EOF
Usage: sudo scripts/demo.sh

Builds tapover if needed, brings up the netns lab (scripts/lab.sh), starts the agent on it with a TAP
master fo0 (192.0.2.1/24, 2001:db8::1/64) over 'primary' and 'standby', pings it from the peer, pulls
the primary cable, shows the timeline (pull, detection, switch, first announcement, pings lost) and the
tshark decode of the announcements, plugs the cable back (failback), and removes everything it created.

Writes to \$DEMO_OUT (default: the current directory):
  demo.pcap          what the switch saw (bridge br0), for Wireshark
  demo-timeline.png  probe RTTs and losses against time, with the pull/detect/switch/announce marks
  demo-events.jsonl  the agent's event stream (tapover events)

Environment: LAB_PREFIX (default tovd<pid>), DEMO_OUT, DEMO_PING_INTERVAL (default 0.01 s).
Exit codes: 0 ok, 64 usage, 69 something needed is missing, 70 the demo saw something wrong, 77 not root.
EOF
}
case "${1:-}" in
  -h|--help|help) usage; exit 0 ;;
  "") ;;
  *) echo "demo.sh: takes no arguments (see --help)" >&2; exit $EX_USAGE ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: must run as root (it creates namespaces and a TAP): sudo scripts/demo.sh" >&2; exit $EX_NOPERM; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }
die() { local code=$1; shift; echo "demo.sh: $*" >&2; exit "$code"; }
now() { date +%s.%N; }
tapover() { "$ROOT/scripts/tapover" "$@"; }

cleanup() {
  local rc=$?
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  if [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; then
    kill -TERM "$AGENT_PID"
    for _ in $(seq 50); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$AGENT_PID" 2>/dev/null
  fi
  wait 2>/dev/null
  "$ROOT/scripts/lab.sh" down >/dev/null 2>&1
  rm -rf "$WORK"
  [ $rc -eq 0 ] || echo "demo.sh: failed (exit $rc); everything it created was removed." >&2
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. What the demo needs ---------------------------------------------------------------------------
say "Checking what the demo needs"
need=()
for p in libpcap0.8 tshark tcpdump iproute2 iputils-ping python3-matplotlib; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
command -v mvn >/dev/null || need+=(maven)
if [ ${#need[@]} -gt 0 ]; then
  note "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q "${need[@]}"; } >/dev/null \
    || die $EX_UNAVAILABLE "apt-get install ${need[*]} failed; install them and run the demo again."
fi
if [ ! -f "$ROOT/agent/target/tapover.jar" ]; then
  note "building tapover (mvn -DskipTests package, about a minute the first time)..."
  (cd "$ROOT" && mvn -q -B -DskipTests package) || die $EX_UNAVAILABLE "the build failed; see the Maven output above."
fi
note "ok: $(tapover --version)"

# 2. The lab ----------------------------------------------------------------------------------------
say "Bringing up the lab (three network namespaces, nothing in yours)"
"$ROOT/scripts/lab.sh" up >/dev/null
note "${HOST_NS}: the agent; lower links 'primary' and 'standby'"
note "${LAB_PREFIX}-switch: Linux bridge br0 joining both links and the peer"
note "${PEER_NS}: a Linux host at 192.0.2.2"

# 3. The agent --------------------------------------------------------------------------------------
say "Starting the agent: tapover run --master fo0 --primary primary --standby standby --address 192.0.2.1/24 ..."
PIDS+=("$(LAB_CAPTURE_BG=1 "$ROOT/scripts/lab.sh" capture bridge "$WORK/bridge.pcap" 120)")
PIDS+=("$(LAB_CAPTURE_BG=1 "$ROOT/scripts/lab.sh" capture standby "$WORK/standby.pcap" 120)")
ip netns exec "$HOST_NS" "$ROOT/scripts/tapover" run --master fo0 --primary primary --standby standby \
  --address 192.0.2.1/24 --address 2001:db8::1/64 --mac 02:00:5e:00:53:01 --control "$SOCK" \
  > "$WORK/agent.log" 2>&1 &
AGENT_PID=$!
printf '   waiting for the agent'
ready=0
for _ in $(seq 100); do
  if tapover status --control "$SOCK" >/dev/null 2>&1; then ready=1; break; fi
  if ! kill -0 "$AGENT_PID" 2>/dev/null; then
    echo; cat "$WORK/agent.log" >&2
    die $EX_SOFTWARE "the agent exited during start-up (log above)."
  fi
  printf '.'; sleep 0.2
done
[ $ready -eq 1 ] || die $EX_SOFTWARE "the agent did not answer on $SOCK within 20 s."
echo " ready"
tapover events --control "$SOCK" > "$WORK/events.jsonl" 2>/dev/null &
PIDS+=($!)
tapover status --control "$SOCK" | sed 's/^/   /'

# 4. Traffic and the cable pull ---------------------------------------------------------------------
INTERVAL=${DEMO_PING_INTERVAL:-0.01}
say "The peer pings 192.0.2.1 every ${INTERVAL}s (bounded: 1500 probes); in 3 s we pull the primary cable"
ip netns exec "$PEER_NS" ping -D -O -i "$INTERVAL" -c 1500 -W 1 192.0.2.1 > "$WORK/ping.txt" 2>&1 &
PING_PID=$!
PIDS+=("$PING_PID")
sleep 3
T_PULL=$(now)
"$ROOT/scripts/lab.sh" cable primary down
note "cable pulled at $(date -d "@$T_PULL" +%T.%3N)"
printf '   '; for _ in 1 2 3 4 5 6; do printf '.'; sleep 0.5; done; echo
tapover status --control "$SOCK" | sed 's/^/   /'

say "Plugging the primary back in (failback policy: always)"
T_PLUG=$(now)
"$ROOT/scripts/lab.sh" cable primary up
sleep 3
tapover status --control "$SOCK" | sed 's/^/   /'
printf '   letting the ping finish'
while kill -0 "$PING_PID" 2>/dev/null; do printf '.'; sleep 0.5; done; echo
sleep 1
for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
sleep 1

# 5. What happened ----------------------------------------------------------------------------------
say "Timeline (agent events, standby-wire capture, peer's pings)"
cp "$WORK/bridge.pcap" "$OUT/demo.pcap"
cp "$WORK/events.jsonl" "$OUT/demo-events.jsonl"
/usr/bin/python3 "$ROOT/scripts/lib/timeline.py" --pull "$T_PULL" --plug "$T_PLUG" --events "$WORK/events.jsonl" \
  --ping "$WORK/ping.txt" --standby-pcap "$WORK/standby.pcap" --png "$OUT/demo-timeline.png" | sed 's/^/   /'
LOST=$(/usr/bin/python3 "$ROOT/scripts/lib/timeline.py" --ping "$WORK/ping.txt" --lost-only)

say "The announcements as Wireshark's dissectors see them"
note "tshark -r demo.pcap -Y 'arp.isgratuitous || icmpv6.type == 136 || arp.opcode == 3'"
tshark -r "$OUT/demo.pcap" -Y 'arp.isgratuitous || icmpv6.type == 136 || arp.opcode == 3' \
  -T fields -E separator=' ' -e frame.time_relative -e eth.src -e eth.dst -e _ws.col.Info 2>/dev/null \
  | head -20 | sed 's/^/   /'

say "Done"
note "pings lost over the failover and the failback: $LOST"
note "Wireshark: $OUT/demo.pcap   plot: $OUT/demo-timeline.png   events: $OUT/demo-events.jsonl"
note "removing the agent (its TAP master goes with it) and the lab..."
[ "$LOST" -le 2 ] || die $EX_SOFTWARE "more pings were lost ($LOST) than a failover should cost; see $OUT/demo-timeline.png"
