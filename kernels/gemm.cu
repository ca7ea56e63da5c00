// GEMM: C = alpha * op(A) * op(B) + beta * C, batched with element strides (stride 0
// broadcasts), then an optional fused epilogue (bias per column, exact GELU, residual add).
// op(A) is M x K, op(B) is K x N, all matrices row-major with leading dimensions lda/ldb/ldc.
// transA = 0: A is stored M x K (lda >= K); transA = 1: A is stored K x M (lda >= M).
// transB = 0: B is stored K x N (ldb >= N); transB = 1: B is stored N x K (ldb >= K).
// One launch rule (docs/kernels.md): 256 threads, grid (ceil(N/128), ceil(M/128),
// min(batch, 65535)) (v2: ceil(N/T), ceil(M/T)); blocks loop over batches beyond gridDim.z.
//   gemm_f32        fp32 CUDA cores, 128x128x8 tiles, 8x8 results per thread
//   gemm_f32_v2_{128,64}_{nn,nt,tn,tt}  the same, 3-stage cp.async, 128 or 64 tiles, and
//                   gemm_f32_splitk_reduce (both in gemm_f32_v2.cuh)
//   gemm_tf32       fp32 in/out on tensor cores (tf32 inputs, fp32 accumulate), 128x128x16
//   gemm_bf16       bf16 A/B/C on tensor cores (fp32 accumulate), 128x128x32, cp.async x2
//   gemm_bf16_f32c  the same with fp32 C (and fp32 bias/residual/aux)
#include "common.cuh"

namespace {

constexpr int kBias = 1, kGelu = 2, kResidual = 4;
constexpr int kBM = 128, kBN = 128, kThreads = 256;

template <typename TC> struct Epilogue {
  float alpha, beta;
  TC* C;
  int ldc;
  long long strideC;
  const TC* bias;
  const TC* R;
  int ldr;
  long long strideR;
  TC* aux;
  int flags;
  int M, N;

  // v = alpha*acc (+ beta*C) (+ bias[n]); aux = v; v = gelu(v); (+ R); C = v.
  __device__ __forceinline__ void apply(long long b, int m, int n, float acc) const {
    if (m >= M || n >= N) return;
    const long long idx = b * strideC + static_cast<long long>(m) * ldc + n;
    float v = alpha * acc;
    if (beta != 0.f) v += beta * mt::load(C, idx);
    if (flags & kBias) v += mt::load(bias, n);
    if (flags & kGelu) {
      if (aux != nullptr) mt::store(aux, idx, v);
      v = mt::gelu_erf(v);
    }
    if (flags & kResidual) v += mt::load(R, b * strideR + static_cast<long long>(m) * ldr + n);
    mt::store(C, idx, v);
  }
};

// ------------------------------- fp32, CUDA cores -------------------------------------
constexpr int kF32BK = 8;

constexpr int kF32Pitch = kBM + 4;  // keeps float4 rows 16-byte aligned
constexpr int kF32SmemFloats = 2 * 2 * kF32BK * kF32Pitch;

// smem: kF32SmemFloats floats, declared once per kernel (shared arrays declared inside
// each template instantiation would add up).
template <bool TA, bool TB>
__device__ __forceinline__ void gemm_f32_block(int M, int N, int K, const float* __restrict__ A,
                                               int lda, const float* __restrict__ B, int ldb,
                                               long long b, const Epilogue<float>& ep,
                                               float* smem) {
  auto As = reinterpret_cast<float(*)[kF32BK][kF32Pitch]>(smem);
  auto Bs = reinterpret_cast<float(*)[kF32BK][kF32Pitch]>(smem + 2 * kF32BK * kF32Pitch);
  const int tid = threadIdx.x;
  const int m0 = blockIdx.y * kBM, n0 = blockIdx.x * kBN;
  // Element (row, k) of this thread's i-th A load and (k, col) of its B load; consecutive
  // threads walk the contiguous global dimension.
  auto a_coord = [&](int i, int& m, int& k) {
    if (!TA) { k = tid % kF32BK; m = tid / kF32BK + 32 * i; }
    else { m = tid % kBM; k = tid / kBM + 2 * i; }
  };
  auto b_coord = [&](int i, int& k, int& n) {
    if (TB) { k = tid % kF32BK; n = tid / kF32BK + 32 * i; }
    else { n = tid % kBN; k = tid / kBN + 2 * i; }
  };
  float ra[4], rb[4];
  auto fetch = [&](int k0) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      int m, k, n, kb;
      a_coord(i, m, k);
      const int gm = m0 + m, gk = k0 + k;
      ra[i] = (gm < M && gk < K)
                  ? A[TA ? static_cast<long long>(gk) * lda + gm : static_cast<long long>(gm) * lda + gk]
                  : 0.f;
      b_coord(i, kb, n);
      const int gn = n0 + n, gkb = k0 + kb;
      rb[i] = (gn < N && gkb < K)
                  ? B[TB ? static_cast<long long>(gn) * ldb + gkb : static_cast<long long>(gkb) * ldb + gn]
                  : 0.f;
    }
  };
  auto stash = [&](int s) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      int m, k, n, kb;
      a_coord(i, m, k);
      As[s][k][m] = ra[i];
      b_coord(i, kb, n);
      Bs[s][kb][n] = rb[i];
    }
  };

  const int ty = tid / 16, tx = tid % 16;
  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;

  const int num_k = (K + kF32BK - 1) / kF32BK;
  fetch(0);
  stash(0);
  __syncthreads();
  for (int kt = 0; kt < num_k; ++kt) {
    const int s = kt & 1;
    const bool more = kt + 1 < num_k;
    if (more) fetch((kt + 1) * kF32BK);
#pragma unroll
    for (int kk = 0; kk < kF32BK; ++kk) {
      float a[8], bv[8];
      const float4 a0 = *reinterpret_cast<const float4*>(&As[s][kk][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&As[s][kk][64 + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[s][kk][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&Bs[s][kk][64 + tx * 4]);
      a[0] = a0.x; a[1] = a0.y; a[2] = a0.z; a[3] = a0.w;
      a[4] = a1.x; a[5] = a1.y; a[6] = a1.z; a[7] = a1.w;
      bv[0] = b0.x; bv[1] = b0.y; bv[2] = b0.z; bv[3] = b0.w;
      bv[4] = b1.x; bv[5] = b1.y; bv[6] = b1.z; bv[7] = b1.w;
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], bv[j], acc[i][j]);
    }
    if (more) stash(s ^ 1);
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int m = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int n = n0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + j - 4);
      ep.apply(b, m, n, acc[i][j]);
    }
  }
}

