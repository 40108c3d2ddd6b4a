#!/usr/bin/env bash
# Soak test: lab + agent + bounded continuous ping + periodic cable pulls + status/events clients + a wire capture; prints loss, failovers, announcements, fds, threads, heap after a full GC and RSS per minute; removes everything it made, also on failure or ^C.
set -euo pipefail

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

usage() {
  cat <<EOF
Usage: sudo scripts/bench/soak.sh [MINUTES]        (default 10; the time limit of the run)

Builds a netns lab (scripts/lab.sh, prefix tovbsoak<pid>), runs the agent in its host namespace and, for
at most MINUTES minutes: the peer pings the master every 10 ms (one bounded ping per minute), the
primary's cable is pulled every SOAK_PULL_EVERY seconds for SOAK_PULL_HOLD seconds, a status client asks
every SOAK_STATUS_EVERY seconds (latency measured), an events client listens for 5 s of every 20 s, and
the switch's bridge captures the master's gratuitous ARPs (every announcement on the wire, counted
independently of the agent). With SOAK_FAILOVERS=N the pulls stop once the agent has counted N
failovers (the run then ends at the end of that minute). One line per minute: probes lost, failovers,
announcement triggers, status latency, fds, threads, heap after a full GC (jcmd GC.run), RSS.
At the end the agent is stopped with SIGTERM (it must exit 0) and the lab is deleted.

Checks (exit 1 if one fails): agent exit 0 on SIGTERM; final active link primary; no control client
failure; fds and threads at most +2 over the level after minute 1; heap after a full GC at most +8 MiB
over the level after minute 1; at least one announcement trigger per failover and at least one
gratuitous ARP on the wire per failover; SOAK_FAILOVERS reached, if set.

Environment: SOAK_FAILOVERS (default none), SOAK_PULL_EVERY (default 5), SOAK_PULL_HOLD (default 1),
SOAK_STATUS_EVERY (default 2), LAB_PREFIX (default tovbsoak<pid>).
10,000 failovers: sudo SOAK_FAILOVERS=10000 SOAK_PULL_EVERY=0.05 SOAK_PULL_HOLD=0.05 scripts/bench/soak.sh 40
(13 failovers/s on a quiet 2-core VM, 6.7/s at load 5-19: 13 to 26 minutes). It is long:
scripts/bench/all.sh does not run it.
Prints RESULT lines (soak.failovers, soak.announce_triggers, soak.wire_garps, soak.loss_pct,
soak.status_max_ms, soak.fds_delta, soak.threads_delta, soak.heap_delta_kib, soak.pass).
Exit codes: 0 pass, 1 a check failed, 64 usage, 69 a tool is missing, 77 not root.
EOF
}

case ${1:-} in -h|--help) usage; exit 0 ;; esac
MINUTES=${1:-10}
[[ $MINUTES =~ ^[0-9]+$ ]] && [ "$MINUTES" -ge 1 ] && [ "$MINUTES" -le 1440 ] \
  || usage_error "MINUTES must be a whole number from 1 to 1440, got '$MINUTES'"
TARGET=${SOAK_FAILOVERS:-0}
[[ $TARGET =~ ^[0-9]+$ ]] || usage_error "SOAK_FAILOVERS must be a whole number, got '$TARGET'"
need_root
need_tool ip ping python3 tcpdump jcmd

ROOT=$BENCH_ROOT
export LAB_PREFIX=${LAB_PREFIX:-tovbsoak$$}
P=$LAB_PREFIX
MAC=02:00:5e:00:53:01
PULL_EVERY=${SOAK_PULL_EVERY:-5}
PULL_HOLD=${SOAK_PULL_HOLD:-1}
STATUS_EVERY=${SOAK_STATUS_EVERY:-2}
WORK=$(mktemp -d /tmp/tovb-soak.XXXXXX)
SOCK=$WORK/fo0.sock
AGENT_PID=
BG_PIDS=()
RESULT=1

cleanup() {
  local rc=$?
  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; then
    kill -TERM "$AGENT_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$AGENT_PID" 2>/dev/null || true
  fi
  "$ROOT/scripts/lab.sh" down >/dev/null 2>&1 || true
  local left
  left=$(ip netns list | grep -c "^$P-" || true)
  rm -rf "$WORK"
  note "cleaned up: $left namespace(s) with prefix $P left, work directory removed"
  [ "$rc" = 0 ] && exit "$RESULT"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -f "$ROOT/agent/target/tapover.jar" ]; then
  build_if_stale
