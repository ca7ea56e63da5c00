#!/usr/bin/env bash
# Builds and runs the emulated kernel tests (kernels/test/test_*.cpp) on the CPU with g++.
# Usage: kernels/test/run-emu-tests.sh [name...]   e.g. run-emu-tests.sh gemm attention
# EMU_ASAN=1 adds AddressSanitizer (catches out-of-range reads/writes of kernels; slower).
# EMU_QUICK=1 passes "quick" to each test (fewer, smaller cases).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${EMU_BUILD_DIR:-$here/../../target/emu-tests}"
mkdir -p "$out"
flags=(-std=c++17 -O1 -g -Wall -Wno-unused-function -Wno-unknown-pragmas -Wno-unused-variable
       -include "$here/cuda_emu.h" -I"$here/..")
if [[ "${EMU_ASAN:-0}" == 1 ]]; then
  flags+=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  export ASAN_OPTIONS="detect_stack_use_after_return=0:${ASAN_OPTIONS:-}"
fi
names=("$@")
if (( ${#names[@]} == 0 )); then
  for f in "$here"/test_*.cpp; do names+=("$(basename "$f" .cpp | sed 's/^test_//')"); done
fi
status=0
for n in "${names[@]}"; do
  src="$here/test_$n.cpp"
  bin="$out/test_$n"
  echo "== $n"
  g++ "${flags[@]}" "$src" -o "$bin"
  if ! "$bin" ${EMU_QUICK:+quick}; then status=1; fi
done
exit $status