// ------------------------------- tensor cores -----------------------------------------
// Element type in shared memory: bf16 bits (unsigned short) or fp32 for tf32.
template <typename TIn> struct TcConfig;
template <> struct TcConfig<__nv_bfloat16> {
  using S = unsigned short;
  static constexpr int BK = 32, VEC = 8;
};
template <> struct TcConfig<float> {
  using S = float;
  static constexpr int BK = 16, VEC = 4;
};

// Shared tile of one operand: "rows x contiguous" with padding chosen so that ldmatrix
// (bf16) or the scalar fragment loads (tf32) are free of bank conflicts.
template <typename TIn, bool KContig, int Rows> struct TileShape {
  using C = TcConfig<TIn>;
  static constexpr int kPitch =
      KContig ? C::BK + (sizeof(TIn) == 2 ? 8 : 4) : Rows + 8;  // elements per smem row
  static constexpr int kRows = KContig ? Rows : C::BK;
  static constexpr int kElems = kRows * kPitch;
};
// Shared elements for both stages of A and B, the maximum over the four layouts.
template <typename TIn> struct TcSmem {
  static constexpr int kc = TileShape<TIn, true, kBM>::kElems;
  static constexpr int mc = TileShape<TIn, false, kBM>::kElems;
  static constexpr int kElems = 2 * 2 * (kc > mc ? kc : mc);
};