fi

"$ROOT/scripts/lab.sh" up >/dev/null
# The agent's own JDK runs jcmd (attach needs the same JVM version).
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
JAVA_BIN=$(readlink -f "$(command -v "$JAVA")")
JCMD=$(dirname "$JAVA_BIN")/jcmd
[ -x "$JCMD" ] || JCMD=$(command -v jcmd)
ip netns exec "$P-host" "$ROOT/scripts/tapover" run --master fo0 --primary primary --standby standby \
  --address 192.0.2.1/24 --address 2001:db8::1/64 --mac "$MAC" --control "$SOCK" \
  >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!

# One control-socket request in Python (no JVM per call): prints "LATENCY_MS FAILOVERS TRIGGERS SENT ACTIVE".
cat >"$WORK/status.py" <<'EOF'
import json, socket, sys, time
t = time.monotonic()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(b'{"v":1,"id":"soak","cmd":"status"}\n')
buf = b''
while not buf.endswith(b'\n'):
    chunk = s.recv(65536)
    if not chunk: break
    buf += chunk
ms = (time.monotonic() - t) * 1000
g = json.loads(buf)["result"]["groups"][0]
a = g.get("announcements") or {}
print("%.1f %d %d %d %s" % (ms, g["failovers"], a.get("bursts", 0), a.get("sentTotal", 0), g["active"]))
EOF
cat >"$WORK/events.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(1); s.connect(sys.argv[1])
s.sendall(b'{"v":1,"id":"soak-events","cmd":"events"}\n')
end, n, buf = time.monotonic() + float(sys.argv[2]), 0, b''
while time.monotonic() < end:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        continue
    if not chunk: break
    n += chunk.count(b'\n')
print(n)
EOF

for _ in $(seq 300); do
  ip netns exec "$P-host" python3 "$WORK/status.py" "$SOCK" >/dev/null 2>&1 && break
  kill -0 "$AGENT_PID" 2>/dev/null || { note "the agent exited during start-up:"; cat "$WORK/agent.log" >&2; exit 1; }
  sleep 0.1
done
ip netns exec "$P-host" python3 "$WORK/status.py" "$SOCK" >/dev/null || { note "the agent is not answering"; exit 1; }

START=$(date +%s)
END=$(( START + MINUTES * 60 ))
fds() { ls "/proc/$AGENT_PID/fd" | wc -l; }
proc() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$AGENT_PID/status"; }
# Heap in use after a full GC, KiB (what a leak would grow).
heap() {
  "$JCMD" "$AGENT_PID" GC.run >/dev/null
  "$JCMD" "$AGENT_PID" GC.heap_info | sed -n 's/.*heap *total [0-9]*K, used \([0-9]*\)K.*/\1/p' | head -1
}
status() { ip netns exec "$P-host" python3 "$WORK/status.py" "$SOCK"; }

# Gratuitous ARPs from the master's MAC on the bridge (sender IP = target IP), bounded by the time limit.
ip netns exec "$P-switch" timeout $(( MINUTES * 60 + 120 )) tcpdump -i br0 -nn -U -s 96 -w "$WORK/wire.pcap" \
  "ether src $MAC and arp and arp[14:4] = arp[24:4]" 2>"$WORK/tcpdump.err" &
BG_PIDS+=($!)
TCPDUMP_PID=$!
for _ in $(seq 50); do grep -q listening "$WORK/tcpdump.err" 2>/dev/null && break; sleep 0.1; done

# Cable pulls, bounded by END, and by SOAK_FAILOVERS (checked every 20 pulls).
( n=0
  while [ "$(date +%s)" -lt "$END" ] && [ ! -e "$WORK/stop" ]; do
    sleep "$PULL_EVERY"
    ip -n "$P-switch" link set up-primary down; sleep "$PULL_HOLD"; ip -n "$P-switch" link set up-primary up
    n=$((n + 1))
    if [ "$TARGET" -gt 0 ] && [ $((n % 20)) = 0 ]; then
      read -r _ f _ _ _ < <(status) || continue
      [ "$f" -lt "$TARGET" ] || { echo "$f $(date +%s)" >"$WORK/stop"; break; }
    fi
  done ) >/dev/null 2>&1 &
