#!/usr/bin/env bash
# The project's test command: installs what the tests need, checks the kernel, then runs the static, lab, Maven and packaging test tiers.
set -euo pipefail

readonly EX_USAGE=64 EX_UNAVAILABLE=69 EX_NOPERM=77
readonly PACKAGES=(libpcap0.8 tshark tcpdump iproute2 iputils-ping iperf3 arping procps maven shellcheck ruby vagrant python3-matplotlib systemd)

usage() {
  cat <<'EOF'
Usage: sudo scripts/test.sh [MAVEN ARGS...]

Runs every test tier of tapover and prints a summary; exits 0 only if all of them passed.

  setup    installs the Debian packages the tests use, if any is missing
           (libpcap0.8 tshark tcpdump iproute2 iputils-ping iperf3 arping procps maven shellcheck
           ruby vagrant python3-matplotlib systemd, and a JDK if there is no javac), then checks the kernel: /dev/net/tun, network namespaces, TAP,
           veth and bridge, each tried in a throwaway namespace
  static   bash -n (and shellcheck, if installed) on the shell scripts; no Java code outside
           native-bindings may import jnr.*
  lab      scripts/lab.sh up/status/down under LAB_PREFIX=tovci<pid>: the peer answers a ping
           through the bridge, a capture on the peer sees it, and it stops when the cable is pulled
  maven    mvn -B verify [MAVEN ARGS...] from the repository root: unit tests (surefire), the four
           Jazzer fuzzing runs (fixed seed and execution count) and real-kernel tests (failsafe,
           each test JVM in its own namespace via scripts/netns-jvm/bin/java)
  packaging  scripts/install.sh into a temporary root (files, systemd-analyze verify, launcher
           --help), the .deb installed with apt-get and removed again, vagrant validate, the
           Vagrantfile and cable/capture checks, the Wireshark profile check

Examples:
  sudo scripts/test.sh
  sudo scripts/test.sh -Dtest=FailoverGroupTest -Dsurefire.failIfNoSpecifiedTests=false
  sudo JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 scripts/test.sh     # test on JDK 25

Environment:
  JAVA_HOME                 the JDK for Maven and for the test JVMs (default: java on PATH)
  TAPOVER_TEST_FUZZ=0       skip the Jazzer fuzzing runs (default on: each target a fixed number of
                            executions from a fixed seed, the same inputs every run, ~2 min in all;
                            the seeds and committed findings run as regression tests either way;
                            scripts/fuzz.sh fuzzes longer with random seeds)
  TAPOVER_TEST_TIERS        which tiers to run, in order (default: "static lab maven packaging")
  TAPOVER_TEST_NO_INSTALL=1 never call apt-get; fail if a package is missing

Exit codes: 0 all tiers passed, 1 a tier failed, 64 usage, 69 a package or kernel feature is
missing, 77 not root.
EOF
}

die() { local code=$1; shift; echo "test.sh: $*" >&2; exit "$code"; }
section() { printf '\n==> %s\n' "$*"; }

case ${1:-} in -h|--help|help) usage; exit 0 ;; esac

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$ROOT"

[ "$(id -u)" -eq 0 ] || die $EX_NOPERM "must run as root: the tests create network namespaces, TAPs and veths, and missing packages are installed with apt-get. Run: sudo scripts/test.sh"

TIERS=${TAPOVER_TEST_TIERS:-static lab maven packaging}
for t in $TIERS; do
  case $t in static|lab|maven|packaging) ;; *) die $EX_USAGE "unknown tier '$t' in TAPOVER_TEST_TIERS (static, lab, maven, packaging)" ;; esac
done

# ------------------------------------------------------------------------------------------ setup

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    pkg_installed "$p" || missing+=("$p")
  done
  if [ -n "${JAVA_HOME:-}" ]; then
    [ -x "$JAVA_HOME/bin/java" ] || die $EX_UNAVAILABLE "JAVA_HOME=$JAVA_HOME has no bin/java; point it at a JDK or unset it."
    [ -x "$JAVA_HOME/bin/javac" ] || die $EX_UNAVAILABLE "JAVA_HOME=$JAVA_HOME is not a JDK (no bin/javac); point it at a JDK or unset it."
  elif ! command -v javac >/dev/null 2>&1; then
    missing+=(openjdk-17-jdk-headless)
  fi
  if [ ${#missing[@]} -eq 0 ]; then
    echo "packages: all present"
    return 0
  fi
  if [ "${TAPOVER_TEST_NO_INSTALL:-0}" = 1 ]; then
    die $EX_UNAVAILABLE "missing packages: ${missing[*]}; install them (apt-get install ${missing[*]}) or unset TAPOVER_TEST_NO_INSTALL."
  fi
  command -v apt-get >/dev/null 2>&1 || die $EX_UNAVAILABLE "missing packages: ${missing[*]}, and no apt-get to install them with."
  echo "packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -q || die $EX_UNAVAILABLE "apt-get update failed; cannot install ${missing[*]}."
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}" || die $EX_UNAVAILABLE "apt-get install ${missing[*]} failed."
}

