// Fused attention: forward (O and row log-sum-exp), backward preprocessing
// (Dv = rowsum(dO*O)), dQ (with optional dBias), and dK/dV. The query-only backward is
// preprocess + dq. Layouts and logit rule in attn_core.cuh; launch rules in docs/kernels.md.
// The forward variant selected on the host by -Dmettle.cuda.attention=tc: attn_fwd_tc{32,64}_bf16
// on tensor cores (attn_tc.cuh) and attn_fwd_tiled{32,64}_f32, register-tiled on CUDA cores
// (attn_tiled.cuh).
#include "attn_core.cuh"
#include "attn_tc.cuh"
#include "attn_tiled.cuh"

namespace {

template <int D, typename T>
__device__ __forceinline__ void fwd_entry(const attn::Params& p, const T* Q, const T* K,
                                          const T* V, T* O, float* lse, float* smem) {
  for (int bh = blockIdx.y; bh < p.B * p.H; bh += gridDim.y)
    attn::fwd_block<T, D>(p, Q, K, V, bh, blockIdx.x * attn::kFwdRows, 0, p.Nk, smem, O, lse,
                          nullptr, nullptr, nullptr, 0);
}

template <int D, typename T>
__device__ __forceinline__ void dq_entry(const attn::Params& p, const T* Q, const T* K,
                                         const T* V, const T* dO, const float* lse,
                                         const float* Dv, T* dQ, float* dbias, float* smem) {
  for (int bh = blockIdx.y; bh < p.B * p.H; bh += gridDim.y)
    attn::dq_block<T, D>(p, Q, K, V, dO, lse, Dv, bh, blockIdx.x * attn::kBwdRows, 0, p.Nk, smem,
                         dQ, nullptr, 0, dbias);
}

template <int D, typename T>
__device__ __forceinline__ void dkv_entry(const attn::Params& p, const T* Q, const T* K,
                                          const T* V, const T* dO, const float* lse,
                                          const float* Dv, T* dK, T* dV, float* smem) {
  for (int bh = blockIdx.y; bh < p.B * p.H; bh += gridDim.y)
    attn::dkv_block<T, D>(p, Q, K, V, dO, lse, Dv, bh, blockIdx.x * attn::kBwdRows, smem, dK, dV);
}

}  // namespace

#define ATTN_PARAMS_DECL                                                                 \
  int B, int H, int Nq, int Nk, int d, float scale, const float *bias, int Bb, int Hb, \
      const float *mask, int Bm, int Hm
#define ATTN_PARAMS_INIT {B, H, Nq, Nk, d, scale, bias, Bb, Hb, mask, Bm, Hm}

#define ATTN_FWD(NAME, T)                                                                      \
  extern "C" __global__ void __launch_bounds__(128)                                            \
      NAME(const T* Q, const T* K, const T* V, T* O, float* lse, ATTN_PARAMS_DECL) {           \
    __shared__ __align__(16) float smem[attn::FwdSmem<128>::total];                            \
    const attn::Params p = ATTN_PARAMS_INIT;                                                   \
    ATTN_DISPATCH_D(d, fwd_entry, p, Q, K, V, O, lse, smem);                                   \
  }
ATTN_FWD(attn_fwd_f32, float)
ATTN_FWD(attn_fwd_bf16, __nv_bfloat16)

// One kernel per padded head dim D, so each gets only its own shared memory (D=32: 25.6 KB,
// D=64: 46 KB). Grid: x = cdiv(Nq, 64), y loops over B*H. The host guarantees d <= D, d % 8 == 0
// and 16-byte aligned Q, K, V; other d make the kernel do nothing rather than read out of range.
#define ATTN_FWD_TC(NAME, D)                                                                   \
  extern "C" __global__ void __launch_bounds__(attn_tc::kThreads)                               \
      NAME(const __nv_bfloat16* Q, const __nv_bfloat16* K, const __nv_bfloat16* V,             \
           __nv_bfloat16* O, float* lse, ATTN_PARAMS_DECL) {                                   \
    __shared__ __align__(16) __nv_bfloat16 smem[attn_tc::Smem<D>::total];                      \
    const attn::Params p = ATTN_PARAMS_INIT;                                                   \
    if (d <= 0 || d > (D) || d % 8 != 0) return;                                               \
    for (int bh = blockIdx.y; bh < B * H; bh += gridDim.y)                                     \
      attn_tc::fwd_block<D>(p, Q, K, V, O, lse, smem, bh, blockIdx.x * attn_tc::kRows);        \
  }
