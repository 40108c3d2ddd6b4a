#!/usr/bin/env bash
# Benchmarks live update on a throwaway netns lab: handoff gap and frames lost per upgrade at 1 k and 10 k frames/s.
set -euo pipefail

readonly EX_USAGE=64 EX_UNAVAILABLE=69 EX_SOFTWARE=70 EX_NOPERM=77

usage() {
  cat <<'EOF'
Usage: sudo scripts/bench/liveupdate.sh [--trials N] [--rates "1000 10000"] [--seconds S] [--jar PATH]

Builds nothing: it needs agent/target/tapover.jar (mvn -q -DskipTests package), or --jar. It brings up the
netns lab (scripts/lab.sh, LAB_PREFIX=tovblu<pid>: nothing in your namespace), starts one agent per
rate on the lab's host, and runs N trials per rate. Each trial:

  - a counter on the master fo0 and one on the peer's eth0 start (scripts/bench/seqframes.py),
  - the peer sends RATE sequence-numbered frames/s to the master, and the host sends RATE frames/s
    from fo0 to the peer, for S seconds (default 10),
  - after 1.5 s, `tapover upgrade` hands the master to a new agent process,
  - the counters report frames lost (sent - unique received; a frame not in 3 s after the last one
    was sent counts as lost) and the largest gap between two
    arrivals; the agent reports the handoff gap (freeze to the successor reading) and how long
    it was frozen (freeze to SERVING).

Prints one line per trial on stderr; on stdout a Markdown table (median, min, max per rate) and
RESULT lines (docs/benchmarks.md's convention): liveupdate.gap_ms.<rate> (median handoff gap, target
<= 50 ms), liveupdate.lost.<rate> (frames lost in all trials, target 0), and min/max/frozen/wire-gap
figures; <rate> is 1k, 10k, or the number. Working files go to $BENCH_OUT_DIR (else a temporary
directory). Every loop is bounded; the lab is removed on exit, also on failure.

Options:
  --trials N       upgrades per rate (default 5, at most 50)
  --rates LIST     frames/s, space separated (default "1000 10000", each at most 50000)
  --seconds S      traffic per trial (default 10, 4 to 60); the upgrade starts 1.5 s in
  --jar PATH       run this tapover.jar instead of agent/target/tapover.jar (both the agent and its
                   successors), e.g. a build of another branch to compare with in the same session

Exit codes: 0 done, 64 usage, 69 a tool or the jar is missing, 70 a trial failed, 77 not root.
EOF
}

die() { local code=$1; shift; echo "liveupdate.sh: $*" >&2; exit "$code"; }

TRIALS=5
RATES="1000 10000"
SECONDS_PER_TRIAL=10
JAR=
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --trials) TRIALS=${2:-}; shift 2 ;;
    --rates) RATES=${2:-}; shift 2 ;;
    --seconds) SECONDS_PER_TRIAL=${2:-}; shift 2 ;;
    --jar) JAR=${2:-}; shift 2 ;;
    *) echo "liveupdate.sh: unknown option $1" >&2; usage >&2; exit $EX_USAGE ;;
  esac
done
in_range() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
if ! in_range "$TRIALS" 1 50; then die $EX_USAGE "--trials must be 1 to 50"; fi
if ! in_range "$SECONDS_PER_TRIAL" 4 60; then die $EX_USAGE "--seconds must be 4 to 60"; fi
for r in $RATES; do
  if ! in_range "$r" 1 50000; then die $EX_USAGE "each rate must be 1 to 50000 frames/s, got '$r'"; fi
done

[ "$(id -u)" -eq 0 ] || die $EX_NOPERM "must run as root (network namespaces, TAP); run: sudo scripts/bench/liveupdate.sh"
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
if [ -n "$JAR" ]; then
  [ -f "$JAR" ] || die $EX_UNAVAILABLE "--jar $JAR does not exist; point it at a built tapover.jar"
  TAPOVER_JAR=$(readlink -f "$JAR")
  export TAPOVER_JAR
else
  [ -f "$ROOT/agent/target/tapover.jar" ] || die $EX_UNAVAILABLE "agent/target/tapover.jar is missing; build it: (cd $ROOT && mvn -q -DskipTests package)"
  export TAPOVER_JAR="$ROOT/agent/target/tapover.jar"
