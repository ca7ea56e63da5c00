// LayerNorm over the last dim C of x [rows, C]: y = (x - mean) * rstd * gamma + beta.
// One warp per row (8 rows per 256-thread block). Statistics in fp32 by two passes (mean,
// then the centered variance), so large offsets do not cancel. gamma/beta may be null
// (no affine); mean/rstd may be null in the forward (inference). The backward is split:
//   layernorm_bwd_dx_*          dx per row (warp per row)
//   layernorm_bwd_dgb_partial_* per row-chunk column sums of dy*xhat and dy -> [chunks, C]
//   layernorm_bwd_dgb_reduce    sums the chunks in a fixed order (deterministic) -> fp32
// Also the row L2 normalization (F.normalize over the last dim; Swin-V2's cosine attention), warp per row:
//   l2norm_fwd_*  y = x / max(||x||, eps)
//   l2norm_bwd_*  dx = (dy - y (y . dy)) / ||x||, or dy / eps where the norm was clamped (torch's clamp_min)
#include "common.cuh"

namespace {

__device__ __forceinline__ long long warp_row() {
  return static_cast<long long>(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5);
}

template <typename T>
__device__ __forceinline__ void fwd(const T* __restrict__ x, const T* __restrict__ gamma,
                                    const T* __restrict__ beta, T* __restrict__ y, float* mean,
                                    float* rstd, long long rows, int C, float eps) {
  const long long row = warp_row();
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;  // whole warp leaves together
  const T* xr = x + row * C;
  float s = 0.f;
  for (int c = lane; c < C; c += 32) s += mt::to_f32(xr[c]);
  const float mu = mt::warp_sum(s) / C;
  float v = 0.f;
  for (int c = lane; c < C; c += 32) {
    const float dlt = mt::to_f32(xr[c]) - mu;
    v += dlt * dlt;
  }
  const float rs = rsqrtf(mt::warp_sum(v) / C + eps);
  T* yr = y + row * C;
  for (int c = lane; c < C; c += 32) {
    float o = (mt::to_f32(xr[c]) - mu) * rs;
    if (gamma != nullptr) o *= mt::to_f32(gamma[c]);
    if (beta != nullptr) o += mt::to_f32(beta[c]);
    yr[c] = mt::from_f32<T>(o);
  }
  if (lane == 0) {
    if (mean != nullptr) mean[row] = mu;
    if (rstd != nullptr) rstd[row] = rs;
  }
}

template <typename T>
__device__ __forceinline__ void bwd_dx(const T* __restrict__ x, const T* __restrict__ gamma,
                                       const T* __restrict__ dy, const float* __restrict__ mean,
                                       const float* __restrict__ rstd, T* __restrict__ dx,
                                       long long rows, int C) {
  const long long row = warp_row();
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;
  const T* xr = x + row * C;
  const T* gr = dy + row * C;
  const float mu = mean[row], rs = rstd[row];
  float sg = 0.f, sgx = 0.f;
  for (int c = lane; c < C; c += 32) {
    const float g = mt::to_f32(gr[c]) * (gamma != nullptr ? mt::to_f32(gamma[c]) : 1.f);
    sg += g;
    sgx += g * (mt::to_f32(xr[c]) - mu) * rs;
  }
  const float a = mt::warp_sum(sg) / C, b = mt::warp_sum(sgx) / C;
  T* dr = dx + row * C;
  for (int c = lane; c < C; c += 32) {
    const float g = mt::to_f32(gr[c]) * (gamma != nullptr ? mt::to_f32(gamma[c]) : 1.f);
    const float xh = (mt::to_f32(xr[c]) - mu) * rs;
    dr[c] = mt::from_f32<T>(rs * (g - a - xh * b));
  }
}

template <typename T>
__device__ __forceinline__ void dgb_partial(const T* __restrict__ x, const T* __restrict__ dy,
                                            const float* __restrict__ mean,
                                            const float* __restrict__ rstd, long long rows, int C,
                                            float* part_dg, float* part_db) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  const int chunks = gridDim.y, chunk = blockIdx.y;
  if (c >= C) return;
  const long long per = (rows + chunks - 1) / chunks;
  const long long r0 = chunk * per, r1 = r0 + per < rows ? r0 + per : rows;
  float dg = 0.f, db = 0.f;
  for (long long r = r0; r < r1; ++r) {
    const float g = mt::to_f32(dy[r * C + c]);
    dg += g * (mt::to_f32(x[r * C + c]) - mean[r]) * rstd[r];
    db += g;
  }
  part_dg[static_cast<long long>(chunk) * C + c] = dg;
  part_db[static_cast<long long>(chunk) * C + c] = db;
}