// Copies chunk (row, col..col+VEC) of a rows x cols global matrix into smem, zero-filling
// whatever lies outside. vec: 16-byte aligned rows (cp.async); else scalar copies.
template <typename S, int VEC>
__device__ __forceinline__ void load_chunk(S* dst, const S* __restrict__ src, int ld, int row,
                                           int col, int rows, int cols, bool vec) {
  if (row < rows && col < cols) {
    const int valid = cols - col < VEC ? cols - col : VEC;
    const S* p = src + static_cast<long long>(row) * ld + col;
    if (vec) {
      mt::cp_async_16(dst, p, valid * static_cast<int>(sizeof(S)));
    } else {
#pragma unroll
      for (int e = 0; e < VEC; ++e) dst[e] = e < valid ? p[e] : S(0);
    }
  } else if (vec) {
    mt::cp_async_16(dst, src, 0);
  } else {
#pragma unroll
    for (int e = 0; e < VEC; ++e) dst[e] = S(0);
  }
}

template <typename TIn, bool TA, bool TB, typename TC>
__device__ __forceinline__ void gemm_tc_block(int M, int N, int K, const TIn* __restrict__ Ain,
                                              int lda, const TIn* __restrict__ Bin, int ldb,
                                              bool vec, long long b, const Epilogue<TC>& ep,
                                              typename TcConfig<TIn>::S* smem) {
  using Cfg = TcConfig<TIn>;
  using S = typename Cfg::S;
  constexpr int BK = Cfg::BK, VEC = Cfg::VEC;
  using TileA = TileShape<TIn, !TA, kBM>;  // TA = 0: A rows are m, k contiguous
  using TileB = TileShape<TIn, TB, kBN>;   // TB = 1: B rows are n, k contiguous
  static_assert(2 * (TileA::kElems + TileB::kElems) <= TcSmem<TIn>::kElems, "smem size");
  const S* A = reinterpret_cast<const S*>(Ain);
  const S* B = reinterpret_cast<const S*>(Bin);
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int m0 = blockIdx.y * kBM, n0 = blockIdx.x * kBN;
  const int wm = (warp % 2) * 64, wn = (warp / 2) * 32;  // 2 x 4 warps, 64 x 32 each

  auto tile_a = [&](int s) { return smem + s * TileA::kElems; };
  auto tile_b = [&](int s) { return smem + 2 * TileA::kElems + s * TileB::kElems; };

  // 512 chunks per operand tile, two per thread.
  auto load_stage = [&](int s, int k0) {
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int c = tid + kThreads * i;
      if (!TA) {  // smem [m][k]
        constexpr int per_row = BK / VEC;
        const int r = c / per_row, kc = (c % per_row) * VEC;
        load_chunk<S, VEC>(tile_a(s) + r * TileA::kPitch + kc, A, lda, m0 + r, k0 + kc, M, K, vec);
      } else {  // smem [k][m]
        constexpr int per_row = kBM / VEC;
        const int r = c / per_row, mc = (c % per_row) * VEC;
        load_chunk<S, VEC>(tile_a(s) + r * TileA::kPitch + mc, A, lda, k0 + r, m0 + mc, K, M, vec);
      }
      if (TB) {  // smem [n][k]
        constexpr int per_row = BK / VEC;
        const int r = c / per_row, kc = (c % per_row) * VEC;
        load_chunk<S, VEC>(tile_b(s) + r * TileB::kPitch + kc, B, ldb, n0 + r, k0 + kc, N, K, vec);
      } else {  // smem [k][n]
        constexpr int per_row = kBN / VEC;
        const int r = c / per_row, nc = (c % per_row) * VEC;
        load_chunk<S, VEC>(tile_b(s) + r * TileB::kPitch + nc, B, ldb, k0 + r, n0 + nc, K, N, vec);
      }
    }
  };

  float acc[4][4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.f;

  const int num_k = (K + BK - 1) / BK;
  load_stage(0, 0);
  mt::cp_async_commit();
  for (int kt = 0; kt < num_k; ++kt) {
    const int s = kt & 1;
    if (kt + 1 < num_k) load_stage(s ^ 1, (kt + 1) * BK);
    mt::cp_async_commit();  // possibly empty: keeps "wait 1" meaning "stage s has landed"
    mt::cp_async_wait<1>();
    __syncthreads();
    const S* As = tile_a(s);
    const S* Bs = tile_b(s);
    if constexpr (sizeof(S) == 2) {
#pragma unroll
      for (int kk = 0; kk < BK; kk += 16) {
        unsigned af[4][4], bf[4][2];
        const int j = lane / 8, r = lane % 8;
#pragma unroll
        for (int mi = 0; mi < 4; ++mi) {
          const int mb = wm + mi * 16;
          if (!TA)
            mt::ldmatrix_x4(af[mi], As + (mb + r + (j % 2) * 8) * TileA::kPitch + kk + (j / 2) * 8);
          else
            mt::ldmatrix_x4_trans(af[mi], As + (kk + r + (j / 2) * 8) * TileA::kPitch + mb + (j % 2) * 8);
        }
#pragma unroll
        for (int np = 0; np < 2; ++np) {
          const int nb = wn + np * 16;
          unsigned q[4];
          if (TB)
            mt::ldmatrix_x4(q, Bs + (nb + r + (j / 2) * 8) * TileB::kPitch + kk + (j % 2) * 8);
          else
            mt::ldmatrix_x4_trans(q, Bs + (kk + r + (j % 2) * 8) * TileB::kPitch + nb + (j / 2) * 8);
          bf[np * 2][0] = q[0];
          bf[np * 2][1] = q[1];
          bf[np * 2 + 1][0] = q[2];
          bf[np * 2 + 1][1] = q[3];
        }
#pragma unroll
        for (int mi = 0; mi < 4; ++mi)
#pragma unroll
          for (int ni = 0; ni < 4; ++ni) mt::mma_bf16_16816(acc[mi][ni], af[mi], bf[ni]);
      }
    } else {
      const int g = lane / 4, t = lane % 4;
      auto a_at = [&](int m, int k) {
        return mt::f32_to_tf32(TA ? As[k * TileA::kPitch + m] : As[m * TileA::kPitch + k]);
      };
      auto b_at = [&](int k, int n) {
        return mt::f32_to_tf32(TB ? Bs[n * TileB::kPitch + k] : Bs[k * TileB::kPitch + n]);
      };
#pragma unroll
      for (int kk = 0; kk < BK; kk += 8) {
        unsigned af[4][4], bf[4][2];
#pragma unroll
        for (int mi = 0; mi < 4; ++mi) {
          const int mb = wm + mi * 16;
          af[mi][0] = a_at(mb + g, kk + t);
          af[mi][1] = a_at(mb + g + 8, kk + t);
          af[mi][2] = a_at(mb + g, kk + t + 4);
          af[mi][3] = a_at(mb + g + 8, kk + t + 4);
        }
#pragma unroll
        for (int ni = 0; ni < 4; ++ni) {
          const int nb = wn + ni * 8;
          bf[ni][0] = b_at(kk + t, nb + g);
          bf[ni][1] = b_at(kk + t + 4, nb + g);
        }
#pragma unroll
        for (int mi = 0; mi < 4; ++mi)
#pragma unroll
          for (int ni = 0; ni < 4; ++ni) mt::mma_tf32_1688(acc[mi][ni], af[mi], bf[ni]);
      }
    }
    __syncthreads();  // stage s is overwritten by the next iteration's loads
  }
  mt::cp_async_wait<0>();

  const int g = lane / 4, t = lane % 4;
#pragma unroll
  for (int mi = 0; mi < 4; ++mi)
#pragma unroll
    for (int ni = 0; ni < 4; ++ni)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int m = m0 + wm + mi * 16 + g + (e >= 2 ? 8 : 0);
        const int n = n0 + wn + ni * 8 + 2 * t + (e & 1);
        ep.apply(b, m, n, acc[mi][ni][e]);
      }
}