# promtool (Prometheus's own parser and linter) checks the agent's metrics page. Debian ships it only in
# the 'prometheus' package, whose installation would also install (and may start) a Prometheus server,
# so only the promtool binary is extracted from the package. The tests find it through TAPOVER_PROMTOOL.
PROMTOOL_DIR=/usr/local/lib/tapover-test
install_promtool() {
  local tmp
  if command -v promtool >/dev/null 2>&1; then
    TAPOVER_PROMTOOL=$(command -v promtool)
  elif [ ! -x "$PROMTOOL_DIR/promtool" ]; then
    [ "${TAPOVER_TEST_NO_INSTALL:-0}" != 1 ] \
      || die $EX_UNAVAILABLE "promtool is missing; extract it from Debian's prometheus package (apt-get download prometheus; dpkg -x) or unset TAPOVER_TEST_NO_INSTALL."
    tmp=$(mktemp -d /tmp/tapover-promtool.XXXXXX)
    if ! (cd "$tmp" && apt-get -q download prometheus); then
      apt-get -o DPkg::Lock::Timeout=300 update -q || die $EX_UNAVAILABLE "apt-get update failed; cannot download promtool."
      (cd "$tmp" && apt-get -q download prometheus) || die $EX_UNAVAILABLE "apt-get download prometheus failed; cannot get promtool."
    fi
    dpkg -x "$tmp"/prometheus_*.deb "$tmp/x"
    mkdir -p "$PROMTOOL_DIR"
    install -m 0755 "$tmp/x/usr/bin/promtool" "$PROMTOOL_DIR/promtool"
    rm -rf "$tmp"
  fi
  export TAPOVER_PROMTOOL=${TAPOVER_PROMTOOL:-$PROMTOOL_DIR/promtool}
  echo "promtool: $TAPOVER_PROMTOOL"
}

KCHK_NS=
check_kernel() {
  if [ ! -c /dev/net/tun ]; then
    if command -v modprobe >/dev/null 2>&1; then modprobe tun 2>/dev/null || true; fi
    if [ ! -c /dev/net/tun ] && [ -e /sys/class/misc/tun ]; then
      { mkdir -p /dev/net && mknod -m 0666 /dev/net/tun c 10 200; } || true
    fi
    [ -c /dev/net/tun ] || die $EX_UNAVAILABLE "kernel: /dev/net/tun is missing and 'modprobe tun' did not help; the kernel needs TUN/TAP (CONFIG_TUN)."
  fi
  KCHK_NS="tovchk-$$"
  trap 'ip netns del "$KCHK_NS" 2>/dev/null || true' EXIT
  ip netns add "$KCHK_NS" 2>/dev/null \
    || die $EX_UNAVAILABLE "kernel: cannot create a network namespace (ip netns add); the kernel needs CONFIG_NET_NS."
  ip -n "$KCHK_NS" tuntap add mode tap name tovchk-tap 2>/dev/null \
    || die $EX_UNAVAILABLE "kernel: cannot create a TAP device in a namespace; the kernel needs TUN/TAP (CONFIG_TUN)."
  ip -n "$KCHK_NS" link add tovchk-a type veth peer name tovchk-b 2>/dev/null \
    || die $EX_UNAVAILABLE "kernel: cannot create a veth pair (ip link add type veth); the kernel needs CONFIG_VETH (modprobe veth)."
  ip -n "$KCHK_NS" link add name tovchk-br type bridge 2>/dev/null \
    || die $EX_UNAVAILABLE "kernel: cannot create a bridge (ip link add type bridge); the kernel needs CONFIG_BRIDGE (modprobe bridge)."
  ip netns del "$KCHK_NS"
  trap - EXIT
  echo "kernel: /dev/net/tun, netns, TAP, veth, bridge ok ($(uname -r))"
}

# ---------------------------------------------------------------------------------------- tiers