BG_PIDS+=($!)
# Status client (latency per request into a file), bounded by END.
( while [ "$(date +%s)" -lt "$END" ] && [ ! -e "$WORK/done" ]; do
    status >>"$WORK/status.txt" 2>>"$WORK/status.err" || echo "FAIL" >>"$WORK/status.txt"
    sleep "$STATUS_EVERY"
  done ) &
BG_PIDS+=($!)
# Events client: listens 5 s of every 20 s, bounded by END.
( while [ "$(date +%s)" -lt "$END" ] && [ ! -e "$WORK/done" ]; do
    ip netns exec "$P-host" python3 "$WORK/events.py" "$SOCK" 5 >>"$WORK/events.txt" 2>&1 || echo "FAIL" >>"$WORK/events.txt"
    sleep 15
  done ) &
BG_PIDS+=($!)

FD0=$(fds); RSS0=$(proc VmRSS); TH0=$(proc Threads); HEAP0=$(heap)
note "at most $MINUTES min$([ "$TARGET" = 0 ] || echo " or $TARGET failovers"), agent pid $AGENT_PID, cable pull every ${PULL_EVERY}s for ${PULL_HOLD}s, status every ${STATUS_EVERY}s"
note "start: fds $FD0, threads $TH0, heap after full GC $HEAP0 KiB, RSS $RSS0 KiB"
printf '%-6s %8s %7s %7s %10s %10s %14s %5s %7s %9s %9s\n' minute probes lost loss% failovers triggers status-max-ms fds threads heap-kib rss-kib
TOTAL_SENT=0; TOTAL_RECV=0; FAILED=0; SMAX=0
for minute in $(seq "$MINUTES"); do
  left=$(( END - $(date +%s) )); [ "$left" -gt 60 ] && left=60; [ "$left" -lt 1 ] && left=1
  : >"$WORK/status.txt"
  out=$(ip netns exec "$P-peer" ping -q -n -i 0.01 -W 1 -w "$left" 192.0.2.1 2>&1 || true)
  sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out"); sent=${sent:-0}
  recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out"); recv=${recv:-0}
  TOTAL_SENT=$((TOTAL_SENT + sent)); TOTAL_RECV=$((TOTAL_RECV + recv))
  kill -0 "$AGENT_PID" 2>/dev/null || { note "the agent died:"; tail -20 "$WORK/agent.log" >&2; exit 1; }
  read -r _ failovers triggers _ _ < <(status)
  smax=$(awk '$1 != "FAIL" && $1 > m {m = $1} END {printf "%.1f", m + 0}' "$WORK/status.txt")
  SMAX=$(awk -v a="$SMAX" -v b="$smax" 'BEGIN {print (b > a ? b : a)}')
  sfail=$(grep -c FAIL "$WORK/status.txt" || true); FAILED=$((FAILED + sfail))
  h=$(heap)
  # The level after minute 1 (warm JIT, pools and buffers sized) is what later minutes are compared with.
  if [ "$minute" = 1 ]; then FDW=$(fds); THW=$(proc Threads); HEAPW=$h; fi
  printf '%-6s %8s %7s %7s %10s %10s %14s %5s %7s %9s %9s\n' "$minute" "$sent" $((sent - recv)) \
    "$(awk -v s="$sent" -v r="$recv" 'BEGIN {printf "%.2f", s ? 100 * (s - r) / s : 0}')" "$failovers" "$triggers" \
    "$smax" "$(fds)" "$(proc Threads)" "$h" "$(proc VmRSS)"
  [ -e "$WORK/stop" ] && break
  [ "$(date +%s)" -lt "$END" ] || break
done

