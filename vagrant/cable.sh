#!/usr/bin/env bash
# On the host: pulls or plugs the virtual cable of the agent VM's primary or standby NIC (VirtualBox or libvirt), like `scripts/lab.sh cable`.
set -euo pipefail

readonly EX_USAGE=64 EX_UNAVAILABLE=69

PROG=${0##*/}
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)

usage() {
  cat <<EOF
Usage: $PROG primary|standby down|up
       $PROG status

Pulls (down) or plugs (up) the virtual cable of the agent VM's lab NIC, so the NIC inside the VM
loses or regains carrier and tapover fails over, just as 'scripts/lab.sh cable' does in the netns
lab. Run it on the host, in the vagrant/ folder or anywhere (it finds the VM through
vagrant/.vagrant). 'status' shows both cables.

  VirtualBox  VBoxManage controlvm VM setlinkstate2|setlinkstate3 off|on
              (primary is NIC 2, standby NIC 3, as the Vagrantfile pins them)
  libvirt     virsh domif-setlink DOMAIN MAC down|up, the NIC found by its MAC from lab.env

Then watch it: vagrant ssh agent -c 'sudo tapover status'   (or: sudo tapover events)

Environment:
  TAPOVER_PROVIDER       virtualbox or libvirt (default: the provider the agent VM was created with)
  VAGRANT_DOTFILE_PATH   Vagrant's state folder (default: vagrant/.vagrant)
  TAPOVER_LIBVIRT_URI    libvirt connection (default: \$LIBVIRT_DEFAULT_URI, else qemu:///system,
                         vagrant-libvirt's default)

Exit codes: 0 ok, 64 usage, 69 the agent VM, VBoxManage or virsh is missing or refused.
EOF
}

die() { local code=$1; shift; echo "$PROG: $*" >&2; exit "$code"; }
usage_error() { echo "$PROG: $*" >&2; echo "Try '$PROG --help'." >&2; exit $EX_USAGE; }

case ${1:-} in -h|--help|help) usage; exit 0 ;; esac
if [ "${1:-}" = status ]; then
  [ $# -eq 1 ] || usage_error "'status' takes no arguments"
  ACTION=status
else
  [ $# -eq 2 ] || usage_error "expected primary|standby and down|up"
  LINK=$1 STATE=$2 ACTION=set
  case $LINK in primary|standby) ;; *) usage_error "unknown link '$LINK' (primary or standby)" ;; esac
  case $STATE in down|up) ;; *) usage_error "unknown state '$STATE' (down or up)" ;; esac
fi

# shellcheck source=vagrant/lab.env
. "$HERE/lab.env"

# Vagrant's state folder: VAGRANT_DOTFILE_PATH is relative to the Vagrantfile's folder.
DOT=${VAGRANT_DOTFILE_PATH:-.vagrant}
case $DOT in /*) ;; *) DOT=$HERE/$DOT ;; esac

machine_id() { # PROVIDER
  local f=$DOT/machines/agent/$1/id
  [ -s "$f" ] || return 1
  tr -d '[:space:]' <"$f"
}

PROVIDER=${TAPOVER_PROVIDER:-}
if [ -z "$PROVIDER" ]; then
  for p in virtualbox libvirt; do
    if machine_id "$p" >/dev/null; then PROVIDER=$p; break; fi
  done
  [ -n "$PROVIDER" ] || die $EX_UNAVAILABLE "no agent VM found under $DOT/machines/agent; create it first: (cd $HERE && vagrant up)"
fi
case $PROVIDER in virtualbox|libvirt) ;; *) usage_error "TAPOVER_PROVIDER '$PROVIDER' is not supported (virtualbox or libvirt)" ;; esac
ID=$(machine_id "$PROVIDER") || die $EX_UNAVAILABLE "no $PROVIDER agent VM found ($DOT/machines/agent/$PROVIDER/id); run: (cd $HERE && vagrant up --provider=$PROVIDER)"

nic_of() { if [ "$1" = primary ]; then echo 2; else echo 3; fi; }
mac_of() { if [ "$1" = primary ]; then echo "$AGENT_PRIMARY_MAC"; else echo "$AGENT_STANDBY_MAC"; fi; }

if [ "$PROVIDER" = virtualbox ]; then
  command -v VBoxManage >/dev/null 2>&1 || die $EX_UNAVAILABLE "VBoxManage not found; is VirtualBox installed on this host?"
  if [ "$ACTION" = status ]; then
    info=$(VBoxManage showvminfo "$ID" --machinereadable) || die $EX_UNAVAILABLE "VBoxManage showvminfo $ID failed; is the agent VM there (vagrant status)?"
    for l in primary standby; do
      n=$(nic_of "$l")
      c=$(sed -n "s/^cableconnected$n=\"\\(.*\\)\"\$/\\1/p" <<<"$info")
      case $c in on) c=plugged ;; off) c=pulled ;; *) c="unknown ($c)" ;; esac
      printf '%-8s NIC %s  cable %s\n' "$l" "$n" "$c"
    done
    exit 0
  fi
  n=$(nic_of "$LINK")
  vs=on; [ "$STATE" = up ] || vs=off
  VBoxManage controlvm "$ID" "setlinkstate$n" "$vs" \
    || die $EX_UNAVAILABLE "VBoxManage controlvm setlinkstate$n $vs failed; is the agent VM running (vagrant up)?"
  echo "cable $LINK $STATE (VirtualBox NIC $n link state $vs)"
else
  command -v virsh >/dev/null 2>&1 || die $EX_UNAVAILABLE "virsh not found; install libvirt-clients on this host"
  URI=${TAPOVER_LIBVIRT_URI:-${LIBVIRT_DEFAULT_URI:-qemu:///system}}
  if [ "$ACTION" = status ]; then
    for l in primary standby; do
      m=$(mac_of "$l")
      s=$(virsh -c "$URI" domif-getlink "$ID" "$m" 2>&1) || die $EX_UNAVAILABLE "virsh domif-getlink failed: $s"
      case $s in *' up'*) s=plugged ;; *' down'*) s=pulled ;; esac
      printf '%-8s %s  cable %s\n' "$l" "$m" "$s"
    done
    exit 0
  fi
  m=$(mac_of "$LINK")
  virsh -c "$URI" domif-setlink "$ID" "$m" "$STATE" >/dev/null \
    || die $EX_UNAVAILABLE "virsh domif-setlink $m $STATE failed; is the agent VM running (vagrant up --provider=libvirt)?"
  echo "cable $LINK $STATE (libvirt interface $m link $STATE)"
fi
