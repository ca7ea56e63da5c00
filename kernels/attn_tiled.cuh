// Register-tiled fp32 attention forward on CUDA cores (no tf32: fp32 results keep fp32 products,
// as PyTorch's SDPA does for fp32). A block of 128 threads owns 64 query rows and sweeps key tiles
// of 32 keys with an online softmax. Thread (ty, tx) = (tid / 8, tid % 8) owns rows 4ty..4ty+3:
// for S = Q K^T keys 4tx..4tx+3 (a 4x4 micro-tile: 16 FMAs per two float4 shared loads), for
// O += P V the head dims 4tx..4tx+3 (+ 32, when D = 64): 16 or 32 FMAs per two or three float4
// loads, against about one FMA per shared load in attn_core.cuh's forward. The 8 threads of a row
// group are 8 adjacent lanes, so row max and sum are shuffles with xor 1, 2, 4.
// Same layouts, logit rule and outputs as attn_core.cuh's forward; any d <= D, zero-padded.
#pragma once
#include "attn_core.cuh"

namespace attn_tiled {

constexpr int kThreads = 128, kRows = 64, kKeys = 32;

// Shared memory in floats. Q and K are stored transposed ([dim][row], [dim][key]) so that a
// thread's 4 rows or 4 keys of one dim are one float4; V is [key][dim]; P is [key][row].
// Pitches are multiples of 4 (16-byte rows) plus 4 (rows of a transposed store spread over banks).
template <int D> struct Smem {
  static constexpr int qp = kRows + 4, kp = kKeys + 4, vp = D + 4, pp = kRows + 4;
  static constexpr int q = 0, k = q + D * qp, v = k + D * kp, p = v + kKeys * vp;
  static constexpr int total = p + kKeys * pp;
};

// Rows [r0, r0 + rows) of an n x d matrix, transposed into dst[c * pitch + r] (D columns),
// zero past row n and column d. Consecutive threads read consecutive elements of a row.
template <typename T, int D>
__device__ __forceinline__ void load_transposed(float* dst, int pitch, int rows, const T* src,
                                                int r0, int n, int d) {
  for (int i = threadIdx.x; i < rows * D; i += kThreads) {
    const int r = i / D, c = i % D;
    dst[c * pitch + r] = (r0 + r < n && c < d) ? mt::load(src, static_cast<long long>(r0 + r) * d + c) : 0.f;
  }
}

template <typename T, int D>
__device__ __forceinline__ void fwd_block(const attn::Params& p, const T* __restrict__ Q,
                                          const T* __restrict__ K, const T* __restrict__ V,
                                          T* __restrict__ O, float* __restrict__ lse, float* smem,
                                          int bh, int q0) {
  using S = Smem<D>;
  constexpr int C = D / 32;  // float4 groups of head dims per thread in O: 4tx + 32c
  const int ty = threadIdx.x >> 3, tx = threadIdx.x & 7;
  const attn::HeadExtra extra(p, bh / p.H, bh % p.H);
  const long long qoff = static_cast<long long>(bh) * p.Nq * p.d;
  const long long koff = static_cast<long long>(bh) * p.Nk * p.d;
  float* Qs = smem + S::q;
  float* Ks = smem + S::k;
  float* Vs = smem + S::v;
  float* Ps = smem + S::p;
  const bool active = q0 + 16 * (threadIdx.x >> 5) < p.Nq;  // this warp's rows 16w..16w+15

  __syncthreads();  // smem may still be read by the previous (bh) call
  load_transposed<T, D>(Qs, S::qp, kRows, Q + qoff, q0, p.Nq, p.d);

  float acc[4][C][4], m[4], l[4];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    m[i] = -INFINITY;
    l[i] = 0.f;
#pragma unroll
    for (int c = 0; c < C; ++c) acc[i][c][0] = acc[i][c][1] = acc[i][c][2] = acc[i][c][3] = 0.f;
  }

