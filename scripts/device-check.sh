#!/usr/bin/env bash
# Runs alibi4j's TornadoVM checks on a GPU machine that has no JDK and no package registries, from the
# bundle scripts/device-bundle.sh packs (this script travels inside it). It needs nothing from the
# environment (it works under `env -i`):
#
#   tar -xJf alibi4j-device.tar.xz -C DIR
#   DIR/alibi4j-device/device-check.sh OUT [smoke] [tests] [peer] [bench]   # default: all, in this order
#
# Stages, in this order, each under `timeout`, all within one deadline (ALIBI4J_DEADLINE_S, default
# 480 s): a stage that has not started when too little time is left is skipped and named.
#   info   always first: finds NVIDIA's OpenCL driver and libcuda, writes an OpenCL vendor file naming the
#          driver by its absolute path, prints `nvidia-smi -L`, then asks each TornadoVM backend the
#          bundle carries (opencl, then ptx) for its device; the first whose device matches
#          ALIBI4J_EXPECT_DEVICE (default NVIDIA) runs the other stages. None: one line with each
#          backend's reason, smoke/tests/bench are not run, the peer still is, and the check fails.
#   smoke  `alibi4j smoke --backend tornado` on every backend that reached the device; passes only if
#          its rows ran on the device and matched the reference bit for bit.
#   tests  the kernels/ module's JUnit tests (as Surefire runs them) on every backend that reached the
#          device; JUnit's XML reports go into one archive.
#   peer   scripts/pytorch_peer.py (x-transformers' arithmetic in PyTorch); passes only on CUDA.
#   bench  the benchmark suite's device mode (TornadoVM rows only, short iterations) on the chosen
#          backend; fails if no TornadoVM row ran, or if a benchmark is listed as not run, except the
#          half-precision one on a device that has no fp16 (named).
# Files (at most 8, at most one folder down, as the device tool returns them): OUT/info.txt,
# OUT/smoke.txt, OUT/tests.txt, OUT/junit.tar.gz, OUT/peer.txt, OUT/bench.txt, OUT/bench/RESULTS.md,
# OUT/bench/bandwidth.png. Standard output ends with one verdict line per stage and the overall one;
# the exit status is 0 only if every stage passed on the expected device.
#
# For tests of this script on a machine without a GPU: ALIBI4J_DEVICE_ROOT=DIR looks for the driver's
# fixed folders and /etc/OpenCL/vendors under DIR instead of /; ALIBI4J_EXPECT_DEVICE=REGEX accepts
# another device (a CPU's OpenCL, say): such a run checks the script, not a GPU; ALIBI4J_CAP_FACTOR=N
# multiplies each stage's time cap (a CPU runs the tests and the benchmarks far slower than a GPU).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: device-check.sh OUT [smoke] [tests] [peer] [bench]}
shift
all=(smoke tests peer bench)
stages=()
for s in "$@"; do
  case " info ${all[*]} " in
    *" $s "*) [ "$s" = info ] || stages+=("$s") ;;
    *) echo "device-check: unknown stage '$s' (info, smoke, tests, peer, bench)" >&2; exit 2 ;;
  esac
