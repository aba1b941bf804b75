#!/usr/bin/env bash
# Builds and runs the JMH suite, then writes bench/RESULTS.md and bench/bandwidth.png.
#
#   scripts/bench.sh short   # the headline sizes, under 10 minutes on 2 cores
#   scripts/bench.sh full    # every size: the real measurement
#   scripts/bench.sh ci DIR  # tiny benchmarks (bias, attention), results into DIR (what CI runs)
#   scripts/bench.sh attention bench/attention  # the attention benchmarks only, every shape
#
# The attention section quotes the PyTorch peer's figures from bench/pytorch-cpu.properties, written by
#   python3 scripts/pytorch_peer.py --attention --out bench/pytorch-cpu
#
# Where TORNADOVM_HOME is set, the TornadoVM benchmarks run too (short and full modes).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-short}
out=${2:-bench}
JAVA_HOME=$(scripts/find-jdk25.sh)
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"

mvn -B -q -pl bench -am package -DskipTests

device=""
if [ -n "${TORNADOVM_HOME:-}" ]; then
  # The TornadoVM benchmarks fork JVMs with the SDK's flags (Suite passes them); they inherit this
  # environment, and on PoCL the JVM needs the JDK's signal chaining preloaded.
  export LD_PRELOAD="$JAVA_HOME/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}"
  device=$("$TORNADOVM_HOME/bin/tornado" --devices 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' \
    | grep -A1 -m1 'DEFAULT' | tail -1 | sed 's/^[[:space:]]*//' || true)
fi
java -Dalibi4j.bench.tornadoDevice="$device" -cp bench/target/benchmarks.jar org.alibi4j.bench.Suite "$mode" "$out"
