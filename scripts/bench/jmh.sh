#!/usr/bin/env bash
# Runs the JMH micro-benchmarks of tapover's hot code (netlink decoding, frame building, policy, data path) and prints a table.
set -euo pipefail

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

usage() {
  cat <<EOF
Usage: [sudo] scripts/bench/jmh.sh [--quick|--short] [--filter REGEX] [--no-tap] [--java PATH]

Builds the agent's test classes if needed and runs the JMH benchmarks in
agent/src/test/java/dev/tapover/jmh (JMH 1.37): average time per operation
(ns/op) and bytes allocated per operation (B/op, from -prof gc).

  NetlinkBench       decode RTM_NEWLINK / RTM_NEWADDR (golden kernel fixtures),
                     decode + LinkTable diff of a carrier change
  AnnouncementBench  build a gratuitous ARP, an unsolicited NA, a whole plan (pcap4j)
  PolicyBench        ActiveLinkSelector.decide, FailoverGroup.linkChanged
  FrameFilterBench   the per-frame receive decision of the data path
  TapBench           a 64-byte frame through a real TAP and a packet socket, each way
                     (root only: runs in a throwaway namespace tovbjmh-<pid>)

Default run: -f 1 -wi 3 -i 5 -w 1s -r 1s, about 2 minutes on 2 cores.

Options:
  --quick         -wi 1 -i 2 -w 500ms -r 500ms (about 40 s; for trying things out)
  --short         -wi 2 -i 3 -w 1s -r 1s (about 90 s; what scripts/bench/all.sh runs)
  --filter REGEX  only benchmarks matching REGEX (JMH syntax, e.g. 'Policy|Netlink')
  --no-tap        leave out TapBench even when running as root
  --java PATH     the java to run (default \$JAVA_HOME/bin/java, else java on PATH)
  -h, --help      this text

Output: a header and the table on stdout, then one RESULT line per benchmark
  RESULT jmh.<class>.<method>=<score> unit=ns/op n=<iterations> err=<99.9% CI> alloc_bytes=<B/op>
JMH's own log goes to \$BENCH_OUT_DIR/jmh.log (and its JSON to jmh.json) when BENCH_OUT_DIR is set,
else to a temporary file that is kept only when something failed.

Exit codes: 0 ok, 64 usage, 69 java, mvn or python missing, 70 the build or a benchmark failed.
EOF
}

quick=0 filter="" no_tap=0 java=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --short) quick=2 ;;
    --filter) [ $# -ge 2 ] || usage_error "--filter needs a REGEX"; filter=$2; shift ;;
    --no-tap) no_tap=1 ;;
    --java) [ $# -ge 2 ] || usage_error "--java needs a PATH"; java=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
  shift
done

if [ -z "$java" ]; then
  if [ -n "${JAVA_HOME:-}" ]; then java=$JAVA_HOME/bin/java; else java=$(command -v java || true); fi
fi
{ [ -n "$java" ] && [ -x "$java" ]; } || die "$EX_UNAVAILABLE" "no java found; install a JDK 17+ or pass --java PATH"
need_tool mvn timeout
py=$(bench_python)

tap=1
if [ "$no_tap" = 1 ]; then
  tap=0
elif [ "$(id -u)" -ne 0 ]; then
  tap=0
  note "not root: TapBench (a real TAP in a throwaway namespace) is left out; run with sudo to include it"
fi
if [ "$tap" = 1 ]; then need_tool ip; fi

build_if_stale

work=$(mktemp -d /tmp/tovb-jmh.XXXXXX)
ns=
keep_work=0
cleanup() {
  local rc=$?
  if [ -n "$ns" ]; then ip netns del "$ns" 2>/dev/null || true; fi
  if [ "$keep_work" = 0 ]; then rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

regex=${filter:-'dev\.tapover\.jmh\..*'}
excludes=()
if [ "$tap" = 0 ]; then excludes=(-e 'TapBench'); fi
case $quick in
  1) timing=(-wi 1 -i 2 -w 500ms -r 500ms) ;;
  2) timing=(-wi 2 -i 3 -w 1s -r 1s) ;;
  *) timing=(-wi 3 -i 5 -w 1s -r 1s) ;;
esac

target=$BENCH_ROOT/agent/target
cp="$target/test-classes:$target/classes:$(cat "$target/jmh-classpath.txt")"
out=${BENCH_OUT_DIR:-$work}
log=$out/jmh.log
json=$out/jmh.json
rm -f "$json"
run=("$java" --enable-native-access=ALL-UNNAMED -cp "$cp" org.openjdk.jmh.Main "$regex" "${excludes[@]}"
     -f 1 "${timing[@]}" -prof gc -rf json -rff "$json" -o "$log")

version=$(java_version "$java")
echo "JMH micro-benchmarks: JMH 1.37, Java $version, -f 1 ${timing[*]}, one thread."
echo "score = average time per operation; B/op = bytes allocated per operation (-prof gc)."
if [ "$tap" = 0 ]; then echo "TapBench left out (it needs root)."; fi
echo

note "running JMH (log: $log)"
rc=0
if [ "$tap" = 1 ]; then
  ns=tovbjmh-$$
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  TAPOVER_BENCH_NETNS=$ns timeout 900 ip netns exec "$ns" "${run[@]}" || rc=$?
else
  timeout 900 "${run[@]}" || rc=$?
fi
if [ "$rc" -ne 0 ] || [ ! -s "$json" ]; then
  keep_work=1
  tail -30 "$log" >&2 || true
  die "$EX_SOFTWARE" "JMH failed (exit $rc); the end of its log ($log) is above"
fi
"$py" "$BENCH_LIB/jmh_table.py" "$json"
if grep -q '<failure>' "$log"; then
  keep_work=1
  die "$EX_SOFTWARE" "a benchmark failed: its stack trace is in $log"
fi
