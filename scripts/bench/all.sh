#!/usr/bin/env bash
# Runs every benchmark script in scripts/bench unattended, keeps their outputs and plots, checks nothing is left behind, and regenerates docs/benchmarks.md.
set -euo pipefail

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

# The known benchmarks, in the order they run (the quietest-sensitive first); any other scripts/bench/*.sh
# runs after them.
KNOWN=(carrier-detect failover datapath liveupdate startup jmh)

usage() {
  cat <<EOF
Usage: sudo scripts/bench/all.sh [--quick] [--only NAMES] [--skip NAMES] [--timeout SECONDS]
                                 [--note TEXT] [--no-docs]

Runs each benchmark script that exists, one at a time: ${KNOWN[*]},
then any other scripts/bench/*.sh (except soak.sh, a long run of its own). A known script that does not exist yet is skipped with a note.
Each runs in a fresh directory (also its \$BENCH_OUT_DIR) under a time limit; its stdout is kept in
docs/bench-results/<name>.txt, its PNG plots are copied to docs/img/, and docs/benchmarks.md is
rewritten between its <!-- bench:<name>:begin/end --> markers, with a summary against the targets
and the machine it ran on. Finally it checks that no tovb* namespace or socket is left behind.

Options:
  --quick            fewer trials and shorter runs (about 4 minutes instead of about 10)
  --only NAMES       run only these scripts (comma-separated names, e.g. jmh,startup)
  --skip NAMES       do not run these scripts
  --timeout SECONDS  time limit per script (default 300)
  --note TEXT        a note shown under the machine table (default: \$BENCH_NOTE)
  --no-docs          keep results in the run directory only; leave docs/ alone
  -h, --help         this text

Environment: BENCH_ARGS_<name> / BENCH_ENV_<name> (dashes as underscores) replace the arguments /
environment settings all.sh gives a script, e.g. BENCH_ARGS_startup="--trials 3 --rss-after 30",
BENCH_ENV_failover="PULLS=60"; STARTUP_RSS_SECONDS (default 60); BENCH_NS_PATTERN, the names of
benchmark namespaces for the leftover check (default ^tovb).

Exit codes: 0 every script ran and exited 0 and nothing was left behind, 64 usage, 69 a tool is
missing, 70 a script failed or timed out or something was left behind, 77 not root.
EOF
}

quick=0 only="" skip="" per_timeout=300 note=${BENCH_NOTE:-} docs=1
ns_pattern=${BENCH_NS_PATTERN:-^tovb}
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --only) [ $# -ge 2 ] || usage_error "--only needs NAMES"; only=$2; shift ;;
    --skip) [ $# -ge 2 ] || usage_error "--skip needs NAMES"; skip=$2; shift ;;
    --timeout) [ $# -ge 2 ] || usage_error "--timeout needs SECONDS"; per_timeout=$2; shift ;;
    --note) [ $# -ge 2 ] || usage_error "--note needs TEXT"; note=$2; shift ;;
    --no-docs) docs=0 ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
  shift
done
[[ $per_timeout =~ ^[0-9]{1,5}$ ]] && [ "$per_timeout" -ge 10 ] || usage_error "--timeout must be whole seconds from 10, got '$per_timeout'"

need_root
need_tool ip timeout setsid mvn
py=$(bench_python)
bench=$BENCH_ROOT/scripts/bench

in_list() {  # NAME LIST(comma-separated)
  case ",$2," in *",$1,"*) return 0 ;; *) return 1 ;; esac
}

default_args() {  # NAME -> the arguments all.sh gives it (one per line)
  case $1:$quick in
    carrier-detect:0) echo 20 ;;
    carrier-detect:1) echo 8 ;;
    datapath:1) printf '%s\n' --rounds 1 --seconds 2 ;;
    startup:0) printf '%s\n' --trials 5 --rss-after "${STARTUP_RSS_SECONDS:-60}" --rss-runs 2 ;;
    startup:1) printf '%s\n' --trials 2 --rss-after 15 --rss-runs 1 ;;
    jmh:1) echo --quick ;;
    *) ;;
  esac
}

default_env() {  # NAME OUTDIR -> environment settings all.sh gives it (KEY=VALUE, one per line)
  case $1 in
    failover) echo "PLOT=$2/failover-latency.png"; echo "OUT=$2/raw" ;;
  esac
  case $1:$quick in
    failover:1) echo PULLS=10; echo TAP_PULLS=4 ;;
  esac
}

# The scripts to consider: the known ones in order, then the others alphabetically.
names=("${KNOWN[@]}")
for f in "$bench"/*.sh; do
  n=$(basename "$f" .sh)
  # soak.sh is a long run (10,000 failovers take 15-40 minutes): run it by itself, never from here.
  [ "$n" != all ] && [ "$n" != soak ] || continue
  in_list "$n" "$(IFS=,; echo "${KNOWN[*]}")" || names+=("$n")
done
if [ -n "$only" ]; then
  for n in ${only//,/ }; do in_list "$n" "$(IFS=,; echo "${names[*]}")" || usage_error "--only: no benchmark named '$n' (known: ${names[*]})"; done
fi

run_dir=$(mktemp -d /tmp/tovb-all.XXXXXX)
results=$BENCH_ROOT/docs/bench-results
img=$BENCH_ROOT/docs/img
manifest=$run_dir/manifest.tsv
info=$run_dir/info.txt
: >"$manifest"
current=""

on_exit() {
  local rc=$?
  if [ -n "$current" ]; then
    # Stop the running script's process group and give its traps time to remove its namespaces.
    kill -TERM -- "-$current" 2>/dev/null || true
    wait "$current" 2>/dev/null || true
  fi
  note "run directory (logs, raw outputs): $run_dir"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- machine and start state
utc() { date -u +%Y-%m-%dT%H:%M:%SZ; }
started=$(utc)
t_start=$(date +%s)
jdk_line() {  # LABEL HOME
  if [ -x "$2/bin/java" ]; then echo "$1: $(java_version "$2/bin/java") ($2)"; else echo "$1: not installed"; fi
}
{
  echo "started=$started"
  echo "cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
  echo "cpus=$(nproc) online ($(lscpu 2>/dev/null | sed -n 's/^Thread(s) per core: */threads per core: /p' | head -1), $(lscpu 2>/dev/null | sed -n 's/^Core(s) per socket: */cores per socket: /p' | head -1), $(lscpu 2>/dev/null | sed -n 's/^Socket(s): */sockets: /p' | head -1))"
  echo "memory=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "virt=$( (systemd-detect-virt 2>/dev/null || lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor: *//p') | head -1 | sed 's/^$/none detected/')"
  echo "os=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}")"
  echo "kernel=$(uname -r)"
  echo "jdks=$(jdk_line 'JDK 17' /usr/lib/jvm/java-17-openjdk-amd64); $(jdk_line 'JDK 25' /usr/lib/jvm/temurin-25-jdk-amd64); default java: $(java_version "$(command -v java)")"
  echo "maven=$(mvn -v 2>/dev/null | head -1 | sed 's/\x1b\[[0-9;]*m//g')"
  echo "commit=$(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$BENCH_ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)') on branch $(git -C "$BENCH_ROOT" rev-parse --abbrev-ref HEAD 2>/dev/null || echo '?')"
  echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "note=$note"
} >"$info"
ls /var/run/netns 2>/dev/null | sort >"$run_dir/netns-before.txt" || true

note "building once before the benchmarks"
build_if_stale

# ---- run
overall=0
for n in "${names[@]}"; do
  script=$bench/$n.sh
  date_now=$(utc)
  if [ -n "$only" ] && ! in_list "$n" "$only"; then continue; fi
  if in_list "$n" "$skip"; then
    printf '%s\tskipped\t\t0\t0\t%s\t\t\t%s\n' "$n" "$date_now" "skipped with --skip" >>"$manifest"
    note "$n: skipped (--skip)"
    continue
  fi
  if [ ! -f "$script" ]; then
    printf '%s\tmissing\t\t0\t0\t%s\t\t\t\n' "$n" "$date_now" >>"$manifest"
    note "$n: scripts/bench/$n.sh does not exist in this tree; skipped"
    continue
  fi
  var=BENCH_ARGS_${n//-/_}
  args=()
  if [ -n "${!var+x}" ]; then
    read -r -a args <<<"${!var}"
  else
    mapfile -t args < <(default_args "$n")
  fi
  out=$run_dir/$n
  mkdir -p "$out"
  envs=()
  evar=BENCH_ENV_${n//-/_}
  if [ -n "${!evar+x}" ]; then
    read -r -a envs <<<"${!evar}"
  else
    mapfile -t envs < <(default_env "$n" "$out")
  fi
  touch "$out/.started"
  note "$n: running ${envs[*]:+${envs[*]} }scripts/bench/$n.sh ${args[*]} (limit ${per_timeout}s)"
  t0=$(date +%s%N)
  rc=0
  # setsid: the script and everything it starts form one process group, which the time limit (and
  # an interrupted all.sh) can stop as a whole; the scripts' own traps then remove their namespaces.
  (cd "$out" && exec env BENCH_OUT_DIR="$out" "${envs[@]}" setsid timeout --kill-after=30 "$per_timeout" bash "$script" "${args[@]}") \
    >"$out/stdout.txt" 2>"$run_dir/$n.log" &
  current=$!
  wait "$current" || rc=$?
  current=""
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  secs=$((ms / 1000)).$(( (ms % 1000) / 100 ))
  timed_out=0
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then timed_out=1; fi
  sed -r 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$out/stdout.txt" >"$out/$n.txt"
  images=()
  while IFS= read -r -d '' png; do
    base=$(basename "$png")
    case $base in "$n"-*) dest=$base ;; *) dest=$n-$base ;; esac
    images+=("img/$dest")
    if [ "$docs" = 1 ]; then mkdir -p "$img"; cp "$png" "$img/$dest"; fi
  done < <(find "$out" -name '*.png' -type f -print0 | sort -z)
  # A script that writes its plots straight into docs/img: link the ones it wrote during this run.
  while IFS= read -r -d '' png; do
    case " ${images[*]} " in *" img/$(basename "$png") "*) continue ;; esac
    images+=("img/$(basename "$png")")
  done < <(find "$img" -maxdepth 1 -name '*.png' -type f -newer "$out/.started" -print0 2>/dev/null | sort -z)
  printf '%s\tran\t%s\t%s\t%s\t%s\t%s\t%s\t\n' "$n" "$rc" "$secs" "$timed_out" "$date_now" "${args[*]}" \
    "$(IFS=,; echo "${images[*]}")" >>"$manifest"
  if [ "$rc" -eq 0 ]; then
    note "$n: done in ${secs%.*}s"
  else
    overall=1
    note "$n: FAILED (exit $rc$([ "$timed_out" = 0 ] || echo ', time limit reached') after ${secs%.*}s); end of its log:"
    tail -5 "$run_dir/$n.log" | sed 's/^/    /' >&2
  fi
