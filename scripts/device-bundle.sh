#!/usr/bin/env bash
# Packs what a GPU machine without package registries needs to run alibi4j's TornadoVM checks
# (scripts/device-check.sh): a JDK 25 made with jlink, the TornadoVM SDK of TORNADOVM_HOME (already
# built or installed by TornadoVM's own documentation: this script builds nothing of it), the OpenCL
# ICD loader, JUnit's console launcher, and this project's built jars and test classes.
#
#   TORNADOVM_HOME=/path/to/sdk mvn -B install -DskipTests    # first, so that kernels/ and bench/ are built
#   TORNADOVM_HOME=/path/to/sdk scripts/device-bundle.sh target/device
#
# Writes target/device/alibi4j-device.tar.xz (about 47 MB): small enough for the device tool's 64 MiB.
set -euo pipefail
: "${TORNADOVM_HOME:?set TORNADOVM_HOME to the TornadoVM SDK to pack}"
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/target/device}" && cd "${1:-$root/target/device}" && pwd)
JAVA_HOME=$("$root/scripts/find-jdk25.sh")
junit_version=1.11.4 # the JUnit Platform of the build's JUnit Jupiter 5.11.4

kernels_jar=$(ls "$root"/kernels/target/alibi4j-tornado-*.jar 2>/dev/null | grep -v -e sources -e tests | head -1 || true)
for f in "$root/cli/target/alibi4j.jar" "$root/bench/target/benchmarks.jar" "$kernels_jar" \
         "$root/kernels/target/test-classes" "$root/core/target/test-classes"; do
  if [ ! -e "$f" ]; then
    echo "device-bundle: ${f:-kernels/target/alibi4j-tornado-*.jar} is missing: build first with TORNADOVM_HOME set (mvn -B install -DskipTests)" >&2
    exit 2
  fi
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/alibi4j-device/lib" "$stage/alibi4j-device/test-classes"
dest=$stage/alibi4j-device

# The JDK's modules that TornadoVM (JVMCI, the Vector API, Unsafe, management), JMH and the benchmark
# report (java.desktop, in java.se) use; the whole JDK would not fit the 64 MiB.
"$JAVA_HOME/bin/jlink" --add-modules java.se,jdk.internal.vm.ci,jdk.unsupported,jdk.incubator.vector,jdk.management,jdk.jfr,jdk.zipfs \
  --strip-debug --no-man-pages --no-header-files --output "$dest/jdk"
# The SDK, under its own folder name (the benchmark report names it), less its own tests, benchmarks
# and examples.
sdk=$dest/sdk/$(basename "$TORNADOVM_HOME")
mkdir -p "$dest/sdk" && cp -r "$TORNADOVM_HOME" "$sdk"
rm -f "$sdk"/share/java/tornado/tornado-{unittests,benchmarks,examples,fuzz}-*.jar
echo "$TORNADOVM_HOME" > "$sdk/.packed-from" # device-check.sh rewrites the argfile's paths
cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$dest/lib/"

mvn -B -q dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_version" \
  -DoutputDirectory="$dest/lib"
cp "$root/cli/target/alibi4j.jar" "$root/bench/target/benchmarks.jar" "$dest/lib/"
cp "$kernels_jar" "$dest/lib/alibi4j-tornado.jar"
cp -r "$root/core/target/test-classes/." "$root/kernels/target/test-classes/." "$dest/test-classes/"
cp "$root/scripts/device-check.sh" "$root/scripts/pytorch_peer.py" "$dest/"

tar -C "$stage" -cf - alibi4j-device | xz -T0 -6 > "$out/alibi4j-device.tar.xz"
ls -l "$out/alibi4j-device.tar.xz"