template <typename T>
__device__ __forceinline__ void l2_fwd(const T* __restrict__ x, T* __restrict__ y, long long rows, int C,
                                       float eps) {
  const long long row = warp_row();
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;
  const T* xr = x + row * C;
  float s = 0.f;
  for (int c = lane; c < C; c += 32) {
    const float v = mt::to_f32(xr[c]);
    s += v * v;
  }
  const float inv = 1.f / fmaxf(sqrtf(mt::warp_sum(s)), eps);
  T* yr = y + row * C;
  for (int c = lane; c < C; c += 32) yr[c] = mt::from_f32<T>(mt::to_f32(xr[c]) * inv);
}

template <typename T>
__device__ __forceinline__ void l2_bwd(const T* __restrict__ x, const T* __restrict__ dy, T* __restrict__ dx,
                                       long long rows, int C, float eps) {
  const long long row = warp_row();
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;
  const T* xr = x + row * C;
  const T* gr = dy + row * C;
  T* dr = dx + row * C;
  float s = 0.f;
  for (int c = lane; c < C; c += 32) {
    const float v = mt::to_f32(xr[c]);
    s += v * v;
  }
  const float n = sqrtf(mt::warp_sum(s));
  if (n >= eps && n > 0.f) {
    const float inv = 1.f / n;
    float d = 0.f;
    for (int c = lane; c < C; c += 32) d += mt::to_f32(xr[c]) * inv * mt::to_f32(gr[c]);
    d = mt::warp_sum(d);
    for (int c = lane; c < C; c += 32) {
      const float yv = mt::to_f32(xr[c]) * inv;
      dr[c] = mt::from_f32<T>((mt::to_f32(gr[c]) - yv * d) * inv);
    }
  } else {
    for (int c = lane; c < C; c += 32) dr[c] = mt::from_f32<T>(mt::to_f32(gr[c]) / eps);
  }
}

}  // namespace

#define L2_KERNELS(SUFFIX, T)                                                                   \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      l2norm_fwd_##SUFFIX(const T* x, T* y, long long rows, int C, float eps) {                 \
    l2_fwd(x, y, rows, C, eps);                                                                 \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      l2norm_bwd_##SUFFIX(const T* x, const T* dy, T* dx, long long rows, int C, float eps) {   \
    l2_bwd(x, dy, dx, rows, C, eps);                                                            \
  }
L2_KERNELS(f32, float)
L2_KERNELS(bf16, __nv_bfloat16)

#define LN_KERNELS(SUFFIX, T)                                                                   \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      layernorm_fwd_##SUFFIX(const T* x, const T* gamma, const T* beta, T* y, float* mean,      \
                             float* rstd, long long rows, int C, float eps) {                   \
    fwd(x, gamma, beta, y, mean, rstd, rows, C, eps);                                           \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      layernorm_bwd_dx_##SUFFIX(const T* x, const T* gamma, const T* dy, const float* mean,     \
                                const float* rstd, T* dx, long long rows, int C) {              \
    bwd_dx(x, gamma, dy, mean, rstd, dx, rows, C);                                              \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      layernorm_bwd_dgb_partial_##SUFFIX(const T* x, const T* dy, const float* mean,            \
                                         const float* rstd, long long rows, int C,              \
                                         float* part_dg, float* part_db) {                      \
    dgb_partial(x, dy, mean, rstd, rows, C, part_dg, part_db);                                  \
  }
LN_KERNELS(f32, float)
LN_KERNELS(bf16, __nv_bfloat16)

// dgamma[c] = sum_k part_dg[k][c], dbeta likewise; either output may be null.
extern "C" __global__ void __launch_bounds__(256)
layernorm_bwd_dgb_reduce(const float* part_dg, const float* part_db, int C, int chunks,
                         float* dgamma, float* dbeta) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  float dg = 0.f, db = 0.f;
  for (int k = 0; k < chunks; ++k) {
    dg += part_dg[static_cast<long long>(k) * C + c];
    db += part_db[static_cast<long long>(k) * C + c];
  }
  if (dgamma != nullptr) dgamma[c] = dg;
  if (dbeta != nullptr) dbeta[c] = db;
}
