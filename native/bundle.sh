#!/usr/bin/env bash
# Builds target/mettle-bundle.tar.gz: a portable Mettle for a Linux x86-64 (GPU) machine with no Java installed.
#   mettle-bundle/runtime/   jlink runtime (modules from jdeps over the jars, plus jdk.incubator.vector)
#   mettle-bundle/lib/       mettle.jar (with the PTX) and its runtime dependencies (JCuda + natives, picocli, ...)
#   mettle-bundle/test/      test classes + resources, junit-platform-console-standalone, for gpu-check.sh
#   mettle-bundle/kernels/   kernel sources and their C-level tests (kernels/test/run-gpu-tests.sh needs nvcc)
#   mettle-bundle/mettle     launcher using runtime/bin/java
#   mettle-bundle/gpu-check.sh, gpu-compare.sh, gpu-all.sh, gpu-profile.sh, gpu-session.sh, gpu-attention.sh (+ gpu-lib.sh)
#   mettle-bundle/bench/     torch_gpu.py, gpu_table.py, gpu_shapes.json; bench/python/: mettle_torch.py and the reference models
# Usage: native/bundle.sh   (runs mvn package -DskipTests first, which also compiles the tests; BUNDLE_SKIP_BUILD=1 skips it)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${METTLE_BUILD_DIR:-$root/target}"
junit_console_version="${JUNIT_CONSOLE_VERSION:-1.14.4}" # the platform version of the pom's junit-bom 5.14.4
max_bytes=$((60 * 1024 * 1024))

die() { echo "bundle.sh: $*" >&2; exit 1; }
command -v jlink >/dev/null || die "jlink not found: install a full JDK 17 (not a JRE)"
command -v jdeps >/dev/null || die "jdeps not found: install a full JDK 17"

if [ "${BUNDLE_SKIP_BUILD:-0}" != 1 ]; then
  mvn -q -B -o package -DskipTests -Dmettle.buildDir="$target" || mvn -q -B package -DskipTests -Dmettle.buildDir="$target"
fi
[ -f "$target/mettle.jar" ] || die "$target/mettle.jar missing: run mvn package"
[ -d "$target/lib" ] || die "$target/lib missing: run mvn package"
[ -d "$target/test-classes" ] || die "$target/test-classes missing: run mvn test-compile"
if ! unzip -l "$target/mettle.jar" | grep 'org/mettle/kernels/kernels.index' >/dev/null; then  # not grep -q: under pipefail its early exit fails unzip (SIGPIPE)
  echo "bundle.sh: WARNING: mettle.jar holds no PTX (built without nvcc); the CUDA backend will report missing kernels" >&2
fi

console_jar="$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/$junit_console_version/junit-platform-console-standalone-$junit_console_version.jar"
if [ ! -f "$console_jar" ]; then
  mvn -q -B dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_console_version" \
    || die "cannot fetch junit-platform-console-standalone $junit_console_version (offline?)"
fi

stage="$target/bundle-stage"
out="$stage/mettle-bundle"
rm -rf "$stage"
mkdir -p "$out/lib" "$out/test/lib"

modules="$(jdeps --print-module-deps --ignore-missing-deps --multi-release 17 -cp "$target/lib/*" \
  "$target/mettle.jar" "$target"/lib/*.jar "$console_jar" 2>/dev/null | tail -1)"
[ -n "$modules" ] || die "jdeps found no modules"
for m in jdk.incubator.vector java.management java.logging jdk.unsupported; do
  case ",$modules," in *",$m,"*) ;; *) modules="$modules,$m" ;; esac
done
echo "bundle.sh: jlink modules: $modules"
jlink --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=2 --output "$out/runtime"

cp "$target/mettle.jar" "$out/lib/"
cp "$target"/lib/*.jar "$out/lib/"
# JCuda's natives jar carries the NVPTX compiler's JNI library (24 MB, 7.5 MB packed) that Mettle never loads (it
# loads PTX through the driver): leave it out, so that bundle + working tree fit the device tool's 64 MiB
for j in "$out"/lib/jcuda-natives-*.jar; do
  [ -f "$j" ] && [ "${BUNDLE_FULL_NATIVES:-0}" != 1 ] || continue
  python3 - "$j" <<'PY' || echo "bundle.sh: could not slim $j (kept whole)" >&2
import os, sys, zipfile
src = sys.argv[1]
tmp = src + ".tmp"
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        if "libJNvPTXCompiler" not in item.filename:
            zout.writestr(item, zin.read(item.filename))
os.replace(tmp, src)
PY
done
cp -r "$target/test-classes" "$out/test/classes"
# the golden fixtures (6.5 MB) serve the CPU tests only, and the device tool carries 64 MiB with the working tree
# (~13 MB): BUNDLE_WITH_GOLDEN=1 keeps them
[ "${BUNDLE_WITH_GOLDEN:-0}" = 1 ] || rm -rf "$out/test/classes/golden"
cp "$console_jar" "$out/test/lib/junit-platform-console-standalone.jar"
mkdir -p "$out/kernels"
cp kernels/*.cu kernels/*.cuh "$out/kernels/"
cp -r kernels/test "$out/kernels/test"
cp native/gpu-check.sh native/gpu-compare.sh native/gpu-all.sh native/gpu-profile.sh native/gpu-session.sh native/gpu-attention.sh native/gpu-lib.sh "$out/"
# PyTorch's side of gpu-compare.sh: the benchmark, the table generator, the shared shapes and the reference models
mkdir -p "$out/bench/python"
cp bench/torch_gpu.py bench/gpu_table.py bench/gpu_shapes.json "$out/bench/"
cp src/test/python/mettle_torch.py src/test/python/make_swin_fixtures.py src/test/python/make_htsat_fixtures.py "$out/bench/python/"
cp native/README.md "$out/README-native.md"
cat > "$out/mettle" <<'LAUNCHER'
#!/usr/bin/env bash
# Mettle launcher using the bundled Java runtime (no system Java needed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
heap="${METTLE_HEAP:--XX:MaxRAMPercentage=75}"
exec "$here/runtime/bin/java" --add-modules jdk.incubator.vector $heap -XX:+UseParallelGC \
  -Dmettle.home="$here" ${METTLE_JAVA_OPTS:-} -cp "$here/lib/*" org.mettle.cli.Main "$@"
LAUNCHER
chmod +x "$out/mettle" "$out/gpu-check.sh" "$out/gpu-compare.sh" "$out/gpu-all.sh" "$out/gpu-profile.sh" "$out/gpu-session.sh" "$out/gpu-attention.sh"
find "$out/kernels/test" -name '*.sh' -exec chmod +x {} +

tarball="$target/mettle-bundle.tar.gz"
tar -C "$stage" -czf "$tarball" mettle-bundle
size=$(stat -c %s "$tarball")
rm -rf "$stage"
[ "$size" -le "$max_bytes" ] || die "$tarball is $((size / 1024 / 1024)) MB, over the 60 MB limit"
echo "bundle.sh: $tarball ($((size / 1024 / 1024)) MB)"
