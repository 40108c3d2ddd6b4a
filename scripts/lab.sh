#!/usr/bin/env bash
# Builds, inspects and tears down the three-namespace lab (host, switch, peer) that the demo, tests and benchmarks share.
set -euo pipefail

readonly EX_USAGE=64 EX_UNAVAILABLE=69 EX_CANTCREAT=73 EX_NOPERM=77

PROG=${0##*/}
P=${LAB_PREFIX:-tov}
NS_HOST="${P}-host"
NS_SWITCH="${P}-switch"
NS_PEER="${P}-peer"
PEER_V4=192.0.2.2/24
PEER_V6=2001:db8::2/64
AGEING_SECONDS=${LAB_AGEING_SECONDS:-300}

usage() {
  cat <<EOF
Usage: $PROG COMMAND [ARGS...]

Network-namespace lab for tapover. Everything lives in three namespaces named
after \$LAB_PREFIX (now: $P); nothing is created in the root namespace.

  ${NS_HOST}    the agent runs here; lower links 'primary' and 'standby' (no addresses,
               IPv6 disabled, addrgenmode none: their own stacks stay silent)
  ${NS_SWITCH}  Linux bridge 'br0' (STP off, forward_delay 0, ageing ${AGEING_SECONDS}s,
               multicast snooping off) joining 'up-primary', 'up-standby', 'to-peer'
  ${NS_PEER}    a plain Linux host: 'eth0' = ${PEER_V4} and ${PEER_V6}

Commands:
  up                        create the lab (exit 0 and say so if it is already up;
                            exit 73 if only part of it exists: run 'down' first)
  down                      kill processes left in the lab namespaces, delete them
  status                    namespaces, links (carrier/operstate), addresses, bridge FDB
  cable primary|standby down|up
                            unplug/plug a cable: sets the switch-side veth down/up,
                            which drops/raises carrier on the host's lower link
  capture WIRE FILE [SECONDS]
                            tcpdump -w FILE (pcap) on WIRE = primary|standby (host ns),
                            peer (peer eth0) or bridge (switch br0), for SECONDS (default 10).
                            With LAB_CAPTURE_BG=1 it returns once the capture is live and
                            prints the capture's PID; 'kill PID' stops it early (the file
                            is flushed). Prefer a .pcap name (Debian's AppArmor profile for
                            tcpdump only lets it write such files).
  exec host|switch|peer CMD...
                            run CMD inside that namespace
  help, --help, -h          this text

Environment:
  LAB_PREFIX           namespace name prefix (default tov; letters, digits, '_', '-', max 24)
  LAB_AGEING_SECONDS   bridge FDB ageing time in seconds (default 300)
  LAB_CAPTURE_BG       1 = run 'capture' in the background

Exit codes: 0 ok, 64 usage, 69 a tool is missing or the lab is not up,
            73 the lab exists only in part, 77 not root.
EOF
}

die() { local code=$1; shift; echo "$PROG: $*" >&2; exit "$code"; }
usage_error() { echo "$PROG: $*" >&2; echo "Try '$PROG --help'." >&2; exit $EX_USAGE; }

need_tool() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || die $EX_UNAVAILABLE "'$t' not found; install it (e.g. apt-get install iproute2 tcpdump coreutils)."
  done
}

need_root() {
  [ "$(id -u)" -eq 0 ] || die $EX_NOPERM "must run as root (network namespaces need CAP_SYS_ADMIN); try: sudo $0 $*"
}

# A named namespace is a file under iproute2's run directory. Looking there is exact, and cheaper than
# 'ip netns list', which queries every namespace on the machine and can print errors about others.
NETNS_DIR=/var/run/netns
ns_exists() { [ -e "$NETNS_DIR/$1" ]; }

lab_count() {
  local n=0 ns
  for ns in "$NS_HOST" "$NS_SWITCH" "$NS_PEER"; do
    if ns_exists "$ns"; then n=$((n + 1)); fi
  done
  echo "$n"
}

