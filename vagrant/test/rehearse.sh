#!/usr/bin/env bash
# Rehearses the Vagrant lab without VMs: each "VM" is a network namespace plus a throwaway filesystem layer, provisioned by the real provision.sh, then a cable pull.
set -euo pipefail

readonly EX_UNAVAILABLE=69 EX_SOFTWARE=70 EX_NOPERM=77

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
VDIR=$(dirname "$HERE")
ROOT=$(dirname "$VDIR")

usage() {
  cat <<EOF
Usage: sudo vagrant/test/rehearse.sh

The closest this project gets to 'vagrant up' on a machine without a hypervisor:

  - three network namespaces: the "agent VM" with two NICs carrying the lab MACs under VM-like
    names (eth1, ens7), the "peer VM" (eth1), and a bridge joining them (the L2 segment)
  - each VM runs vagrant/provision.sh for real, as root, inside a private mount namespace whose
    /usr, /etc, /var and /run are overlays on a tmpfs: everything it installs (scripts/install.sh
    into /usr/bin, /usr/share/tapover, /lib/systemd/system, /etc/tapover ...) vanishes with it
  - systemctl and journalctl are stand-ins: 'start tapover@lab' runs the unit's ExecStart
    (/usr/bin/tapover run \$TAPOVER_ARGS from /etc/tapover/lab.env); tapover-lab-net.service runs
    its ExecStart; apt-get refuses (the packages must already be here)
  - then the peer pings the master (bounded: 400 probes, 10 ms apart) while the "cable" of primary
    is pulled on the segment side and plugged back, with tcpdump on the segment; checks: few
    probes lost, the failover seen in 'tapover status', gratuitous ARP from the master's MAC,
    and no ARP reply for the master's address from any other MAC (ARP flux)

What it cannot show: the VirtualBox and libvirt parts (NIC types, promiscuity, setlinkstate,
domif-setlink), the real systemd sandbox, apt-get in a Debian box, rsync.

Needs root, iproute2, tcpdump, tshark, a Java 17+ runtime, libpcap, and agent/target/tapover.jar.
Leaves nothing behind: namespaces prefixed tovvr<pid>, removed on exit, also on failure.
Exit codes: 0 ok, 69 something needed is missing, 70 a check failed, 77 not root.
EOF
}
case ${1:-} in -h|--help) usage; exit 0 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "rehearse.sh: must run as root (namespaces, mounts)" >&2; exit $EX_NOPERM; }
for t in ip unshare nsenter tcpdump tshark setsid timeout; do
  command -v "$t" >/dev/null 2>&1 || { echo "rehearse.sh: '$t' not found" >&2; exit $EX_UNAVAILABLE; }
done
[ -f "$ROOT/agent/target/tapover.jar" ] || { echo "rehearse.sh: build the jar first: mvn -q -DskipTests package" >&2; exit $EX_UNAVAILABLE; }

# shellcheck source=vagrant/lab.env
. "$VDIR/lab.env"

P=tovvr$$
NS_AGENT=$P-agent NS_SEG=$P-seg NS_PEER=$P-peer
T=$(mktemp -d /tmp/tapover-rehearse.XXXXXX)
AGENT_PID=
CAP_PID=