done
[ ${#stages[@]} -gt 0 ] || stages=("${all[@]}")
mkdir -p "$out" && out=$(cd "$out" && pwd)
cd "$here" || exit 2 # what TornadoVM writes into its working folder (build logs) stays in the bundle's

deadline=${ALIBI4J_DEADLINE_S:-480}
cap_factor=${ALIBI4J_CAP_FACTOR:-1}
expect=${ALIBI4J_EXPECT_DEVICE:-NVIDIA}
sysroot=${ALIBI4J_DEVICE_ROOT:-}
# A PATH of our own (`env -i` gives none); nvidia-smi usually lives beside the driver's libraries, and
# PoCL, where that is the device, runs `ld`.
export PATH="${PATH:+$PATH:}/usr/local/nvidia/bin:/usr/local/cuda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export JAVA_HOME=$here/jdk
java=$JAVA_HOME/bin/java
classpath=$here/lib/alibi4j.jar:$here/lib/alibi4j-tornado.jar
SECONDS=0

left() { echo $((deadline - SECONDS)); }

# --- finding NVIDIA's libraries ------------------------------------------------------------------
searched_llp=${LD_LIBRARY_PATH:-}
fixed_dirs=(/usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64)

# find_lib NAME: prints "PATH<TAB>where it was found", or returns 1. The order: the loader cache, each
# folder of LD_LIBRARY_PATH, then the fixed folders (under ALIBI4J_DEVICE_ROOT in tests).
find_lib() {
  local name=$1 hit d
  hit=$(/sbin/ldconfig -p 2>/dev/null | awk -v n="$name" '$1 == n {print $NF; exit}')
  if [ -n "$hit" ] && [ -e "$hit" ]; then
    printf '%s\t%s\n' "$hit" "the loader cache (/sbin/ldconfig -p)"
    return 0
  fi
  local IFS=:
  for d in $searched_llp; do
    if [ -n "$d" ] && [ -e "$d/$name" ]; then
      printf '%s\t%s\n' "$(cd "$d" && pwd)/$name" "LD_LIBRARY_PATH"
      return 0
    fi
  done
  for d in "${fixed_dirs[@]}"; do
    if [ -e "$sysroot$d/$name" ]; then
      printf '%s\t%s\n' "$sysroot$d/$name" "$sysroot$d"
      return 0
    fi
  done
  return 1
}

search_order="the loader cache, LD_LIBRARY_PATH (${searched_llp:-unset}), ${fixed_dirs[*]/#/$sysroot}"
lib_dirs=$here/lib
driver_report=()
nvidia_opencl=""
for name in libnvidia-opencl.so.1 libcuda.so.1; do
  if found=$(find_lib "$name"); then
    path=${found%%$'\t'*}
    driver_report+=("driver: $name: $path (found in ${found#*$'\t'})")
    [ "$name" = libnvidia-opencl.so.1 ] && nvidia_opencl=$path
    # the driver's own libraries load each other by name: their folder goes on the library path
    case ":$lib_dirs:" in *":${path%/*}:"*) ;; *) lib_dirs="$lib_dirs:${path%/*}" ;; esac
  else
    driver_report+=("driver: $name: not found (searched $search_order)")
  fi
