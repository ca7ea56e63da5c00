// Runs the kernel tests (test_*.cpp) on a real GPU instead of the emulator: compile a test
// with nvcc -x cu -include gpu_test.h (see run-gpu-tests.sh). Test data lives in managed
// memory (emu_test.h), MT_LAUNCH is a real launch followed by a synchronize and an error
// check, and the emulator-only knobs are no-ops.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace emu {
inline void set_reverse(bool) {}
// Host copy of cvt.rna.tf32.f32 (round half away from zero to 10 mantissa bits).
inline unsigned f32_to_tf32(float v) {
  unsigned u;
  std::memcpy(&u, &v, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u += 0x1000u;
  return u & 0xffffe000u;
}
inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "CUDA error after %s: %s\n", what, cudaGetErrorString(e));
    std::exit(2);
  }
}
}  // namespace emu

// An empty grid is skipped, as the Java side must do.
#define MT_LAUNCH(grid, block, kernel, ...)                                   \
  do {                                                                        \
    const dim3 mt_g = (grid), mt_b = (block);                                 \
    if (mt_g.x * mt_g.y * mt_g.z == 0) break;                                 \
    kernel<<<mt_g, mt_b>>>(__VA_ARGS__);                                      \
    emu::check(cudaGetLastError(), #kernel " launch");                        \
    emu::check(cudaDeviceSynchronize(), #kernel);                             \
  } while (0)
