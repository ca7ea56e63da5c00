#!/usr/bin/env bash
# Builds the kernel tests (kernels/test/test_*.cpp) with nvcc for the local GPU and runs
# them: the same cases and references as the emulator (run-emu-tests.sh), on hardware.
# Usage: kernels/test/run-gpu-tests.sh [name...]; GPU_ARCH (default sm_90) picks the target.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${GPU_BUILD_DIR:-$here/../../target/gpu-tests}"
arch="${GPU_ARCH:-sm_90}"
mkdir -p "$out"
names=("$@")
if (( ${#names[@]} == 0 )); then
  for f in "$here"/test_*.cpp; do names+=("$(basename "$f" .cpp | sed 's/^test_//')"); done
fi
status=0
# nvcc takes ~12 s a test: build them all at once (GPU_TEST_JOBS at a time), then run them one by one
jobs_max="${GPU_TEST_JOBS:-$(nproc)}"
for n in "${names[@]}"; do
  while (( $(jobs -rp | wc -l) >= jobs_max )); do wait -n || true; done
  ( nvcc -x cu -std=c++17 -O2 -arch="$arch" -include "$here/gpu_test.h" -I"$here/.." \
         "$here/test_$n.cpp" -o "$out/test_$n" > "$out/build_$n.log" 2>&1 || echo "build failed" >> "$out/build_$n.log" ) &
done
wait
for n in "${names[@]}"; do
  echo "== $n (GPU, $arch)"
  if grep -q "build failed" "$out/build_$n.log"; then cat "$out/build_$n.log"; status=1; continue; fi
  if ! "$out/test_$n"; then status=1; fi
done
exit $status
