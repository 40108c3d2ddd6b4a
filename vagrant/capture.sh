#!/usr/bin/env bash
# On the host: captures a wire of the Vagrant lab with tcpdump in a VM and writes the pcap here, for Wireshark, like `scripts/lab.sh capture`.
set -euo pipefail

readonly EX_USAGE=64 EX_UNAVAILABLE=69 EX_CANTCREAT=73

PROG=${0##*/}
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
MAX_SECONDS=3600

usage() {
  cat <<EOF
Usage: $PROG [--filter EXPR] WIRE FILE [SECONDS]

Runs tcpdump on a wire of the Vagrant lab for SECONDS (default 10, at most $MAX_SECONDS) and
writes what it saw to FILE on this host (pcap). FILE '-' streams to stdout instead, e.g. live
into Wireshark:  $PROG peer - 300 | wireshark -C tapover -k -i -

WIRE:
  peer      the peer VM's lab NIC (lab0). tcpdump makes it promiscuous; on VirtualBox (NIC
            "allow-all") that shows the whole segment, like 'lab.sh capture bridge' in the netns lab
  primary   the agent VM's primary link     (what tapover sends and receives on it)
  standby   the agent VM's standby link
  master    the agent VM's master fo0       (the host's side: no announcements, only traffic)
  bridge    libvirt only: the host-side bridge of the lab network (runs 'sudo tcpdump' here)

--filter EXPR   a tcpdump capture filter, e.g. --filter 'arp or icmp or icmp6'

The capture runs in the VM through 'vagrant ssh-config' and plain ssh (no terminal, so the pcap
arrives unchanged); Ctrl-C ends it early and keeps what was captured. Open the file with the
repository's Wireshark profile: wireshark -C tapover -r FILE (wireshark/install-profile.sh).

Environment: VAGRANT (the vagrant command, default vagrant), TAPOVER_LIBVIRT_URI (for 'bridge';
default \$LIBVIRT_DEFAULT_URI, else qemu:///system).
Exit codes: 0 ok, 64 usage, 69 vagrant, ssh, a VM or tcpdump is missing, 73 FILE cannot be written.
EOF
}

die() { local code=$1; shift; echo "$PROG: $*" >&2; exit "$code"; }
usage_error() { echo "$PROG: $*" >&2; echo "Try '$PROG --help'." >&2; exit $EX_USAGE; }

FILTER=
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help|help) usage; exit 0 ;;
    --filter) [ $# -ge 2 ] || usage_error "--filter needs an expression"; FILTER=$2; shift 2 ;;
    --filter=*) FILTER=${1#*=}; shift ;;
    --) shift; break ;;
    -?*) usage_error "unknown option '$1'" ;;
    *) break ;;
  esac
done
if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage_error "expected WIRE FILE [SECONDS]"; fi
WIRE=$1 FILE=$2 SECS=${3:-10}
case $SECS in (''|*[!0-9]*|0) usage_error "SECONDS must be a positive whole number" ;; esac
[ "$SECS" -le "$MAX_SECONDS" ] || usage_error "SECONDS must be at most $MAX_SECONDS"

# shellcheck source=vagrant/lab.env
. "$HERE/lab.env"

case $WIRE in
  peer) VM=peer IFC=$PEER_IF ;;
  primary) VM=agent IFC=$AGENT_PRIMARY_IF ;;
  standby) VM=agent IFC=$AGENT_STANDBY_IF ;;
  master) VM=agent IFC=$MASTER_IF ;;
  bridge) VM='' IFC='' ;;
  *) usage_error "unknown wire '$WIRE' (peer, primary, standby, master or bridge)" ;;
esac

if [ "$FILE" != - ]; then
  : >"$FILE" 2>/dev/null || die $EX_CANTCREAT "cannot write $FILE"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tapover-capture.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# The tcpdump command line, quoted for a remote shell.
tcpdump_cmd() { # IFC
  local cmd
  cmd="timeout -s INT $SECS tcpdump -i $(printf '%q' "$1") -n -U -w -"
  if [ -n "$FILTER" ]; then cmd+=" $(printf '%q' "$FILTER")"; fi
  printf '%s' "$cmd"
}

# run_capture CMD...: runs CMD with its stdout into FILE (or our stdout); 124 (timeout) is success.
run_capture() {
  local rc=0
  if [ "$FILE" = - ]; then "$@" || rc=$?; else "$@" >"$FILE" || rc=$?; fi
  # 124: timeout ended it (the normal end); 130: interrupted; 255: ssh failed, or closed on an interrupt.
  case $rc in
    0|124|130) ;;
    255) if [ "$FILE" = - ] || [ ! -s "$FILE" ]; then die $EX_UNAVAILABLE "ssh to the $VM VM failed (exit 255)"; fi ;;
    *) die "$rc" "the capture failed (exit $rc); see tcpdump's message above" ;;
  esac
  if [ "$FILE" != - ]; then
    echo "capture: $WIRE -> $FILE ($(wc -c <"$FILE") bytes); open it with: wireshark -C tapover -r $FILE" >&2
  fi
}

if [ "$WIRE" = bridge ]; then
  command -v virsh >/dev/null 2>&1 || die $EX_UNAVAILABLE "'bridge' needs libvirt (virsh not found); on VirtualBox capture 'peer', which sees the whole segment"
  URI=${TAPOVER_LIBVIRT_URI:-${LIBVIRT_DEFAULT_URI:-qemu:///system}}
  BR=$(virsh -c "$URI" net-info "$LAB_NET" 2>/dev/null | awk '$1 == "Bridge:" { print $2 }')
  [ -n "$BR" ] || die $EX_UNAVAILABLE "libvirt network $LAB_NET not found at $URI; is the lab up (vagrant up --provider=libvirt)?"
  command -v tcpdump >/dev/null 2>&1 || die $EX_UNAVAILABLE "tcpdump not found on this host"
  echo "capture: sudo tcpdump on the host bridge $BR of network $LAB_NET for ${SECS}s" >&2
  cmd=(sudo timeout -s INT "$SECS" tcpdump -i "$BR" -n -U -w -)
  [ -z "$FILTER" ] || cmd+=("$FILTER")
  run_capture "${cmd[@]}"
  exit 0
fi

VAGRANT=${VAGRANT:-vagrant}
command -v "$VAGRANT" >/dev/null 2>&1 || die $EX_UNAVAILABLE "vagrant not found; install Vagrant on this host"
command -v ssh >/dev/null 2>&1 || die $EX_UNAVAILABLE "ssh not found; install an OpenSSH client on this host"
VAGRANT_CWD=$HERE "$VAGRANT" ssh-config "$VM" >"$TMP/ssh_config" 2>"$TMP/err" \
  || die $EX_UNAVAILABLE "vagrant ssh-config $VM failed: $(tr '\n' ' ' <"$TMP/err")(is the lab up? cd $HERE && vagrant up)"
HOST=$(awk '$1 == "Host" { print $2; exit }' "$TMP/ssh_config")
[ -n "$HOST" ] || die $EX_UNAVAILABLE "vagrant ssh-config $VM printed no Host"
echo "capture: tcpdump on $VM:$IFC for ${SECS}s" >&2
run_capture ssh -F "$TMP/ssh_config" -o LogLevel=ERROR -o BatchMode=yes "$HOST" "sudo $(tcpdump_cmd "$IFC")"