cleanup() {
  local rc=$? ns
  set +e
  [ -z "$CAP_PID" ] || kill -INT "$CAP_PID" 2>/dev/null
  if [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; then
    kill -TERM "$AGENT_PID"
    for _ in $(seq 50); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$AGENT_PID" 2>/dev/null
  fi
  for ns in "$NS_AGENT" "$NS_SEG" "$NS_PEER"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$T"
  [ "$rc" -eq 0 ] || echo "rehearse.sh: failed (exit $rc); namespaces and files removed" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n==> %s\n' "$*"; }
FAILED=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; FAILED=1; }

# ------------------------------------------------------------------------------------- segment

say "Segment and VMs as namespaces ($P-*)"
for ns in "$NS_AGENT" "$NS_SEG" "$NS_PEER"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$NS_SEG" link add br0 type bridge stp_state 0
ip -n "$NS_SEG" link set br0 type bridge forward_delay 0 mcast_snooping 0
ip -n "$NS_AGENT" link add eth1 address "$AGENT_PRIMARY_MAC" type veth peer name sw-primary netns "$NS_SEG"
ip -n "$NS_AGENT" link add ens7 address "$AGENT_STANDBY_MAC" type veth peer name sw-standby netns "$NS_SEG"
ip -n "$NS_PEER" link add eth1 address "$PEER_MAC" type veth peer name sw-peer netns "$NS_SEG"
for l in br0 sw-primary sw-standby sw-peer; do
  ip netns exec "$NS_SEG" sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1"
done
for l in sw-primary sw-standby sw-peer; do ip -n "$NS_SEG" link set "$l" master br0 up; done
ip -n "$NS_SEG" link set br0 up

# ---------------------------------------------------------------------------------- stand-ins

mkdir -p "$T/stub"
cat >"$T/stub/systemctl" <<'EOF'
#!/bin/bash
# Stand-in for systemctl inside a rehearsal VM: runs the two units the lab provisioning uses.
set -u
S=/run/stub-systemd; mkdir -p "$S"
echo "systemctl $*" >>"$S/log"
quiet=0; args=()
for a in "$@"; do case $a in --quiet|-q|--now|--no-pager|--plain|--all|--no-legend) [ "$a" = --quiet ] && quiet=1 ;; *) args+=("$a") ;; esac; done
verb=${args[0]:-}; unit=${args[1]:-}
agent_alive() { [ -s "$S/tapover.pid" ] && kill -0 "$(cat "$S/tapover.pid")" 2>/dev/null; }
exec_line() { sed -n "s/^$1=//p" /etc/systemd/system/tapover-lab-net.service; }
case "$verb:$unit" in
  daemon-reload:*|enable:*|disable:*|list-units:*) exit 0 ;;
  is-active:tapover-lab-net.service) [ -e "$S/lab-net.active" ] ;;
  is-active:tapover@*) agent_alive ;;
  is-failed:tapover@*) [ -e "$S/tapover.pid" ] && ! agent_alive ;;
  start:tapover-lab-net.service|restart:tapover-lab-net.service)
    $(exec_line ExecStart) && touch "$S/lab-net.active" ;;
  stop:tapover-lab-net.service) $(exec_line ExecStop); rm -f "$S/lab-net.active" ;;
  start:tapover@*|restart:tapover@*)
    if agent_alive; then kill -TERM "$(cat "$S/tapover.pid")"; sleep 2; fi
    inst=${unit#tapover@}; inst=${inst%.service}
    set -a; . "/etc/tapover/$inst.env"; set +a
    # shellcheck disable=SC2086 # as systemd splits $TAPOVER_ARGS
    setsid /usr/bin/tapover run $TAPOVER_ARGS >"$S/tapover.log" 2>&1 </dev/null &
    echo $! >"$S/tapover.pid" ;;
  stop:tapover@*) agent_alive && kill -TERM "$(cat "$S/tapover.pid")"; exit 0 ;;
  *) [ "$quiet" = 1 ] || echo "stub systemctl: $* not handled" >&2; exit 1 ;;