template <typename TIn> __device__ __forceinline__ bool rows_aligned(const TIn* p, int ld,
                                                                     long long stride) {
  constexpr int vec = TcConfig<TIn>::VEC;
  return (reinterpret_cast<unsigned long long>(p) % 16 == 0) && (ld % vec == 0) &&
         (stride % vec == 0);
}

template <typename TIn, typename TC>
__device__ __forceinline__ void gemm_tc(int transA, int transB, int M, int N, int K, float alpha,
                                        const TIn* A, int lda, long long strideA, const TIn* B,
                                        int ldb, long long strideB, float beta, TC* C, int ldc,
                                        long long strideC, int batch, const TC* bias, const TC* R,
                                        int ldr, long long strideR, TC* aux, int flags) {
  const Epilogue<TC> ep{alpha, beta, C, ldc, strideC, bias, R, ldr, strideR, aux, flags, M, N};
  const bool vec = rows_aligned(A, lda, strideA) && rows_aligned(B, ldb, strideB);
  __shared__ __align__(16) typename TcConfig<TIn>::S smem[TcSmem<TIn>::kElems];
  for (int b = blockIdx.z; b < batch; b += gridDim.z) {
    const TIn* Ab = A + b * strideA;
    const TIn* Bb = B + b * strideB;
    if (!transA && !transB) gemm_tc_block<TIn, false, false>(M, N, K, Ab, lda, Bb, ldb, vec, b, ep, smem);
    else if (!transA && transB) gemm_tc_block<TIn, false, true>(M, N, K, Ab, lda, Bb, ldb, vec, b, ep, smem);
    else if (transA && !transB) gemm_tc_block<TIn, true, false>(M, N, K, Ab, lda, Bb, ldb, vec, b, ep, smem);
    else gemm_tc_block<TIn, true, true>(M, N, K, Ab, lda, Bb, ldb, vec, b, ep, smem);
  }
}

}  // namespace