require_lab() {
  [ "$(lab_count)" -eq 3 ] || die $EX_UNAVAILABLE "lab '$P' is not up; run: LAB_PREFIX=$P $0 up"
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---------------------------------------------------------------------------------------------- up

cmd_up() {
  [ $# -eq 0 ] || usage_error "'up' takes no arguments"
  case $AGEING_SECONDS in (''|*[!0-9]*|???????*) usage_error "LAB_AGEING_SECONDS must be a whole number of seconds below 1000000" ;; esac
  local have
  have=$(lab_count)
  if [ "$have" -eq 3 ]; then
    echo "lab '$P' is already up (namespaces $NS_HOST, $NS_SWITCH, $NS_PEER); nothing to do"
    return 0
  fi
  if [ "$have" -ne 0 ]; then
    die $EX_CANTCREAT "lab '$P' exists only in part; run: LAB_PREFIX=$P $0 down, then up again"
  fi

  # From here on, a failure removes exactly what this run created.
  CREATED=()
  trap 'up_failed' EXIT
  local ns
  for ns in "$NS_HOST" "$NS_SWITCH" "$NS_PEER"; do
    ip netns add "$ns"
    CREATED+=("$ns")
    ip -n "$ns" link set lo up
  done

  # Switch: a plain learning bridge that forwards at once.
  ip -n "$NS_SWITCH" link add br0 type bridge stp_state 0
  ip -n "$NS_SWITCH" link set br0 type bridge forward_delay 0 ageing_time $((AGEING_SECONDS * 100)) mcast_snooping 0

  # Cables. Each veth pair is created inside a lab namespace with its far end placed directly
  # in another lab namespace, so no device ever exists in the root namespace.
  ip -n "$NS_HOST" link add primary type veth peer name up-primary netns "$NS_SWITCH"
  ip -n "$NS_HOST" link add standby type veth peer name up-standby netns "$NS_SWITCH"
  ip -n "$NS_SWITCH" link add to-peer type veth peer name eth0 netns "$NS_PEER"

  # Host lower links: no addresses, and their own stack stays silent (no RS, DAD, MLD), so
  # nothing but the agent speaks on them.
  local ifc
  for ifc in primary standby; do
    in_ns "$NS_HOST" sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1"
    ip -n "$NS_HOST" link set "$ifc" addrgenmode none
    ip -n "$NS_HOST" link set "$ifc" up
  done

  # Switch: the bridge and its ports carry frames but never originate IPv6 of their own.
  for ifc in br0 up-primary up-standby to-peer; do
    in_ns "$NS_SWITCH" sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1"
    ip -n "$NS_SWITCH" link set "$ifc" addrgenmode none
  done
  for ifc in up-primary up-standby to-peer; do
    ip -n "$NS_SWITCH" link set "$ifc" master br0
    ip -n "$NS_SWITCH" link set "$ifc" up
  done
  ip -n "$NS_SWITCH" link set br0 up

  # Peer: an ordinary Linux host.
  ip -n "$NS_PEER" addr add "$PEER_V4" dev eth0
  ip -n "$NS_PEER" addr add "$PEER_V6" dev eth0 nodad
  ip -n "$NS_PEER" link set eth0 up

  trap - EXIT
  echo "lab '$P' is up: $NS_HOST (primary, standby) -- $NS_SWITCH (br0) -- $NS_PEER (eth0 ${PEER_V4%/*}, ${PEER_V6%/*})"
}

up_failed() {
  local rc=$? ns
  echo "$PROG: 'up' failed (exit $rc); removing what this run created" >&2
  for ns in "${CREATED[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  exit "$rc"
}

# -------------------------------------------------------------------------------------------- down

kill_ns_pids() {
  local ns=$1 pids _
  pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ') || true
  [ -n "${pids// /}" ] || return 0
  echo "stopping processes left in $ns: $pids"
  # shellcheck disable=SC2086 # a list of PIDs
  kill -TERM $pids 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ') || true
    [ -n "${pids// /}" ] || return 0
    sleep 0.2
  done
  echo "killing processes still in $ns: $pids"
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  sleep 0.1
}

cmd_down() {
  [ $# -eq 0 ] || usage_error "'down' takes no arguments"
  local ns any=0
  for ns in "$NS_PEER" "$NS_SWITCH" "$NS_HOST"; do
    if ns_exists "$ns"; then
      any=1
      kill_ns_pids "$ns"
      ip netns del "$ns"
    fi
  done
  rm -f "/tmp/${P}-capture-"*.log
  if [ "$any" -eq 1 ]; then echo "lab '$P' is down"; else echo "lab '$P' was not up; nothing to do"; fi
}

# ------------------------------------------------------------------------------------------ status

cmd_status() {
  [ $# -eq 0 ] || usage_error "'status' takes no arguments"
  local ns have
  have=$(lab_count)
  echo "== lab '$P': $have of 3 namespaces present"
  for ns in "$NS_HOST" "$NS_SWITCH" "$NS_PEER"; do
    if ns_exists "$ns"; then echo "   $ns"; else echo "   $ns (missing)"; fi
  done
  [ "$have" -gt 0 ] || die $EX_UNAVAILABLE "lab '$P' is not up"
  for ns in "$NS_HOST" "$NS_SWITCH" "$NS_PEER"; do
    ns_exists "$ns" || continue
    echo
    echo "== $ns: links"
    ip -n "$ns" -br link
    echo "== $ns: addresses"
    ip -n "$ns" -br addr
  done
  if ns_exists "$NS_HOST"; then
    echo
    echo "== $NS_HOST: lower links (carrier from sysfs)"
    local ifc carrier oper
    for ifc in primary standby; do
      carrier=$(in_ns "$NS_HOST" cat "/sys/class/net/$ifc/carrier" 2>/dev/null || echo "?")
      oper=$(in_ns "$NS_HOST" cat "/sys/class/net/$ifc/operstate" 2>/dev/null || echo "?")
      printf '   %-8s carrier=%s operstate=%s\n' "$ifc" "$carrier" "$oper"
    done
  fi
  if ns_exists "$NS_SWITCH"; then
    echo
    echo "== $NS_SWITCH: bridge br0 learned (dynamic) FDB entries"
    bridge -n "$NS_SWITCH" fdb show br br0 | grep -vE 'permanent|static' || echo "   (none)"
  fi
  [ "$have" -eq 3 ] || die $EX_CANTCREAT "lab '$P' exists only in part; run: LAB_PREFIX=$P $0 down"
}

# ------------------------------------------------------------------------------------------- cable

cmd_cable() {
  [ $# -eq 2 ] || usage_error "usage: $PROG cable primary|standby down|up"
  local link=$1 state=$2
  case $link in primary|standby) ;; *) usage_error "cable: unknown link '$link' (primary or standby)" ;; esac
  case $state in down|up) ;; *) usage_error "cable: unknown state '$state' (down or up)" ;; esac
  require_lab
  ip -n "$NS_SWITCH" link set "up-$link" "$state"
  echo "cable $link $state (switch port up-$link set $state)"
}

# ----------------------------------------------------------------------------------------- capture

cmd_capture() {
  if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage_error "usage: $PROG capture primary|standby|peer|bridge FILE [SECONDS]"; fi
  local wire=$1 file=$2 secs=${3:-10} ns ifc
  case $wire in
    primary|standby) ns=$NS_HOST; ifc=$wire ;;
    peer) ns=$NS_PEER; ifc=eth0 ;;
    bridge) ns=$NS_SWITCH; ifc=br0 ;;
    *) usage_error "capture: unknown wire '$wire' (primary, standby, peer or bridge)" ;;
  esac
  case $secs in (''|*[!0-9]*|0) usage_error "capture: SECONDS must be a positive whole number" ;; esac
  need_tool tcpdump timeout
  require_lab
  # -Z root: write FILE as root (Debian's tcpdump would otherwise drop to user 'tcpdump').
  local tcpdump_cmd=(timeout -s INT "$secs" ip netns exec "$ns" tcpdump -i "$ifc" -n -U --immediate-mode -Z root -w "$file")
  if [ "${LAB_CAPTURE_BG:-0}" = 1 ]; then
    local log pid _
    log=$(mktemp "/tmp/${P}-capture-$wire.XXXXXX.log")
    setsid "${tcpdump_cmd[@]}" </dev/null >"$log" 2>&1 &
    pid=$!
    # Return only once tcpdump has opened the interface, so no early frame is missed.
    for _ in $(seq 1 50); do
      if grep -q 'listening on' "$log" 2>/dev/null; then
        echo "capture: $wire -> $file for ${secs}s in the background (log $log)" >&2
        echo "$pid"
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -INT "$pid" 2>/dev/null || true
    die $EX_UNAVAILABLE "capture on $wire did not start: $(tr '\n' ' ' <"$log")"
  fi
  local rc=0
  "${tcpdump_cmd[@]}" || rc=$?
  # timeout exits 124 when it ended the capture, which is the normal way for it to end.
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then exit "$rc"; fi
  echo "capture: $wire -> $file (${secs}s)"
}