done

# ---- leftovers: only what benchmarks create ($ns_pattern), never touched, only reported
sleep 1
ls /var/run/netns 2>/dev/null | sort >"$run_dir/netns-after.txt" || true
left=$(comm -13 "$run_dir/netns-before.txt" "$run_dir/netns-after.txt" | grep -E "$ns_pattern" | tr '\n' ' ' || true)
socks=$(find /run/tapover -maxdepth 1 -name 'tovb*' -newer "$info" 2>/dev/null | tr '\n' ' ' || true)
leftovers=""
if [ -n "$left" ]; then leftovers="namespaces: $left"; fi
if [ -n "$socks" ]; then leftovers="$leftovers${leftovers:+; }sockets: $socks"; fi
if [ -n "$leftovers" ]; then
  overall=1
  note "LEFT BEHIND by the benchmarks: $leftovers"
else
  note "nothing left behind (no new namespace matching $ns_pattern, no /run/tapover/tovb* socket)"
fi

t_end=$(date +%s)
{
  echo "finished=$(utc)"
  echo "seconds=$((t_end - t_start))"
  echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "leftovers=$leftovers"
} >>"$info"

# ---- results and docs
if [ "$docs" = 1 ]; then
  mkdir -p "$results"
  while IFS=$'\t' read -r n status _; do
    if [ "$status" = ran ]; then cp "$run_dir/$n/$n.txt" "$results/$n.txt"; fi
  done <"$manifest"
  "$py" "$BENCH_LIB/summary.py" render --doc "$BENCH_ROOT/docs/benchmarks.md" --results "$results" \
    --manifest "$manifest" --info "$info" --logs "$run_dir"
  note "docs/benchmarks.md, docs/bench-results/ and docs/img/ regenerated"
else
  files=()
  while IFS=$'\t' read -r n status _; do
    if [ "$status" = ran ]; then files+=("$run_dir/$n/$n.txt"); fi
  done <"$manifest"
  if [ ${#files[@]} -gt 0 ]; then "$py" "$BENCH_LIB/summary.py" targets "${files[@]}"; fi
fi
total=$((t_end - t_start))
note "total $((total / 60))m$((total % 60))s$([ "$total" -le 900 ] || echo ' (over the 15-minute budget)')"
[ "$overall" = 0 ] || exit "$EX_SOFTWARE"