done
# The bundle's OpenCL ICD loader (first on the path) reads the vendor files of OCL_ICD_VENDORS: the
# machine's own, kept, and NVIDIA's driver by its absolute path (a container given the driver often has
# no vendor file, or one naming a library the loader cannot find by name).
icd=$here/icd
rm -rf "$icd" && mkdir -p "$icd"
vendors=$sysroot/etc/OpenCL/vendors
for f in "$vendors"/*.icd; do
  [ -e "$f" ] || continue
  if [ -n "$nvidia_opencl" ] && grep -q 'libnvidia-opencl' "$f"; then
    driver_report+=("vendors: $f names NVIDIA's driver: replaced by the absolute path")
    continue
  fi
  cp "$f" "$icd/" && driver_report+=("vendors: kept $f ($(head -c 200 "$f"))")
done
if [ -n "$nvidia_opencl" ]; then
  echo "$nvidia_opencl" > "$icd/alibi4j-nvidia.icd"
  driver_report+=("vendors: wrote $icd/alibi4j-nvidia.icd: $nvidia_opencl")
fi
ls "$icd"/*.icd >/dev/null 2>&1 || driver_report+=("vendors: no OpenCL vendor file at all (none in $vendors, no NVIDIA driver found)")
export OCL_ICD_VENDORS=$icd
export LD_LIBRARY_PATH=$lib_dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# Needed where the device is PoCL (its LLVM replaces the JVM's SIGSEGV handler); harmless elsewhere.
export LD_PRELOAD=$JAVA_HOME/lib/libjsig.so

# --- TornadoVM's backends: one argfile each, since a backend that cannot start stops TornadoVM ----
# The SDK keeps its folder name (the benchmark report names it); each argfile template has
# ${TORNADOVM_HOME} where the SDK's path goes.
sdk_home=$(ls -d "$here"/sdk/*/ | head -1)
sdk_home=${sdk_home%/}
export TORNADOVM_HOME=$sdk_home # the kernels' tests and the benchmark suite run TornadoVM only where it is set
backends=()
for t in "$here"/argfiles/*.template; do # opencl, then ptx
  [ -e "$t" ] || continue
  b=$(basename "$t" .template)
  sed "s#\${TORNADOVM_HOME}#$sdk_home#g" "$t" > "$here/argfiles/$b"
  backends+=("$b")
done
tornado() { # tornado BACKEND: sets tj to the java command with that backend's TornadoVM flags
  tj=("$java" "@$here/argfiles/$1" -Dtornado.recover.bailout=False)
}

# --- stages ----------------------------------------------------------------------------------------
reached=()      # the backends whose device matched, the chosen one first
device=""       # the chosen backend's device, as alibi4j names it
verdicts=()
failed=0

# run_capped SECONDS COMMAND...: the command under timeout, within the deadline
run_capped() {
  local cap=$(($1 * cap_factor))
  shift
  local t
  t=$(left)
  [ "$cap" -lt "$t" ] || cap=$t
  [ "$cap" -ge 1 ] || cap=1 # (timeout 0 would mean no limit at all)
  timeout -k 10 "$cap" "$@"
  local status=$?
  [ $status -ne 124 ] && [ $status -ne 137 ] || echo "device-check: stopped by its time cap ($cap s)"
  return $status
}

stage_info() {
  echo "device-check: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), deadline ${deadline} s, expecting a TornadoVM device matching '$expect'"
  printf '%s\n' "${driver_report[@]}"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  echo "OCL_ICD_VENDORS=$OCL_ICD_VENDORS"
  echo "nvidia-smi -L:"
  if command -v nvidia-smi >/dev/null; then
    run_capped 20 nvidia-smi -L 2>&1 | sed 's/^/  /'
  else
    echo "  nvidia-smi: not found on PATH ($PATH)"
  fi
  [ ${#backends[@]} -gt 0 ] || { echo "device-check: the bundle carries no TornadoVM argfile"; return 1; }
  local b line status detail reasons=()
  for b in "${backends[@]}"; do
    echo
    echo "== TornadoVM backend $b: alibi4j info"
    tornado "$b"
    run_capped 90 "${tj[@]}" -cp "$classpath" org.alibi4j.cli.Main info > "$out/.info-$b" 2>&1
    cat "$out/.info-$b"
    line=$(grep -E '^tornado +[0-9]+ ' "$out/.info-$b" | head -1)
    rm -f "$out/.info-$b"
    status=$(awk '{print $3}' <<< "$line")
    detail=$(sed -E 's/^tornado +[0-9]+ +[a-z]+ +//; s/\x1b\[[0-9;]*m//g' <<< "$line")
    if [ "$status" = available ] && grep -Eq -- "$expect" <<< "$detail"; then
      echo "-> $b reaches the device: $detail"
      reached+=("$b")
      [ -n "$device" ] || device=$detail
    elif [ "$status" = available ]; then
      reasons+=("$b: its device '$detail' is not '$expect'")
    elif [ -n "$line" ]; then
      reasons+=("$b: ${detail:0:300}")
    else
      reasons+=("$b: alibi4j info did not run (see above)")
    fi
  done
  echo
  if [ ${#reached[@]} -eq 0 ]; then
    echo "device-check: no device matching '$expect' is available to TornadoVM: $(IFS=';'; echo "${reasons[*]}" | sed 's/;/; /g')"
    return 1
  fi
  echo "device-check: TornadoVM reaches '$device' through the ${reached[0]} backend${reasons[0]:+ (not through ${reasons[*]})}"
}

stage_smoke() {
  local b status=0
  for b in "${reached[@]}"; do
    echo "== smoke on the $b backend"
    tornado "$b"
    run_capped 120 "${tj[@]}" -cp "$classpath" org.alibi4j.cli.Main smoke --backend tornado > "$out/.smoke" 2>&1
    local s=$?
    cat "$out/.smoke"
    # Every row must have run on the expected device: a smoke that ran nothing there is no pass.
    local rows on_device
    rows=$(grep -cE '^tornado ' "$out/.smoke")
    on_device=$(grep -E '^tornado ' "$out/.smoke" | grep -cE -- "$expect")
    rm -f "$out/.smoke"
    if [ $s -ne 0 ] || [ "$rows" -eq 0 ] || [ "$rows" -ne "$on_device" ]; then
      echo "device-check: smoke on $b failed (exit $s, $on_device of $rows rows on '$expect')"
      status=1
    else
      echo "device-check: smoke on $b: $rows cases bit-identical on '$expect'"
    fi
  done
  return $status
}

# Test classes whose skips are allowed: they need two devices, or fp16.
SKIPPABLE=' org\.alibi4j\.tornado\.(MultiDeviceTornadoBackendTest|MultiDeviceTornadoAttentionBackendTest|HalfPrecisionTest|HalfAttentionTasksTest|AttentionStepTest)$'

stage_tests() {
  # As kernels/pom.xml runs them on the class path: -da for TornadoVM's packages only (see the comment
  # there), alibi4j.test.path for ModuleDescriptorTest. The classes go on the JVM's class path, not the
  # launcher's --class-path: TornadoVM reads @Parallel from class files it finds through the system class
  # loader.
  local junit b status=0 reports s
  junit=$(ls "$here"/lib/junit-platform-console-standalone-*.jar)
  reports=$(mktemp -d)
  local cap=240 reserve=180
  for b in "${reached[@]}"; do
    if [ "$b" != "${reached[0]}" ]; then
      # a second backend's tests are extra: they leave the peer and the bench their time
      cap=$(( $(left) - reserve ))
      if [ "$cap" -lt 60 ]; then
        echo "device-check: tests on $b not started: the peer and the bench keep the last ${reserve} s"
        continue
      fi
      [ "$cap" -le 240 ] || cap=240
    fi
    echo "== kernels/ tests on the $b backend"
    tornado "$b"
    run_capped "$cap" "${tj[@]}" -Xmx16g "-da:uk.ac.manchester.tornado..." -Dalibi4j.test.path=class \
      -cp "$junit:$here/test-classes:$classpath" \
      org.junit.platform.console.ConsoleLauncher execute --select-package org.alibi4j.tornado \
      --fail-if-no-tests --details=summary --disable-banner --reports-dir "$reports/$b" > "$reports/$b.log" 2>&1
    s=$?
    cat "$reports/$b.log"
    tests_verdict "$b" "$s" "$reports/$b.log" "$reports/$b" || status=1
  done
  tar -C "$reports" -czf "$out/junit.tar.gz" . && rm -rf "$reports"
  return $status
}

# tests_verdict BACKEND EXIT LOG REPORTS: JUnit's exit status is 0 when tests abort on an assumption (no
# TornadoVM, no device), so a pass also needs every test found to have succeeded, except those skipped
# for want of two devices (MultiDeviceTornadoBackendTest, MultiDeviceTornadoAttentionBackendTest) or of
# fp16 (HalfPrecisionTest, HalfAttentionTasksTest, AttentionStepTest's half-precision case): no test
# failed, none of another class was skipped or aborted, and those found but not successful are no more
# than those skipped (a class aborted as a whole reports its tests skipped, not all of them found).
tests_verdict() {
  local b=$1 s=$2 log=$3 reports=$4 found ok failed allowed others
  count() { sed -n "s/^\[ *\([0-9]*\) tests $1 *\]/\1/p" "$log" | head -1; }
  found=$(count found) ok=$(count successful) failed=$(count failed)
  # skipped or aborted test cases, by class, from the XML report
  skipped=$(awk '/<testcase /{match($0, /classname="[^"]*"/); c = substr($0, RSTART + 11, RLENGTH - 12)} /<skipped/{print c}' "$reports"/*.xml 2>/dev/null | sort | uniq -c)
  allowed=$(grep -E "$SKIPPABLE" <<< "$skipped" | awk '{s += $1} END {print s + 0}')
  others=$(grep -vE "$SKIPPABLE" <<< "$skipped" | grep . | sed 's/^ *//' | tr '\n' ';')
  echo "tests on $b: exit $s, ${found:-?} found, ${ok:-?} successful, ${failed:-?} failed; skipped or aborted:" \
    "$(sed 's/^ *//' <<< "$skipped" | tr '\n' ';')"
  if [ "$s" -ne 0 ] || [ "${failed:-1}" != 0 ] || [ "${ok:-0}" -eq 0 ] || [ -n "$others" ] \
     || [ $(( ${found:-0} - ok )) -gt "$allowed" ]; then
    echo "device-check: tests on $b failed (exit $s, ${ok:-0} of ${found:-?} successful${others:+, skipped: $others})"
    return 1
  fi
  echo "device-check: tests on $b: ${ok} successful, ${allowed} skipped (two devices or fp16 needed)"
}

