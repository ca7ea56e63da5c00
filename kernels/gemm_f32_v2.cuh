// Part of gemm.cu, included at its end (uses its Epilogue, flags and rows_aligned): the fp32
// CUDA-core GEMM v2 kernels and the split-K reduction. A separate file only to keep gemm.cu
// short; build-ptx.sh rebuilds gemm.cu when any .cuh changes.
#pragma once

// ------------------------------- fp32 v2, CUDA cores ----------------------------------
// gemm_f32_v2_<T>_<ab>: the same arguments and results as gemm_f32, built for throughput
// (selected by -Dmettle.cuda.gemmF32=v2 until it has been measured on a GPU). One kernel
// per transpose combination (ab = nn, nt, tn, tt; transA/transB must match) and block
// tile T x T, T = 128 or 64; grid (ceil(N/T), ceil(M/T), min(batch, 65535)), 256 threads.
//   - T x T x 16 block tile, 3-stage cp.async pipeline (T = 128: 48 KB static shared
//     memory), one __syncthreads per k-tile;
//   - 8 warps as 4 (m) x 2 (n), each a (T/4) x (T/2) warp tile; each lane (T/16)^2
//     outputs (8x8 or 4x4) in groups of 4 rows x 4 columns, read as float4 from
//     k-major shared tiles;
//   - shared tiles are k-major [16][T] without padding; the column is XOR-swizzled by
//     (k & 7) * 4 so that both the 4-byte transposing copies (k-contiguous operands) and
//     the float4 reads are free of bank conflicts;
//   - operands contiguous along m/n use 16-byte cp.async when rows are 16-byte aligned
//     (zero-filling the edges), 4-byte copies otherwise; k-contiguous operands (A with
//     transA = 0, B with transB = 1: the Linear layer's x W^T) use 4-byte copies that
//     transpose on the way into shared memory;
//   - float4 epilogue stores where C's rows are 16-byte aligned, scalar at the edges.
// T = 64 is for grids that would not fill the GPU with T = 128 blocks (CudaBackend picks).
namespace {
namespace f32v2 {

constexpr int kBK = 16, kStages = 3, kThreads = 256;
template <int T> struct Tile {
  static constexpr int kOperand = kBK * T;              // floats of one operand, one stage
  static constexpr int kSmem = kStages * 2 * kOperand;  // T = 128: 49152 bytes
};
static_assert(Tile<128>::kSmem * 4 <= 48 * 1024, "static shared memory limit");

#ifndef MT_EMU
// 4-byte async copy global -> shared; src_bytes 0 writes a zero and reads nothing.
__device__ __forceinline__ void cp_async_4(float* smem, const float* gmem, int src_bytes) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(mt::smem_addr(smem)),
               "l"(gmem), "r"(src_bytes));
}
#else
inline void cp_async_4(float* smem, const float* gmem, int src_bytes) {
  if (reinterpret_cast<uintptr_t>(smem) % 4 || reinterpret_cast<uintptr_t>(gmem) % 4)
    emu::fail("cp.async (4 bytes) address not 4-byte aligned");
  if (src_bytes != 0 && src_bytes != 4) emu::fail("cp.async (4 bytes) src_bytes not 0 or 4");
  *smem = src_bytes ? *gmem : 0.f;
}
#endif

// Column of element (k, col) in a k-major [kBK][T] tile. Keeps aligned groups of four
// columns together (float4 reads and 16-byte copies stay contiguous) and stays inside
// the aligned group of 32 columns.
__device__ __forceinline__ int swizzle(int k, int col) { return col ^ ((k & 7) << 2); }

// Copies the k-tile [k0, k0+16) of one operand's T rows starting at r0 into dst (k-major,
// swizzled), zero-filling rows >= extent and k >= K. KContig: stored extent x K (element
// (r, k) at r*ld + k); otherwise stored K x extent (at k*ld + r). vec: 16-byte aligned rows.
template <int T, bool KContig>
__device__ __forceinline__ void load_tile(float* dst, const float* __restrict__ src, int ld,
                                          int extent, int K, int r0, int k0, bool vec) {
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  if (KContig) {
    // A warp copies 4 rows x 8 k per instruction: full 32-byte sectors from global memory,
    // 32 distinct banks in shared memory (row + swizzle(k) covers 0..31).
#pragma unroll
    for (int i = 0; i < T / 16; ++i) {
      const int k = (lane & 7) + 8 * (i & 1);
      const int r = warp * 4 + (lane >> 3) + 32 * (i >> 1);
      const int gr = r0 + r, gk = k0 + k;
      const bool ok = gr < extent && gk < K;
      cp_async_4(dst + k * T + swizzle(k, r), ok ? src + static_cast<long long>(gr) * ld + gk : src,
                 ok ? 4 : 0);
    }
  } else {
    // 16 rows (k) x T/4 chunks of four columns.
    constexpr int chunks = T / 4;
#pragma unroll
    for (int i = 0; i < T / 64; ++i) {
      const int c = tid + kThreads * i;
      const int k = c / chunks, col = (c % chunks) * 4;
      const int gk = k0 + k, gc = r0 + col;
      float* d = dst + k * T + swizzle(k, col);
      const bool in = gk < K && gc < extent;
      const float* p = src + static_cast<long long>(gk) * ld + gc;
      if (vec) {
        const int valid = in ? (extent - gc < 4 ? extent - gc : 4) : 0;
        mt::cp_async_16(d, in ? p : src, valid * 4);
      } else {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const bool ok = in && gc + e < extent;
          cp_async_4(d + e, ok ? p + e : src, ok ? 4 : 0);
        }
      }
    }
  }
}

