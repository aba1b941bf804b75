#!/usr/bin/env bash
# Checks scripts/device-check.sh here, without a GPU, in the layout the lent GPU machines were recorded
# with: the bundle unpacked, run under `env -i` (no PATH, nothing else from this shell), the OpenCL
# driver in a folder that the loader cache does not list (/usr/local/nvidia/lib64) and no OpenCL vendor
# file. What is simulated: the driver is this machine's PoCL ICD library copied under the name
# libnvidia-opencl.so.1 into DIR/usr/local/nvidia/lib64 (with a link to PoCL's device modules beside
# it and to its headers, where PoCL looks for them), and device-check.sh is told to look for the
# driver's folders and vendor files under DIR (ALIBI4J_DEVICE_ROOT) and to accept PoCL's CPU device
# (ALIBI4J_EXPECT_DEVICE). No NVIDIA code runs; `nvidia-smi` and libcuda are absent.
#
#   TORNADOVM_HOME=/path/to/sdk scripts/device-bundle.sh target/device   # first
#   scripts/device-check-sim.sh target/device/alibi4j-device.tar.xz [WORK_DIR]
#
# Cases (each must end as stated, or this script exits 1):
#   driver   the stand-in driver found outside the loader cache: info, smoke, tests and bench pass
#            (ALIBI4J_SIM_STAGES chooses the stages; the peer needs PyTorch and a GPU)
#   nvidia   the same, but expecting an NVIDIA device as on the GPU machine (and with a PATH, the
#            other cases have none): fails in info, naming PoCL's device, runs no smoke/tests/bench,
#            still runs the peer
#   none     no driver and no vendor file at all: fails in info with each backend's reason, fast
#   deadline a 40 s deadline: the stages that cannot start in time are named as not started
set -uo pipefail
bundle=$(cd "$(dirname "${1:?usage: device-check-sim.sh BUNDLE.tar.xz [WORK_DIR]}")" && pwd)/$(basename "$1")
work=${2:-$(mktemp -d)}
mkdir -p "$work" && work=$(cd "$work" && pwd)
stages=${ALIBI4J_SIM_STAGES:-smoke tests bench}

pocl=$(head -1 /etc/OpenCL/vendors/pocl.icd 2>/dev/null || true)
case $pocl in
  /*) ;;
  ?*) name=$pocl
      pocl=$(/sbin/ldconfig -p | awk -v n="$name" '$1 == n {print $NF; exit}')
      for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64; do
        [ -n "$pocl" ] || [ ! -e "$d/$name" ] || pocl=$d/$name
      done ;;
esac
[ -n "$pocl" ] && [ -e "$pocl" ] || { echo "device-check-sim: needs PoCL (apt-get install pocl-opencl-icd)" >&2; exit 2; }

rm -rf "$work/bundle" && mkdir -p "$work/bundle"
tar -xJf "$bundle" -C "$work/bundle"
check=$work/bundle/alibi4j-device/device-check.sh

# the machine as recorded: the driver under /usr/local/nvidia/lib64, no /etc/OpenCL/vendors
with=$work/root-with-driver
rm -rf "$with" && mkdir -p "$with/usr/local/nvidia/lib64"
cp -L "$pocl" "$with/usr/local/nvidia/lib64/libnvidia-opencl.so.1"
# PoCL loads its device drivers from pocl/ beside its own library
ln -s "$(dirname "$pocl")/pocl" "$with/usr/local/nvidia/lib64/pocl"
# and its OpenCL headers at ../../share/pocl from it
mkdir -p "$with/usr/local/share" && ln -s /usr/share/pocl "$with/usr/local/share/pocl"
without=$work/root-without-driver
rm -rf "$without" && mkdir -p "$without/usr/local/nvidia/lib64"

failures=0
# run_case NAME EXPECTED_EXIT GREP_FOR_IN_OUTPUT ENV... -- STAGES...
run_case() {
  local name=$1 want=$2 pattern=$3
  shift 3
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  local start=$SECONDS status
  echo "== case $name: env -i ${envs[*]} device-check.sh $work/out-$name $*"
  rm -rf "$work/out-$name"
  env -i "${envs[@]}" "$check" "$work/out-$name" "$@" > "$work/$name.log" 2>&1
  status=$?
  sed -n '/^device-check summary/,$p' "$work/$name.log"
  grep -h '^device-check: no device\|^driver: \|^vendors: ' "$work/out-$name/info.txt" 2>/dev/null | sed 's/^/  info.txt: /'
  if [ "$status" -eq "$want" ] && grep -Eq -- "$pattern" "$work/$name.log" "$work/out-$name/info.txt"; then
    echo "== case $name: as expected (exit $status after $((SECONDS - start)) s; files: $(cd "$work/out-$name" && find . -type f | sort | tr '\n' ' '))"
  else
    echo "== case $name: NOT as expected (exit $status, wanted $want and /$pattern/; log: $work/$name.log)"
    failures=$((failures + 1))
  fi
}

# shellcheck disable=SC2086 # the stages are words
run_case driver 0 'every stage passed' ALIBI4J_DEVICE_ROOT="$with" ALIBI4J_EXPECT_DEVICE=pthread ALIBI4J_DEADLINE_S=2400 ALIBI4J_CAP_FACTOR=8 -- $stages
run_case nvidia 1 "no device matching 'NVIDIA'.*is not 'NVIDIA'" PATH=/usr/bin:/bin ALIBI4J_DEVICE_ROOT="$with" -- smoke tests peer bench
run_case none 1 "no device matching 'NVIDIA'" ALIBI4J_DEVICE_ROOT="$without" -- smoke tests peer bench
run_case deadline 1 'NOT STARTED' ALIBI4J_DEVICE_ROOT="$with" ALIBI4J_EXPECT_DEVICE=pthread ALIBI4J_DEADLINE_S=40 -- smoke tests bench
if [ "$failures" -ne 0 ]; then
  echo "device-check-sim: $failures case(s) not as expected"
  exit 1
fi
echo "device-check-sim: every case as expected (a simulation on PoCL: no GPU was involved)"