shell_scripts() {
  local f
  while IFS= read -r -d '' f; do
    if head -n1 "$f" | grep -qE '^#!.*(/|env )(ba)?sh\b'; then printf '%s\n' "$f"; fi
  done < <(find scripts .ci vagrant -type f -not -name '*.md' -print0 2>/dev/null | sort -z)
}

tier_static() {
  local f bad=0 scripts
  mapfile -t scripts < <(shell_scripts)
  echo "shell scripts: ${scripts[*]}"
  for f in "${scripts[@]}"; do
    bash -n "$f" || { echo "bash -n failed: $f"; bad=1; }
    [ -x "$f" ] || { echo "not executable: $f (git add --chmod=+x $f)"; bad=1; }
  done
  if command -v shellcheck >/dev/null 2>&1; then
    shellcheck -S warning "${scripts[@]}" || bad=1
    echo "shellcheck: done"
  else
    echo "shellcheck: not installed, skipped (apt-get install shellcheck)"
  fi
  # JNR is confined to native-bindings: nothing else may import it.
  local offenders
  offenders=$(find . -path ./native-bindings -prune -o -path '*/target' -prune -o -path ./.git -prune \
                -o -name '*.java' -print0 \
              | xargs -0 -r grep -nE '^[[:space:]]*import[[:space:]]+(static[[:space:]]+)?jnr\.' || true)
  if [ -n "$offenders" ]; then
    echo "jnr.* imported outside native-bindings (go through native-bindings' typed handles instead):"
    echo "$offenders"
    bad=1
  else
    echo "jnr imports: only in native-bindings"
  fi
  return "$bad"
}

# A process that is neither gone nor a zombie waiting to be reaped.
running() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

root_links() { ip -o link show | awk -F': ' '{print $2}' | sort; }

tier_lab() {
  local lab="$ROOT/scripts/lab.sh" before pid n
  export LAB_PREFIX="tovci$$"
  LAB_TMP=$(mktemp -d /tmp/tapover-lab-test.XXXXXX)
  before=$(root_links)
  trap '"$ROOT/scripts/lab.sh" down >/dev/null 2>&1 || true; rm -rf "$LAB_TMP"' EXIT
  "$lab" up
  "$lab" status
  # A temporary address on 'primary' (inside the lab's host namespace) to reach the peer.
  "$lab" exec host ip addr add 192.0.2.9/24 dev primary
  pid=$(LAB_CAPTURE_BG=1 "$lab" capture peer "$LAB_TMP/peer.pcap" 10)
  "$lab" exec host ping -c 3 -i 0.2 -W 1 -q 192.0.2.2
  kill -INT "$pid"
  for n in $(seq 1 30); do running "$pid" || break; sleep 0.1; done
  n=$(tshark -r "$LAB_TMP/peer.pcap" -Y 'icmp.type == 8 && ip.src == 192.0.2.9' 2>/dev/null | wc -l)
  echo "capture on the peer: $n echo requests"
  [ "$n" -ge 3 ] || { echo "expected >= 3 echo requests in the peer capture"; return 1; }
  "$lab" cable primary down
  if "$lab" exec host ping -c 2 -i 0.2 -W 1 -q 192.0.2.2; then
    echo "the peer still answered with the primary cable pulled"; return 1
  fi
  "$lab" cable primary up
  "$lab" down
  local left
  left=$(compgen -G "/var/run/netns/$LAB_PREFIX-*" || true)
  if [ -n "$left" ]; then echo "namespaces left behind: $left"; return 1; fi
  if [ "$(root_links)" != "$before" ]; then echo "root namespace links changed"; return 1; fi
  echo "lab: up/status/capture/cable/down ok, nothing left behind"
}

tier_maven() {
  local ns rc=0 leaked=0
  # Every namespace the netns wrapper creates during this run is listed in the ledger.
  export TAPOVER_NETNS_JVM_LEDGER
  TAPOVER_NETNS_JVM_LEDGER=$(mktemp /tmp/tapover-netns-ledger.XXXXXX)
  trap 'rm -f "$TAPOVER_NETNS_JVM_LEDGER"' EXIT
  # Fuzzing runs (Jazzer): each target a fixed number of executions from a fixed seed and a fresh corpus
  # (agent/pom.xml), so every CI run tries the same inputs and a finding cannot come and go at random.
  # Their seeds and committed findings also run as regression tests in the unit tier.
  local fuzz=-Dtapover.fuzz.skip=false
  [ "${TAPOVER_TEST_FUZZ:-1}" != 0 ] || fuzz=-Dtapover.fuzz.skip=true
  mvn -B verify "$fuzz" "$@" || rc=$?
  echo "test JVM namespaces created: $(wc -l <"$TAPOVER_NETNS_JVM_LEDGER")"
  # A namespace of this run still present now was left behind: report it and remove it.
  while IFS= read -r ns; do
    if [ -e "/var/run/netns/$ns" ]; then
      echo "WARNING: test namespace $ns was left behind by scripts/netns-jvm/bin/java; removing it"
      ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
      ip netns del "$ns" || true
      leaked=1
    fi
  done <"$TAPOVER_NETNS_JVM_LEDGER"
  [ "$leaked" -eq 0 ] || echo "WARNING: a test JVM namespace leaked (was a test JVM killed with SIGKILL?)"
  return "$rc"
}

