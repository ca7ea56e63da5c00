// Sums in fp32, all deterministic (fixed reduction order, no atomics).
//   reduce_rows_*:          out[r] = alpha * sum_c x[r, c]           (warp per row)
//   reduce_cols_partial_*:  part[k, c] = sum of x[r, c] over row chunk k   (thread per column)
//   reduce_cols_final:      out[c] = alpha * sum_k part[k, c]
//   reduce_to_shape_*:      sum x [d0..d3] down to [e0..e3] (each e_k is d_k or 1), thread
//                           per output element: general bias/broadcast gradients
//   reduce_all_*:           out[0] = sum (op 0), sum of squares (op 1) or max |x| (op 2) over
//                           n elements; a single block of 1024 threads
// `accumulate` != 0 adds to out instead of overwriting it.
#include "common.cuh"

namespace {

__device__ __forceinline__ void put(float* out, long long i, float v, int accumulate) {
  out[i] = accumulate ? out[i] + v : v;
}

template <typename T>
__device__ __forceinline__ void rows(const T* __restrict__ x, float* out, long long rows_n, int C,
                                     float alpha, int accumulate) {
  const long long row = static_cast<long long>(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= rows_n) return;  // whole warp leaves together
  float s = 0.f;
  for (int c = lane; c < C; c += 32) s += mt::to_f32(x[row * C + c]);
  s = mt::warp_sum(s);
  if (lane == 0) put(out, row, alpha * s, accumulate);
}

template <typename T>
__device__ __forceinline__ void cols_partial(const T* __restrict__ x, long long rows_n, int C,
                                             float* part) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  const int chunks = gridDim.y, k = blockIdx.y;
  const long long per = (rows_n + chunks - 1) / chunks;
  const long long r0 = k * per, r1 = r0 + per < rows_n ? r0 + per : rows_n;
  float s = 0.f;
  for (long long r = r0; r < r1; ++r) s += mt::to_f32(x[r * C + c]);
  part[static_cast<long long>(k) * C + c] = s;
}

template <typename T>
__device__ __forceinline__ void to_shape(const T* __restrict__ x, int d0, int d1, int d2, int d3,
                                         int e0, int e1, int e2, int e3, float* out, float alpha,
                                         int accumulate) {
  const long long n_out = static_cast<long long>(e0) * e1 * e2 * e3;
  // Reduced dims iterate inside; kept dims come from the output index.
  const int r0 = e0 == 1 ? d0 : 1, r1 = e1 == 1 ? d1 : 1, r2 = e2 == 1 ? d2 : 1, r3 = e3 == 1 ? d3 : 1;
  MT_GRID_STRIDE_LOOP(o, n_out) {
    long long t = o;
    const int o3 = static_cast<int>(t % e3); t /= e3;
    const int o2 = static_cast<int>(t % e2); t /= e2;
    const int o1 = static_cast<int>(t % e1);
    const int o0 = static_cast<int>(t / e1);
    float s = 0.f;
    for (int a = 0; a < r0; ++a)
      for (int b = 0; b < r1; ++b)
        for (int c = 0; c < r2; ++c)
          for (int d = 0; d < r3; ++d) {
            const long long i0 = e0 == 1 ? a : o0, i1 = e1 == 1 ? b : o1;
            const long long i2 = e2 == 1 ? c : o2, i3 = e3 == 1 ? d : o3;
            s += mt::to_f32(x[((i0 * d1 + i1) * d2 + i2) * d3 + i3]);
          }
    put(out, o, alpha * s, accumulate);
  }
}

template <typename T>
__device__ __forceinline__ void all(int op, long long n, const T* __restrict__ x, float* out,
                                    int accumulate) {
  __shared__ float scratch[32];
  float s = 0.f;
  for (long long i = threadIdx.x; i < n; i += blockDim.x) {
    const float v = mt::to_f32(x[i]);
    if (op == 0) s += v;
    else if (op == 1) s += v * v;
    else s = fmaxf(s, fabsf(v));
  }
  if (op == 2) {
    s = mt::warp_max(s);
    if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = s;
    __syncthreads();
    s = (threadIdx.x & 31) < (blockDim.x + 31) / 32 ? scratch[threadIdx.x & 31] : 0.f;
    s = mt::warp_max(s);
  } else {
    s = mt::block_sum(s, scratch);
  }
  if (threadIdx.x == 0) out[0] = (accumulate && op != 2) ? out[0] + s : (accumulate ? fmaxf(out[0], s) : s);
}

}  // namespace

#define REDUCE_KERNELS(SUFFIX, T)                                                               \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      reduce_rows_##SUFFIX(const T* x, float* out, long long rows_n, int C, float alpha,        \
                           int accumulate) {                                                    \
    rows(x, out, rows_n, C, alpha, accumulate);                                                 \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      reduce_cols_partial_##SUFFIX(const T* x, long long rows_n, int C, float* part) {          \
    cols_partial(x, rows_n, C, part);                                                           \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      reduce_to_shape_##SUFFIX(const T* x, int d0, int d1, int d2, int d3, int e0, int e1,      \
                               int e2, int e3, float* out, float alpha, int accumulate) {       \
    to_shape(x, d0, d1, d2, d3, e0, e1, e2, e3, out, alpha, accumulate);                        \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(1024)                                            \
      reduce_all_##SUFFIX(int op, long long n, const T* x, float* out, int accumulate) {        \
    all(op, n, x, out, accumulate);                                                             \
  }
REDUCE_KERNELS(f32, float)
REDUCE_KERNELS(bf16, __nv_bfloat16)

extern "C" __global__ void __launch_bounds__(256)
reduce_cols_final(const float* part, int C, int chunks, float* out, float alpha, int accumulate) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  float s = 0.f;
  for (int k = 0; k < chunks; ++k) s += part[static_cast<long long>(k) * C + c];
  put(out, c, alpha * s, accumulate);
}
