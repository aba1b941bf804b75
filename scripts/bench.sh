#!/usr/bin/env bash
# Builds and runs the JMH suite, then writes bench/RESULTS.md and bench/bandwidth.png.
#
#   scripts/bench.sh short   # the headline sizes, under 10 minutes on 2 cores
#   scripts/bench.sh full    # every size: the real measurement
#   scripts/bench.sh ci DIR  # one tiny CPU benchmark, results into DIR (what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-short}
out=${2:-bench}
JAVA_HOME=$(scripts/find-jdk25.sh)
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"

mvn -B -q -pl bench -am package -DskipTests
java -cp bench/target/benchmarks.jar org.alibi4j.bench.Suite "$mode" "$out"
