// Attention forward on tensor cores (bf16 mma.sync m16n8k16, fp32 accumulate), flash-attention-2
// style: a block of 4 warps owns 64 query rows (16 per warp, held as mma A fragments), K/V tiles
// of 64 keys are double-buffered in shared memory by cp.async, S = Q K^T and O += P V run on the
// tensor cores, the online softmax stays in fp32 registers (P is rounded to bf16 for P V only).
// Same layouts, logit rule and outputs as attn_core.cuh's forward (O, lse); head dims d <= 64
// with d % 8 == 0 (16-byte rows for cp.async), zero-padded up to D = 32 or 64.
//
// mma fragment layout (PTX ISA, m16n8k16): lane = 4 g + t; the C fragment of a 16x8 tile holds
// rows g (c0, c1) and g + 8 (c2, c3) at columns 2t, 2t + 1. So each lane owns two query rows,
// and a row's 8 values of one key tile are spread over the 4 lanes of a quad (reduced by
// shuffles with xor 1, 2). Two C fragments of S (16 keys) are exactly one A fragment of P.
#pragma once
#include "attn_core.cuh"

namespace attn_tc {

using bf16 = __nv_bfloat16;
constexpr int kThreads = 128, kWarps = 4, kRowsPerWarp = 16;
constexpr int kRows = kWarps * kRowsPerWarp;  // 64 queries per block
constexpr int kKeys = 64;                     // keys per shared-memory tile

// Shared memory in bf16 elements: Q [64][pitch], then K and V, each two stages of [64][pitch].
// pitch = D + 8 keeps rows 16-byte aligned and the 8 rows of an ldmatrix in distinct banks.
template <int D> struct Smem {
  static constexpr int pitch = D + 8;
  static constexpr int q = 0, k = q + kRows * pitch, v = k + 2 * kKeys * pitch;
  static constexpr int total = v + 2 * kKeys * pitch;
};

// Rows [r0, r0 + rows) of an n x d bf16 matrix into smem (D columns) by 16-byte async copies,
// zero-filled past row n and column d. d % 8 == 0, so a chunk is either all in or all out.
template <int D>
__device__ __forceinline__ void load_tile_async(bf16* dst, int rows, const bf16* src, int r0, int n,
                                                int d) {
  constexpr int chunks = D / 8;
  for (int i = threadIdx.x; i < rows * chunks; i += kThreads) {
    const int r = i / chunks, c = (i % chunks) * 8;
    const bool in = r0 + r < n && c < d;
    const bf16* g = in ? src + static_cast<long long>(r0 + r) * d + c : src;
    mt::cp_async_16(dst + r * Smem<D>::pitch + c, g, in ? 16 : 0);
  }
}

// Two adjacent bf16 outputs (one 4-byte store on the GPU; col is even and d is a multiple of 8).
__device__ __forceinline__ void store_pair(bf16* p, float a, float b) {
#ifdef MT_EMU
  p[0] = __float2bfloat16_rn(a);
  p[1] = __float2bfloat16_rn(b);
#else
  *reinterpret_cast<unsigned*>(p) = mt::pack_bf16x2(a, b);
#endif
}

// Queries [q0, q0 + 64) of head bh: O (bf16) and, when lse != null, lse.
template <int D>
__device__ __forceinline__ void fwd_block(const attn::Params& p, const bf16* __restrict__ Q,
                                          const bf16* __restrict__ K, const bf16* __restrict__ V,
                                          bf16* __restrict__ O, float* __restrict__ lse, bf16* smem,
                                          int bh, int q0) {
  using S = Smem<D>;
  constexpr int P = S::pitch;
  constexpr int KD = D / 16;     // k-steps of S = Q K^T (over the head dim)
  constexpr int NS = kKeys / 8;  // 8-key column tiles of S
  constexpr int NO = D / 8;      // 8-dim column tiles of O
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int mi = lane >> 3, mr = lane & 7;  // ldmatrix: this lane addresses row mr of matrix mi
  const attn::HeadExtra extra(p, bh / p.H, bh % p.H);
  const long long qoff = static_cast<long long>(bh) * p.Nq * p.d;
  const long long koff = static_cast<long long>(bh) * p.Nk * p.d;
  bf16* Qs = smem + S::q;
  bf16* Ks = smem + S::k;
  bf16* Vs = smem + S::v;
  const int tiles = (p.Nk + kKeys - 1) / kKeys;
  const int wq0 = q0 + warp * kRowsPerWarp;
  const bool active = wq0 < p.Nq;  // warp-uniform: warps wholly past Nq only help load
  const int row[2] = {wq0 + g, wq0 + g + 8};

  __syncthreads();  // smem may still be read by the previous (bh) call
  load_tile_async<D>(Qs, kRows, Q + qoff, q0, p.Nq, p.d);
  if (tiles > 0) {
    load_tile_async<D>(Ks, kKeys, K + koff, 0, p.Nk, p.d);
    load_tile_async<D>(Vs, kKeys, V + koff, 0, p.Nk, p.d);
  }
  mt::cp_async_commit();

  unsigned qa[KD][4];
  float acc[NO][4];
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
#pragma unroll
  for (int n = 0; n < NO; ++n) acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.f;

  for (int j = 0; j < tiles; ++j) {
    const int stage = j & 1;
    if (j + 1 < tiles) {  // prefetch the next tile into the other stage
      load_tile_async<D>(Ks + (stage ^ 1) * kKeys * P, kKeys, K + koff, (j + 1) * kKeys, p.Nk, p.d);
      load_tile_async<D>(Vs + (stage ^ 1) * kKeys * P, kKeys, V + koff, (j + 1) * kKeys, p.Nk, p.d);
    }
    mt::cp_async_commit();  // possibly empty: "wait 1" then means tile j (and Q) has landed
    mt::cp_async_wait<1>();
    __syncthreads();
    if (active) {
      if (j == 0) {
#pragma unroll
        for (int kd = 0; kd < KD; ++kd)
          mt::ldmatrix_x4(qa[kd], Qs + (warp * kRowsPerWarp + (mi & 1) * 8 + mr) * P + kd * 16 + (mi >> 1) * 8);
      }
      const bf16* Kt = Ks + stage * kKeys * P;
      const bf16* Vt = Vs + stage * kKeys * P;
      const int k0 = j * kKeys;
      const int valid = p.Nk - k0 < kKeys ? p.Nk - k0 : kKeys;

      float s[NS][4];
#pragma unroll
      for (int n = 0; n < NS; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
      for (int kd = 0; kd < KD; ++kd) {
#pragma unroll
        for (int n2 = 0; n2 < NS / 2; ++n2) {
          if (n2 * 16 >= valid) continue;  // warp-uniform: the tail tile's empty key columns
          unsigned kb[4];
          mt::ldmatrix_x4(kb, Kt + (n2 * 16 + (mi >> 1) * 8 + mr) * P + kd * 16 + (mi & 1) * 8);
          mt::mma_bf16_16816(s[2 * n2], qa[kd], kb);
          mt::mma_bf16_16816(s[2 * n2 + 1], qa[kd], kb + 2);
        }
      }

      float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
      for (int n = 0; n < NS; ++n) {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int key = k0 + n * 8 + 2 * t + (e & 1), q = row[e >> 1];
          float v = -INFINITY;
          if (key < p.Nk && q < p.Nq) v = s[n][e] * p.scale + extra(q, key);
          s[n][e] = v;
          mx[e >> 1] = fmaxf(mx[e >> 1], v);
        }
      }
      float corr[2], rs[2] = {0.f, 0.f};
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        mx[r] = fmaxf(mx[r], __shfl_xor_sync(mt::kFullMask, mx[r], 1));
        mx[r] = fmaxf(mx[r], __shfl_xor_sync(mt::kFullMask, mx[r], 2));
        const float mn = fmaxf(m[r], mx[r]);
        corr[r] = mt::exp_shifted(m[r], mn);
        m[r] = mn;
      }
#pragma unroll
      for (int n = 0; n < NS; ++n) {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const float pr = mt::exp_shifted(s[n][e], m[e >> 1]);
          s[n][e] = pr;
          rs[e >> 1] += pr;
        }
      }
      // l stays a per-lane partial sum (all four lanes of a quad share m), reduced at the end
      l[0] = l[0] * corr[0] + rs[0];
      l[1] = l[1] * corr[1] + rs[1];
#pragma unroll
      for (int n = 0; n < NO; ++n) {
        acc[n][0] *= corr[0];
        acc[n][1] *= corr[0];
        acc[n][2] *= corr[1];
        acc[n][3] *= corr[1];
      }
#pragma unroll
      for (int kk = 0; kk < kKeys / 16; ++kk) {
        if (kk * 16 >= valid) continue;
        const unsigned pa[4] = {mt::pack_bf16x2(s[2 * kk][0], s[2 * kk][1]),
                                mt::pack_bf16x2(s[2 * kk][2], s[2 * kk][3]),
                                mt::pack_bf16x2(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                mt::pack_bf16x2(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
        for (int n2 = 0; n2 < NO / 2; ++n2) {
          unsigned vb[4];
          mt::ldmatrix_x4_trans(vb, Vt + (kk * 16 + (mi & 1) * 8 + mr) * P + n2 * 16 + (mi >> 1) * 8);
          mt::mma_bf16_16816(acc[2 * n2], pa, vb);
          mt::mma_bf16_16816(acc[2 * n2 + 1], pa, vb + 2);
        }
      }
    }
    __syncthreads();  // every warp is done with this stage before iteration j + 1 refills it
  }
  mt::cp_async_wait<0>();  // no copy may still be in flight into smem when the block moves on

  if (!active) return;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    l[r] += __shfl_xor_sync(mt::kFullMask, l[r], 1);
    l[r] += __shfl_xor_sync(mt::kFullMask, l[r], 2);
  }
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int q = row[r];
    if (q >= p.Nq) continue;
    const float inv = l[r] > 0.f ? 1.f / l[r] : 0.f;
    bf16* orow = O + qoff + static_cast<long long>(q) * p.d;
#pragma unroll
    for (int n = 0; n < NO; ++n) {
      const int c = n * 8 + 2 * t;
      if (c < p.d) store_pair(orow + c, acc[n][2 * r] * inv, acc[n][2 * r + 1] * inv);
    }
    if (lse != nullptr && t == 0)
      lse[static_cast<long long>(bh) * p.Nq + q] = l[r] > 0.f ? m[r] + logf(l[r]) : -INFINITY;
  }
}

}  // namespace attn_tc
