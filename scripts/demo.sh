#!/usr/bin/env bash
# The main job: a narrated failover and live update on the netns lab — real TAP master, real cable pull, real GARP frames, decoded.
set -euo pipefail

readonly EX_USAGE=64 EX_UNAVAILABLE=69 EX_SOFTWARE=70 EX_NOPERM=77
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
OUT=${DEMO_OUT:-$PWD}
export LAB_PREFIX=${LAB_PREFIX:-tovd$$}
HOST_NS="${LAB_PREFIX}-host"
SWITCH_NS="${LAB_PREFIX}-switch"
PEER_NS="${LAB_PREFIX}-peer"
SOCK=/run/tapover/${LAB_PREFIX}-fo0.sock
INTERVAL=${DEMO_PING_INTERVAL:-0.01}
PIDS=()
AGENT_PID=
WORK=
RUN_DIR_CREATED=0

usage() {
  cat <<EOF
Usage: sudo scripts/demo.sh

Builds tapover if needed, brings up the netns lab (scripts/lab.sh), starts the agent on it with a TAP
master fo0 (192.0.2.1/24, 2001:db8::1/64) over 'primary' and 'standby', and while the peer pings the
master every ${INTERVAL}s:
  1. pulls the primary cable: the timeline (pull, detection, switch, first announcement, pings lost)
     and the tshark decode of the announcements;
  2. plugs it back (failback);
  3. upgrades the running agent in place (tapover upgrade): the handoff gap, pings sent and lost, the
     master's carrier_changes before and after, the old and the new agent's PID;
then removes everything it created. About a minute once built.

It checks what it shows and exits 70 when a promise is broken: a failover that loses more than 1 probe,
a live update that loses any probe, changes the master's carrier or ifindex, or does not complete.
The failback's count is printed, not checked (see docs/lab.md, "The demo").

Writes to \$DEMO_OUT (default: the current directory), and nothing else outside the repository:
  demo.pcap          what the switch saw (bridge br0), for Wireshark
  demo-timeline.png  probe RTTs and losses against time, with the pull/detect/switch/announce marks
  demo-events.jsonl  the agent's event stream (tapover events)
It installs missing Debian packages with apt-get and, when it builds, fills Maven's cache (~/.m2).

Environment: LAB_PREFIX (default tovd<pid>), DEMO_OUT, DEMO_PING_INTERVAL (default 0.01 s).
Exit codes: 0 ok, 64 usage (or an unwritable DEMO_OUT), 69 something needed is missing, 70 the demo saw
something wrong (a broken promise), 77 not root, 130 interrupted (it cleans up all the same).
EOF
}
case "${1:-}" in
  -h|--help|help) usage; exit 0 ;;
  "") ;;
  *) echo "demo.sh: takes no arguments (see --help)" >&2; exit $EX_USAGE ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: must run as root (it creates namespaces and a TAP): sudo scripts/demo.sh" >&2; exit $EX_NOPERM; }
[ -d "$OUT" ] && [ -w "$OUT" ] || { echo "demo.sh: cannot write to $OUT; run it from a writable directory or set DEMO_OUT." >&2; exit $EX_USAGE; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }
why() { printf '   \033[2m%s\033[0m\n' "$*"; }
die() { local code=$1; shift; echo "demo.sh: $*" >&2; exit "$code"; }
now() { date +%s.%N; }
tapover() { "$ROOT/scripts/tapover" "$@"; }
in_host() { ip netns exec "$HOST_NS" "$@"; }

# wait_until LABEL SECONDS CMD...: prints LABEL and a dot every 0.2 s until CMD succeeds; 1 if it never did.
wait_until() {
  local label=$1 secs=$2 t0=$SECONDS; shift 2
  printf '   %s' "$label"
  until "$@" >/dev/null 2>&1; do
    if [ $((SECONDS - t0)) -ge "$secs" ]; then echo " (no, after ${secs} s)"; return 1; fi
    printf '.'; sleep 0.2
  done
  echo " ${WAIT_OK:-ok} ($((SECONDS - t0)) s)"
}
# dots SECONDS LABEL: a visible pause.
dots() {
  local n; n=$(awk -v s="$1" 'BEGIN { printf "%d", s * 5 }')
  printf '   %s' "$2"; for _ in $(seq "$n"); do printf '.'; sleep 0.2; done; echo
}
# snap: the agent's status document now (one CLI run); get KEY: one value out of the last snap.
snap() { tapover status --control "$SOCK" --json > "$WORK/status.json" 2>/dev/null; }
get() {
  /usr/bin/python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1])); g = d["groups"][0]
    print({"active": g["active"], "failovers": g["failovers"], "pid": d["liveUpdate"]["pid"],
           "generation": d["liveUpdate"]["generation"], "ifindex": g["master"]["ifindex"],
           "reason": (g.get("lastFailover") or {}).get("reason")}[sys.argv[2]])