touch "$WORK/done"
for pid in "${BG_PIDS[@]}"; do [ "$pid" = "$TCPDUMP_PID" ] || wait "$pid" 2>/dev/null || true; done
ip -n "$P-switch" link set up-primary up
sleep 3
read -r _ failovers triggers sent_frames active < <(status)
FD1=$(fds); RSS1=$(proc VmRSS); TH1=$(proc Threads); HEAP1=$(heap)
EVENTS=$(awk '$1 != "FAIL" {n += $1} END {print n + 0}' "$WORK/events.txt")
EFAIL=$(grep -c FAIL "$WORK/events.txt" || true)
kill -TERM "$AGENT_PID"
code=0; wait "$AGENT_PID" || code=$?
AGENT_PID=
sleep 1
kill -INT "$TCPDUMP_PID" 2>/dev/null || true
wait "$TCPDUMP_PID" 2>/dev/null || true
BG_PIDS=()
WIRE=$(tcpdump -nn -r "$WORK/wire.pcap" 2>/dev/null | wc -l)
DROPPED=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$WORK/tcpdump.err"); DROPPED=${DROPPED:-?}
ELAPSED=$(( $(date +%s) - START ))
REACHED=
if [ -e "$WORK/stop" ]; then read -r f t <"$WORK/stop"; REACHED="; the pulls stopped at $f failovers after $((t - START)) s"; fi
LOSS=$(awk -v s="$TOTAL_SENT" -v r="$TOTAL_RECV" 'BEGIN {printf "%.2f", s ? 100 * (s - r) / s : 0}')

echo "soak: $ELAPSED s$REACHED; probes $TOTAL_SENT, lost $((TOTAL_SENT - TOTAL_RECV)); failovers $failovers; announcement triggers $triggers" \
  "($sent_frames frames sent); gratuitous ARPs on the wire $WIRE (capture dropped $DROPPED); final active $active;" \
  "events received $EVENTS; status failures $FAILED; events failures $EFAIL"
echo "soak: fds $FD0 -> $FDW -> $FD1, threads $TH0 -> $THW -> $TH1, heap after full GC $HEAP0 -> $HEAPW -> $HEAP1 KiB" \
  "(start -> after minute 1 -> end), RSS $RSS0 -> $RSS1 KiB; agent exit on SIGTERM: $code"
RESULT=0
fail() { echo "soak: FAIL: $*"; RESULT=1; }
[ "$code" = 0 ] || fail "the agent exited $code on SIGTERM"
[ "$active" = primary ] || fail "the agent ended on $active, not primary"
[ "$FAILED" = 0 ] && [ "$EFAIL" = 0 ] || fail "control clients failed"
[ "$FD1" -le $((FDW + 2)) ] || fail "fds grew $FDW -> $FD1"
[ "$TH1" -le $((THW + 2)) ] || fail "threads grew $THW -> $TH1"
[ "$HEAP1" -le $((HEAPW + 8192)) ] || fail "heap after a full GC grew $HEAPW -> $HEAP1 KiB"
[ "$triggers" -ge "$failovers" ] || fail "$failovers failovers but $triggers announcement triggers"
[ "$WIRE" -ge "$failovers" ] || fail "$failovers failovers but $WIRE gratuitous ARPs on the wire"
[ "$TARGET" = 0 ] || [ "$failovers" -ge "$TARGET" ] || fail "$failovers failovers, fewer than SOAK_FAILOVERS=$TARGET (raise MINUTES)"
echo "RESULT soak.failovers=$failovers unit=count seconds=$ELAPSED label=\"failovers the agent counted\""
echo "RESULT soak.announce_triggers=$triggers unit=count frames=$sent_frames"
echo "RESULT soak.wire_garps=$WIRE unit=count label=\"gratuitous ARPs from the master's MAC captured on the bridge\""
echo "RESULT soak.loss_pct=$LOSS unit=% n=$TOTAL_SENT label=\"peer pings (10 ms) lost, cable pulls included\""
echo "RESULT soak.status_max_ms=$SMAX unit=ms"
echo "RESULT soak.fds_delta=$((FD1 - FDW)) unit=count from=$FDW to=$FD1"
echo "RESULT soak.threads_delta=$((TH1 - THW)) unit=count from=$THW to=$TH1"
echo "RESULT soak.heap_delta_kib=$((HEAP1 - HEAPW)) unit=KiB from=$HEAPW to=$HEAP1 label=\"heap after a full GC, end minus after minute 1\""
echo "RESULT soak.pass=$((1 - RESULT)) unit=bool"
[ "$RESULT" = 0 ] && echo "soak: PASS" || echo "soak: FAIL"