extern "C" __global__ void __launch_bounds__(256)
gemm_f32(int transA, int transB, int M, int N, int K, float alpha, const float* A, int lda,
         long long strideA, const float* B, int ldb, long long strideB, float beta, float* C,
         int ldc, long long strideC, int batch, const float* bias, const float* R, int ldr,
         long long strideR, float* aux, int flags) {
  const Epilogue<float> ep{alpha, beta, C, ldc, strideC, bias, R, ldr, strideR, aux, flags, M, N};
  __shared__ __align__(16) float smem[kF32SmemFloats];
  for (int b = blockIdx.z; b < batch; b += gridDim.z) {
    const float* Ab = A + b * strideA;
    const float* Bb = B + b * strideB;
    if (!transA && !transB) gemm_f32_block<false, false>(M, N, K, Ab, lda, Bb, ldb, b, ep, smem);
    else if (!transA && transB) gemm_f32_block<false, true>(M, N, K, Ab, lda, Bb, ldb, b, ep, smem);
    else if (transA && !transB) gemm_f32_block<true, false>(M, N, K, Ab, lda, Bb, ldb, b, ep, smem);
    else gemm_f32_block<true, true>(M, N, K, Ab, lda, Bb, ldb, b, ep, smem);
  }
}

extern "C" __global__ void __launch_bounds__(256)
gemm_tf32(int transA, int transB, int M, int N, int K, float alpha, const float* A, int lda,
          long long strideA, const float* B, int ldb, long long strideB, float beta, float* C,
          int ldc, long long strideC, int batch, const float* bias, const float* R, int ldr,
          long long strideR, float* aux, int flags) {
  gemm_tc<float, float>(transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb, strideB, beta, C,
                        ldc, strideC, batch, bias, R, ldr, strideR, aux, flags);
}

extern "C" __global__ void __launch_bounds__(256)
gemm_bf16(int transA, int transB, int M, int N, int K, float alpha, const __nv_bfloat16* A,
          int lda, long long strideA, const __nv_bfloat16* B, int ldb, long long strideB,
          float beta, __nv_bfloat16* C, int ldc, long long strideC, int batch,
          const __nv_bfloat16* bias, const __nv_bfloat16* R, int ldr, long long strideR,
          __nv_bfloat16* aux, int flags) {
  gemm_tc<__nv_bfloat16, __nv_bfloat16>(transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb,
                                        strideB, beta, C, ldc, strideC, batch, bias, R, ldr,
                                        strideR, aux, flags);
}

extern "C" __global__ void __launch_bounds__(256)
gemm_bf16_f32c(int transA, int transB, int M, int N, int K, float alpha, const __nv_bfloat16* A,
               int lda, long long strideA, const __nv_bfloat16* B, int ldb, long long strideB,
               float beta, float* C, int ldc, long long strideC, int batch, const float* bias,
               const float* R, int ldr, long long strideR, float* aux, int flags) {
  gemm_tc<__nv_bfloat16, float>(transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb, strideB,
                                beta, C, ldc, strideC, batch, bias, R, ldr, strideR, aux, flags);
}

#include "gemm_f32_v2.cuh"
