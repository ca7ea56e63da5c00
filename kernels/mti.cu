// MTI attention: N token queries over M <= 32 meta-token keys/values (all of them fit in
// shared memory; lane j of a warp holds key j). Layout: Q [BH, N, d], K/V [BH, M, d], d <= 128.
//   mti_fwd_*:          O = softmax(scale * Q K^T) V; one warp per query row, 32 rows per block.
//   mti_bwd_*:          dQ directly; dK and dV as per-block partials [BH, nblk, M, d] (fp32),
//                       each block covering rows [blk*ceil(N/nblk), ...) in tiles.
//   mti_bwd_reduce_*:   dK, dV = sum over the nblk partials (fixed order: deterministic).
#include "attn_core.cuh"

namespace mti {

constexpr int kMaxKeys = 32, kFwdRows = 32;

template <int D> struct FwdSmem {
  static constexpr int k = 0, v = k + kMaxKeys * (D + 1), q = v + kMaxKeys * D;
  static constexpr int p = q + 8 * D, total = p + 8 * kMaxKeys;
};
// Query rows per backward tile: as many as fit beside K and V in 48 KB.
template <int D> struct BwdSmem {
  static constexpr int rows = D == 128 ? 8 : (D == 64 ? 16 : 32);
  static constexpr int k = 0, v = k + kMaxKeys * (D + 1), q = v + kMaxKeys * (D + 1);
  static constexpr int dout = q + rows * D, p = dout + rows * D, ds = p + rows * (kMaxKeys + 1);
  static constexpr int total = ds + rows * (kMaxKeys + 1);
};

}  // namespace mti

