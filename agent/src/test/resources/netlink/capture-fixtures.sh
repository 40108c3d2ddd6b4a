#!/bin/bash
# Re-captures the rtnetlink golden fixtures inside a throwaway network namespace (deleted on any exit).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ns=tovnl-cap-$$
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
ip -n "$ns" link set lo up
TAPOVER_TEST_NETNS=$ns timeout 60 ip netns exec "$ns" python3 "$here/capture-fixtures.py" "${1:-$here}"