// One row's group of four results at columns n..n+3 (n % 4 == 0): the epilogue of
// Epilogue::apply with float4 loads/stores of C when vecC and the group lies inside N.
__device__ __forceinline__ void store4(const Epilogue<float>& ep, long long b, int m, int n,
                                       const float v[4], bool vecC) {
  if (m >= ep.M || n >= ep.N) return;
  if (!vecC || n + 3 >= ep.N) {
#pragma unroll
    for (int e = 0; e < 4; ++e) ep.apply(b, m, n + e, v[e]);
    return;
  }
  const long long idx = b * ep.strideC + static_cast<long long>(m) * ep.ldc + n;
  float r[4] = {ep.alpha * v[0], ep.alpha * v[1], ep.alpha * v[2], ep.alpha * v[3]};
  if (ep.beta != 0.f) {
    const float4 old = *reinterpret_cast<const float4*>(ep.C + idx);
    r[0] += ep.beta * old.x; r[1] += ep.beta * old.y; r[2] += ep.beta * old.z; r[3] += ep.beta * old.w;
  }
  if (ep.flags) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      if (ep.flags & kBias) r[e] += ep.bias[n + e];
      if (ep.flags & kGelu) {
        if (ep.aux != nullptr) ep.aux[idx + e] = r[e];
        r[e] = mt::gelu_erf(r[e]);
      }
      if (ep.flags & kResidual) r[e] += ep.R[b * ep.strideR + static_cast<long long>(m) * ep.ldr + n + e];
    }
  }
  *reinterpret_cast<float4*>(ep.C + idx) = make_float4(r[0], r[1], r[2], r[3]);
}

template <int T, bool TA, bool TB>
__device__ __forceinline__ void block(int M, int N, int K, const float* __restrict__ A, int lda,
                                      const float* __restrict__ B, int ldb, bool vecA, bool vecB,
                                      bool vecC, long long b, const Epilogue<float>& ep,
                                      float* smem) {
  constexpr int G = T / 64;           // 4x4 groups per lane along m and along n
  constexpr int kOperand = Tile<T>::kOperand;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int m0 = blockIdx.y * T, n0 = blockIdx.x * T;
  // Lane (ly, lx) of warp (warp & 3, warp >> 2) owns rows am + 16g + 0..3 and columns
  // bn + 32g + 0..3: per k a warp reads 4 distinct float4 of A per group, 8 of B.
  const int am = (warp & 3) * (T / 4) + (lane >> 3) * 4;
  const int bn = (warp >> 2) * (T / 2) + (lane & 7) * 4;

  auto load_stage = [&](int s, int k0) {
    float* a = smem + s * 2 * kOperand;
    load_tile<T, !TA>(a, A, lda, M, K, m0, k0, vecA);
    load_tile<T, TB>(a + kOperand, B, ldb, N, K, n0, k0, vecB);
  };

  float acc[4 * G][4 * G];
#pragma unroll
  for (int i = 0; i < 4 * G; ++i)
#pragma unroll
    for (int j = 0; j < 4 * G; ++j) acc[i][j] = 0.f;

  const int num_k = (K + kBK - 1) / kBK;
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < num_k) load_stage(s, s * kBK);
    mt::cp_async_commit();
  }
  for (int kt = 0; kt < num_k; ++kt) {
    // Groups committed so far: kt + 2; "at most 1 pending" means tile kt has landed.
    mt::cp_async_wait<kStages - 2>();
    __syncthreads();  // tile kt visible to all; every thread is done with tile kt - 1
    const int next = kt + kStages - 1;
    if (next < num_k) load_stage(next % kStages, next * kBK);  // the stage of tile kt - 1
    mt::cp_async_commit();                                      // possibly empty
    const float* As = smem + (kt % kStages) * 2 * kOperand;
    const float* Bs = As + kOperand;
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      float a[4 * G], bv[4 * G];
#pragma unroll
      for (int g = 0; g < G; ++g) {
        const float4 av = *reinterpret_cast<const float4*>(As + kk * T + swizzle(kk, am + 16 * g));
        const float4 bw = *reinterpret_cast<const float4*>(Bs + kk * T + swizzle(kk, bn + 32 * g));
        a[4 * g] = av.x; a[4 * g + 1] = av.y; a[4 * g + 2] = av.z; a[4 * g + 3] = av.w;
        bv[4 * g] = bw.x; bv[4 * g + 1] = bw.y; bv[4 * g + 2] = bw.z; bv[4 * g + 3] = bw.w;
      }
#pragma unroll
      for (int i = 0; i < 4 * G; ++i)
#pragma unroll
        for (int j = 0; j < 4 * G; ++j) acc[i][j] = fmaf(a[i], bv[j], acc[i][j]);
    }
  }
  mt::cp_async_wait<0>();
  __syncthreads();  // the next batch's first loads overwrite stages still being read

