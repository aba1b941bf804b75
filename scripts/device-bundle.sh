#!/usr/bin/env bash
# Packs what a GPU machine without package registries needs to run alibi4j's TornadoVM checks
# (scripts/device-check.sh): a JDK 25 made with jlink, the TornadoVM SDK of TORNADOVM_HOME (already
# built or installed by TornadoVM's own documentation: this script builds nothing of it) with one JVM
# argfile per backend it has (opencl, ptx), the OpenCL ICD loader, JUnit's console launcher, and this
# project's built jars and test classes.
#
#   TORNADOVM_HOME=/path/to/sdk mvn -B package -DskipTests   # first, so that kernels/ and bench/ are built
#   TORNADOVM_HOME=/path/to/sdk scripts/device-bundle.sh target/device
#
# Writes target/device/alibi4j-device.tar.xz and checks that it and the working tree that travels with
# it (git's tracked and untracked-but-not-ignored files) fit the device tool's 64 MiB: exit 3 if not.
set -euo pipefail
: "${TORNADOVM_HOME:?set TORNADOVM_HOME to the TornadoVM SDK to pack}"
TORNADOVM_HOME=$(cd "$TORNADOVM_HOME" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/target/device}" && cd "${1:-$root/target/device}" && pwd)
JAVA_HOME=$("$root/scripts/find-jdk25.sh")
junit_version=1.11.4 # the JUnit Platform of the build's JUnit Jupiter 5.11.4
limit_mib=64

kernels_jar=$(ls "$root"/kernels/target/alibi4j-tornado-*.jar 2>/dev/null | grep -v -e sources -e javadoc -e tests | head -1 || true)
for f in "$root/cli/target/alibi4j.jar" "$root/bench/target/benchmarks.jar" "$kernels_jar" \
         "$root/kernels/target/test-classes" "$root/core/target/test-classes"; do
  if [ ! -e "$f" ]; then
    echo "device-bundle: ${f:-kernels/target/alibi4j-tornado-*.jar} is missing: build first with TORNADOVM_HOME set (mvn -B package -DskipTests)" >&2
    exit 2
  fi
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/alibi4j-device/lib" "$stage/alibi4j-device/test-classes" "$stage/alibi4j-device/argfiles"
dest=$stage/alibi4j-device

# The JDK's modules that TornadoVM (JVMCI, the Vector API, Unsafe, management), JMH and the benchmark
# report (java.desktop, in java.se) use; the whole JDK would not fit the 64 MiB.
"$JAVA_HOME/bin/jlink" --add-modules java.se,jdk.internal.vm.ci,jdk.unsupported,jdk.incubator.vector,jdk.management,jdk.jfr,jdk.zipfs \
  --strip-debug --no-man-pages --no-header-files --output "$dest/jdk"
# The SDK, under its own folder name (the benchmark report names it), less its own tests, benchmarks
# and examples.
sdk=$dest/sdk/$(basename "$TORNADOVM_HOME")
mkdir -p "$dest/sdk" && cp -r "$TORNADOVM_HOME" "$sdk"
rm -rf "$sdk"/share/java/tornado/tornado-{unittests,benchmarks,examples,fuzz}-*.jar "$sdk/examples"
# One argfile per backend: TornadoVM stops when any backend it loads cannot start (PTX without
# libcuda.so.1, OpenCL without a platform), so device-check.sh tries them one by one. Each is what the
# SDK's own generator writes for an SDK of that backend alone (etc/tornado.backend names it), with the
# other backends' driver jars left off the module path: on it, the module system would bind them as
# providers of TornadoVM's backend service, and load them, even though --add-modules leaves them out.
backends=$(sed -n 's/^tornado.backends=//p' "$TORNADOVM_HOME/etc/tornado.backend" | tr ',' ' ' | sed 's/-backend//g')
for b in $backends; do
  echo "tornado.backends=$b-backend" > "$sdk/etc/tornado.backend" && mkdir -p "$stage/gen-$b"
  TORNADOVM_HOME=$sdk python3 "$sdk/bin/gen-tornado-argfile-template.py" "$b" "$stage/gen-$b" >/dev/null
  module_path=.
  for jar in "$sdk"/share/java/tornado/*.jar; do
    name=$(basename "$jar")
    for other in $backends; do
      [ "$other" = "$b" ] || case $name in "tornado-drivers-$other-"*) continue 2 ;; esac
    done
    module_path="$module_path:\${TORNADOVM_HOME}/share/java/tornado/$name"
  done
  sed "s#^--module-path .*#--module-path $module_path#" "$stage/gen-$b/tornado-argfile.template" > "$dest/argfiles/$b.template"
done
cp "$TORNADOVM_HOME/etc/tornado.backend" "$sdk/etc/tornado.backend"
rm -f "$sdk/tornado-argfile" "$sdk/tornado-argfile.template" # device-check.sh writes the one it chose
cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$dest/lib/"

mvn -B -q dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_version" \
  -DoutputDirectory="$dest/lib"
cp "$root/cli/target/alibi4j.jar" "$root/bench/target/benchmarks.jar" "$dest/lib/"
cp "$kernels_jar" "$dest/lib/alibi4j-tornado.jar"
cp -r "$root/core/target/test-classes/." "$root/kernels/target/test-classes/." "$dest/test-classes/"
cp "$root/scripts/device-check.sh" "$root/scripts/pytorch_peer.py" "$dest/"

tar -C "$stage" -cf - alibi4j-device | xz -T0 -6 > "$out/alibi4j-device.tar.xz"
echo "device-bundle: $out/alibi4j-device.tar.xz: TornadoVM backends: $backends"

# What the device tool carries: the working tree (tracked and untracked files that git does not ignore)
# and the carried bundle, 64 MiB in all.
bundle_bytes=$(stat -c %s "$out/alibi4j-device.tar.xz")
tree_bytes=$(cd "$root" && git ls-files -z -c -o --exclude-standard | xargs -0 -r stat -c %s -- 2>/dev/null | awk '{s += $1} END {print s + 0}')
total=$((bundle_bytes + tree_bytes))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "device-bundle: bundle $(mib "$bundle_bytes") + working tree $(mib "$tree_bytes") = $(mib "$total") of the device tool's ${limit_mib} MiB"
if [ "$total" -gt $((limit_mib * 1048576)) ]; then
  echo "device-bundle: over the ${limit_mib} MiB that travel with a device command" >&2
  exit 3
fi
