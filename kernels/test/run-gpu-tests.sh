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
for n in "${names[@]}"; do
  echo "== $n (GPU, $arch)"
  nvcc -x cu -std=c++17 -O2 -arch="$arch" -include "$here/gpu_test.h" -I"$here/.." \
       "$here/test_$n.cpp" -o "$out/test_$n"
  if ! "$out/test_$n"; then status=1; fi
done
exit $status