#pragma unroll
  for (int i = 0; i < 4 * G; ++i) {
    const int m = m0 + am + 16 * (i / 4) + i % 4;
#pragma unroll
    for (int g = 0; g < G; ++g) store4(ep, b, m, n0 + bn + 32 * g, acc[i] + 4 * g, vecC);
  }
}

// Body of the gemm_f32_v2_* kernels; one kernel per transpose combination keeps each
// within 128 registers without spills (one kernel with all four spilled 14 KB per thread).
template <int T, bool TA, bool TB>
__device__ __forceinline__ void run(int M, int N, int K, float alpha, const float* A, int lda,
                                    long long strideA, const float* B, int ldb, long long strideB,
                                    float beta, float* C, int ldc, long long strideC, int batch,
                                    const float* bias, const float* R, int ldr, long long strideR,
                                    float* aux, int flags) {
  const Epilogue<float> ep{alpha, beta, C, ldc, strideC, bias, R, ldr, strideR, aux, flags, M, N};
  __shared__ __align__(16) float smem[Tile<T>::kSmem];
  const bool vecA = rows_aligned(A, lda, strideA), vecB = rows_aligned(B, ldb, strideB);
  const bool vecC = rows_aligned(C, ldc, strideC);
  for (int b = blockIdx.z; b < batch; b += gridDim.z)
    block<T, TA, TB>(M, N, K, A + b * strideA, lda, B + b * strideB, ldb, vecA, vecB, vecC, b, ep, smem);
}

}  // namespace f32v2
}  // namespace

// Blocks per SM: T = 128: 2 (128 registers, 48 KB shared each); T = 64: 3 (<= 80 registers).
#define MT_GEMM_F32_V2(NAME, T, TA, TB)                                                       \
  extern "C" __global__ void __launch_bounds__(256, T == 128 ? 2 : 3)                         \
  NAME(int transA, int transB, int M, int N, int K, float alpha, const float* A, int lda,    \
       long long strideA, const float* B, int ldb, long long strideB, float beta, float* C,   \
       int ldc, long long strideC, int batch, const float* bias, const float* R, int ldr,     \
       long long strideR, float* aux, int flags) {                                           \
    f32v2::run<T, TA, TB>(M, N, K, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc,    \
                          strideC, batch, bias, R, ldr, strideR, aux, flags);                 \
  }
MT_GEMM_F32_V2(gemm_f32_v2_128_nn, 128, false, false)
MT_GEMM_F32_V2(gemm_f32_v2_128_nt, 128, false, true)
MT_GEMM_F32_V2(gemm_f32_v2_128_tn, 128, true, false)
MT_GEMM_F32_V2(gemm_f32_v2_128_tt, 128, true, true)
MT_GEMM_F32_V2(gemm_f32_v2_64_nn, 64, false, false)
MT_GEMM_F32_V2(gemm_f32_v2_64_nt, 64, false, true)
MT_GEMM_F32_V2(gemm_f32_v2_64_tn, 64, true, false)
MT_GEMM_F32_V2(gemm_f32_v2_64_tt, 64, true, true)
#undef MT_GEMM_F32_V2

// Split-K for gemm_f32_v2 (CudaBackend: small grids with long K): the S partial products
// W[s] = alpha * op(A)[:, s*Ks:(s+1)*Ks] op(B)[s*Ks:(s+1)*Ks, :] come from one gemm_f32_v2
// launch with batch = S (strides step along K, C = W with beta = 0); this kernel adds them
// in a fixed order: C[i] = sum_s W[s*n + i] (+ beta * C[i] only if beta != 0), i < n = M*N
// for a contiguous C. 1-D grid-stride, block 256.
extern "C" __global__ void __launch_bounds__(256)
gemm_f32_splitk_reduce(int splits, long long n, const float* __restrict__ W, float* __restrict__ C,
                       float beta) {
  MT_GRID_STRIDE_LOOP(i, n) {
    float v = 0.f;
    for (int s = 0; s < splits; ++s) v += W[s * n + i];
    if (beta != 0.f) v += beta * C[i];
    C[i] = v;
  }
}
