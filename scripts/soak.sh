#!/usr/bin/env bash
# Soak test: lab + agent + bounded continuous ping + periodic cable pulls + status/events clients; prints loss,
# failovers, announcements, fds, threads and RSS per minute; removes everything it made, also on failure or ^C.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: sudo scripts/soak.sh [MINUTES]        (default 10)

Builds a netns lab (scripts/lab.sh, prefix tovsoak<pid>), runs the agent in its host namespace and, for
MINUTES minutes: the peer pings the master every 10 ms (one bounded ping per minute), the primary's cable
is pulled every SOAK_PULL_EVERY seconds for SOAK_PULL_HOLD seconds, a status client asks every
SOAK_STATUS_EVERY seconds (latency measured) and an events client listens for 5 s of every 20 s. One line
per minute: probes lost, failovers, announcement triggers, status latency, fds, threads, RSS of the agent.
At the end the agent is stopped with SIGTERM (it must exit 0) and the lab is deleted.

Environment: SOAK_PULL_EVERY (default 5), SOAK_PULL_HOLD (default 1), SOAK_STATUS_EVERY (default 2),
LAB_PREFIX (default tovsoak<pid>). For ~10,000 failovers: SOAK_PULL_EVERY=0.05 SOAK_PULL_HOLD=0.05 with 13
minutes. Exit codes: 0 pass, 1 a check failed, 64 usage, 69 a tool is missing, 77 not root.
EOF
}

case ${1:-} in -h|--help) usage; exit 0 ;; esac
MINUTES=${1:-10}
[[ $MINUTES =~ ^[0-9]+$ ]] && [ "$MINUTES" -ge 1 ] && [ "$MINUTES" -le 1440 ] \
  || { echo "soak: MINUTES must be a whole number from 1 to 1440, got '$MINUTES'" >&2; exit 64; }
[ "$(id -u)" = 0 ] || { echo "soak: run it as root (sudo scripts/soak.sh); it creates network namespaces" >&2; exit 77; }
for tool in ip ping python3; do
  command -v "$tool" >/dev/null || { echo "soak: $tool is missing; install it (iproute2, iputils-ping, python3)" >&2; exit 69; }
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export LAB_PREFIX=${LAB_PREFIX:-tovsoak$$}
P=$LAB_PREFIX
PULL_EVERY=${SOAK_PULL_EVERY:-5}
PULL_HOLD=${SOAK_PULL_HOLD:-1}
STATUS_EVERY=${SOAK_STATUS_EVERY:-2}
WORK=$(mktemp -d /tmp/tapover-soak.XXXXXX)
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
  echo "soak: cleaned up: $left namespace(s) with prefix $P left, work directory removed"
  [ "$rc" = 0 ] && exit "$RESULT"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -f "$ROOT/agent/target/tapover.jar" ]; then
  echo "soak: building the agent (mvn -q -DskipTests package)"
  (cd "$ROOT" && mvn -B -q -DskipTests package)
fi

"$ROOT/scripts/lab.sh" up >/dev/null
ip netns exec "$P-host" "$ROOT/scripts/tapover" run --master fo0 --primary primary --standby standby \
  --address 192.0.2.1/24 --address 2001:db8::1/64 --mac 02:00:5e:00:53:01 --control "$SOCK" \
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
  kill -0 "$AGENT_PID" 2>/dev/null || { echo "soak: the agent exited during start-up:"; cat "$WORK/agent.log"; exit 1; }
  sleep 0.1
done
ip netns exec "$P-host" python3 "$WORK/status.py" "$SOCK" >/dev/null || { echo "soak: the agent is not answering"; exit 1; }

END=$(( $(date +%s) + MINUTES * 60 ))
fds() { ls "/proc/$AGENT_PID/fd" | wc -l; }
proc() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$AGENT_PID/status"; }

# Cable pulls, bounded by END.
( while [ "$(date +%s)" -lt "$END" ]; do
    sleep "$PULL_EVERY"
    ip -n "$P-switch" link set up-primary down; sleep "$PULL_HOLD"; ip -n "$P-switch" link set up-primary up
  done ) >/dev/null 2>&1 &
BG_PIDS+=($!)
# Status client (latency per request into a file), bounded by END.
( while [ "$(date +%s)" -lt "$END" ]; do
    ip netns exec "$P-host" python3 "$WORK/status.py" "$SOCK" >>"$WORK/status.txt" 2>>"$WORK/status.err" || echo "FAIL" >>"$WORK/status.txt"
    sleep "$STATUS_EVERY"
  done ) &
