// LCD attention: few (K = 1..16 typical, any Nq works) meta-token queries over many keys.
// Flash-decoding style: keys are split across `splits` blocks per (head, query block); each
// writes its unnormalized state (max m, sum l, accumulator) and a combine kernel merges them.
// The backward is dQ only (keys/values are frozen tokens), split the same way and reduced
// deterministically. Layout: Q [BH, Nq, d], K/V [BH, Nk, d], d <= 128; no bias or mask.
// Workspaces (fp32): part_m, part_l [BH, splits, Nq]; part_acc, part_dq [BH, splits, Nq, d].
#include "attn_core.cuh"

namespace {

// Keys of split s: [s*chunk, min(Nk, (s+1)*chunk)), chunk a multiple of the 32-key tile.
__device__ __forceinline__ void split_range(int Nk, int splits, int s, int& kb, int& ke) {
  const int tiles = (Nk + attn::kTile - 1) / attn::kTile;
  const int chunk = ((tiles + splits - 1) / splits) * attn::kTile;
  const long long b = static_cast<long long>(s) * chunk;
  kb = b < Nk ? static_cast<int>(b) : Nk;
  ke = kb + chunk < Nk ? kb + chunk : Nk;
}

template <int D, typename T>
__device__ __forceinline__ void fwd_partial(const attn::Params& p, const T* Q, const T* K,
                                            const T* V, int splits, float* pm, float* pl,
                                            float* pacc, float* smem) {
  const int qblocks = (p.Nq + attn::kFwdRows - 1) / attn::kFwdRows;
  const int split = blockIdx.x / qblocks, q0 = (blockIdx.x % qblocks) * attn::kFwdRows;
  int kb, ke;
  split_range(p.Nk, splits, split, kb, ke);
  for (int bh = blockIdx.y; bh < p.B; bh += gridDim.y)
    attn::fwd_block<T, D>(p, Q, K, V, bh, q0, kb, ke, smem, nullptr, nullptr, pm, pl, pacc,
                          (static_cast<long long>(bh) * splits + split) * p.Nq + q0);
}

template <int D, typename T>
__device__ __forceinline__ void dq_partial(const attn::Params& p, const T* Q, const T* K,
                                           const T* V, const T* dO, const float* lse,
                                           const float* Dv, int splits, float* pdq, float* smem) {
  const int qblocks = (p.Nq + attn::kBwdRows - 1) / attn::kBwdRows;
  const int split = blockIdx.x / qblocks, q0 = (blockIdx.x % qblocks) * attn::kBwdRows;
  int kb, ke;
  split_range(p.Nk, splits, split, kb, ke);
  for (int bh = blockIdx.y; bh < p.B; bh += gridDim.y)
    attn::dq_block<T, D>(p, Q, K, V, dO, lse, Dv, bh, q0, kb, ke, smem, nullptr, pdq,
                         (static_cast<long long>(bh) * splits + split) * p.Nq + q0, nullptr);
}

template <typename T>
__device__ __forceinline__ void combine(const float* pm, const float* pl, const float* pacc,
                                        int BH, int Nq, int d, int splits, T* O, float* lse) {
  const long long row = static_cast<long long>(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= static_cast<long long>(BH) * Nq) return;  // whole warp leaves together
  const long long bh = row / Nq, q = row % Nq;
  float M = -INFINITY;
  for (int s = 0; s < splits; ++s) M = fmaxf(M, pm[(bh * splits + s) * Nq + q]);
  float L = 0.f, acc[4] = {0.f, 0.f, 0.f, 0.f};
  for (int s = 0; s < splits; ++s) {
    const long long r = (bh * splits + s) * Nq + q;
    const float w = mt::exp_shifted(pm[r], M);
    L += pl[r] * w;
#pragma unroll
    for (int c = 0; c < 4; ++c) {
      const int t = lane + 32 * c;
      if (t < d) acc[c] += w * pacc[r * d + t];
    }
  }
  const float inv = L > 0.f ? 1.f / L : 0.f;
#pragma unroll
  for (int c = 0; c < 4; ++c) {
    const int t = lane + 32 * c;
    if (t < d) mt::store(O, row * d + t, acc[c] * inv);
  }
  if (lane == 0) lse[row] = L > 0.f ? M + logf(L) : -INFINITY;
}

template <typename T>
__device__ __forceinline__ void dq_reduce(const float* pdq, int BH, int Nq, int d, int splits, T* dQ) {
  const long long per_head = static_cast<long long>(Nq) * d;
  MT_GRID_STRIDE_LOOP(i, per_head * BH) {
    const long long bh = i / per_head, rest = i % per_head;
    float acc = 0.f;
    for (int s = 0; s < splits; ++s) acc += pdq[(bh * splits + s) * per_head + rest];
    mt::store(dQ, i, acc);
  }
}

}  // namespace

#define LCD_PARAMS {BH, 1, Nq, Nk, d, scale, nullptr, 1, 1, nullptr, 1, 1}

#define LCD_KERNELS(SUFFIX, T)                                                                 \
  extern "C" __global__ void __launch_bounds__(128)                                            \
      lcd_fwd_partial_##SUFFIX(const T* Q, const T* K, const T* V, int BH, int Nq, int Nk,     \
                               int d, float scale, int splits, float* part_m, float* part_l,   \
                               float* part_acc) {                                              \
    __shared__ __align__(16) float smem[attn::FwdSmem<128>::total];                            \
    const attn::Params p = LCD_PARAMS;                                                         \
    ATTN_DISPATCH_D(d, fwd_partial, p, Q, K, V, splits, part_m, part_l, part_acc, smem);       \
  }                                                                                            \
  extern "C" __global__ void __launch_bounds__(256)                                            \
      lcd_fwd_combine_##SUFFIX(const float* part_m, const float* part_l, const float* part_acc, \
                               int BH, int Nq, int d, int splits, T* O, float* lse) {          \
    combine(part_m, part_l, part_acc, BH, Nq, d, splits, O, lse);                              \
  }                                                                                            \
  extern "C" __global__ void __launch_bounds__(256)                                            \
      lcd_bwd_preprocess_##SUFFIX(const T* O, const T* dO, float* Dv, long long rows, int d) { \
    attn::bwd_preprocess(O, dO, Dv, rows, d);                                                  \
  }                                                                                            \
  extern "C" __global__ void __launch_bounds__(128)                                            \
      lcd_bwd_dq_partial_##SUFFIX(const T* Q, const T* K, const T* V, const T* dO,             \
                                  const float* lse, const float* Dv, int BH, int Nq, int Nk,   \
                                  int d, float scale, int splits, float* part_dq) {            \
    __shared__ __align__(16) float smem[attn::DqSmem<128>::total];                             \
    const attn::Params p = LCD_PARAMS;                                                         \
    ATTN_DISPATCH_D(d, dq_partial, p, Q, K, V, dO, lse, Dv, splits, part_dq, smem);            \
  }                                                                                            \
  extern "C" __global__ void __launch_bounds__(256)                                            \
      lcd_bwd_dq_reduce_##SUFFIX(const float* part_dq, int BH, int Nq, int d, int splits,      \
                                 T* dQ) {                                                      \
    dq_reduce(part_dq, BH, Nq, d, splits, dQ);                                                 \
  }

LCD_KERNELS(f32, float)
LCD_KERNELS(bf16, __nv_bfloat16)
