// Flash-style attention building blocks shared by attention.cu and lcd.cu (fp32 math on
// CUDA cores). Layout: Q [BH, Nq, d], K and V [BH, Nk, d], contiguous, BH = B*H.
// Logits: s = scale * q.k + bias[b % Bb, h % Hb, q, k] + mask[b % Bm, h % Hm, q, k]
// (bias and mask are optional fp32 [Bx, Hx, Nq, Nk]; -inf masks a key). The head dim d is at
// most 128; blocks are compiled for D = 32, 64, 128 and d is zero-padded up to D.
// Every block has 128 threads (4 warps). Key tiles of 32 keys: lane j holds key j's logit;
// then lanes switch to the head dim (lane t holds dims t, t+32, ...) for the products.
#pragma once
#include "common.cuh"

namespace attn {

constexpr int kThreads = 128, kWarps = 4, kTile = 32;
constexpr int kFwdRowsPerWarp = 4, kFwdRows = kWarps * kFwdRowsPerWarp;  // 16 queries
constexpr int kBwdRowsPerWarp = 2, kBwdRows = kWarps * kBwdRowsPerWarp;  // 8 queries or keys

struct Params {
  int B, H, Nq, Nk, d;
  float scale;
  const float* bias;
  int Bb, Hb;
  const float* mask;
  int Bm, Hm;
};

__device__ __forceinline__ float logit_extra(const Params& p, int b, int h, int q, int k) {
  float v = 0.f;
  if (p.bias != nullptr)
    v += p.bias[(static_cast<long long>((b % p.Bb) * p.Hb + h % p.Hb) * p.Nq + q) * p.Nk + k];
  if (p.mask != nullptr)
    v += p.mask[(static_cast<long long>((b % p.Bm) * p.Hm + h % p.Hm) * p.Nq + q) * p.Nk + k];
  return v;
}

// logit_extra with the (b % Bx, h % Hx) slices resolved once per head (no integer division per
// logit): bias[q, k] + mask[q, k] of head (b, h).
struct HeadExtra {
  const float* bias;
  const float* mask;
  int Nk;
  __device__ __forceinline__ HeadExtra(const Params& p, int b, int h)
      : bias(p.bias == nullptr ? nullptr
                               : p.bias + static_cast<long long>((b % p.Bb) * p.Hb + h % p.Hb) * p.Nq * p.Nk),
        mask(p.mask == nullptr ? nullptr
                               : p.mask + static_cast<long long>((b % p.Bm) * p.Hm + h % p.Hm) * p.Nq * p.Nk),
        Nk(p.Nk) {}
  __device__ __forceinline__ float operator()(int q, int k) const {
    const long long i = static_cast<long long>(q) * Nk + k;
    float v = 0.f;
    if (bias != nullptr) v += bias[i];
    if (mask != nullptr) v += mask[i];
    return v;
  }
};

// Rows [r0, r0 + rows) of an n x d matrix into smem (row pitch `pitch`, D columns), zero
// for rows >= n and columns >= d.
template <typename T, int D>
__device__ __forceinline__ void load_rows(float* dst, int pitch, int rows, const T* src, int r0,
                                          int n, int d) {
  for (int i = threadIdx.x; i < rows * D; i += blockDim.x) {
    const int r = i / D, c = i % D;
    dst[r * pitch + c] = (r0 + r < n && c < d) ? mt::load(src, static_cast<long long>(r0 + r) * d + c) : 0.f;
  }
}

// Shared-memory carve-up (in floats) of each block kind; entry points declare one array of
// the D = 128 size and pass it down, so the three D instantiations share it.
template <int D> struct FwdSmem {
  static constexpr int q = 0, k = q + kFwdRows * D, v = k + kTile * (D + 1), p = v + kTile * D;
  static constexpr int total = p + kWarps * kFwdRowsPerWarp * kTile;
};
template <int D> struct DqSmem {
  static constexpr int q = 0, dout = q + kBwdRows * D, k = dout + kBwdRows * D;
  static constexpr int v = k + kTile * (D + 1), ds = v + kTile * (D + 1);
  static constexpr int total = ds + kWarps * kBwdRowsPerWarp * kTile;
};
template <int D> struct DkvSmem {
  static constexpr int k = 0, v = k + kBwdRows * D, q = v + kBwdRows * D;
  static constexpr int dout = q + kTile * (D + 1), lse = dout + kTile * (D + 1), dd = lse + kTile;
  static constexpr int p = dd + kTile, ds = p + kWarps * kBwdRowsPerWarp * kTile;
  static constexpr int total = ds + kWarps * kBwdRowsPerWarp * kTile;
};

// Forward for queries [q0, q0 + 16) of head bh over keys [kb, ke). Final mode (O != null):
// writes O and lse. Partial mode: writes the unnormalized state (m, l, acc) at row index
// prow0 + i of part_m / part_l / part_acc (for split-key combination).
template <typename T, int D>
__device__ __forceinline__ void fwd_block(const Params& p, const T* __restrict__ Q,
                                          const T* __restrict__ K, const T* __restrict__ V,
                                          int bh, int q0, int kb, int ke, float* smem, T* O,
                                          float* lse, float* part_m, float* part_l,
                                          float* part_acc, long long prow0) {
  using S = FwdSmem<D>;
  constexpr int C = D / 32, R = kFwdRowsPerWarp;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int b = bh / p.H, h = bh % p.H;
  const long long qoff = static_cast<long long>(bh) * p.Nq * p.d;
  const long long koff = static_cast<long long>(bh) * p.Nk * p.d;
  float* Qs = smem + S::q;
  float* Ks = smem + S::k;
  float* Vs = smem + S::v;
  float* Pw = smem + S::p + warp * R * kTile;
  __syncthreads();  // smem may still be in use by the previous (bh) call
  load_rows<T, D>(Qs, D, kFwdRows, Q + qoff, q0, p.Nq, p.d);

  float m[R], l[R], acc[R][C];
#pragma unroll
  for (int i = 0; i < R; ++i) {
    m[i] = -INFINITY;
    l[i] = 0.f;
#pragma unroll
    for (int c = 0; c < C; ++c) acc[i][c] = 0.f;
  }
  for (int k0 = kb; k0 < ke; k0 += kTile) {
    __syncthreads();  // the previous tile is consumed (first pass: Qs is written)
    load_rows<T, D>(Ks, D + 1, kTile, K + koff, k0, ke, p.d);
    load_rows<T, D>(Vs, D, kTile, V + koff, k0, ke, p.d);
    __syncthreads();
    const int j = k0 + lane;
    float s[R];
#pragma unroll
    for (int i = 0; i < R; ++i) s[i] = 0.f;
    const float* krow = Ks + lane * (D + 1);
#pragma unroll 4
    for (int t = 0; t < D; t += 4) {
      const float k_0 = krow[t], k_1 = krow[t + 1], k_2 = krow[t + 2], k_3 = krow[t + 3];
#pragma unroll
      for (int i = 0; i < R; ++i) {
        const float4 q4 = *reinterpret_cast<const float4*>(Qs + (warp * R + i) * D + t);
        s[i] += q4.x * k_0 + q4.y * k_1 + q4.z * k_2 + q4.w * k_3;
      }
    }
#pragma unroll
    for (int i = 0; i < R; ++i) {
      const int q = q0 + warp * R + i;
      float si = -INFINITY;
      if (j < ke && q < p.Nq) si = s[i] * p.scale + logit_extra(p, b, h, q, j);
      const float mn = fmaxf(m[i], mt::warp_max(si));
      const float pr = mt::exp_shifted(si, mn);
      const float corr = mt::exp_shifted(m[i], mn);
      l[i] = l[i] * corr + mt::warp_sum(pr);
      m[i] = mn;
#pragma unroll
      for (int c = 0; c < C; ++c) acc[i][c] *= corr;
      Pw[i * kTile + lane] = pr;
    }
    __syncwarp();
    const int nvalid = ke - k0 < kTile ? ke - k0 : kTile;
    for (int jj = 0; jj < nvalid; ++jj) {
#pragma unroll
      for (int c = 0; c < C; ++c) {
        const float v = Vs[jj * D + lane + 32 * c];
#pragma unroll
        for (int i = 0; i < R; ++i) acc[i][c] += Pw[i * kTile + jj] * v;
      }
    }
  }
#pragma unroll
  for (int i = 0; i < R; ++i) {
    const int q = q0 + warp * R + i;
    if (q >= p.Nq) continue;
    if (O != nullptr) {
      const float inv = l[i] > 0.f ? 1.f / l[i] : 0.f;
#pragma unroll
      for (int c = 0; c < C; ++c) {
        const int t = lane + 32 * c;
        if (t < p.d) mt::store(O, qoff + static_cast<long long>(q) * p.d + t, acc[i][c] * inv);
      }
      if (lane == 0) lse[static_cast<long long>(bh) * p.Nq + q] = l[i] > 0.f ? m[i] + logf(l[i]) : -INFINITY;
    } else {
      const long long row = prow0 + warp * R + i;
#pragma unroll
      for (int c = 0; c < C; ++c) {
        const int t = lane + 32 * c;
        if (t < p.d) part_acc[row * p.d + t] = acc[i][c];
      }
      if (lane == 0) {
        part_m[row] = m[i];
        part_l[row] = l[i];
      }
    }
  }
}

// dQ for queries [q0, q0 + 8) of head bh over keys [kb, ke), using lse and
// Dv = rowsum(dO * O). Writes scale * sum_k dS * K to dQ (final) or to part_dq rows
// prow0 + i (partial). Optionally writes dBias = dS (atomics when bias is broadcast).
template <typename T, int D>
__device__ __forceinline__ void dq_block(const Params& p, const T* __restrict__ Q,
                                         const T* __restrict__ K, const T* __restrict__ V,
                                         const T* __restrict__ dO, const float* __restrict__ lse,
                                         const float* __restrict__ Dv, int bh, int q0, int kb,
                                         int ke, float* smem, T* dQ, float* part_dq,
                                         long long prow0, float* dbias) {
  using S = DqSmem<D>;
  constexpr int C = D / 32, R = kBwdRowsPerWarp;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int b = bh / p.H, h = bh % p.H;
  const long long qoff = static_cast<long long>(bh) * p.Nq * p.d;
  const long long koff = static_cast<long long>(bh) * p.Nk * p.d;
  float* Qs = smem + S::q;
  float* dOs = smem + S::dout;
  float* Ks = smem + S::k;
  float* Vs = smem + S::v;
  float* DSw = smem + S::ds + warp * R * kTile;
  __syncthreads();  // smem may still be in use by the previous (bh) call
  load_rows<T, D>(Qs, D, kBwdRows, Q + qoff, q0, p.Nq, p.d);
  load_rows<T, D>(dOs, D, kBwdRows, dO + qoff, q0, p.Nq, p.d);
  const bool bias_full = dbias != nullptr && p.Bb == p.B && p.Hb == p.H;

  float row_lse[R], row_d[R], dq[R][C];
#pragma unroll
  for (int i = 0; i < R; ++i) {
    const int q = q0 + warp * R + i;
    row_lse[i] = q < p.Nq ? lse[static_cast<long long>(bh) * p.Nq + q] : -INFINITY;
    row_d[i] = q < p.Nq ? Dv[static_cast<long long>(bh) * p.Nq + q] : 0.f;
#pragma unroll
    for (int c = 0; c < C; ++c) dq[i][c] = 0.f;
  }
  for (int k0 = kb; k0 < ke; k0 += kTile) {
    __syncthreads();
    load_rows<T, D>(Ks, D + 1, kTile, K + koff, k0, ke, p.d);
    load_rows<T, D>(Vs, D + 1, kTile, V + koff, k0, ke, p.d);
    __syncthreads();
    const int j = k0 + lane;
    float s[R], dp[R];
#pragma unroll
    for (int i = 0; i < R; ++i) s[i] = dp[i] = 0.f;
    const float* krow = Ks + lane * (D + 1);
    const float* vrow = Vs + lane * (D + 1);
#pragma unroll 4
    for (int t = 0; t < D; t += 4) {
#pragma unroll
      for (int i = 0; i < R; ++i) {
        const float4 q4 = *reinterpret_cast<const float4*>(Qs + (warp * R + i) * D + t);
        const float4 g4 = *reinterpret_cast<const float4*>(dOs + (warp * R + i) * D + t);
        s[i] += q4.x * krow[t] + q4.y * krow[t + 1] + q4.z * krow[t + 2] + q4.w * krow[t + 3];
        dp[i] += g4.x * vrow[t] + g4.y * vrow[t + 1] + g4.z * vrow[t + 2] + g4.w * vrow[t + 3];
      }
    }
#pragma unroll
    for (int i = 0; i < R; ++i) {
      const int q = q0 + warp * R + i;
      float ds = 0.f;
      if (j < ke && q < p.Nq) {
        const float si = s[i] * p.scale + logit_extra(p, b, h, q, j);
        const float pr = row_lse[i] == -INFINITY ? 0.f : __expf(si - row_lse[i]);
        ds = pr * (dp[i] - row_d[i]);
        if (dbias != nullptr) {
          const long long bi =
              (static_cast<long long>((b % p.Bb) * p.Hb + h % p.Hb) * p.Nq + q) * p.Nk + j;
          if (bias_full) dbias[bi] = ds;
          else atomicAdd(dbias + bi, ds);
        }
      }
      DSw[i * kTile + lane] = ds;
    }
    __syncwarp();
    const int nvalid = ke - k0 < kTile ? ke - k0 : kTile;
    for (int jj = 0; jj < nvalid; ++jj) {
#pragma unroll
      for (int c = 0; c < C; ++c) {
        const float kv = Ks[jj * (D + 1) + lane + 32 * c];
#pragma unroll
        for (int i = 0; i < R; ++i) dq[i][c] += DSw[i * kTile + jj] * kv;
      }
    }
  }
#pragma unroll
  for (int i = 0; i < R; ++i) {
    const int q = q0 + warp * R + i;
    if (q >= p.Nq) continue;
#pragma unroll
    for (int c = 0; c < C; ++c) {
      const int t = lane + 32 * c;
      if (t >= p.d) continue;
      if (dQ != nullptr) mt::store(dQ, qoff + static_cast<long long>(q) * p.d + t, dq[i][c] * p.scale);
      else part_dq[(prow0 + warp * R + i) * p.d + t] = dq[i][c] * p.scale;
    }
  }
}

// dK and dV for keys [k0b, k0b + 8) of head bh, over all queries.
template <typename T, int D>
__device__ __forceinline__ void dkv_block(const Params& p, const T* __restrict__ Q,
                                          const T* __restrict__ K, const T* __restrict__ V,
                                          const T* __restrict__ dO, const float* __restrict__ lse,
                                          const float* __restrict__ Dv, int bh, int k0b,
                                          float* smem, T* dK, T* dV) {
  using S = DkvSmem<D>;
  constexpr int C = D / 32, R = kBwdRowsPerWarp;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int b = bh / p.H, h = bh % p.H;
  const long long qoff = static_cast<long long>(bh) * p.Nq * p.d;
  const long long koff = static_cast<long long>(bh) * p.Nk * p.d;
  float* Kb = smem + S::k;
  float* Vb = smem + S::v;
  float* Qt = smem + S::q;
  float* dOt = smem + S::dout;
  float* lse_t = smem + S::lse;
  float* d_t = smem + S::dd;
  float* Pw = smem + S::p + warp * R * kTile;
  float* DSw = smem + S::ds + warp * R * kTile;
  __syncthreads();  // smem may still be in use by the previous (bh) call
  load_rows<T, D>(Kb, D, kBwdRows, K + koff, k0b, p.Nk, p.d);
  load_rows<T, D>(Vb, D, kBwdRows, V + koff, k0b, p.Nk, p.d);

  float dk[R][C], dv[R][C];
#pragma unroll
  for (int i = 0; i < R; ++i)
#pragma unroll
    for (int c = 0; c < C; ++c) dk[i][c] = dv[i][c] = 0.f;

  for (int q0 = 0; q0 < p.Nq; q0 += kTile) {
    __syncthreads();
    load_rows<T, D>(Qt, D + 1, kTile, Q + qoff, q0, p.Nq, p.d);
    load_rows<T, D>(dOt, D + 1, kTile, dO + qoff, q0, p.Nq, p.d);
    if (threadIdx.x < kTile) {
      const int q = q0 + threadIdx.x;
      lse_t[threadIdx.x] = q < p.Nq ? lse[static_cast<long long>(bh) * p.Nq + q] : -INFINITY;
      d_t[threadIdx.x] = q < p.Nq ? Dv[static_cast<long long>(bh) * p.Nq + q] : 0.f;
    }
    __syncthreads();
    const int q = q0 + lane;  // this lane's query
    float s[R], dp[R];
#pragma unroll
    for (int i = 0; i < R; ++i) s[i] = dp[i] = 0.f;
    const float* qrow = Qt + lane * (D + 1);
    const float* grow = dOt + lane * (D + 1);
#pragma unroll 4
    for (int t = 0; t < D; t += 4) {
#pragma unroll
      for (int i = 0; i < R; ++i) {
        const float4 k4 = *reinterpret_cast<const float4*>(Kb + (warp * R + i) * D + t);
        const float4 v4 = *reinterpret_cast<const float4*>(Vb + (warp * R + i) * D + t);
        s[i] += k4.x * qrow[t] + k4.y * qrow[t + 1] + k4.z * qrow[t + 2] + k4.w * qrow[t + 3];
        dp[i] += v4.x * grow[t] + v4.y * grow[t + 1] + v4.z * grow[t + 2] + v4.w * grow[t + 3];
      }
    }
    const float my_lse = lse_t[lane], my_d = d_t[lane];
#pragma unroll
    for (int i = 0; i < R; ++i) {
      const int key = k0b + warp * R + i;
      float pr = 0.f, ds = 0.f;
      if (q < p.Nq && key < p.Nk && my_lse != -INFINITY) {
        const float si = s[i] * p.scale + logit_extra(p, b, h, q, key);
        pr = __expf(si - my_lse);
        ds = pr * (dp[i] - my_d);
      }
      Pw[i * kTile + lane] = pr;
      DSw[i * kTile + lane] = ds;
    }
    __syncwarp();
    const int nvalid = p.Nq - q0 < kTile ? p.Nq - q0 : kTile;
    for (int qq = 0; qq < nvalid; ++qq) {
#pragma unroll
      for (int c = 0; c < C; ++c) {
        const float qv = Qt[qq * (D + 1) + lane + 32 * c];
        const float gv = dOt[qq * (D + 1) + lane + 32 * c];
#pragma unroll
        for (int i = 0; i < R; ++i) {
          dv[i][c] += Pw[i * kTile + qq] * gv;
          dk[i][c] += DSw[i * kTile + qq] * qv;
        }
      }
    }
  }
#pragma unroll
  for (int i = 0; i < R; ++i) {
    const int key = k0b + warp * R + i;
    if (key >= p.Nk) continue;
#pragma unroll
    for (int c = 0; c < C; ++c) {
      const int t = lane + 32 * c;
      if (t >= p.d) continue;
      const long long o = koff + static_cast<long long>(key) * p.d + t;
      mt::store(dK, o, dk[i][c] * p.scale);
      mt::store(dV, o, dv[i][c]);
    }
  }
}

// D = rowsum(dO * O), one warp per row; rows = BH * Nq.
template <typename T>
__device__ __forceinline__ void bwd_preprocess(const T* __restrict__ O, const T* __restrict__ dO,
                                               float* Dv, long long rows, int d) {
  const long long row = static_cast<long long>(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;  // whole warp leaves together
  float acc = 0.f;
  for (int t = lane; t < d; t += 32) acc += mt::load(O, row * d + t) * mt::load(dO, row * d + t);
  acc = mt::warp_sum(acc);
  if (lane == 0) Dv[row] = acc;
}

// Dispatch on the padded head dim. d outside 1..128 is a caller error (checked on the host):
// the kernel then does nothing rather than read or write out of range.
#define ATTN_DISPATCH_D(d, FN, ...)                 \
  do {                                              \
    if ((d) <= 0 || (d) > 128) break;               \
    if ((d) <= 32) FN<32>(__VA_ARGS__);             \
    else if ((d) <= 64) FN<64>(__VA_ARGS__);        \
    else FN<128>(__VA_ARGS__);                      \
  } while (0)

}  // namespace attn
