# Shared helpers for the benchmark scripts (sourced): exit codes, messages, root check, build-if-stale, python.
# shellcheck shell=bash

PROG=${0##*/}
readonly EX_USAGE=64 EX_UNAVAILABLE=69 EX_SOFTWARE=70 EX_NOPERM=77
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BENCH_LIB=$BENCH_ROOT/scripts/bench/lib   # used by the scripts that source this file
export BENCH_LIB
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in scripts/bench/lib

die() { local code=$1; shift; echo "$PROG: $*" >&2; exit "$code"; }
usage_error() { echo "$PROG: $*" >&2; echo "Try '$PROG --help'." >&2; exit "$EX_USAGE"; }
note() { echo "$PROG: $*" >&2; }

need_root() {
  [ "$(id -u)" -eq 0 ] || die "$EX_NOPERM" "needs root for network namespaces and TAP devices; run it with sudo"
}

need_tool() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || die "$EX_UNAVAILABLE" "'$t' not found; install it (sudo scripts/test.sh installs what the project needs)"
  done
}

# The system python has matplotlib on Debian (python3-matplotlib); a pyenv shim on PATH may not.
bench_python() {
  if [ -n "${BENCH_PYTHON:-}" ]; then echo "$BENCH_PYTHON"
  elif [ -x /usr/bin/python3 ]; then echo /usr/bin/python3
  else command -v python3 || die "$EX_UNAVAILABLE" "python3 not found; install it (apt-get install python3)"
  fi
}

# Builds the agent jar, the test classes (JMH benchmarks included) and the test class path file when any
# of them is missing or older than a source file or POM. Quiet; Maven's output only on failure.
build_if_stale() {
  local jar=$BENCH_ROOT/agent/target/tapover.jar
  local list=$BENCH_ROOT/agent/target/test-classes/META-INF/BenchmarkList
  local cp=$BENCH_ROOT/agent/target/jmh-classpath.txt
  if [ -f "$jar" ] && [ -f "$list" ] && [ -f "$cp" ] \
      && [ -z "$(find "$BENCH_ROOT/agent/src" "$BENCH_ROOT/native-bindings/src" "$BENCH_ROOT/pom.xml" \
                  "$BENCH_ROOT/agent/pom.xml" "$BENCH_ROOT/native-bindings/pom.xml" -newer "$jar" -type f -print -quit)" ]; then
    return 0
  fi
  note "building the agent and its test classes (mvn package -DskipTests)"
  local log
  log=$(mktemp /tmp/tovb-build.XXXXXX.log)
  local args=(-B -pl agent -am -DskipTests package dependency:build-classpath -Dmdep.includeScope=test
              "-Dmdep.outputFile=$cp")
  # Offline first (fast, no network); online once if something is not in the local repository yet.
  if ! (cd "$BENCH_ROOT" && mvn -o "${args[@]}" >"$log" 2>&1) \
      && ! (cd "$BENCH_ROOT" && mvn "${args[@]}" >"$log" 2>&1); then
    tail -40 "$log" >&2
    die "$EX_SOFTWARE" "the build failed (log above, full log $log); fix it and rerun"
  fi
  rm -f "$log"
}

# "17.0.15" for a java binary.
java_version() {
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.runtime\.version = //p' | head -1
}
