#!/usr/bin/env bash
# Longer fuzzing on demand: runs each Jazzer target (dev.tapover.fuzz) with the standalone driver for a chosen time.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/fuzz.sh [TARGET...]     targets: rtnl control config config-file (default: all four)

Fuzzes each target for TAPOVER_FUZZ_SECONDS seconds (default 300) with Jazzer's standalone driver, over
the test classpath of agent/ (built offline with Maven first), with a random libFuzzer seed (printed
as "INFO: Seed:"; TAPOVER_FUZZ_SEED=N repeats one). The corpus grows in agent/.fuzz-corpus/<class>/
(git-ignored) starting from the committed seeds; CI's runs use agent/.cifuzz-corpus, emptied each time.
A crash stops that target and is written to
agent/src/test/resources/dev/tapover/fuzz/<Class>Inputs/<method>/crash-*: commit it and the unit tier
replays it as a regression test from then on (mvn test runs every file there).

CI (scripts/test.sh, mvn verify) fuzzes each target a fixed number of executions from a fixed seed
(surefire executions fuzz-rtnl, fuzz-control, fuzz-config, fuzz-config-file, JAZZER_FUZZ=1; the counts
are RUNS in each test class, the seed tapover.fuzz.seed in agent/pom.xml); this script is for the long
random runs. Needs no root and no network namespace: the targets are pure.
Exit codes: 0 no finding, 1 a finding (or a build failure), 64 usage.
EOF
}

case ${1:-} in -h|--help) usage; exit 0 ;; esac
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_EACH=${TAPOVER_FUZZ_SECONDS:-300}
[[ $SECONDS_EACH =~ ^[0-9]+$ ]] && [ "$SECONDS_EACH" -ge 1 ] \
  || { echo "fuzz: TAPOVER_FUZZ_SECONDS must be a whole number of seconds, got '$SECONDS_EACH'" >&2; exit 64; }
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(rtnl control config config-file)
SEED=${TAPOVER_FUZZ_SEED:-0}   # 0: libFuzzer picks one
[[ $SEED =~ ^[0-9]+$ ]] || { echo "fuzz: TAPOVER_FUZZ_SEED must be a whole number, got '$SEED'" >&2; exit 64; }

CP_FILE=$(mktemp /tmp/tapover-fuzz-cp.XXXXXX)
trap 'rm -f "$CP_FILE"' EXIT
(cd "$ROOT" && mvn -B -q -o -pl agent -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=test)
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

status=0
for t in "${TARGETS[@]}"; do
  case $t in
    rtnl) class=RtnlDecoderFuzzTest; method=datagram ;;
    control) class=ControlProtocolFuzzTest; method=requestBytes ;;
    config) class=ConfigFuzzTest; method=runArguments ;;
    config-file) class=ConfigFileFuzzTest; method=yaml ;;
    *) echo "fuzz: unknown target '$t'; use rtnl, control, config or config-file" >&2; exit 64 ;;
  esac
  seeds=$ROOT/agent/src/test/resources/dev/tapover/fuzz/${class}Inputs/$method
  corpus=$ROOT/agent/.fuzz-corpus/dev.tapover.fuzz.$class/$method
  mkdir -p "$corpus"
  echo "fuzz: $class for $SECONDS_EACH s (corpus $corpus)"
  if ! (cd "$ROOT/agent" && "$JAVA" -cp "target/test-classes:target/classes:$(cat "$CP_FILE")" \
        com.code_intelligence.jazzer.Jazzer --target_class="dev.tapover.fuzz.$class" \
        '--instrumentation_includes=dev.tapover.**' -max_total_time="$SECONDS_EACH" -runs=-1 -seed="$SEED" -rss_limit_mb=0 \
        -artifact_prefix="$seeds/" "$corpus" "$seeds" 2>&1 | grep -E '^(#[0-9]+ +(INITED|DONE)|Done|==|INFO: Seed|.*Test unit written|.*Exception|.*Error)' ); then
    :
  fi
  if ls "$seeds"/crash-* >/dev/null 2>&1 && [ -n "$(cd "$ROOT" && git status --porcelain -- "$seeds")" ]; then
    echo "fuzz: $class: new finding(s) in $seeds; commit them as regression fixtures and fix the code"
    status=1
  fi
done
exit $status
