#!/usr/bin/env bash
# Runs every benchmark script in scripts/bench unattended, keeps their outputs and plots, checks nothing is left behind, and regenerates docs/benchmarks.md.
set -euo pipefail
# The whole script is one brace group, parsed before it runs: editing this file during a run cannot change it.
{

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

# The benchmarks all.sh runs, in this order (the most timing-sensitive first). Any other scripts/bench/*.sh
# (the long soak, for one) runs only when --only names it.
KNOWN=(carrier-detect failover failover-timeline datapath liveupdate startup jmh)

usage() {
  cat <<EOF
Usage: sudo scripts/bench/all.sh [--quick] [--only NAMES] [--skip NAMES] [--budget SECONDS]
                                 [--timeout SECONDS] [--note TEXT] [--no-docs] [--keep]

Runs the benchmarks one at a time, in this order: ${KNOWN[*]}.
Any other scripts/bench/*.sh (the long soak, for one) runs only when --only names it.
Each runs in a fresh directory (also its \$BENCH_OUT_DIR) under its own time limit, cut further so the
whole run stays within the budget (a script with less than 20 s left is not started; both are said on
the terminal and in docs/benchmarks.md). Its stdout is kept in docs/bench-results/<name>.txt, its PNG
plots are copied to docs/img/, and docs/benchmarks.md is rewritten between its
<!-- bench:<name>:begin/end --> markers, with a summary against the targets of the issues and the
machine it ran on. After each script, and at the end, it checks that nothing is left behind: no
process of the script's process group, no new tovb* namespace, no /run/tapover/tovb* socket, no new
/tmp/tovb* or /tmp/tapover-* file; the run directory is removed when the run passed (--keep keeps it).

Time limits (seconds): $(for n in "${KNOWN[@]}"; do printf '%s %s, ' "$n" "$(default_limit "$n")"; done | sed 's/, $//').
Default budget for the whole run (build included): 870 s (14.5 minutes).

Options:
  --quick            fewer trials and shorter runs (about 5 minutes instead of about 13)
  --only NAMES       run only these scripts (comma-separated names, e.g. jmh,startup)
  --skip NAMES       do not run these scripts
  --budget SECONDS   time for the whole run, build included (default 870)
  --timeout SECONDS  one time limit for every script instead of the ones above
  --note TEXT        a note shown under the machine table (default: \$BENCH_NOTE)
  --no-docs          keep results in the run directory only; leave docs/ alone (implies --keep)
  --keep             keep the run directory (logs, raw data) even when the run passed
  -h, --help         this text

Environment: BENCH_ARGS_<name> / BENCH_ENV_<name> (dashes as underscores) replace the arguments /
environment settings all.sh gives a script, e.g. BENCH_ARGS_startup="--trials 3 --rss-after 30",
BENCH_ENV_failover="PULLS=60"; STARTUP_RSS_SECONDS (default 60); BENCH_NS_PATTERN, the names of
benchmark namespaces for the leftover check (default ^tovb).

Exit codes: 0 every script ran and exited 0 within its limit and nothing was left behind, 64 usage,
69 a tool is missing, 70 a script failed, was stopped or not started for lack of time, or something
was left behind, 77 not root.
EOF
}

# What each benchmark typically takes on a busy 2-core machine (seconds): all.sh keeps this much of the
# budget for the ones still to run, so a slow one is cut instead of starving the rest.
typical() {
  case $1:$quick in
    carrier-detect:0) echo 40 ;;
    failover:0) echo 190 ;;
    failover-timeline:*) echo 20 ;;
    datapath:0) echo 170 ;;
    liveupdate:0) echo 115 ;;
    startup:0) echo 125 ;;
    jmh:0) echo 95 ;;
    *:1) echo 30 ;;
    *) echo 60 ;;
  esac
}

# The time limit of each benchmark (seconds), about 1.3 times what it typically takes.
default_limit() {
  case $1 in
    carrier-detect) echo 75 ;;
    failover) echo 260 ;;
    failover-timeline) echo 60 ;;
    datapath) echo 220 ;;
    liveupdate) echo 170 ;;
    startup) echo 170 ;;
    jmh) echo 150 ;;
    *) echo 300 ;;
  esac
}

quick=0 only="" skip="" per_timeout="" budget=870 note=${BENCH_NOTE:-} docs=1 keep=0
ns_pattern=${BENCH_NS_PATTERN:-^tovb}
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --only) [ $# -ge 2 ] || usage_error "--only needs NAMES"; only=$2; shift ;;
    --skip) [ $# -ge 2 ] || usage_error "--skip needs NAMES"; skip=$2; shift ;;
    --budget) [ $# -ge 2 ] || usage_error "--budget needs SECONDS"; budget=$2; shift ;;
    --timeout) [ $# -ge 2 ] || usage_error "--timeout needs SECONDS"; per_timeout=$2; shift ;;
    --note) [ $# -ge 2 ] || usage_error "--note needs TEXT"; note=$2; shift ;;
    --no-docs) docs=0; keep=1 ;;
    --keep) keep=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
  shift
done
if [ -n "$per_timeout" ]; then
  [[ $per_timeout =~ ^[0-9]{1,5}$ ]] && [ "$per_timeout" -ge 10 ] || usage_error "--timeout must be whole seconds from 10, got '$per_timeout'"
fi
[[ $budget =~ ^[0-9]{1,5}$ ]] && [ "$budget" -ge 60 ] || usage_error "--budget must be whole seconds from 60, got '$budget'"

need_root
need_tool ip timeout setsid mvn pgrep ps
py=$(bench_python)
bench=$BENCH_ROOT/scripts/bench

in_list() {  # NAME LIST(comma-separated)
  case ",$2," in *",$1,"*) return 0 ;; *) return 1 ;; esac
}

default_args() {  # NAME -> the arguments all.sh gives it (one per line)
  case $1:$quick in
    carrier-detect:0) echo 20 ;;
    carrier-detect:1) echo 8 ;;
    datapath:0) printf '%s\n' --rounds 3 --seconds 3 ;;
    datapath:1) printf '%s\n' --rounds 1 --seconds 2 ;;
    liveupdate:0) printf '%s\n' --trials 5 --seconds 6 ;;
    liveupdate:1) printf '%s\n' --trials 2 --seconds 5 ;;
    startup:0) printf '%s\n' --trials 5 --rss-after "${STARTUP_RSS_SECONDS:-60}" --rss-runs 2 ;;
    startup:1) printf '%s\n' --trials 2 --rss-after 15 --rss-runs 1 ;;
    jmh:0) echo --short ;;
    jmh:1) echo --quick ;;
    *) ;;
  esac
}

default_env() {  # NAME OUTDIR LIMIT -> environment settings all.sh gives it (KEY=VALUE, one per line)
  case $1 in
    failover) echo "PLOT=$2/failover-latency.png"; echo "OUT=$2/raw" ;;
    # datapath starts no new round once its own budget would be passed: leave it room to finish one
    datapath) echo "DATAPATH_BUDGET_SECONDS=$(( $3 > 90 ? $3 - 40 : 50 ))" ;;
  esac
  case $1:$quick in
    failover:0) echo PULLS=50; echo TUNED_PULLS=10; echo TAP_PULLS=10 ;;
    failover:1) echo PULLS=10; echo TUNED_PULLS=4; echo TAP_PULLS=4 ;;
  esac
}

# The scripts to consider: the known ones in order; the others only when --only names them.
names=("${KNOWN[@]}")
others=()
for f in "$bench"/*.sh; do
  n=$(basename "$f" .sh)
  [ "$n" != all ] || continue
  in_list "$n" "$(IFS=,; echo "${KNOWN[*]}")" || others+=("$n")
done
if [ -n "$only" ]; then
  for n in ${only//,/ }; do
    in_list "$n" "$(IFS=,; echo "${names[*]},${others[*]}")" \
      || usage_error "--only: no benchmark named '$n' (known: ${names[*]} ${others[*]})"
    in_list "$n" "$(IFS=,; echo "${names[*]}")" || names+=("$n")
  done
fi

t_start=$(date +%s)
deadline=$((t_start + budget))
run_dir=$(mktemp -d /tmp/tovb-all.XXXXXX)
results=$BENCH_ROOT/docs/bench-results
img=$BENCH_ROOT/docs/img
manifest=$run_dir/manifest.tsv
info=$run_dir/info.txt
: >"$manifest"
current=""
overall=0

on_exit() {
  local rc=$?
  if [ -n "$current" ]; then
    # Stop the running script's process group and give its traps time to remove its namespaces.
    kill -TERM -- "-$current" 2>/dev/null || true
    wait "$current" 2>/dev/null || true
  fi
  if [ "$keep" = 0 ] && [ "$rc" = 0 ]; then
    rm -rf "$run_dir"
  else
    note "run directory (logs, raw outputs): $run_dir"
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- machine and start state
utc() { date -u +%Y-%m-%dT%H:%M:%SZ; }
started=$(utc)
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
  echo "budget=$budget"
  echo "note=$note"
} >"$info"
ls /var/run/netns 2>/dev/null | sort >"$run_dir/netns-before.txt" || true
# Temporary files the benchmarks (or the tools they run) make; files of other jobs are not ours to judge.
tmp_entries() { find /tmp -mindepth 1 -maxdepth 1 \( -name 'tovb*' -o -name 'tapover-*' \) ! -path "$run_dir" 2>/dev/null | sort; }
tmp_entries >"$run_dir/tmp-before.txt"

note "building once before the benchmarks"
t_build=$(date +%s)
build_if_stale
echo "build_seconds=$(( $(date +%s) - t_build ))" >>"$info"

# ---- run
leftovers=""
script_pids=()
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
  # Its time limit: its own, cut to what is left of the budget once the typical times of the scripts
  # after it are set aside (and 20 s for the docs at the end).
  limit=${per_timeout:-$(default_limit "$n")}
  reserve=0 after=0
  for m in "${names[@]}"; do
    if [ "$after" = 1 ] && { [ -z "$only" ] || in_list "$m" "$only"; } && ! in_list "$m" "$skip" \
        && [ -f "$bench/$m.sh" ]; then
      reserve=$((reserve + $(typical "$m")))
    fi
    [ "$m" != "$n" ] || after=1
  done
  left=$((deadline - $(date +%s) - 20 - reserve))
  # never less than its typical time while the budget itself has room (the ones after it are cut then)
  typ=$(typical "$n")
  room=$((deadline - $(date +%s) - 20))
  if [ "$left" -lt "$typ" ]; then left=$(( room < typ ? room : typ )); fi
  cut=""
  if [ "$left" -lt 20 ]; then
    overall=1
    printf '%s\tskipped\t\t0\t0\t%s\t\t\t%s\n' "$n" "$date_now" \
      "not started: ${left#-} s of the ${budget} s budget left" >>"$manifest"
    note "$n: NOT STARTED: only $left s of the ${budget} s budget left"
    continue
  fi
  if [ "$left" -lt "$limit" ]; then
    cut="time limit cut from ${limit} s to ${left} s by the ${budget} s budget"
    note "$n: $cut"
    limit=$left
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
    mapfile -t envs < <(default_env "$n" "$out" "$limit")
  fi
  touch "$out/.started"
  note "$n: running ${envs[*]:+${envs[*]} }scripts/bench/$n.sh ${args[*]} (limit ${limit}s)"
  t0=$(date +%s%N)
  rc=0
  # setsid: the script and everything it starts form one process group (its id is $current), which the
  # time limit (and an interrupted all.sh) can stop as a whole; the scripts' own traps then remove their
  # namespaces. SIGKILL follows 20 s after SIGTERM.
  (cd "$out" && exec env BENCH_OUT_DIR="$out" "${envs[@]}" setsid timeout --kill-after=20 "$limit" bash "$script" "${args[@]}") \
    >"$out/stdout.txt" 2>"$run_dir/$n.log" &
  current=$!
  # The script's own PID (timeout's child): its namespaces and temporary files carry it in their names.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    spid=$(pgrep -P "$current" 2>/dev/null | head -1 || true)
    [ -z "$spid" ] || { script_pids+=("$spid"); break; }
    sleep 0.1
  done
  wait "$current" || rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  secs=$((ms / 1000)).$(( (ms % 1000) / 100 ))
  # Anything of its process group still running (a daemonised agent, a capture) is left behind: say so,
  # then stop it (the group is the one this loop created). Zombies are not counted: they have exited, and
  # where PID 1 does not reap orphans (a container without an init) they stay listed until it does.
  stray=$(ps -e -o pid=,pgid=,stat= 2>/dev/null | awk -v g="$current" '$2 == g && $3 !~ /^Z/ { print $1 }' \
          | paste -sd, - || true)
  if [ -n "$stray" ]; then
    leftovers="$leftovers${leftovers:+; }$n: processes $(ps -o pid=,comm= -p "$stray"     2>/dev/null | awk '{printf "%s%s(%s)", s, $2, $1; s=" "}')"
    note "$n: LEFT processes running: $stray; stopping them"
    kill -TERM -- "-$current" 2>/dev/null || true
    sleep 2
    kill -KILL -- "-$current" 2>/dev/null || true
  fi
  current=""
  timed_out=0
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then timed_out=1; fi
  sed -r 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$out/stdout.txt" >"$out/$n.txt"
  images=()
  while IFS= read -r -d '' png; do
    base=$(basename "$png")
    case $base in "$n".png|"$n"-*) dest=$base ;; *) dest=$n-$base ;; esac
    images+=("img/$dest")
    if [ "$docs" = 1 ]; then mkdir -p "$img"; cp "$png" "$img/$dest"; fi
  done < <(find "$out" -name '*.png' -type f -print0 | sort -z)
  # A script that writes its plots straight into docs/img: link the ones it wrote during this run.
  while IFS= read -r -d '' png; do
    case " ${images[*]} " in *" img/$(basename "$png") "*) continue ;; esac
    images+=("img/$(basename "$png")")
  done < <(find "$img" -maxdepth 1 -name '*.png' -type f -newer "$out/.started" -print0 2>/dev/null | sort -z)
  printf '%s\tran\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$rc" "$secs" "$timed_out" "$date_now" "${args[*]}" \
    "$(IFS=,; echo "${images[*]}")" "$cut" >>"$manifest"
  if [ "$rc" -eq 0 ]; then
    note "$n: done in ${secs%.*}s"
  else
    overall=1
    note "$n: FAILED (exit $rc$([ "$timed_out" = 0 ] || echo ", stopped by its ${limit} s time limit") after ${secs%.*}s); end of its log:"
    tail -5 "$run_dir/$n.log" | sed 's/^/    /' >&2
  fi
done

# ---- leftovers: what the benchmarks of this run created and did not remove, reported, never removed here.
# Other jobs on the machine may create tovb* namespaces or /tmp files meanwhile: a namespace or file counts as
# ours when its name carries the PID of one of this run's scripts, or (files) a prefix only these scripts use.
sleep 1
ours() {  # NAME -> 0 when it carries one of this run's script PIDs
  local p
  for p in "${script_pids[@]}"; do
    [[ $1 =~ (^|[^0-9])$p([^0-9]|$) ]] && return 0
  done
  return 1
}
ls /var/run/netns 2>/dev/null | sort >"$run_dir/netns-after.txt" || true
tmp_entries >"$run_dir/tmp-after.txt"
left_ns="" left_tmp="" foreign=""
while read -r ns; do
  [ -n "$ns" ] || continue
  if ours "$ns"; then left_ns="$left_ns$ns "; else foreign="$foreign$ns "; fi
done < <(comm -13 "$run_dir/netns-before.txt" "$run_dir/netns-after.txt" | grep -E "$ns_pattern" || true)
while read -r f; do
  [ -n "$f" ] || continue
  case $(basename "$f") in
    tovb-jmh.*|tovb-build.*|tovb-timeline.*|tovb-startup.*|tapover-failover.*|tapover-bench-lu.*) left_tmp="$left_tmp$f " ;;
    *) if ours "$(basename "$f")"; then left_tmp="$left_tmp$f "; else foreign="$foreign$f "; fi ;;
  esac
done < <(comm -13 "$run_dir/tmp-before.txt" "$run_dir/tmp-after.txt")
socks=$(find /run/tapover -maxdepth 1 -name 'tovb*' -newer "$info" 2>/dev/null | tr '\n' ' ' || true)
if [ -n "$left_ns" ]; then leftovers="$leftovers${leftovers:+; }namespaces: $left_ns"; fi
if [ -n "$socks" ]; then leftovers="$leftovers${leftovers:+; }sockets: $socks"; fi
if [ -n "$left_tmp" ]; then leftovers="$leftovers${leftovers:+; }files: $left_tmp"; fi
if [ -n "$foreign" ]; then
  note "appeared during the run but not made by it (another job's; left alone, not counted): $foreign"
fi
if [ -n "$leftovers" ]; then
  overall=1
  note "LEFT BEHIND by the benchmarks: $leftovers"
else
  note "nothing left behind (checked: the processes of each benchmark's group, new namespaces matching $ns_pattern named after a benchmark's PID (${script_pids[*]}), /run/tapover/tovb* sockets, new /tmp/tovb* and /tmp/tapover-* files)"
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
exit 0
}