tier_packaging() {
  local root deb had_pkg=0
  # 1. scripts/install.sh into a temporary root: the files land, the unit verifies, the launcher runs.
  root=$(mktemp -d /tmp/tapover-install.XXXXXX)
  scripts/install.sh --prefix "$root" --jar agent/target/tapover.jar
  for f in usr/share/tapover/tapover.jar usr/bin/tapover lib/systemd/system/tapover@.service \
           usr/share/tapover/tapover.env.example; do
    [ -e "$root/$f" ] || { echo "install.sh did not install $f"; return 1; }
  done
  TAPOVER_JAR="$root/usr/share/tapover/tapover.jar" "$root/usr/bin/tapover" --help >/dev/null
  echo "launcher from the temporary root: --help ok"
  rm -rf "$root"
  # 2. The Debian package: apt-get installs it, tapover --help works from PATH, then it is removed again.
  deb=$(ls agent/target/tapover_*_all.deb)
  dpkg-deb --info "$deb" >/dev/null
  if pkg_installed tapover; then had_pkg=1; fi
  if [ "$had_pkg" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q "./$deb" >/dev/null
    (cd / && tapover --help >/dev/null) && echo "deb: apt-get install ./$deb ok, tapover --help from PATH ok"
    # The installed unit, with its ExecStart really in place (systemd-analyze checks the binary exists).
    local rc=0
    if command -v systemd-analyze >/dev/null 2>&1; then
      systemd-analyze verify /lib/systemd/system/tapover@.service || rc=$?
      [ "$rc" -ne 0 ] || echo "unit: systemd-analyze verify ok"
    else
      echo "systemd-analyze: not available, unit not verified"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 remove -y -q tapover >/dev/null
    [ "$rc" -eq 0 ] || return "$rc"
  else
    echo "deb: a tapover package is already installed here; install check skipped, contents checked only"
    dpkg-deb -c "$deb" | grep -q './usr/bin/tapover' || return 1
  fi
  # 3. The Vagrant topology and the Wireshark profile.
  (cd vagrant && vagrant validate) && echo "vagrant validate: ok"
  ruby vagrant/test/vagrantfile_check.rb
  vagrant/test/scripts_check.sh
  wireshark/check-profile.sh
}

# ------------------------------------------------------------------------------------------ main

section setup
install_packages
install_promtool
check_kernel
if [ -n "${JAVA_HOME:-}" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=$(command -v java || true); fi
[ -n "$JAVA" ] || die $EX_UNAVAILABLE "no java on PATH; install a JDK or set JAVA_HOME."
JAVA_DESC="$("$JAVA" -version 2>&1 | head -n1) ($JAVA)"
echo "java: $JAVA_DESC"
# Failsafe hands its forks a JAVA_HOME of its own making (the directory above the netns wrapper's
# bin/), so the wrapper learns the JDK under test from this variable instead.
export TAPOVER_NETNS_JVM_JAVA="$JAVA"

RESULTS=()
FAILED=()
for tier in $TIERS; do
  section "tier $tier"
  start=$SECONDS
  set +e
  (
    set -e
    if [ "$tier" = maven ]; then tier_maven "$@"; else "tier_$tier"; fi
  )
  rc=$?
  set -e
  took=$((SECONDS - start))
  if [ "$rc" -eq 0 ]; then
    RESULTS+=("$(printf 'PASS  %-7s %4ss' "$tier" "$took")")
  else
    RESULTS+=("$(printf 'FAIL  %-7s %4ss  (exit %s)' "$tier" "$took" "$rc")")
    FAILED+=("$tier")
  fi
done

section "summary"
echo "java: $JAVA_DESC"
printf '  %s\n' "${RESULTS[@]}"
if [ ${#FAILED[@]} -eq 0 ]; then
  echo "test.sh: OK (tiers: $TIERS)"
else
  echo "test.sh: FAILED (tiers: ${FAILED[*]})"
  exit 1
fi