fi
command -v python3 >/dev/null || die $EX_UNAVAILABLE "python3 is missing; install it (apt-get install python3)"
command -v ip >/dev/null || die $EX_UNAVAILABLE "ip is missing; install iproute2"

export LAB_PREFIX="tovblu$$"
HOST="$LAB_PREFIX-host"
PEER="$LAB_PREFIX-peer"
if [ -n "${BENCH_OUT_DIR:-}" ]; then
  WORK=$BENCH_OUT_DIR/liveupdate
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d /tmp/tapover-bench-lu.XXXXXX)
fi
MAC=02:00:5e:00:53:01
SOCK="$WORK/fo0.sock"
PIDS=()

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  # the agent of the last generation was started by its predecessor: stop it by the pid it reports
  if [ -S "$SOCK" ]; then
    p=$(ip netns exec "$HOST" "$ROOT/scripts/tapover" status --control "$SOCK" --json 2>/dev/null \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["liveUpdate"]["pid"])' 2>/dev/null || true)
    if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; fi
    sleep 1
  fi
  "$ROOT/scripts/lab.sh" down >/dev/null 2>&1 || true
  echo "liveupdate.sh: logs in $WORK" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$ROOT/scripts/lab.sh" up >/dev/null
PEER_MAC=$(ip netns exec "$PEER" cat /sys/class/net/eth0/address)

