# Sourced by the GPU scripts (gpu-check, gpu-compare, gpu-attention, gpu-profile, gpu-all) after they set `here` to
# their own folder: where everything is, in the bundle (mettle-bundle/) or in a built checkout (native/), plus the
# helpers they share.
if [ -x "$here/runtime/bin/java" ]; then            # inside the bundle
  java="$here/runtime/bin/java"; cp_main="$here/lib/*"; tests="$here/test/classes"
  console="$here/test/lib/junit-platform-console-standalone.jar"; kernels="$here/kernels"; mettle="$here/mettle"
  bench_dir="$here/bench"
else                                                 # repository checkout (native/), after mvn package
  repo="$(cd "$here/.." && pwd)"
  java="${JAVA_HOME:+$JAVA_HOME/bin/}java"; cp_main="$repo/target/mettle.jar:$repo/target/lib/*"; tests="$repo/target/test-classes"
  console="$(ls "$HOME"/.m2/repository/org/junit/platform/junit-platform-console-standalone/*/junit-platform-console-standalone-*.jar 2>/dev/null | tail -1)"
  kernels="$repo/kernels"; mettle="$repo/mettle"; bench_dir="$repo/bench"
fi

# JSON string contents: escapes, and drops every control character (newlines, Maven's ANSI colour codes)
json_escape() { sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\000-\037'; }

# the console launcher does not expand "dir/*" class-path entries: list the jars
jars_of() { local IFS=:; for e in $1; do case "$e" in *'/*') printf '%s:' "${e%/\*}"/*.jar ;; *) printf '%s:' "$e" ;; esac; done; }

# PYTHON, else the first of python3 and /usr/bin/python3 that imports torch, else python3
torch_python() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  local c
  for c in python3 /usr/bin/python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c "import torch" >/dev/null 2>&1; then echo "$c"; return; fi
  done
  echo python3
}