stage_peer() {
  command -v python3 >/dev/null || { echo "device-check: no python3 on PATH ($PATH)"; return 1; }
  export PYTHONUNBUFFERED=1
  local cuda
  cuda=$(run_capped 60 python3 -c 'import torch; print(torch.__version__, torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' 2>&1)
  echo "python3: $(command -v python3); torch: $cuda"
  case $cuda in
    *" True "*) run_capped 150 python3 "$here/pytorch_peer.py" ;;
    *)
      # Without CUDA the peer only checks itself (on a small shape): no measurement of a GPU, no pass.
      run_capped 60 python3 "$here/pytorch_peer.py" --shapes 4x64x64 --warmups 1 --calls 2
      echo "device-check: the peer ran without CUDA (torch: ${cuda:0:200})"
      return 1
      ;;
  esac
}

stage_bench() {
  local b=${reached[0]} s
  # The suite forks JVMs with the SDK's flags (TORNADOVM_HOME/tornado-argfile): the chosen backend's.
  cp "$here/argfiles/$b" "$sdk_home/tornado-argfile"
  # (the machine is the check's alone: JMH's lock, held by any other JMH run on it, is ignored)
  run_capped "$(left)" "$java" -Djmh.ignoreLock=true -Dalibi4j.bench.tornadoDevice="$device" \
    -cp "$here/lib/benchmarks.jar" org.alibi4j.bench.Suite device "$out/bench"
  s=$?
  local results=$out/bench/RESULTS.md
  [ $s -eq 0 ] && [ -f "$results" ] || { echo "device-check: the suite did not finish (exit $s)"; return 1; }
  if ! grep -q '^## Tornado' "$results"; then
    echo "device-check: no TornadoVM benchmark ran"
    return 1
  fi
  local item bad=0
  while read -r item; do
    if [[ "$item" == *TornadoHalfBenchmark* ]] && grep -q 'half precision does not run on this device' "$out/bench.txt"; then
      echo "device-check: not run, allowed: $item (fp16: the device has no half precision)"
    else
      echo "device-check: not run: $item"
      bad=1
    fi
  done < <(sed -n '/^Not run/,/^## /p' "$results" | sed -n 's/^- //p')
  return $bad
}

