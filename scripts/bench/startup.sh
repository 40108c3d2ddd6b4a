#!/usr/bin/env bash
# Measures the agent's start-up (start -> READY, control socket answers) and footprint (RSS, CPU, threads after N s) under JDK 17 and JDK 25.
set -euo pipefail

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

usage() {
  cat <<EOF
Usage: sudo scripts/bench/startup.sh [--trials N] [--rss-after SECONDS] [--rss-runs N]
                                     [--jdk LABEL=JAVA_HOME]... [--no-plot]

Runs the real agent on throwaway netns labs (scripts/lab.sh, prefix tovbsu<pid>...):
  ip netns exec <lab>-host env JAVA_HOME=<jdk> scripts/tapover run --master fo0 \\
     --primary primary --standby standby --address 192.0.2.1/24 --control /run/tapover/<lab>.sock

1. start-up, one agent at a time, TRIALS times per JDK: time from the start to the
   'event=ready' log line and to the first answer of the control socket; RSS then;
   one 'tapover status' (a CLI JVM of its own) against it; SIGTERM -> exit.
2. footprint: RSS-RUNS agents per JDK, each on a lab of its own, all side by side for
   SECONDS: RSS, threads and CPU used while idle, sampled every second (and plotted).

Options:
  --trials N            start-up trials per JDK (default 5)
  --rss-after SECONDS   how long the footprint agents run (default \$STARTUP_RSS_SECONDS or 60)
  --rss-runs N          footprint agents per JDK (default 2; 0 skips the footprint phase)
  --jdk LABEL=JAVA_HOME a JDK to measure (repeatable); default:
                        17=/usr/lib/jvm/java-17-openjdk-amd64 25=/usr/lib/jvm/temurin-25-jdk-amd64
                        (a default JDK that is not installed is skipped with a note)
  --no-plot             do not write startup-rss.png
  -h, --help            this text

Output: the table on stdout, then RESULT lines (startup.jdk<LABEL>.<metric>.<median|min|max>).
Files (agent logs, samples, startup-rss.png) go to \$BENCH_OUT_DIR, else to a temporary
directory that is removed unless something failed. About 35 s + SECONDS + 10 s per lab.

Exit codes: 0 ok, 64 usage, 69 a tool or JDK is missing, 70 a trial failed, 77 not root.
EOF
}

trials=5 rss_after=${STARTUP_RSS_SECONDS:-60} rss_runs=2 plot=1
jdks=()
while [ $# -gt 0 ]; do
  case $1 in
    --trials) [ $# -ge 2 ] || usage_error "--trials needs a number"; trials=$2; shift ;;
    --rss-after) [ $# -ge 2 ] || usage_error "--rss-after needs SECONDS"; rss_after=$2; shift ;;
    --rss-runs) [ $# -ge 2 ] || usage_error "--rss-runs needs a number"; rss_runs=$2; shift ;;
    --jdk) [ $# -ge 2 ] || usage_error "--jdk needs LABEL=JAVA_HOME"; jdks+=("$2"); shift ;;
    --no-plot) plot=0 ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
  shift
done
[[ $trials =~ ^[0-9]{1,3}$ ]] && [ "$trials" -ge 1 ] || usage_error "--trials must be a whole number from 1 to 999, got '$trials'"
[[ $rss_after =~ ^[0-9]{1,4}$ ]] && [ "$rss_after" -ge 5 ] || usage_error "--rss-after must be whole seconds from 5 to 9999, got '$rss_after'"
[[ $rss_runs =~ ^[0-9]{1,2}$ ]] || usage_error "--rss-runs must be a whole number from 0 to 99, got '$rss_runs'"

need_root
need_tool ip timeout
py=$(bench_python)
lab=$BENCH_ROOT/scripts/lab.sh
tapover=$BENCH_ROOT/scripts/tapover

