#!/usr/bin/env bash
# Runs alibi4j's TornadoVM checks on a machine that has a GPU but no JDK and no package registries,
# from the bundle scripts/device-bundle.sh packs (this script travels inside it):
#
#   tar -xJf alibi4j-device.tar.xz -C DIR
#   DIR/alibi4j-device/device-check.sh OUT [info] [tests] [smoke] [bench] [peer]   # default: all five
#
# info: the backends and their devices; tests: the kernels/ module's JUnit tests (JUnit's console
# launcher, with the flags Surefire gives them); smoke: `alibi4j smoke`; bench: the suite's short mode
# (RESULTS.md and the chart into OUT/bench); peer: scripts/pytorch_peer.py where PyTorch is installed.
# Each stage writes OUT/<stage>.txt; the exit status is non-zero if any stage failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: device-check.sh OUT [info] [tests] [smoke] [bench] [peer]}
shift
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(info tests smoke bench peer)
mkdir -p "$out"

export JAVA_HOME=$here/jdk
TORNADOVM_HOME=$(ls -d "$here"/sdk/*/ | head -1)
export TORNADOVM_HOME=${TORNADOVM_HOME%/}
# The SDK's argfile names the folder it was packed from.
packed_from=$(cat "$TORNADOVM_HOME/.packed-from")
sed -i "s#$packed_from#$TORNADOVM_HOME#g" "$TORNADOVM_HOME/tornado-argfile"

# OpenCL: the packed ICD loader finds the vendors' drivers in /etc/OpenCL/vendors; a container given
# NVIDIA's driver libraries may lack that file, so name the driver's OpenCL library directly.
export LD_LIBRARY_PATH=$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if ! ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
  nvidia_opencl=$(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so\.1/ {print $NF; exit}')
  if [ -n "$nvidia_opencl" ]; then
    mkdir -p "$here/icd" && echo "$nvidia_opencl" > "$here/icd/nvidia.icd"
    export OCL_ICD_VENDORS=$here/icd
  fi
fi
# Needed where the device is PoCL (its LLVM replaces the JVM's SIGSEGV handler); harmless elsewhere.
export LD_PRELOAD=$JAVA_HOME/lib/libjsig.so

java=("$JAVA_HOME/bin/java" "@$TORNADOVM_HOME/tornado-argfile" -Dtornado.recover.bailout=False)
classpath=$here/lib/alibi4j.jar:$here/lib/alibi4j-tornado.jar

stage_info() {
  "${java[@]}" -cp "$classpath" org.alibi4j.cli.Main info
}

stage_tests() {
  # As kernels/pom.xml runs them: -da for TornadoVM's packages only (see the comment there). The
  # classes go on the JVM's class path, not the launcher's --class-path: TornadoVM reads @Parallel
  # from class files it finds through the system class loader.
  local junit
  junit=$(ls "$here"/lib/junit-platform-console-standalone-*.jar)
  "${java[@]}" -Xmx8g "-da:uk.ac.manchester.tornado..." -cp "$junit:$here/test-classes:$classpath" \
    org.junit.platform.console.ConsoleLauncher execute --select-package org.alibi4j.tornado \
    --fail-if-no-tests --details=summary --disable-banner --reports-dir "$out/junit"
}

stage_smoke() {
  "${java[@]}" -cp "$classpath" org.alibi4j.cli.Main smoke
}

stage_bench() {
  local device
  device=$("${java[@]}" -cp "$classpath" org.alibi4j.cli.Main info | awk '$1 == "tornado" && $3 == "available" {$1 = $2 = $3 = ""; sub(/^ +/, ""); print; exit}')
  "$JAVA_HOME/bin/java" -Dalibi4j.bench.tornadoDevice="$device" -cp "$here/lib/benchmarks.jar" \
    org.alibi4j.bench.Suite short "$out/bench"
}

stage_peer() {
  python3 "$here/pytorch_peer.py"
}

failed=()
for stage in "${stages[@]}"; do
  if ! declare -F "stage_$stage" >/dev/null; then
    echo "device-check: unknown stage '$stage' (info, tests, smoke, bench, peer)" >&2
    exit 2
  fi
  start=$SECONDS
  echo "== $stage"
  "stage_$stage" > "$out/$stage.txt" 2>&1
  status=$?
  tail -n 15 "$out/$stage.txt"
  echo "== $stage: exit $status after $((SECONDS - start)) s"
  [ "$status" -eq 0 ] || failed+=("$stage")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "device-check: failed: ${failed[*]}"
  exit 1
fi
echo "device-check: every stage passed"