in_host() { ip netns exec "$HOST" "$@"; }
# A field of a JSON document on stdin: the whole input, or else its last line (seqframes prints several).
json() {
  python3 -c "
import json, sys
text = sys.stdin.read().strip()
try:
    d = json.loads(text)
except ValueError:
    d = json.loads(text.splitlines()[-1])
print(d$1)"
}

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
for rate in $RATES; do
  echo "== $rate frames/s each way, $TRIALS upgrades" >&2
  in_host "$ROOT/scripts/tapover" run --master fo0 --primary primary --standby standby --address 192.0.2.1/24 \
    --mac "$MAC" --control "$SOCK" >"$WORK/agent-$rate.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 600); do grep -q "event=takeover-listening" "$WORK/agent-$rate.log" && break; sleep 0.1; done
  grep -q "event=takeover-listening" "$WORK/agent-$rate.log" || die $EX_SOFTWARE "the agent did not start; see $WORK/agent-$rate.log"
  for trial in $(seq "$TRIALS"); do
    t="$WORK/$rate-$trial"
    count=$((rate * SECONDS_PER_TRIAL))
    # started with `ip netns exec` itself (not the in_host function) so that $! is timeout, which passes
    # a SIGTERM on to the counter
    ip netns exec "$HOST" timeout $((SECONDS_PER_TRIAL + 30)) python3 "$ROOT/scripts/bench/seqframes.py" recv --ifname fo0 --run 1 \
      --expect "$count" --seconds $((SECONDS_PER_TRIAL + 20)) >"$t.recv-master" &
    r1=$!
    ip netns exec "$PEER" timeout $((SECONDS_PER_TRIAL + 30)) python3 "$ROOT/scripts/bench/seqframes.py" recv --ifname eth0 \
      --run 2 --expect "$count" --seconds $((SECONDS_PER_TRIAL + 20)) >"$t.recv-peer" &
    r2=$!
    sleep 0.5
    ip netns exec "$PEER" timeout $((SECONDS_PER_TRIAL + 10)) python3 "$ROOT/scripts/bench/seqframes.py" send --ifname eth0 \
      --dst "$MAC" --rate "$rate" --count "$count" --run 1 >"$t.send-peer" &
    s1=$!
    in_host timeout $((SECONDS_PER_TRIAL + 10)) python3 "$ROOT/scripts/bench/seqframes.py" send --ifname fo0 \
      --dst "$PEER_MAC" --rate "$rate" --count "$count" --run 2 >"$t.send-master" &
    s2=$!
    sleep 1.5
    in_host "$ROOT/scripts/tapover" upgrade --control "$SOCK" --json >"$t.upgrade" 2>&1 \
      || die $EX_SOFTWARE "trial $trial at $rate/s: the upgrade failed: $(cat "$t.upgrade")"
    wait "$s1" "$s2" || true
    # The counters stop once they have every frame; otherwise 3 s after the last frame was sent (a frame
    # later than that counts as lost), so a trial with losses does not hold up the run.
    for _ in $(seq 30); do
      kill -0 "$r1" 2>/dev/null || kill -0 "$r2" 2>/dev/null || break
      sleep 0.1
    done
    kill -TERM "$r1" "$r2" 2>/dev/null || true
    wait "$r1" "$r2" || true
    gap=$(json "['gapMs']" <"$t.upgrade")
    frozen=$(json "['frozenMs']" <"$t.upgrade")
    sent1=$(json "['sent']" <"$t.send-peer"); got1=$(json "['unique']" <"$t.recv-master")
    sent2=$(json "['sent']" <"$t.send-master"); got2=$(json "['unique']" <"$t.recv-peer")
    wire1=$(json "['maxGapMs']" <"$t.recv-master"); wire2=$(json "['maxGapMs']" <"$t.recv-peer")
    lost=$(( (sent1 - got1) + (sent2 - got2) ))
    # the serving agent's own drop counters (all reasons, master and links, continued across generations):
    # tells frames the agent dropped from frames lost on the way (kernel queues, the counters' sockets)
    drops=$(in_host "$ROOT/scripts/tapover" status --control "$SOCK" --json 2>/dev/null | python3 -c '
import json, sys
g = json.load(sys.stdin)["groups"][0]
counters = [g["master"]["counters"]] + [link["counters"] for link in g["links"]]
print(sum(sum(c["drops"].values()) for c in counters))' 2>/dev/null || echo "?")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rate" "$trial" "$gap" "$frozen" "$wire1" "$wire2" \
      "$((sent1 + sent2))" "$lost" >>"$RESULTS"
    printf '  trial %2d: handoff gap %7.1f ms (frozen %7.1f ms), wire gap %7.1f / %7.1f ms, frames %d, lost %d (agent drops so far %s)\n' \
      "$trial" "$gap" "$frozen" "$wire1" "$wire2" "$((sent1 + sent2))" "$lost" "$drops" >&2
  done
  p=$(in_host "$ROOT/scripts/tapover" status --control "$SOCK" --json | json "['liveUpdate']['pid']")
  kill "$p"
  for _ in $(seq 100); do [ -S "$SOCK" ] || break; sleep 0.1; done
done

python3 - "$RESULTS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
print(f"{len(rows)} upgrades on {sys.argv[2]} cores, load average {sys.argv[3]} at the end\n")
print("| frames/s each way | upgrades | handoff gap ms (median / min / max) | frozen ms (median / min / max) "
      "| largest wire gap ms, peer→master (median / max) | frames sent | frames lost |")
print("|---|---|---|---|---|---|---|")
results = []
for rate in dict.fromkeys(r[0] for r in rows):
    rs = [r for r in rows if r[0] == rate]
    col = lambda i: [float(r[i]) for r in rs]
    fmt = lambda v: f"{statistics.median(v):.1f} / {min(v):.1f} / {max(v):.1f}"
    gap, frozen, wire = col(2), col(3), col(4)
    sent, lost = sum(int(r[6]) for r in rs), sum(int(r[7]) for r in rs)
    print(f"| {int(rate):,} | {len(rs)} | {fmt(gap)} | {fmt(frozen)} | {statistics.median(wire):.1f} / {max(wire):.1f} "
          f"| {sent:,} | {lost} |")
    tag = f"{int(rate) // 1000}k" if int(rate) % 1000 == 0 else rate
    n = len(rs)
    each = f"{int(rate):,} frames/s each way"
    results += [
        f'RESULT liveupdate.gap_ms.{tag}={statistics.median(gap):.3f} unit=ms n={n} label="live update: handoff gap, {each}, median"',
        f'RESULT liveupdate.lost.{tag}={lost} unit=frames n={n} label="live update: frames lost in {n} upgrades, {each}"',
        f"RESULT liveupdate.handoff.{tag}.min={min(gap):.3f} unit=ms n={n}",
        f"RESULT liveupdate.handoff.{tag}.max={max(gap):.3f} unit=ms n={n}",
        f"RESULT liveupdate.frozen.{tag}.median={statistics.median(frozen):.3f} unit=ms n={n}",
        f"RESULT liveupdate.wire_gap.{tag}.median={statistics.median(wire):.3f} unit=ms n={n}",
        f"RESULT liveupdate.wire_gap.{tag}.max={max(wire):.3f} unit=ms n={n}",
        f"RESULT liveupdate.frames.{tag}={sent} unit=frames n={n}",
    ]
print()
print("\n".join(results))
PY