run_stage() { # run_stage NAME CAP_MIN: runs stage_NAME into OUT/NAME.txt unless too little time is left
  local stage=$1 min=$2 start=$SECONDS status
  if [ "$(left)" -lt "$min" ]; then
    verdicts+=("$stage: NOT STARTED ($(left) s left of the ${deadline} s deadline, it needs ${min} s)")
    failed=1
    return
  fi
  echo "== $stage"
  "stage_$stage" > "$out/$stage.txt" 2>&1 # (the bench stage reads its own, for the fp16 exception)
  status=$?
  tail -n 12 "$out/$stage.txt"
  echo "== $stage: exit $status after $((SECONDS - start)) s"
  if [ $status -eq 0 ]; then
    verdicts+=("$stage: passed ($((SECONDS - start)) s)")
  else
    verdicts+=("$stage: FAILED ($((SECONDS - start)) s): $(grep '^device-check:' "$out/$stage.txt" | tail -1)")
    failed=1
  fi
}

run_stage info 30
for stage in "${stages[@]}"; do
  if [ ${#reached[@]} -eq 0 ] && [ "$stage" != peer ]; then
    verdicts+=("$stage: NOT RUN (no device matching '$expect' for TornadoVM; see info.txt)")
    failed=1
    continue
  fi
  case $stage in
    smoke) run_stage smoke 30 ;;
    tests) run_stage tests 60 ;;
    peer) run_stage peer 30 ;;
    bench) run_stage bench 60 ;;
  esac
done

files=$(find "$out" -type f | wc -l)
echo
echo "device-check summary (${SECONDS} s, device: ${device:-none}, backends reaching it: ${reached[*]:-none}):"
printf '  %s\n' "${verdicts[@]}"
if [ "$files" -gt 8 ] || [ -n "$(find "$out" -mindepth 4 -type f)" ]; then
  echo "device-check: $files files under $out, or some more than two folders down: the device tool returns 8 files, two folders down at most"
  failed=1
fi
if [ $failed -ne 0 ]; then
  echo "device-check: FAILED"
  exit 1
fi
echo "device-check: every stage passed on '$device'"
