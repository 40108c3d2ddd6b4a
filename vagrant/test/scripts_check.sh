#!/usr/bin/env bash
# Checks vagrant/cable.sh and vagrant/capture.sh against stand-ins for vagrant, ssh, VBoxManage, virsh and sudo that record what they were asked to do.
set -euo pipefail

readonly EX_SOFTWARE=70

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
VDIR=$(dirname "$HERE")
ROOT=$(dirname "$VDIR")

case ${1:-} in
  -h|--help)
    cat <<EOF
Usage: vagrant/test/scripts_check.sh

Runs cable.sh and capture.sh with stand-in commands first on PATH (nothing reaches a real VM,
hypervisor or network) and checks the commands they would run: the VirtualBox NIC numbers and
link states, the libvirt interface MACs, the remote tcpdump command line, the pcap that arrives,
usage errors (64) and a missing VM (69). Needs bash and coreutils; tshark is used if present.
Exit codes: 0 all passed, 70 a check failed.
EOF
    exit 0 ;;
esac

T=$(mktemp -d /tmp/tapover-vagrant-check.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/dot"
LOG=$T/log
PCAP=$ROOT/agent/src/test/resources/announce/AnnouncementFramesTest/arpRequest.pcap
export LOG PCAP

cat >"$T/bin/VBoxManage" <<'EOF'
#!/bin/sh
echo "VBoxManage $*" >>"$LOG"
case $1 in showvminfo) printf 'name="agent"\ncableconnected2="on"\ncableconnected3="off"\n' ;; esac
EOF
cat >"$T/bin/virsh" <<'EOF'
#!/bin/sh
echo "virsh $*" >>"$LOG"
case $3 in
  domif-getlink) echo "$5 up" ;;
  net-info) printf 'Name:           tapover-lab\nBridge:         virbr7\n' ;;
esac
EOF
cat >"$T/bin/vagrant" <<'EOF'
#!/bin/sh
echo "vagrant $* (VAGRANT_CWD=$VAGRANT_CWD)" >>"$LOG"
[ "$1" = ssh-config ] && printf 'Host %s\n  HostName 127.0.0.1\n  User vagrant\n  Port 2222\n' "$2"
EOF
cat >"$T/bin/ssh" <<'EOF'
#!/bin/sh
echo "ssh $*" >>"$LOG"
cat "$PCAP"
exit 124
EOF
cat >"$T/bin/sudo" <<'EOF'
#!/bin/sh
echo "sudo $*" >>"$LOG"
cat "$PCAP"
exit 124
EOF
chmod +x "$T"/bin/*
export PATH="$T/bin:$PATH"
export VAGRANT_DOTFILE_PATH=$T/dot

FAILED=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; FAILED=1; }
# expect_rc WANT CMD...: runs CMD, checks its exit code.
expect_rc() {
  local want=$1 rc=0; shift
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  if [ "$rc" -eq "$want" ]; then ok "exit $want: ${*##*/}"; else bad "exit $rc (wanted $want): $* -- $(cat "$T/err")"; fi
}
# logged TEXT: the stand-ins were called with TEXT.
logged() { if grep -qF -- "$1" "$LOG"; then ok "ran: $1"; else bad "did not run: $1 (log: $(tr '\n' '|' <"$LOG"))"; fi; }

CABLE=$VDIR/cable.sh
CAPTURE=$VDIR/capture.sh

: >"$LOG"
expect_rc 69 "$CABLE" primary down
expect_rc 64 "$CABLE" primary sideways
expect_rc 64 "$CABLE" tertiary down
expect_rc 64 "$CABLE"
expect_rc 0 "$CABLE" --help

mkdir -p "$T/dot/machines/agent/virtualbox"
echo "0b5e6a1c-vbox-uuid" >"$T/dot/machines/agent/virtualbox/id"
: >"$LOG"
expect_rc 0 "$CABLE" primary down
logged "VBoxManage controlvm 0b5e6a1c-vbox-uuid setlinkstate2 off"
expect_rc 0 "$CABLE" standby up
logged "VBoxManage controlvm 0b5e6a1c-vbox-uuid setlinkstate3 on"
expect_rc 0 "$CABLE" status
if grep -q 'primary .*NIC 2 .*plugged' "$T/out" && grep -q 'standby .*NIC 3 .*pulled' "$T/out"; then ok "status reads cableconnected2/3"; else bad "status: $(cat "$T/out")"; fi

rm -rf "$T/dot/machines/agent/virtualbox"
mkdir -p "$T/dot/machines/agent/libvirt"
echo "5f1d-libvirt-uuid" >"$T/dot/machines/agent/libvirt/id"
: >"$LOG"
expect_rc 0 "$CABLE" primary down
logged "virsh -c qemu:///system domif-setlink 5f1d-libvirt-uuid 02:00:5e:00:53:11 down"
TAPOVER_LIBVIRT_URI=qemu+ssh://lab/system expect_rc 0 "$CABLE" standby up
logged "virsh -c qemu+ssh://lab/system domif-setlink 5f1d-libvirt-uuid 02:00:5e:00:53:12 up"
expect_rc 0 "$CABLE" status
if grep -q 'primary .*02:00:5e:00:53:11 .*plugged' "$T/out"; then ok "status reads domif-getlink"; else bad "status: $(cat "$T/out")"; fi
TAPOVER_PROVIDER=virtualbox expect_rc 69 "$CABLE" primary down

: >"$LOG"
expect_rc 64 "$CAPTURE" nowhere "$T/x.pcap"
expect_rc 64 "$CAPTURE" peer "$T/x.pcap" 0
expect_rc 64 "$CAPTURE" peer "$T/x.pcap" 99999
expect_rc 64 "$CAPTURE" --bogus peer "$T/x.pcap"
expect_rc 73 "$CAPTURE" peer /nonexistent-dir/x.pcap
expect_rc 0 "$CAPTURE" peer "$T/peer.pcap" 5
logged "vagrant ssh-config peer (VAGRANT_CWD=$VDIR)"
logged "ssh -F"
logged "peer sudo timeout -s INT 5 tcpdump -i lab0 -n -U -w -"
if cmp -s "$PCAP" "$T/peer.pcap"; then ok "the pcap arrives unchanged"; else bad "the pcap differs"; fi
if command -v tshark >/dev/null 2>&1; then
  if tshark -r "$T/peer.pcap" 2>/dev/null | grep -q 'ARP Announcement'; then ok "tshark reads the capture"; else bad "tshark cannot read the capture"; fi
fi
: >"$LOG"
"$CAPTURE" --filter 'arp or icmp' primary - 3 >"$T/stdout.pcap" 2>/dev/null || true
logged "vagrant ssh-config agent"
logged "agent sudo timeout -s INT 3 tcpdump -i primary -n -U -w - arp\\ or\\ icmp"
if cmp -s "$PCAP" "$T/stdout.pcap"; then ok "FILE '-' streams the pcap to stdout"; else bad "stdout stream differs"; fi
: >"$LOG"
expect_rc 0 "$CAPTURE" master "$T/m.pcap" 2
logged "tcpdump -i fo0"
: >"$LOG"
expect_rc 0 "$CAPTURE" --filter arp bridge "$T/br.pcap" 2
logged "virsh -c qemu:///system net-info tapover-lab"
logged "sudo timeout -s INT 2 tcpdump -i virbr7 -n -U -w - arp"

if [ "$FAILED" -ne 0 ]; then echo "scripts_check: FAILED"; exit $EX_SOFTWARE; fi
echo "scripts_check: all checks passed"