# -------------------------------------------------------------------------------------------- exec

cmd_exec() {
  [ $# -ge 2 ] || usage_error "usage: $PROG exec host|switch|peer CMD..."
  local which=$1 ns; shift
  case $which in
    host) ns=$NS_HOST ;;
    switch) ns=$NS_SWITCH ;;
    peer) ns=$NS_PEER ;;
    *) usage_error "exec: unknown namespace '$which' (host, switch or peer)" ;;
  esac
  require_lab
  exec ip netns exec "$ns" "$@"
}

# -------------------------------------------------------------------------------------------- main

main() {
  [ $# -ge 1 ] || usage_error "missing COMMAND"
  local cmd=$1; shift
  case $cmd in
    help|--help|-h) usage; return 0 ;;
    up|down|status|cable|capture|exec) ;;
    *) usage_error "unknown command '$cmd'" ;;
  esac
  if ! [[ $P =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,23}$ ]]; then
    usage_error "LAB_PREFIX '$P' must be 1-24 letters, digits, '_' or '-', starting with a letter or digit"
  fi
  need_tool ip
  need_root "$cmd" "$@"
  [ "$cmd" != status ] || need_tool bridge
  [ "$cmd" != up ] || need_tool sysctl
  "cmd_$cmd" "$@"
}

main "$@"