esac
EOF
cat >"$T/stub/journalctl" <<'EOF'
#!/bin/sh
cat /run/stub-systemd/tapover.log 2>/dev/null
EOF
cat >"$T/stub/apt-get" <<'EOF'
#!/bin/sh
echo "stub apt-get: refusing 'apt-get $*' in a rehearsal (install the packages on this machine)" >&2
exit 100
EOF
chmod +x "$T"/stub/*

# vm ROLE NS: provisions one "VM" in its own mount namespace; the agent keeps running there.
vm() {
  local role=$1 ns=$2 layer=$T/layer-$1
  mkdir -p "$layer"
  ip netns exec "$ns" unshare -m --propagation private bash -c '
    set -euo pipefail
    layer=$1 stub=$2 root=$3 role=$4
    mount -t tmpfs tmpfs "$layer"
    for d in usr etc var run; do
      mkdir -p "$layer/$d/up" "$layer/$d/work"
      mount -t overlay overlay -o "lowerdir=/$d,upperdir=$layer/$d/up,workdir=$layer/$d/work" "/$d"
    done
    mkdir -p /run/systemd/system
    PATH=$stub:$PATH TAPOVER_SRC=$root "$root/vagrant/provision.sh" "$role"
  ' rehearse "$layer" "$T/stub" "$ROOT" "$role"
}

say "Provisioning the peer VM (vagrant/provision.sh peer)"
vm peer "$NS_PEER"
say "Provisioning the agent VM (vagrant/provision.sh agent)"
vm agent "$NS_AGENT"

# The agent runs in the agent VM's mount namespace: find it by its pid file there.
AGENT_PID=$(ip netns pids "$NS_AGENT" | while read -r pid; do
  if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" != "" ] && grep -q 'tapover.jar' "/proc/$pid/cmdline" 2>/dev/null; then echo "$pid"; fi
done | head -1)
[ -n "$AGENT_PID" ] || { bad "no agent process in $NS_AGENT"; exit $EX_SOFTWARE; }
in_agent() { nsenter --mount="/proc/$AGENT_PID/ns/mnt" --net="/proc/$AGENT_PID/ns/net" "$@"; }
ok "tapover@lab runs (pid $AGENT_PID): $(tr '\0' ' ' <"/proc/$AGENT_PID/cmdline" | grep -o 'run .*')"

# ------------------------------------------------------------------------------------- failover

say "Failover: the peer pings ${MASTER_V4%/*}; the primary's cable is pulled, then plugged back"
ip netns exec "$NS_SEG" timeout -s INT 20 tcpdump -i br0 -n -U -w "$T/segment.pcap" >"$T/tcpdump.log" 2>&1 &
CAP_PID=$!
for _ in $(seq 50); do grep -q 'listening on' "$T/tcpdump.log" && break; sleep 0.1; done
ip netns exec "$NS_PEER" ping -c 400 -i 0.01 -W 1 "${MASTER_V4%/*}" >"$T/ping.txt" 2>&1 &
PING_PID=$!
sleep 1.5
ip -n "$NS_SEG" link set sw-primary down      # what vagrant/cable.sh primary down does to the NIC
sleep 1.5
in_agent tapover status --master "$MASTER_IF" >"$T/status-pulled.txt" 2>&1 || true
ip -n "$NS_SEG" link set sw-primary up        # cable.sh primary up
wait "$PING_PID" || true
sleep 1.5
in_agent tapover status --master "$MASTER_IF" >"$T/status-after.txt" 2>&1 || true
kill -INT "$CAP_PID" 2>/dev/null || true
wait "$CAP_PID" 2>/dev/null || true
CAP_PID=

sed 's/^/   /' "$T/status-pulled.txt" | head -12
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T/ping.txt")
lost=$((400 - ${received:-0}))
if [ "${received:-0}" -gt 0 ] && [ "$lost" -le 3 ]; then ok "ping: $received of 400 answered, $lost lost over the failover and failback"
else bad "ping: ${received:-0} of 400 answered: $(tail -2 "$T/ping.txt" | tr '\n' ' ')"; fi
if grep -qE '^\s*active\s+standby' "$T/status-pulled.txt"; then ok "with the cable pulled, the active link is standby"
else bad "with the cable pulled, status shows: $(grep -E 'active' "$T/status-pulled.txt" | head -1)"; fi
if grep -qE '^\s*active\s+primary' "$T/status-after.txt"; then ok "after the plug, the active link is primary again (failback)"
else bad "after the plug, status shows: $(grep -E 'active' "$T/status-after.txt" | head -1)"; fi
garp=$(tshark -n -r "$T/segment.pcap" -Y "arp.isgratuitous && eth.src == $MASTER_MAC" 2>/dev/null | wc -l)
if [ "$garp" -ge 2 ]; then ok "segment: $garp gratuitous ARPs from the master's MAC"; else bad "segment: $garp gratuitous ARPs from the master"; fi
flux=$(tshark -n -r "$T/segment.pcap" -Y "arp.src.proto_ipv4 == ${MASTER_V4%/*} && arp.src.hw_mac != $MASTER_MAC" 2>/dev/null | wc -l)
if [ "$flux" -eq 0 ]; then ok "segment: no ARP for ${MASTER_V4%/*} from any other MAC (arp_ignore=1 on the lower links)"
else bad "segment: $flux ARP frames for ${MASTER_V4%/*} from another MAC (ARP flux)"; fi
own=$(tshark -n -r "$T/segment.pcap" -Y "eth.src == $AGENT_PRIMARY_MAC || eth.src == $AGENT_STANDBY_MAC" 2>/dev/null | wc -l)
if [ "$own" -eq 0 ]; then ok "segment: the lower links' own MACs never appear as a source"
else bad "segment: $own frames with a lower link's own MAC as source"; fi

if [ "$FAILED" -ne 0 ]; then echo "rehearse.sh: FAILED"; exit $EX_SOFTWARE; fi
echo "rehearse.sh: all checks passed"
