// Row softmax over the last dim C of x [rows, C]: y = softmax(scale * x). One warp per row
// (8 rows per 256-thread block); an online max/sum pass, then the write pass. A row that is
// all -inf gives zeros (not NaN). Backward: dx = scale * y * (dy - sum(dy * y)).
#include "common.cuh"

namespace {

template <typename T>
__device__ __forceinline__ void fwd(const T* __restrict__ x, T* __restrict__ y, long long rows,
                                    int C, float scale) {
  const long long row = static_cast<long long>(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;  // whole warp leaves together
  const T* xr = x + row * C;
  float m = -INFINITY, l = 0.f;
  for (int c = lane; c < C; c += 32) {
    const float v = mt::to_f32(xr[c]) * scale;
    if (v > m) {
      l = l * mt::exp_shifted(m, v) + 1.f;
      m = v;
    } else {
      l += mt::exp_shifted(v, m);
    }
  }
  // Merge the 32 lane states.
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float m2 = __shfl_xor_sync(mt::kFullMask, m, o);
    const float l2 = __shfl_xor_sync(mt::kFullMask, l, o);
    float unused_scale;
    mt::softmax_merge(m, l, m2, l2, &unused_scale);
  }
  const float inv = l > 0.f ? 1.f / l : 0.f;
  T* yr = y + row * C;
  for (int c = lane; c < C; c += 32) yr[c] = mt::from_f32<T>(mt::exp_shifted(mt::to_f32(xr[c]) * scale, m) * inv);
}

template <typename T>
__device__ __forceinline__ void bwd(const T* __restrict__ y, const T* __restrict__ dy,
                                    T* __restrict__ dx, long long rows, int C, float scale) {
  const long long row = static_cast<long long>(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;
  const T* yr = y + row * C;
  const T* gr = dy + row * C;
  float s = 0.f;
  for (int c = lane; c < C; c += 32) s += mt::to_f32(yr[c]) * mt::to_f32(gr[c]);
  s = mt::warp_sum(s);
  T* dr = dx + row * C;
  for (int c = lane; c < C; c += 32)
    dr[c] = mt::from_f32<T>(scale * mt::to_f32(yr[c]) * (mt::to_f32(gr[c]) - s));
}

}  // namespace

#define SOFTMAX_KERNELS(SUFFIX, T)                                                               \
  extern "C" __global__ void __launch_bounds__(256)                                              \
      softmax_fwd_##SUFFIX(const T* x, T* y, long long rows, int C, float scale) {               \
    fwd(x, y, rows, C, scale);                                                                   \
  }                                                                                              \
  extern "C" __global__ void __launch_bounds__(256)                                              \
      softmax_bwd_##SUFFIX(const T* y, const T* dy, T* dx, long long rows, int C, float scale) { \
    bwd(y, dy, dx, rows, C, scale);                                                              \
  }
SOFTMAX_KERNELS(f32, float)
SOFTMAX_KERNELS(bf16, __nv_bfloat16)