explicit=1
if [ ${#jdks[@]} -eq 0 ]; then
  explicit=0
  jdks=("17=/usr/lib/jvm/java-17-openjdk-amd64" "25=/usr/lib/jvm/temurin-25-jdk-amd64")
fi
labels=() homes=() versions=()
for spec in "${jdks[@]}"; do
  label=${spec%%=*} home=${spec#*=}
  [[ $label =~ ^[A-Za-z0-9_]+$ ]] && [ "$label" != "$spec" ] || usage_error "--jdk wants LABEL=JAVA_HOME (LABEL: letters, digits, _), got '$spec'"
  if [ ! -x "$home/bin/java" ]; then
    [ "$explicit" = 0 ] || die "$EX_UNAVAILABLE" "$home/bin/java not found; install that JDK or fix --jdk $spec"
    note "JDK $label ($home) is not installed: skipped"
    continue
  fi
  labels+=("$label"); homes+=("$home"); versions+=("$label=$(java_version "$home/bin/java")")
done
[ ${#labels[@]} -gt 0 ] || die "$EX_UNAVAILABLE" "no JDK to measure; install one or pass --jdk LABEL=JAVA_HOME"

build_if_stale

work=${BENCH_OUT_DIR:-}
own_work=0
if [ -z "$work" ]; then work=$(mktemp -d /tmp/tovb-startup.XXXXXX); own_work=1; fi
prefix=tovbsu$$
labs=()
helper=
failed=0

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  if [ -n "$helper" ]; then kill -TERM "$helper" 2>/dev/null || true; wait "$helper" 2>/dev/null || true; fi
  for p in "${labs[@]}"; do
    LAB_PREFIX=$p "$lab" down >&2 || true
    rm -f "/run/tapover/$p.sock"
  done
  if [ "$own_work" = 1 ]; then
    if [ "$rc" -eq 0 ]; then rm -rf "$work"; else note "logs kept in $work"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

lab_up() {
  labs+=("$1")
  LAB_PREFIX=$1 "$lab" up >&2
}

agent_argv() {  # LAB JAVA_HOME: sets the array argv to the agent's command line
  argv=(ip netns exec "$1-host" env "JAVA_HOME=$2" "$tapover" run --master fo0 --primary primary
        --standby standby --address 192.0.2.1/24 --control "/run/tapover/$1.sock")
}

json_list() { "$py" -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@"; }

# Runs the python helper in the background, so a TERM from all.sh's timeout reaches the trap at once.
run_helper() {
  "$py" "$BENCH_LIB/startup.py" "$@" &
  helper=$!
  local rc=0
  wait "$helper" || rc=$?
  helper=
  return "$rc"
}

# ---- 1. start-up trials, one agent at a time, on one lab; JDKs alternate so drift hits both alike.
note "start-up: $trials trials for each of JDK ${labels[*]}"
tlab=${prefix}t
lab_up "$tlab"
: >"$work/startup-trials.jsonl"
for ((t = 1; t <= trials; t++)); do
  for i in "${!labels[@]}"; do
    if ip -n "$tlab-host" link show fo0 >/dev/null 2>&1; then
      note "fo0 was left behind by the previous trial in $tlab-host; deleting it"
      ip -n "$tlab-host" link del fo0
      failed=1
    fi
    status_cmd=$(json_list env "JAVA_HOME=${homes[$i]}" "$tapover" status --control "/run/tapover/$tlab.sock")
    agent_argv "$tlab" "${homes[$i]}"
    run_helper trial --label "${labels[$i]}" --trial "$t" --control "/run/tapover/$tlab.sock" \
      --log "$work/agent-${labels[$i]}-trial$t.log" --timeout 60 --status-cmd "$status_cmd" \
      -- "${argv[@]}" >>"$work/startup-trials.jsonl" || failed=1
    note "  $(tail -1 "$work/startup-trials.jsonl")"
  done
done
LAB_PREFIX=$tlab "$lab" down >&2

# ---- 2. footprint: all agents side by side, each on its own lab.
fp=
if [ "$rss_runs" -gt 0 ]; then
  note "footprint: $rss_runs agents for each of JDK ${labels[*]}, side by side for ${rss_after}s"
  spec="["
  for i in "${!labels[@]}"; do
    for ((r = 1; r <= rss_runs; r++)); do
      flab=${prefix}f${labels[$i]}r$r
      lab_up "$flab"
      agent_argv "$flab" "${homes[$i]}"
      spec+=$("$py" -c 'import json,sys; print(json.dumps({"jdk": sys.argv[1], "run": int(sys.argv[2]),
              "control": sys.argv[3], "log": sys.argv[4], "cmd": sys.argv[5:]}))' \
              "${labels[$i]}" "$r" "/run/tapover/$flab.sock" "$work/agent-${labels[$i]}-footprint$r.log" \
              "${argv[@]}"),
    done
  done
  spec="${spec%,}]"
  echo "$spec" >"$work/footprint-spec.json"
  fp=$work/startup-footprint.json
  run_helper footprint --spec "$work/footprint-spec.json" --seconds "$rss_after" --out "$fp" || failed=1
fi

# ---- report
report=(report --trials "$work/startup-trials.jsonl" --rss-after "$rss_after")
if [ -n "$fp" ]; then report+=(--footprint "$fp"); fi
if [ "$plot" = 1 ] && [ -n "$fp" ]; then report+=(--plot "$work/startup-rss.png"); fi
for i in "${!labels[@]}"; do report+=(--jdk "${labels[$i]}" --version "${versions[$i]}"); done
"$py" "$BENCH_LIB/startup.py" "${report[@]}" || failed=1
if [ "$own_work" = 1 ] && [ "$plot" = 1 ] && [ -f "$work/startup-rss.png" ]; then
  cp "$work/startup-rss.png" ./startup-rss.png && note "plot: ./startup-rss.png"
fi
[ "$failed" = 0 ] || exit "$EX_SOFTWARE"