ATTN_FWD_TC(attn_fwd_tc32_bf16, 32)
ATTN_FWD_TC(attn_fwd_tc64_bf16, 64)

// fp32, d <= D (any d; zero-padded). Grid: x = cdiv(Nq, 64), y loops over B*H. Smem: D=32 26.6 KB,
// D=64 44 KB.
#define ATTN_FWD_TILED(NAME, D)                                                                \
  extern "C" __global__ void __launch_bounds__(attn_tiled::kThreads, 4)                         \
      NAME(const float* Q, const float* K, const float* V, float* O, float* lse,               \
           ATTN_PARAMS_DECL) {                                                                 \
    __shared__ __align__(16) float smem[attn_tiled::Smem<D>::total];                           \
    const attn::Params p = ATTN_PARAMS_INIT;                                                   \
    if (d <= 0 || d > (D)) return;                                                             \
    for (int bh = blockIdx.y; bh < B * H; bh += gridDim.y)                                     \
      attn_tiled::fwd_block<float, D>(p, Q, K, V, O, lse, smem, bh, blockIdx.x * attn_tiled::kRows); \
  }
ATTN_FWD_TILED(attn_fwd_tiled32_f32, 32)
ATTN_FWD_TILED(attn_fwd_tiled64_f32, 64)

#define ATTN_PRE(NAME, T)                                                                      \
  extern "C" __global__ void __launch_bounds__(256)                                            \
      NAME(const T* O, const T* dO, float* Dv, long long rows, int d) {                        \
    attn::bwd_preprocess(O, dO, Dv, rows, d);                                                  \
  }
ATTN_PRE(attn_bwd_preprocess_f32, float)
ATTN_PRE(attn_bwd_preprocess_bf16, __nv_bfloat16)

#define ATTN_DQ(NAME, T)                                                                       \
  extern "C" __global__ void __launch_bounds__(128)                                            \
      NAME(const T* Q, const T* K, const T* V, const T* dO, const float* lse, const float* Dv, \
           T* dQ, float* dBias, ATTN_PARAMS_DECL) {                                            \
    __shared__ __align__(16) float smem[attn::DqSmem<128>::total];                             \
    const attn::Params p = ATTN_PARAMS_INIT;                                                   \
    ATTN_DISPATCH_D(d, dq_entry, p, Q, K, V, dO, lse, Dv, dQ, dBias, smem);                    \
  }
ATTN_DQ(attn_bwd_dq_f32, float)
ATTN_DQ(attn_bwd_dq_bf16, __nv_bfloat16)

#define ATTN_DKV(NAME, T)                                                                      \
  extern "C" __global__ void __launch_bounds__(128)                                            \
      NAME(const T* Q, const T* K, const T* V, const T* dO, const float* lse, const float* Dv, \
           T* dK, T* dV, ATTN_PARAMS_DECL) {                                                   \
    __shared__ __align__(16) float smem[attn::DkvSmem<128>::total];                            \
    const attn::Params p = ATTN_PARAMS_INIT;                                                   \
    ATTN_DISPATCH_D(d, dkv_entry, p, Q, K, V, dO, lse, Dv, dK, dV, smem);                      \
  }
ATTN_DKV(attn_bwd_dkdv_f32, float)
ATTN_DKV(attn_bwd_dkdv_bf16, __nv_bfloat16)