BG_PIDS+=($!)
# Events client: listens 5 s of every 20 s, bounded by END.
( while [ "$(date +%s)" -lt "$END" ]; do
    ip netns exec "$P-host" python3 "$WORK/events.py" "$SOCK" 5 >>"$WORK/events.txt" 2>&1 || echo "FAIL" >>"$WORK/events.txt"
    sleep 15
  done ) &
BG_PIDS+=($!)

FD0=$(fds); RSS0=$(proc VmRSS); TH0=$(proc Threads)
echo "soak: $MINUTES min, agent pid $AGENT_PID, cable pull every ${PULL_EVERY}s for ${PULL_HOLD}s, status every ${STATUS_EVERY}s"
printf '%-6s %8s %7s %7s %10s %10s %14s %5s %7s %9s\n' minute probes lost loss% failovers triggers status-max-ms fds threads rss-kib
TOTAL_SENT=0; TOTAL_RECV=0; FAILED=0
for minute in $(seq "$MINUTES"); do
  left=$(( END - $(date +%s) )); [ "$left" -gt 60 ] && left=60; [ "$left" -lt 1 ] && left=1
  : >"$WORK/status.txt"
  out=$(ip netns exec "$P-peer" ping -q -n -i 0.01 -W 1 -w "$left" 192.0.2.1 2>&1 || true)
  sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out"); sent=${sent:-0}
  recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out"); recv=${recv:-0}
  TOTAL_SENT=$((TOTAL_SENT + sent)); TOTAL_RECV=$((TOTAL_RECV + recv))
  kill -0 "$AGENT_PID" 2>/dev/null || { echo "soak: the agent died:"; tail -20 "$WORK/agent.log"; exit 1; }
  read -r _ failovers triggers _ _ < <(ip netns exec "$P-host" python3 "$WORK/status.py" "$SOCK")
  smax=$(awk '$1 != "FAIL" && $1 > m {m = $1} END {printf "%.1f", m + 0}' "$WORK/status.txt")
  sfail=$(grep -c FAIL "$WORK/status.txt" || true); FAILED=$((FAILED + sfail))
  printf '%-6s %8s %7s %7s %10s %10s %14s %5s %7s %9s\n' "$minute" "$sent" $((sent - recv)) \
    "$(awk -v s="$sent" -v r="$recv" 'BEGIN {printf "%.2f", s ? 100 * (s - r) / s : 0}')" "$failovers" "$triggers" \
    "$smax" "$(fds)" "$(proc Threads)" "$(proc VmRSS)"
done

for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
BG_PIDS=()
ip -n "$P-switch" link set up-primary up
sleep 3
read -r _ failovers triggers sent_frames active < <(ip netns exec "$P-host" python3 "$WORK/status.py" "$SOCK")
FD1=$(fds); RSS1=$(proc VmRSS); TH1=$(proc Threads)
EVENTS=$(awk '$1 != "FAIL" {n += $1} END {print n + 0}' "$WORK/events.txt")
EFAIL=$(grep -c FAIL "$WORK/events.txt" || true)
kill -TERM "$AGENT_PID"
code=0; wait "$AGENT_PID" || code=$?
AGENT_PID=

echo "soak: probes $TOTAL_SENT, lost $((TOTAL_SENT - TOTAL_RECV)); failovers $failovers; announcement triggers $triggers" \
  "($sent_frames frames); final active $active; events received $EVENTS; status failures $FAILED; events failures $EFAIL"
echo "soak: fds $FD0 -> $FD1, threads $TH0 -> $TH1, RSS $RSS0 -> $RSS1 KiB; agent exit on SIGTERM: $code"
RESULT=0
[ "$code" = 0 ] || { echo "soak: FAIL: the agent exited $code on SIGTERM"; RESULT=1; }
[ "$active" = primary ] || { echo "soak: FAIL: the agent ended on $active, not primary"; RESULT=1; }
[ "$FAILED" = 0 ] && [ "$EFAIL" = 0 ] || { echo "soak: FAIL: control clients failed"; RESULT=1; }
[ "$FD1" -le $((FD0 + 2)) ] || { echo "soak: FAIL: fds grew $FD0 -> $FD1"; RESULT=1; }
[ "$TH1" -le $((TH0 + 2)) ] || { echo "soak: FAIL: threads grew $TH0 -> $TH1"; RESULT=1; }
[ "$triggers" -ge "$failovers" ] || { echo "soak: FAIL: $failovers failovers but $triggers announcement triggers"; RESULT=1; }
[ "$RESULT" = 0 ] && echo "soak: PASS" || echo "soak: FAIL"