except (OSError, ValueError, KeyError, IndexError, TypeError):
    print("?")   # no answer from the agent' "$WORK/status.json" "$1"
}
active_is() { snap && [ "$(get active)" = "$1" ]; }
status_line() { snap; note "status: active $(get active), failovers $(get failovers), last reason $(get reason), agent pid $(get pid)"; }
carrier_changes() { in_host cat /sys/class/net/fo0/carrier_changes; }
# stop_ping PID: SIGINT makes ping print its summary; it ends at once.
stop_ping() { kill -INT "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
kv() { sed -n "s/^$1=//p" "$2"; }
# stop_all PID...: SIGTERM, then wait (at most 5 s) until each is gone, children or not (tcpdump is lab.sh's).
stop_all() {
  local pid
  kill "$@" 2>/dev/null || true
  for pid in "$@"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  wait "$@" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  trap - INT TERM
  echo
  note "cleaning up: the agent, the lab, temporary files"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  if [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; then
    kill -TERM "$AGENT_PID"
    printf '   stopping the agent (pid %s; it removes fo0 and restores the links)' "$AGENT_PID"
    for _ in $(seq 50); do kill -0 "$AGENT_PID" 2>/dev/null || break; printf '.'; sleep 0.1; done
    if kill -0 "$AGENT_PID" 2>/dev/null; then kill -KILL "$AGENT_PID"; echo " killed"; else echo " stopped"; fi
  fi
  wait 2>/dev/null
  "$ROOT/scripts/lab.sh" down 2>&1 | sed 's/^/   /'
  rm -f "/run/tapover/${LAB_PREFIX}-fo0.sock" "/run/tapover/${LAB_PREFIX}-fo0.takeover"
  [ "$RUN_DIR_CREATED" -eq 0 ] || rmdir /run/tapover 2>/dev/null
  [ -z "$WORK" ] || rm -rf "$WORK"
  local left=()
  for ns in "$HOST_NS" "$SWITCH_NS" "$PEER_NS"; do [ ! -e "/var/run/netns/$ns" ] || left+=("namespace $ns"); done
  [ -z "$AGENT_PID" ] || ! kill -0 "$AGENT_PID" 2>/dev/null || left+=("process $AGENT_PID")
  if [ ${#left[@]} -eq 0 ]; then
    note "left behind: nothing but the files listed above"
  else
    echo "demo.sh: could not remove: ${left[*]}" >&2
    [ $rc -ne 0 ] || rc=$EX_SOFTWARE
  fi
  [ $rc -eq 0 ] || echo "demo.sh: failed (exit $rc)." >&2
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. What the demo needs ---------------------------------------------------------------------------
say "Checking what the demo needs"
need=()
for p in libpcap0.8 tshark tcpdump iproute2 iputils-ping python3 python3-matplotlib; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
command -v mvn >/dev/null || need+=(maven)
command -v javac >/dev/null || [ -x "${JAVA_HOME:-/nonexistent}/bin/javac" ] || need+=(openjdk-17-jdk-headless)
if [ ${#need[@]} -gt 0 ]; then
  note "installing with apt-get: ${need[*]} (a minute or two)..."
  export DEBIAN_FRONTEND=noninteractive
  { apt-get -o DPkg::Lock::Timeout=300 update -q && \
    apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${need[@]}"; } >/dev/null \
    || die $EX_UNAVAILABLE "apt-get install ${need[*]} failed; install them and run the demo again."
fi
[ -e /dev/net/tun ] || die $EX_UNAVAILABLE "/dev/net/tun is missing; load the tun module (modprobe tun) and run the demo again."
if [ ! -f "$ROOT/agent/target/tapover.jar" ]; then
  note "building tapover (mvn -DskipTests package; a few minutes the first time, Maven downloads to ~/.m2)..."
  (cd "$ROOT" && mvn -q -B -Dstyle.color=never -DskipTests -Dtapover.fuzz.skip=true package) \
    || die $EX_UNAVAILABLE "the build failed; see the Maven output above."
fi
note "ok: $(tapover --version)"
read -r LOAD1 _ < /proc/loadavg
if awk -v l="$LOAD1" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
  note "note: this machine is busy (load average $LOAD1 on $(nproc) CPUs): the agent may wait for a CPU, which"
  note "stretches its timings and can break the failover promise below; the figures say so if it does"
fi
WORK=$(mktemp -d /tmp/tapover-demo.XXXXXX)
[ -d /run/tapover ] || RUN_DIR_CREATED=1

# 2. The lab ----------------------------------------------------------------------------------------
say "Bringing up the lab (three network namespaces, nothing in yours)"
"$ROOT/scripts/lab.sh" up >/dev/null || die $EX_UNAVAILABLE "the lab did not come up (lab.sh's message above)."
note "${HOST_NS}: the agent; lower links 'primary' and 'standby'"
note "${SWITCH_NS}: Linux bridge br0 joining both links and the peer"
note "${PEER_NS}: a Linux host at 192.0.2.2"

# 3. The agent --------------------------------------------------------------------------------------
say "Starting the agent: tapover run --master fo0 --primary primary --standby standby --up-delay 200ms ..."
why "fo0 is a TAP device the agent creates; the host's addresses live on it, and the agent forwards its"
why "frames to whichever lower link is active. The switch learns fo0's MAC on that link's port."
PIDS+=("$(LAB_CAPTURE_BG=1 "$ROOT/scripts/lab.sh" capture bridge "$WORK/bridge.pcap" 120 2>/dev/null)")
PIDS+=("$(LAB_CAPTURE_BG=1 "$ROOT/scripts/lab.sh" capture standby "$WORK/standby.pcap" 120 2>/dev/null)")
# ip netns exec execs the launcher, which execs java: $! is the agent's own PID
ip netns exec "$HOST_NS" "$ROOT/scripts/tapover" run --master fo0 --primary primary --standby standby \
  --up-delay 200ms --address 192.0.2.1/24 --address 2001:db8::1/64 --mac 02:00:5e:00:53:01 --control "$SOCK" \
  > "$WORK/agent.log" 2>&1 &
AGENT_PID=$!
agent_ready() { ! kill -0 "$AGENT_PID" 2>/dev/null || tapover status --control "$SOCK"; }   # answers, or is gone
wait_until "waiting for the agent (a JVM start)" 30 agent_ready \
  || die $EX_SOFTWARE "the agent did not answer on $SOCK within 30 s; its log: $(tail -3 "$WORK/agent.log")"
if ! kill -0 "$AGENT_PID" 2>/dev/null; then
  sed 's/^/   agent: /' "$WORK/agent.log" >&2
  die $EX_SOFTWARE "the agent exited during start-up (its log is above)."
fi
tapover events --control "$SOCK" > "$WORK/events.jsonl" 2>/dev/null &
PIDS+=($!)
tapover status --control "$SOCK" | sed 's/^/   /'

# 4. Failover and failback under traffic -------------------------------------------------------------
say "Failover: the peer pings 192.0.2.1 every ${INTERVAL}s; in 2 s we pull the primary cable"
why "A pulled cable drops the link's carrier. The agent sees it through rtnetlink (and a /sys poll), makes"
why "the standby active and at once sends gratuitous ARP and unsolicited NA from it, so the switch moves"
why "fo0's MAC to the standby's port. Probes that arrive in between are lost: the promise is at most one."
ip netns exec "$PEER_NS" ping -D -O -i "$INTERVAL" -c 6000 -W 1 192.0.2.1 > "$WORK/ping.txt" 2>&1 &
PING_PID=$!
PIDS+=("$PING_PID")
dots 2 "probing"
note "pulling the cable: ip -n $SWITCH_NS link set up-primary down   (= lab.sh cable primary down)"
T_PULL=$(now)
ip -n "$SWITCH_NS" link set up-primary down
T_PULL_DONE=$(now)
wait_until "waiting for the agent to make the standby active" 10 active_is standby \
  || die $EX_SOFTWARE "the agent did not fail over to the standby within 10 s."
dots 1.5 "probing on the standby"
status_line

say "Failback: plugging the primary back in (policy: failback always, up-delay 200ms)"
why "The primary is preferred: once its carrier has been back for the up-delay the agent moves back and"
why "announces again. The delay matters: a switch port does not forward the moment its link comes up (this"
why "bridge needs a few ms, a hardware switch more), and the standby keeps serving until then."
note "plugging it in: ip -n $SWITCH_NS link set up-primary up   (= lab.sh cable primary up)"
T_PLUG=$(now)
ip -n "$SWITCH_NS" link set up-primary up
T_PLUG_DONE=$(now)
wait_until "waiting for the agent to make the primary active again" 10 active_is primary \
  || die $EX_SOFTWARE "the agent did not fail back to the primary within 10 s."
dots 1.5 "probing on the primary"
stop_ping "$PING_PID"
status_line

# 5. What happened ----------------------------------------------------------------------------------
say "Timeline (agent events, standby-wire capture, peer's pings)"
stop_all "${PIDS[@]}"   # captures, monitor, events: their files are complete once they are gone
PIDS=()
cp "$WORK/bridge.pcap" "$OUT/demo.pcap"
cp "$WORK/events.jsonl" "$OUT/demo-events.jsonl"
TL=(/usr/bin/python3 "$ROOT/scripts/lib/timeline.py" --pull "$T_PULL" --plug "$T_PLUG" --ping "$WORK/ping.txt"
    --events "$WORK/events.jsonl" --pull-done "$T_PULL_DONE" --plug-done "$T_PLUG_DONE")
"${TL[@]}" --standby-pcap "$WORK/standby.pcap" --png "$OUT/demo-timeline.png" | sed 's/^/   /'
"${TL[@]}" --summary > "$WORK/failover.kv"
# under sudo, the files belong to the user who asked for them
if [ -n "${SUDO_UID:-}" ]; then
  chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$OUT/demo.pcap" "$OUT/demo-events.jsonl" "$OUT/demo-timeline.png" 2>/dev/null || true
fi
FAILOVER_LOST=$(kv lost_pull "$WORK/failover.kv")
FAILBACK_LOST=$(kv lost_plug "$WORK/failover.kv")
FO_SENT=$(kv sent "$WORK/failover.kv")
FO_LOST=$(kv lost "$WORK/failover.kv")
D2S_PULL=$(kv detect_to_switch_ms_pull "$WORK/failover.kv")

say "The announcements as Wireshark's dissectors see them (the switch's capture, demo.pcap)"
note "tshark -r demo.pcap -Y 'arp.isgratuitous || icmpv6.type == 136 || arp.opcode == 3'"
# one group per burst: the agent's start, the failover, the failback (times from the cable commands)
tshark -r "$OUT/demo.pcap" -Y 'arp.isgratuitous || icmpv6.type == 136 || arp.opcode == 3' \
  -T fields -E separator=/t -e frame.time_epoch -e eth.src -e eth.dst -e _ws.col.Info 2>/dev/null \
  | awk -F'\t' -v pull="$T_PULL" -v plug="$T_PLUG" -f <(cat <<'AWK'
BEGIN { name[0] = "at the agent's start"; name[1] = "failover (ms after the pull started)"
        name[2] = "failback (ms after the plug started)" }
{ p = ($1 < pull) ? 0 : ($1 < plug ? 1 : 2); n[p]++
  if (p == 0 && n[p] == 1) first = $1
  ref = (p == 0) ? first : (p == 1 ? pull : plug)
  if (n[p] <= 4) line[p, n[p]] = sprintf("     %+8.1f  %s > %s  %s", ($1 - ref) * 1000, $2, $3, $4) }
END { for (p = 0; p < 3; p++) {
        printf "   %s: %d frames\n", name[p], n[p]
        for (i = 1; i <= n[p] && i <= 4; i++) print line[p, i]
        if (n[p] > 4) print "     ..." } }
AWK
)
why "Each burst: 5 ARP rounds at 0, 50, 200, 450, 800 ms (QEMU's announce-self schedule) and 3 NA rounds 1 s"
why "apart (RFC 4861) for each IPv6 address. In Wireshark: wireshark -C tapover -r demo.pcap (docs/wireshark.md)"

# 6. Live update under traffic ----------------------------------------------------------------------
say "Live update: tapover upgrade while the peer pings every ${INTERVAL}s"
why "Restarting a failover agent normally costs its master: the TAP goes away with the process, and the"
why "host's addresses and routes with it. 'tapover upgrade' starts the installed build as a successor and"
why "hands it the open TAP and the links' packet sockets; frames that arrive meanwhile wait in the kernel."
snap
OLD_PID=$(get pid)
IFINDEX_BEFORE=$(get ifindex)
CC_BEFORE=$(carrier_changes)
note "before: agent pid $OLD_PID, fo0 ifindex $IFINDEX_BEFORE, fo0 carrier_changes $CC_BEFORE"
ip netns exec "$PEER_NS" ping -D -O -i "$INTERVAL" -c 6000 -W 1 192.0.2.1 > "$WORK/ping-upgrade.txt" 2>&1 &
PING_PID=$!
PIDS+=("$PING_PID")
dots 1 "probing"
tapover upgrade --control "$SOCK" --json > "$WORK/upgrade.json" 2> "$WORK/upgrade.err" &
UPGRADE_PID=$!
upgrade_done() { ! kill -0 "$UPGRADE_PID" 2>/dev/null; }
WAIT_OK=answered wait_until "tapover upgrade: the successor JVM starts, takes the fds, serves" 40 upgrade_done || true
UPGRADE_RC=0; wait "$UPGRADE_PID" || UPGRADE_RC=$?
if [ "$UPGRADE_RC" -ne 0 ]; then
  stop_ping "$PING_PID"
  tail -n 8 "$WORK/agent.log" | sed 's/^/   agent log: /' >&2
  die $EX_SOFTWARE "tapover upgrade failed (exit $UPGRADE_RC): $(cat "$WORK/upgrade.err")"
fi
read -r NEW_PID GAP_MS MESSAGE < <(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); print(d["pid"], d["gapMs"], d["message"])' "$WORK/upgrade.json" 2>/dev/null) \
  || die $EX_SOFTWARE "tapover upgrade answered something unexpected: $(head -c 300 "$WORK/upgrade.json")"
AGENT_PID=$NEW_PID   # the successor is not our child: cleanup stops it by this PID
note "agent: $MESSAGE"
wait_until "waiting for the new agent's control socket" 10 active_is primary \
  || die $EX_SOFTWARE "the new agent (pid $NEW_PID) does not answer on $SOCK."
dots 1 "probing the new agent"
stop_ping "$PING_PID"
/usr/bin/python3 "$ROOT/scripts/lib/timeline.py" --ping "$WORK/ping-upgrade.txt" --summary > "$WORK/upgrade.kv"
UP_SENT=$(kv sent "$WORK/upgrade.kv"); UP_ANSWERED=$(kv answered "$WORK/upgrade.kv")
UP_LOST=$(kv lost "$WORK/upgrade.kv"); UP_MAX=$(kv max_rtt_ms "$WORK/upgrade.kv")
CC_AFTER=$(carrier_changes)
snap
IFINDEX_AFTER=$(get ifindex)
# the old agent is this script's child (ip netns exec execs the launcher, which execs java): reap it
old_gone() { local st; st=$(ps -o stat= -p "$OLD_PID" 2>/dev/null) || return 0; [[ $st == Z* ]]; }
OLD_GONE=no
if wait_until "waiting for the old agent to exit" 10 old_gone; then
  OLD_RC=0; wait "$OLD_PID" 2>/dev/null || OLD_RC=$?
  OLD_GONE="yes, exit $OLD_RC"
fi
note "after:  agent pid $(get pid) (generation $(get generation); old pid $OLD_PID gone: $OLD_GONE), fo0 ifindex $IFINDEX_AFTER, fo0 carrier_changes $CC_AFTER"
note "handoff gap: $GAP_MS ms (the agent's report: from the old agent's last read to the new one's first)"
note "probes: $UP_SENT sent, $UP_ANSWERED answered, $UP_LOST lost; slowest reply $UP_MAX ms (it waited out the gap in a queue)"

# 7. The verdict ------------------------------------------------------------------------------------
say "Done"
note "failover: $FAILOVER_LOST probe(s) lost (promise: at most 1); the agent switched ${D2S_PULL:-?} ms after it saw the carrier go"
note "failback: $FAILBACK_LOST probe(s) lost (shown, not checked); $FO_LOST of $FO_SENT lost over both"
note "live update: $UP_LOST of $UP_SENT probes lost, carrier_changes $CC_BEFORE -> $CC_AFTER, ifindex $IFINDEX_BEFORE -> $IFINDEX_AFTER (promise: 0, unchanged, unchanged)"
note "Wireshark: $OUT/demo.pcap   plot: $OUT/demo-timeline.png   events: $OUT/demo-events.jsonl"
broken=()
if [ "$FAILOVER_LOST" -gt 1 ]; then
  broken+=("the failover lost $FAILOVER_LOST probes (more than 1) with the switch ${D2S_PULL:-?} ms after the carrier loss \
(normally a few ms; a busy CPU stretches it: load average now $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs)")
fi
[ "$UP_LOST" -eq 0 ] || broken+=("the live update lost $UP_LOST probes")
[ "$CC_BEFORE" = "$CC_AFTER" ] || broken+=("the master's carrier changed during the live update ($CC_BEFORE -> $CC_AFTER)")
[ "$IFINDEX_BEFORE" = "$IFINDEX_AFTER" ] || broken+=("the master's ifindex changed ($IFINDEX_BEFORE -> $IFINDEX_AFTER)")
[ "$OLD_GONE" != no ] || broken+=("the old agent (pid $OLD_PID) is still running")
if [ ${#broken[@]} -gt 0 ]; then
  die $EX_SOFTWARE "a promise was broken: $(IFS=';'; echo "${broken[*]}"); see $OUT/demo-timeline.png and the figures above."
fi
note "all promises kept"
