#!/usr/bin/env bash
# Measures how fast the link monitor reports a TAP's carrier loss: 10 ms sysfs poll vs netlink only, side by side.
#
# Usage: sudo scripts/bench/carrier-detect.sh [TRIALS_PER_MODE]     (default 25; about 2.5 s per pair)
# Runs dev.tapover.netlink.CarrierDetectBench (agent test classes) inside a throwaway network namespace
# tovbench-<pid> that is deleted on every exit; builds the agent first if its sources changed.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
trials=${1:-25}
case $trials in ''|*[!0-9]*) echo "carrier-detect.sh: TRIALS must be a number, got '$trials'" >&2; exit 64 ;; esac
[ "$(id -u)" = 0 ] || { echo "carrier-detect.sh: needs root for network namespaces and TAP: run it with sudo" >&2; exit 77; }
command -v ip >/dev/null || { echo "carrier-detect.sh: 'ip' (iproute2) not found: install iproute2" >&2; exit 69; }

jar=$root/agent/target/tapover.jar
classes=$root/agent/target/test-classes
bench=$classes/dev/tapover/netlink/CarrierDetectBench.class
if [ ! -f "$jar" ] || [ ! -f "$bench" ] \
    || [ -n "$(find "$root/agent/src" "$root/native-bindings/src" -newer "$jar" -type f -print -quit)" ]; then
  (cd "$root" && mvn -q -o -pl agent -am -DskipTests package)
fi

java=${TAPOVER_JAVA:-$(command -v java)}
ns=tovbench-$$
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip -n "$ns" link set lo up
TAPOVER_TEST_NETNS=$ns timeout 600 ip netns exec "$ns" "$java" --enable-native-access=ALL-UNNAMED \
  -Dlogback.configurationFile=/dev/null -cp "$classes:$jar" dev.tapover.netlink.CarrierDetectBench "$trials"
