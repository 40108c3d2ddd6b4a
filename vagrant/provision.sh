#!/usr/bin/env bash
# Vagrant provisioning of one lab VM (agent or peer): packages, lab NICs, and on the agent tapover installed by scripts/install.sh and started as tapover@lab.
set -euo pipefail

readonly EX_USAGE=64 EX_UNAVAILABLE=69 EX_SOFTWARE=70 EX_NOPERM=77

PROG=provision.sh
SRC=${TAPOVER_SRC:-/tapover}
LIB=/usr/local/lib/tapover-lab

usage() {
  cat <<EOF
Usage: $PROG agent|peer

Run by Vagrant as root inside a lab VM (vagrant/Vagrantfile: 'vagrant up' or 'vagrant provision'),
with the source tree synced to \$TAPOVER_SRC (default /tapover). Safe to run again.

  both    apt-get install iproute2 tcpdump tshark (and the agent's runtime: openjdk-17-jre-headless,
          libpcap0.8); vagrant/lab-net.sh and lab.env to $LIB; a udev rule that names the lab
          NICs by MAC; tapover-lab-net.service, which runs 'lab-net.sh ROLE up' at every boot
  agent   builds tapover inside the VM if agent/target/tapover.jar was not synced (installs maven
          and a JDK for that, a few minutes); then, as a user would:
            scripts/install.sh --instance lab --args "\$TAPOVER_AGENT_ARGS" --start
          plus a drop-in that starts tapover@lab after tapover-lab-net.service; waits for
          'tapover status' to answer
  peer    nothing more: lab0 has 192.0.2.2/24 and 2001:db8::2/64

Environment: TAPOVER_SRC, TAPOVER_AGENT_ARGS (default: the lab's options, built from lab.env).
Exit codes: 0 ok, 64 usage, 69 a package, file or NIC is missing, 70 the agent did not come up,
77 not root.
EOF
}

die() { local code=$1; shift; echo "$PROG: $*" >&2; exit "$code"; }
say() { printf '\n==> %s\n' "$*"; }

case ${1:-} in -h|--help|help) usage; exit 0 ;; agent|peer) ROLE=$1 ;; *) echo "$PROG: expected agent or peer (see --help)" >&2; exit $EX_USAGE ;; esac
[ $# -eq 1 ] || { echo "$PROG: takes one argument (see --help)" >&2; exit $EX_USAGE; }
[ "$(id -u)" -eq 0 ] || die $EX_NOPERM "must run as root (Vagrant's shell provisioner does)"
[ -f "$SRC/vagrant/lab.env" ] || die $EX_UNAVAILABLE "$SRC/vagrant/lab.env not found; is the source tree synced to $SRC (vagrant rsync)?"

# shellcheck source=vagrant/lab.env
. "$SRC/vagrant/lab.env"

# ------------------------------------------------------------------------------------- packages

export DEBIAN_FRONTEND=noninteractive
pkgs=(iproute2 tcpdump tshark iputils-ping)
[ "$ROLE" = peer ] || pkgs+=(openjdk-17-jre-headless libpcap0.8)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing ${missing[*]}"
  apt-get update -q || die $EX_UNAVAILABLE "apt-get update failed; does the VM reach a Debian mirror?"
  apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || die $EX_UNAVAILABLE "apt-get install ${missing[*]} failed"
else
  say "Packages already installed: ${pkgs[*]}"
fi

# ------------------------------------------------------------------------------------ lab NICs

say "Lab NICs ($ROLE)"
install -d -m 0755 "$LIB"
net_changed=0
cmp -s "$SRC/vagrant/lab.env" "$LIB/lab.env" || net_changed=1
cmp -s "$SRC/vagrant/lab-net.sh" "$LIB/lab-net.sh" || net_changed=1
install -m 0755 "$SRC/vagrant/lab-net.sh" "$LIB/lab-net.sh"
install -m 0644 "$SRC/vagrant/lab.env" "$LIB/lab.env"

# Names that survive a reboot: udev renames the NICs by MAC as they appear.
install -d -m 0755 /etc/udev/rules.d
rules=/etc/udev/rules.d/70-tapover-lab.rules
{
  echo "# tapover Vagrant lab: names the lab NICs after their MAC (written by vagrant/provision.sh)."
  if [ "$ROLE" = agent ]; then
    echo "SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"$AGENT_PRIMARY_MAC\", NAME=\"$AGENT_PRIMARY_IF\""
    echo "SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"$AGENT_STANDBY_MAC\", NAME=\"$AGENT_STANDBY_IF\""
  else
    echo "SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"$PEER_MAC\", NAME=\"$PEER_IF\""
  fi
} >"$rules"

cat >/etc/systemd/system/tapover-lab-net.service <<EOF
# tapover Vagrant lab: names the lab NICs and sets them up at boot (written by vagrant/provision.sh).
[Unit]
Description=tapover Vagrant lab NICs ($ROLE)
After=systemd-udev-trigger.service
Wants=systemd-udev-trigger.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=$LIB/lab-net.sh $ROLE up
ExecStop=$LIB/lab-net.sh $ROLE down

[Install]
WantedBy=multi-user.target
EOF
systemctl daemon-reload
systemctl enable --quiet tapover-lab-net.service
# Apply now: this renames the NICs (udev only names NICs as they appear, at the next boot).
if [ "$net_changed" -eq 0 ] && systemctl is-active --quiet tapover-lab-net.service; then
  "$LIB/lab-net.sh" "$ROLE" up            # nothing changed: idempotent, the agent keeps running
else
  # New or changed: restarting the service also restarts tapover@lab, which requires it.
  systemctl restart tapover-lab-net.service
fi
"$LIB/lab-net.sh" "$ROLE" status

if [ "$ROLE" = peer ]; then
  say "Peer ready: $PEER_IF = ${PEER_V4%/*}, ${PEER_V6%/*}"
  echo "   ping the master:   vagrant ssh peer -c 'ping -c 3 ${MASTER_V4%/*}'"
  echo "   capture here:      vagrant/capture.sh peer failover.pcap 60"
  exit 0
fi

# ------------------------------------------------------------------------------------- tapover

jar=$SRC/agent/target/tapover.jar
if [ ! -f "$jar" ]; then
  say "No built jar was synced ($jar): building tapover inside the VM"
  need=()
  for p in maven openjdk-17-jdk-headless; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    apt-get install -y -q --no-install-recommends "${need[@]}" || die $EX_UNAVAILABLE "apt-get install ${need[*]} failed"
  fi
  # Build in a copy: the synced tree is overwritten by the next 'vagrant rsync'.
  build=/var/tmp/tapover-build
  rm -rf "$build"
  cp -a "$SRC" "$build"
  (cd "$build" && mvn -q -B -DskipTests package) || die $EX_UNAVAILABLE "the build failed (output above); or build on the host and 'vagrant rsync agent'"
  jar=$build/agent/target/tapover.jar
fi

say "Installing tapover with scripts/install.sh (as a user would)"
args=${TAPOVER_AGENT_ARGS:-"--master $MASTER_IF --primary $AGENT_PRIMARY_IF --standby $AGENT_STANDBY_IF --address $MASTER_V4 --address $MASTER_V6 --mac $MASTER_MAC"}
dropin=/etc/systemd/system/tapover@$INSTANCE.service.d
install -d -m 0755 "$dropin"
cat >"$dropin/lab.conf" <<EOF
# tapover Vagrant lab: the lower links are named and up before the agent starts (written by vagrant/provision.sh).
[Unit]
Requires=tapover-lab-net.service
After=tapover-lab-net.service
EOF
systemctl daemon-reload
"$SRC/scripts/install.sh" --jar "$jar" --instance "$INSTANCE" --args "$args" --start

say "Waiting for the agent (tapover status)"
ok=0
for _ in $(seq 60); do
  if tapover status --master "$MASTER_IF" >/dev/null 2>&1; then ok=1; break; fi
  systemctl is-failed --quiet "tapover@$INSTANCE.service" && break
  sleep 0.5
done
if [ "$ok" -ne 1 ]; then
  journalctl -u "tapover@$INSTANCE.service" -n 30 --no-pager >&2 || true
  die $EX_SOFTWARE "tapover@$INSTANCE did not answer within 30 s (journal above)"
fi
tapover status --master "$MASTER_IF"

say "Agent ready: master $MASTER_IF (${MASTER_V4%/*}, $MASTER_MAC) over $AGENT_PRIMARY_IF and $AGENT_STANDBY_IF"
echo "   status:        vagrant ssh agent -c 'sudo tapover status'"
echo "   journal:       vagrant ssh agent -c 'sudo journalctl -u tapover@$INSTANCE -f'"
echo "   pull a cable:  vagrant/cable.sh primary down"
