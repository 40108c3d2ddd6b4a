#!/usr/bin/env bash
# Inside a Vagrant lab VM: finds the lab NICs by MAC, names them as in scripts/lab.sh, and sets them up (agent: silent lower links; peer: addresses).
set -euo pipefail

readonly EX_USAGE=64 EX_UNAVAILABLE=69 EX_NOPERM=77

PROG=${0##*/}
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
LAB_ENV=${TAPOVER_LAB_ENV:-$HERE/lab.env}
WAIT_SECONDS=${TAPOVER_LAB_WAIT:-20}

usage() {
  cat <<EOF
Usage: $PROG agent|peer up|down|status

Runs inside a VM of the Vagrant lab (vagrant/Vagrantfile); the provisioning installs it as
/usr/local/lib/tapover-lab/lab-net.sh and runs it at every boot (tapover-lab-net.service).
The NICs are found by the MACs in lab.env ($LAB_ENV), waiting up to
${WAIT_SECONDS}s for them to appear, and renamed as in the netns lab:

  agent up   primary and standby: no address, IPv6 off (disable_ipv6, addrgenmode none), ARP
             answers off (arp_ignore=1: the kernel must not answer for the master's address with
             a lower link's own MAC), link up. tapover@lab then runs the master fo0 over them.
  peer up    lab0: 192.0.2.2/24 and 2001:db8::2/64 (no DAD), link up.
  down       links down (the peer's addresses are removed).
  status     names, MACs, carrier, addresses of the lab NICs.

Environment: TAPOVER_LAB_ENV (the lab.env to read), TAPOVER_LAB_WAIT (seconds, default 20).
Exit codes: 0 ok, 64 usage, 69 a NIC or a tool is missing, 77 not root.
EOF
}

die() { local code=$1; shift; echo "$PROG: $*" >&2; exit "$code"; }
usage_error() { echo "$PROG: $*" >&2; echo "Try '$PROG --help'." >&2; exit $EX_USAGE; }

case ${1:-} in -h|--help|help) usage; exit 0 ;; esac
[ $# -eq 2 ] || usage_error "expected ROLE and ACTION"
ROLE=$1 ACTION=$2
case $ROLE in agent|peer) ;; *) usage_error "unknown role '$ROLE' (agent or peer)" ;; esac
case $ACTION in up|down|status) ;; *) usage_error "unknown action '$ACTION' (up, down or status)" ;; esac
[ -r "$LAB_ENV" ] || die $EX_UNAVAILABLE "$LAB_ENV not found; set TAPOVER_LAB_ENV to vagrant/lab.env"
command -v ip >/dev/null 2>&1 || die $EX_UNAVAILABLE "'ip' not found; apt-get install iproute2"
if [ "$ACTION" != status ] && [ "$(id -u)" -ne 0 ]; then die $EX_NOPERM "must run as root"; fi

# shellcheck source=vagrant/lab.env
. "$LAB_ENV"

lower() { tr 'A-F' 'a-f' <<<"$1"; }

# ifname_of MAC: the name of the network interface with that MAC (not a TAP: the master has its own MAC).
ifname_of() {
  local mac d found=
  mac=$(lower "$1")
  for d in /sys/class/net/*; do
    [ -r "$d/address" ] || continue
    [ "$(lower "$(cat "$d/address")")" = "$mac" ] || continue
    [ ! -e "$d/tun_flags" ] || continue
    [ -z "$found" ] || die $EX_UNAVAILABLE "two interfaces have MAC $mac: $found and ${d##*/}"
    found=${d##*/}
  done
  printf '%s' "$found"
}

# name_nic MAC NAME: waits for the NIC with MAC and renames it to NAME (idempotent).
name_nic() {
  local mac=$1 name=$2 cur="" waited=0
  while :; do
    cur=$(ifname_of "$mac")
    [ -z "$cur" ] || break
    [ "$waited" -lt "$((WAIT_SECONDS * 2))" ] \
      || die $EX_UNAVAILABLE "no NIC with MAC $mac after ${WAIT_SECONDS}s; is the VM's lab NIC there (vagrant reload)?"
    sleep 0.5
    waited=$((waited + 1))
  done
  if [ "$cur" != "$name" ]; then
    [ ! -e "/sys/class/net/$name" ] || die $EX_UNAVAILABLE "cannot rename $cur to $name: $name exists and has another MAC"
    ip link set dev "$cur" down
    ip link set dev "$cur" name "$name"
    echo "$PROG: renamed $cur ($mac) to $name"
  fi
}

sysctl_set() { printf '%s' "$2" >"/proc/sys/net/$1"; }

agent_up() {
  local pair mac name
  for pair in "$AGENT_PRIMARY_MAC $AGENT_PRIMARY_IF" "$AGENT_STANDBY_MAC $AGENT_STANDBY_IF"; do
    read -r mac name <<<"$pair"
    name_nic "$mac" "$name"
    ip addr flush dev "$name"
    sysctl_set "ipv6/conf/$name/disable_ipv6" 1
    ip link set dev "$name" addrgenmode none
    sysctl_set "ipv4/conf/$name/arp_ignore" 1
    ip link set dev "$name" up
  done
  echo "$PROG: agent lower links $AGENT_PRIMARY_IF and $AGENT_STANDBY_IF are up (no address, IPv6 off, arp_ignore=1)"
}

peer_up() {
  name_nic "$PEER_MAC" "$PEER_IF"
  ip addr replace "$PEER_V4" dev "$PEER_IF"
  ip addr replace "$PEER_V6" dev "$PEER_IF" nodad
  ip link set dev "$PEER_IF" up
  echo "$PROG: peer $PEER_IF is up with ${PEER_V4} and ${PEER_V6}"
}

lab_ifs() {
  if [ "$ROLE" = agent ]; then echo "$AGENT_PRIMARY_IF $AGENT_STANDBY_IF"; else echo "$PEER_IF"; fi
}

do_down() {
  local name
  for name in $(lab_ifs); do
    [ -e "/sys/class/net/$name" ] || continue
    [ "$ROLE" = agent ] || ip addr flush dev "$name"
    ip link set dev "$name" down
    echo "$PROG: $name down"
  done
}

do_status() {
  local name
  for name in $(lab_ifs); do
    if [ -e "/sys/class/net/$name" ]; then
      printf '%-8s mac %s carrier %s operstate %s\n' "$name" "$(cat "/sys/class/net/$name/address")" \
        "$(cat "/sys/class/net/$name/carrier" 2>/dev/null || echo '?')" "$(cat "/sys/class/net/$name/operstate")"
      ip -br addr show dev "$name"
    else
      echo "$name: missing (run: $PROG $ROLE up)"
    fi
  done
}

case $ACTION in
  up) if [ "$ROLE" = agent ]; then agent_up; else peer_up; fi ;;
  down) do_down ;;
  status) do_status ;;
esac
