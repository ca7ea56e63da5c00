// Losses, per row / per element in fp32 (sum or average them with reduce.cu).
//   ce_fwd_*:    cross-entropy of logits [rows, C] against int targets [rows]:
//                loss[r] = lse[r] - x[r, t]; rows whose target == ignore_index get loss 0
//                (lse is still written); a target outside [0, C) otherwise gives NaN.
//                One warp per row.
//   ce_bwd_*:    dlogits[r, c] = g * (softmax(x[r])[c] - [c == t]), 0 for ignored rows, with
//                g = grad_scale * (dloss ? dloss[0] : 1) (e.g. 1/count for a mean).
//   bce_logits_fwd_* / _bwd_*: binary cross-entropy on logits x and targets y (same dtype):
//                loss = max(x, 0) - x*y + log1p(exp(-|x|)); dx = g * (sigmoid(x) - y).
//   bce_prob_fwd_* / _bwd_*: on probabilities p (as torch BCELoss: logs clamped at -100):
//                loss = -(y*log p + (1-y)*log(1-p)); dp = g * (p - y) / max(p*(1-p), 1e-12).
#include "common.cuh"

namespace {

__device__ __forceinline__ long long warp_row() {
  return static_cast<long long>(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5);
}

template <typename T>
__device__ __forceinline__ void ce_fwd(const T* __restrict__ x, const int* __restrict__ target,
                                       long long rows, int C, int ignore_index, float* loss,
                                       float* lse_out) {
  const long long row = warp_row();
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;  // whole warp leaves together
  const T* xr = x + row * C;
  float m = -INFINITY;
  for (int c = lane; c < C; c += 32) m = fmaxf(m, mt::to_f32(xr[c]));
  m = mt::warp_max(m);
  float l = 0.f;
  for (int c = lane; c < C; c += 32) l += mt::exp_shifted(mt::to_f32(xr[c]), m);
  l = mt::warp_sum(l);
  if (lane != 0) return;
  const float lse = m + logf(l);
  if (lse_out != nullptr) lse_out[row] = lse;
  const int t = target[row];
  if (t == ignore_index) loss[row] = 0.f;
  else if (t < 0 || t >= C) loss[row] = NAN;
  else loss[row] = lse - mt::to_f32(xr[t]);
}

template <typename T>
__device__ __forceinline__ void ce_bwd(const T* __restrict__ x, const int* __restrict__ target,
                                       const float* __restrict__ lse, long long rows, int C,
                                       int ignore_index, float grad_scale, const float* dloss,
                                       T* __restrict__ dx) {
  const float g = grad_scale * (dloss != nullptr ? dloss[0] : 1.f);
  const long long n = rows * C;
  MT_GRID_STRIDE_LOOP(i, n) {
    const long long r = i / C;
    const int c = static_cast<int>(i % C), t = target[r];
    float d = 0.f;
    if (t != ignore_index) d = g * (expf(mt::to_f32(x[i]) - lse[r]) - (c == t ? 1.f : 0.f));
    dx[i] = mt::from_f32<T>(d);
  }
}

__device__ __forceinline__ float sigmoid(float x) { return 1.f / (1.f + expf(-x)); }

}  // namespace

#define LOSS_KERNELS(SUFFIX, T)                                                                 \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      ce_fwd_##SUFFIX(const T* logits, const int* target, long long rows, int C,                \
                      int ignore_index, float* loss, float* lse) {                              \
    ce_fwd(logits, target, rows, C, ignore_index, loss, lse);                                   \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      ce_bwd_##SUFFIX(const T* logits, const int* target, const float* lse, long long rows,     \
                      int C, int ignore_index, float grad_scale, const float* dloss, T* dlogits) { \
    ce_bwd(logits, target, lse, rows, C, ignore_index, grad_scale, dloss, dlogits);             \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      bce_logits_fwd_##SUFFIX(long long n, const T* x, const T* y, float* loss) {               \
    MT_GRID_STRIDE_LOOP(i, n) {                                                                 \
      const float xv = mt::to_f32(x[i]), yv = mt::to_f32(y[i]);                                 \
      loss[i] = fmaxf(xv, 0.f) - xv * yv + log1pf(expf(-fabsf(xv)));                           \
    }                                                                                           \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      bce_logits_bwd_##SUFFIX(long long n, const T* x, const T* y, float grad_scale,            \
                              const float* dloss, T* dx) {                                      \
    const float g = grad_scale * (dloss != nullptr ? dloss[0] : 1.f);                           \
    MT_GRID_STRIDE_LOOP(i, n) {                                                                 \
      dx[i] = mt::from_f32<T>(g * (sigmoid(mt::to_f32(x[i])) - mt::to_f32(y[i])));              \
    }                                                                                           \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      bce_prob_fwd_##SUFFIX(long long n, const T* p, const T* y, float* loss) {                 \
    MT_GRID_STRIDE_LOOP(i, n) {                                                                 \
      const float pv = mt::to_f32(p[i]), yv = mt::to_f32(y[i]);                                 \
      const float lp = fmaxf(logf(pv), -100.f), lq = fmaxf(logf(1.f - pv), -100.f);             \
      loss[i] = -(yv * lp + (1.f - yv) * lq);                                                   \
    }                                                                                           \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      bce_prob_bwd_##SUFFIX(long long n, const T* p, const T* y, float grad_scale,              \
                            const float* dloss, T* dp) {                                        \
    const float g = grad_scale * (dloss != nullptr ? dloss[0] : 1.f);                           \
    MT_GRID_STRIDE_LOOP(i, n) {                                                                 \
      const float pv = mt::to_f32(p[i]), yv = mt::to_f32(y[i]);                                 \
      dp[i] = mt::from_f32<T>(g * (pv - yv) / fmaxf(pv * (1.f - pv), 1e-12f));                  \
    }                                                                                           \
  }
LOSS_KERNELS(f32, float)
LOSS_KERNELS(bf16, __nv_bfloat16)