  for (int k0 = 0; k0 < p.Nk; k0 += kKeys) {
    __syncthreads();  // the previous tile is consumed (first pass: Qs is written)
    load_transposed<T, D>(Ks, S::kp, kKeys, K + koff, k0, p.Nk, p.d);
    attn::load_rows<T, D>(Vs, S::vp, kKeys, V + koff, k0, p.Nk, p.d);
    __syncthreads();
    if (active) {  // warp-uniform: warps wholly past Nq only help load
      float s[4][4];
#pragma unroll
      for (int i = 0; i < 4; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.f;
#pragma unroll 4
      for (int t = 0; t < D; ++t) {
        const float4 q4 = *reinterpret_cast<const float4*>(Qs + t * S::qp + 4 * ty);
        const float4 k4 = *reinterpret_cast<const float4*>(Ks + t * S::kp + 4 * tx);
        const float qv[4] = {q4.x, q4.y, q4.z, q4.w}, kv[4] = {k4.x, k4.y, k4.z, k4.w};
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 4; ++j) s[i][j] += qv[i] * kv[j];
      }

      float pr[4][4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int q = q0 + 4 * ty + i;
        float mx = -INFINITY;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          const int key = k0 + 4 * tx + j;
          float v = -INFINITY;
          if (key < p.Nk && q < p.Nq) v = s[i][j] * p.scale + extra(q, key);
          s[i][j] = v;
          mx = fmaxf(mx, v);
        }
        mx = fmaxf(mx, __shfl_xor_sync(mt::kFullMask, mx, 1));
        mx = fmaxf(mx, __shfl_xor_sync(mt::kFullMask, mx, 2));
        mx = fmaxf(mx, __shfl_xor_sync(mt::kFullMask, mx, 4));
        const float mn = fmaxf(m[i], mx);
        const float corr = mt::exp_shifted(m[i], mn);
        m[i] = mn;
        float rs = 0.f;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          pr[i][j] = mt::exp_shifted(s[i][j], mn);
          rs += pr[i][j];
        }
        l[i] = l[i] * corr + rs;  // a per-thread partial sum (the row group shares m), reduced at the end
#pragma unroll
        for (int c = 0; c < C; ++c) {
          acc[i][c][0] *= corr;
          acc[i][c][1] *= corr;
          acc[i][c][2] *= corr;
          acc[i][c][3] *= corr;
        }
      }
#pragma unroll
      for (int j = 0; j < 4; ++j)
        *reinterpret_cast<float4*>(Ps + (4 * tx + j) * S::pp + 4 * ty) = make_float4(pr[0][j], pr[1][j], pr[2][j], pr[3][j]);
    }
    __syncthreads();

    if (active) {
      const int valid = p.Nk - k0 < kKeys ? p.Nk - k0 : kKeys;
      for (int kk = 0; kk < valid; ++kk) {
        const float4 p4 = *reinterpret_cast<const float4*>(Ps + kk * S::pp + 4 * ty);
        const float pv[4] = {p4.x, p4.y, p4.z, p4.w};
#pragma unroll
        for (int c = 0; c < C; ++c) {
          const float4 v4 = *reinterpret_cast<const float4*>(Vs + kk * S::vp + 32 * c + 4 * tx);
#pragma unroll
          for (int i = 0; i < 4; ++i) {
            acc[i][c][0] += pv[i] * v4.x;
            acc[i][c][1] += pv[i] * v4.y;
            acc[i][c][2] += pv[i] * v4.z;
            acc[i][c][3] += pv[i] * v4.w;
          }
        }
      }
    }
  }

#pragma unroll
  for (int i = 0; i < 4; ++i) {
    float li = l[i];
    li += __shfl_xor_sync(mt::kFullMask, li, 1);
    li += __shfl_xor_sync(mt::kFullMask, li, 2);
    li += __shfl_xor_sync(mt::kFullMask, li, 4);
    const int q = q0 + 4 * ty + i;
    if (q >= p.Nq) continue;
    const float inv = li > 0.f ? 1.f / li : 0.f;
#pragma unroll
    for (int c = 0; c < C; ++c)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int col = 32 * c + 4 * tx + e;
        if (col < p.d) mt::store(O, qoff + static_cast<long long>(q) * p.d + col, acc[i][c][e] * inv);
      }
    if (lse != nullptr && tx == 0)
      lse[static_cast<long long>(bh) * p.Nq + q] = li > 0.f ? m[i] + logf(li) : -INFINITY;
  }
}

}  // namespace attn_tiled