namespace {
using mti::BwdSmem;
using mti::FwdSmem;
using mti::kFwdRows;
using mti::kMaxKeys;

template <int D, typename T>
__device__ __forceinline__ void fwd(const T* __restrict__ Q, const T* __restrict__ K,
                                    const T* __restrict__ V, T* O, int BH, int N, int M, int d,
                                    float scale, float* smem) {
  using S = FwdSmem<D>;
  constexpr int C = D / 32;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  float* Ks = smem + S::k;
  float* Vs = smem + S::v;
  float* Qw = smem + S::q + warp * D;
  float* Pw = smem + S::p + warp * kMaxKeys;
  for (int bh = blockIdx.y; bh < BH; bh += gridDim.y) {
    const long long qoff = static_cast<long long>(bh) * N * d, koff = static_cast<long long>(bh) * M * d;
    __syncthreads();  // previous head's K/V no longer read
    attn::load_rows<T, D>(Ks, D + 1, kMaxKeys, K + koff, 0, M, d);
    attn::load_rows<T, D>(Vs, D, kMaxKeys, V + koff, 0, M, d);
    __syncthreads();
    for (int r = warp; r < kFwdRows; r += 8) {
      const int row = blockIdx.x * kFwdRows + r;
      if (row >= N) break;  // warp-uniform
#pragma unroll
      for (int c = 0; c < C; ++c) {
        const int t = lane + 32 * c;
        Qw[t] = t < d ? mt::load(Q, qoff + static_cast<long long>(row) * d + t) : 0.f;
      }
      __syncwarp();
      float s = 0.f;
      const float* krow = Ks + lane * (D + 1);
#pragma unroll 8
      for (int t = 0; t < D; ++t) s += Qw[t] * krow[t];
      s = lane < M ? s * scale : -INFINITY;
      const float mx = mt::warp_max(s);
      const float pr = mt::exp_shifted(s, mx);
      const float l = mt::warp_sum(pr);
      Pw[lane] = l > 0.f ? pr / l : 0.f;
      __syncwarp();
      float acc[C];
#pragma unroll
      for (int c = 0; c < C; ++c) acc[c] = 0.f;
      for (int j = 0; j < M; ++j) {
        const float pj = Pw[j];
#pragma unroll
        for (int c = 0; c < C; ++c) acc[c] += pj * Vs[j * D + lane + 32 * c];
      }
#pragma unroll
      for (int c = 0; c < C; ++c) {
        const int t = lane + 32 * c;
        if (t < d) mt::store(O, qoff + static_cast<long long>(row) * d + t, acc[c]);
      }
      __syncwarp();  // Qw and Pw are rewritten for the next row
    }
  }
}

template <int D, typename T>
__device__ __forceinline__ void bwd(const T* __restrict__ Q, const T* __restrict__ K,
                                    const T* __restrict__ V, const T* __restrict__ dO, T* dQ,
                                    float* part_dk, float* part_dv, int BH, int N, int M, int d,
                                    float scale, float* smem) {
  using S = BwdSmem<D>;
  constexpr int C = D / 32, TR = S::rows, RPW = TR / 8, E = kMaxKeys * D / 256;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  float* Ks = smem + S::k;
  float* Vs = smem + S::v;
  float* Qt = smem + S::q;
  float* dOt = smem + S::dout;
  float* Pt = smem + S::p;
  float* DSt = smem + S::ds;
  const int nblk = gridDim.x, blk = blockIdx.x;
  const int per_blk = (N + nblk - 1) / nblk;
  const int r_begin = blk * per_blk < N ? blk * per_blk : N;
  const int r_end = r_begin + per_blk < N ? r_begin + per_blk : N;
  for (int bh = blockIdx.y; bh < BH; bh += gridDim.y) {
    const long long qoff = static_cast<long long>(bh) * N * d, koff = static_cast<long long>(bh) * M * d;
    __syncthreads();
    attn::load_rows<T, D>(Ks, D + 1, kMaxKeys, K + koff, 0, M, d);
    attn::load_rows<T, D>(Vs, D + 1, kMaxKeys, V + koff, 0, M, d);
    float dk[E], dv[E];
#pragma unroll
    for (int u = 0; u < E; ++u) dk[u] = dv[u] = 0.f;
    for (int r0 = r_begin; r0 < r_end; r0 += TR) {
      __syncthreads();  // K/V loaded; the previous tile's Qt/dOt/Pt/DSt consumed
      attn::load_rows<T, D>(Qt, D, TR, Q + qoff, r0, r_end, d);
      attn::load_rows<T, D>(dOt, D, TR, dO + qoff, r0, r_end, d);
      __syncthreads();
#pragma unroll
      for (int i = 0; i < RPW; ++i) {
        const int r = warp * RPW + i, row = r0 + r;
        float s = 0.f, dp = 0.f;
        const float* krow = Ks + lane * (D + 1);
        const float* vrow = Vs + lane * (D + 1);
#pragma unroll 8
        for (int t = 0; t < D; ++t) {
          s += Qt[r * D + t] * krow[t];
          dp += dOt[r * D + t] * vrow[t];
        }
        const bool valid = lane < M && row < r_end;
        s = valid ? s * scale : -INFINITY;
        const float mx = mt::warp_max(s);
        const float e = mt::exp_shifted(s, mx);
        const float l = mt::warp_sum(e);
        const float pr = l > 0.f ? e / l : 0.f;
        const float Di = mt::warp_sum(pr * dp);
        const float ds = pr * (dp - Di);
        Pt[r * (kMaxKeys + 1) + lane] = pr;
        DSt[r * (kMaxKeys + 1) + lane] = ds;
        __syncwarp();
        if (row < r_end) {
#pragma unroll
          for (int c = 0; c < C; ++c) {
            float acc = 0.f;
            for (int j = 0; j < M; ++j) acc += DSt[r * (kMaxKeys + 1) + j] * Ks[j * (D + 1) + lane + 32 * c];
            const int t = lane + 32 * c;
            if (t < d) mt::store(dQ, qoff + static_cast<long long>(row) * d + t, acc * scale);
          }
        }
      }
      __syncthreads();
      const int rows = r_end - r0 < TR ? r_end - r0 : TR;
#pragma unroll
      for (int u = 0; u < E; ++u) {
        const int e = threadIdx.x + 256 * u, j = e / D, t = e % D;
        for (int r = 0; r < rows; ++r) {
          dv[u] += Pt[r * (kMaxKeys + 1) + j] * dOt[r * D + t];
          dk[u] += DSt[r * (kMaxKeys + 1) + j] * Qt[r * D + t];
        }
      }
    }
    const long long pbase = (static_cast<long long>(bh) * nblk + blk) * M * d;
#pragma unroll
    for (int u = 0; u < E; ++u) {
      const int e = threadIdx.x + 256 * u, j = e / D, t = e % D;
      if (j < M && t < d) {
        part_dk[pbase + j * d + t] = dk[u] * scale;
        part_dv[pbase + j * d + t] = dv[u];
      }
    }
  }
}

template <typename T>
__device__ __forceinline__ void reduce(const float* part_dk, const float* part_dv, int BH, int M,
                                       int d, int nblk, T* dK, T* dV) {
  const long long per_head = static_cast<long long>(M) * d;
  MT_GRID_STRIDE_LOOP(i, per_head * BH) {
    const long long bh = i / per_head, rest = i % per_head;
    float ak = 0.f, av = 0.f;
    for (int b = 0; b < nblk; ++b) {
      const long long o = (bh * nblk + b) * per_head + rest;
      ak += part_dk[o];
      av += part_dv[o];
    }
    mt::store(dK, i, ak);
    mt::store(dV, i, av);
  }
}

}  // namespace

#define MTI_KERNELS(SUFFIX, T)                                                                 \
  extern "C" __global__ void __launch_bounds__(256)                                            \
      mti_fwd_##SUFFIX(const T* Q, const T* K, const T* V, T* O, int BH, int N, int M, int d,  \
                       float scale) {                                                          \
    __shared__ __align__(16) float smem[FwdSmem<128>::total];                                  \
    ATTN_DISPATCH_D(d, fwd, Q, K, V, O, BH, N, M, d, scale, smem);                             \
  }                                                                                            \
  extern "C" __global__ void __launch_bounds__(256)                                            \
      mti_bwd_##SUFFIX(const T* Q, const T* K, const T* V, const T* dO, T* dQ, float* part_dk, \
                       float* part_dv, int BH, int N, int M, int d, float scale) {             \
    __shared__ __align__(16) float smem[BwdSmem<128>::total];                                  \
    ATTN_DISPATCH_D(d, bwd, Q, K, V, dO, dQ, part_dk, part_dv, BH, N, M, d, scale, smem);      \
  }                                                                                            \
  extern "C" __global__ void __launch_bounds__(256)                                            \
      mti_bwd_reduce_##SUFFIX(const float* part_dk, const float* part_dv, int BH, int M, int d, \
                              int nblk, T* dK, T* dV) {                                        \
    reduce(part_dk, part_dv, BH, M, d, nblk, dK, dV);                                          \
  }

MTI_KERNELS(f32, float)
MTI_KERNELS(bf16, __nv_bfloat16)
