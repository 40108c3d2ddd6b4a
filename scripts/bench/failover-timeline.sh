#!/usr/bin/env bash
# Records one failover as a timeline: probe RTTs and losses at 500 pps across a cable pull and plug, with the pull, detection, switch and first-announcement marks, and plots it.
set -euo pipefail

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

MAC=02:00:5e:00:53:01
PULL_AT=${PULL_AT:-1.0}      # seconds after the pings start
PLUG_AFTER=${PLUG_AFTER:-1.0} # seconds after the pull
TAIL=${TAIL:-0.8}            # seconds of pings after the plug

usage() {
  cat <<EOF
Usage: sudo $PROG [-h]

One failover, recorded as a timeline. On a scripts/lab.sh lab (LAB_PREFIX=tovbtl<pid>) the agent runs
on the host (tapover run --master fo0 --primary primary --standby standby --address 192.0.2.1/24); the
peer pings it at 500 pps; ${PULL_AT} s in, scripts/bench/lib/cable.py pulls the primary cable (the
switch-side veth down, one rtnetlink request, timed on CLOCK_REALTIME), and ${PLUG_AFTER} s later plugs it
back. One tcpdump in the switch (nanosecond timestamps, same clock) sees every echo request from the
peer, every reply from the master and every gratuitous ARP, on the port it came in on.

Prints the probes (answered, lost, RTT at the switch), per change the time from the change to the
agent's carrier event (detection), to its active-changed event (switch; the agent logs millisecond
stamps) and to the first gratuitous ARP on the new active link's port, with the probes lost around it,
and RESULT lines (failover-timeline.*). Writes failover-timeline.png (the whole run and a -10..+40 ms
zoom around each change) into \$BENCH_OUT_DIR (else a temporary directory, printed at the end).
About 20 s. The lab is removed on every exit.

Environment: PULL_AT (default 1.0 s), PLUG_AFTER (default 1.0 s), TAIL (default 0.8 s).
Exit codes: 0 ok, 64 usage, 69 a tool is missing, 70 a step failed, 77 not root.
EOF
}

case ${1:-} in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) usage_error "unknown argument '$1'" ;;
esac
for v in "$PULL_AT" "$PLUG_AFTER" "$TAIL"; do
  [[ $v =~ ^[0-9]{1,2}(\.[0-9]{1,3})?$ ]] || usage_error "PULL_AT, PLUG_AFTER and TAIL must be seconds (e.g. 1.0), got '$v'"
done
need_root
need_tool ip tcpdump ping timeout java
PYTHON=$(bench_python)
build_if_stale

export LAB_PREFIX=tovbtl$$
H=$LAB_PREFIX-host S=$LAB_PREFIX-switch R=$LAB_PREFIX-peer
if [ -n "${BENCH_OUT_DIR:-}" ]; then W=$BENCH_OUT_DIR/timeline; mkdir -p "$W"; else W=$(mktemp -d /tmp/tovb-timeline.XXXXXX); fi
PIDS=()
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  "$BENCH_ROOT/scripts/lab.sh" down >/dev/null 2>&1 || note "could not remove the lab; run: sudo LAB_PREFIX=$LAB_PREFIX scripts/lab.sh down"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$BENCH_ROOT/scripts/lab.sh" up >/dev/null
note "lab $LAB_PREFIX up; starting the agent"
ip netns exec "$H" "$BENCH_ROOT/scripts/tapover" run --master fo0 --primary primary --standby standby \
  --address 192.0.2.1/24 --mac "$MAC" --control "$W/fo0.sock" >"$W/agent.log" 2>&1 &
AGENT=$!; PIDS+=("$AGENT")
for _ in $(seq 600); do
  grep -qs "event=ready" "$W/agent.log" && break
  kill -0 "$AGENT" 2>/dev/null || break
  sleep 0.1
done
grep -qs "event=ready" "$W/agent.log" || die "$EX_SOFTWARE" "the agent did not start: $(tail -3 "$W/agent.log")"
sleep 2   # let the start-up announcements and compilation pass
ip netns exec "$R" ping -q -c 3 -i 0.1 -W 1 192.0.2.1 >/dev/null || die "$EX_SOFTWARE" "the peer cannot reach the master"

ip -n "$S" -o link show 2>/dev/null | sed -n 's/^\([0-9]*\): \([^:@]*\).*/\1 \2/p' >"$W/ifindex.tsv"
ip netns exec "$S" timeout 60 tcpdump -i any -y LINUX_SLL2 -Q in --time-stamp-precision nano -s 128 -U \
  -w "$W/switch.pcap" 'icmp or arp' 2>"$W/tcpdump.err" &
CAP=$!; PIDS+=("$CAP")
for _ in $(seq 50); do grep -q "listening on" "$W/tcpdump.err" && break; sleep 0.1; done
grep -q "listening on" "$W/tcpdump.err" || die "$EX_SOFTWARE" "tcpdump did not start: $(cat "$W/tcpdump.err")"

count=$(awk -v a="$PULL_AT" -v b="$PLUG_AFTER" -v c="$TAIL" 'BEGIN { printf "%d", (a + b + c) * 500 }')
note "pinging at 500 pps ($count probes); pull at ${PULL_AT} s, plug ${PLUG_AFTER} s later"
ip netns exec "$R" timeout 30 ping -q -n -i 0.002 -c "$count" -W 0.3 192.0.2.1 >"$W/ping.out" 2>&1 &
PING=$!; PIDS+=("$PING")
{ sleep "$PULL_AT"; echo "down up-primary pull"; sleep "$PLUG_AFTER"; echo "up up-primary plug"; sleep 0.2; echo quit; } \
  | ip netns exec "$S" timeout 30 "$PYTHON" "$BENCH_LIB/cable.py" veth >"$W/cable.out" 2>"$W/cable.err" \
  || die "$EX_SOFTWARE" "the cable helper failed: $(cat "$W/cable.err")"
wait "$PING" || true
sleep 0.3
kill -INT "$CAP" 2>/dev/null || true
wait "$CAP" 2>/dev/null || true
[ "$(wc -l <"$W/cable.out")" -ge 2 ] || die "$EX_SOFTWARE" "the cable helper did not report both changes: $(cat "$W/cable.out" "$W/cable.err")"

"$PYTHON" "$BENCH_LIB/timeline.py" "$W" --mac "$MAC" --plot "$W/failover-timeline.png"
note "raw data and plot: $W"
