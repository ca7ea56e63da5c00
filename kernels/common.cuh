// Shared device helpers for every kernels/*.cu file: dtype load/store, warp and block
// reductions, GELU, online-softmax merge, and thin wrappers over the tensor-core PTX
// (ldmatrix, mma.sync, cp.async). Under MT_EMU (the host emulator in kernels/test/) the
// PTX wrappers call emulated versions instead, so the same kernel source runs on a CPU.
#pragma once

#ifndef MT_EMU
#include <cuda_bf16.h>
#include <stdint.h>
#endif

namespace mt {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kWarpSize = 32;

// ---- dtype conversion: all arithmetic is fp32 ------------------------------------------
// Host-callable too (the kernel tests use them to prepare data).
__host__ __device__ __forceinline__ float to_f32(float v) { return v; }
__host__ __device__ __forceinline__ float to_f32(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T> __host__ __device__ __forceinline__ T from_f32(float v);
template <> __host__ __device__ __forceinline__ float from_f32<float>(float v) { return v; }
template <> __host__ __device__ __forceinline__ __nv_bfloat16 from_f32<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

template <typename T> __device__ __forceinline__ float load(const T* p, long long i) {
  return to_f32(p[i]);
}
template <typename T> __device__ __forceinline__ void store(T* p, long long i, float v) {
  p[i] = from_f32<T>(v);
}

// ---- reductions ------------------------------------------------------------------------
// Butterfly reductions: every lane of the warp ends with the result. All 32 lanes must call.
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, o));
  return v;
}

// Block-wide sum; every thread of the block must call it and gets the result. scratch holds
// at least 32 floats of shared memory; the fixed tree makes the result deterministic.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warps = (blockDim.x + 31) >> 5;
  v = warp_sum(v);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float r = lane < warps ? scratch[lane] : 0.f;
  return warp_sum(r);
}

// ---- activations -----------------------------------------------------------------------
__device__ __forceinline__ float gelu_erf(float x) {
  return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
}
__device__ __forceinline__ float gelu_erf_grad(float x) {
  const float cdf = 0.5f * (1.f + erff(x * 0.70710678118654752f));
  const float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
  return cdf + x * pdf;
}

// ---- online softmax ----------------------------------------------------------------------
// exp(x - m) that is 0 (not NaN) when the running max m is still -inf (a fully masked row).
__device__ __forceinline__ float exp_shifted(float x, float m) {
  return m == -INFINITY ? 0.f : __expf(x - m);
}
// Merges the softmax state (m2, l2) into (m1, l1): l is a sum of exp(x - m).
// Returns the factor by which accumulators scaled for m1 must be multiplied; *scale2 gets
// the factor for accumulators scaled for m2.
__device__ __forceinline__ float softmax_merge(float& m1, float& l1, float m2, float l2,
                                               float* scale2) {
  const float m = fmaxf(m1, m2);
  const float s1 = exp_shifted(m1, m), s2 = exp_shifted(m2, m);
  l1 = l1 * s1 + l2 * s2;
  m1 = m;
  *scale2 = s2;
  return s1;
}

// ---- tensor-core and async-copy wrappers -------------------------------------------------
#ifndef MT_EMU
__device__ __forceinline__ unsigned smem_addr(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}
// Four 8x8 b16 matrices; lane l supplies the address of row l%8 of matrix l/8.
__device__ __forceinline__ void ldmatrix_x4(unsigned r[4], const void* row_ptr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(row_ptr)));
}
__device__ __forceinline__ void ldmatrix_x4_trans(unsigned r[4], const void* row_ptr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(row_ptr)));
}
// d += a(16x16 bf16, row) * b(16x8 bf16, col), fp32 accumulate.
__device__ __forceinline__ void mma_bf16_16816(float d[4], const unsigned a[4],
                                               const unsigned b[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
      "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
// d += a(16x8 tf32, row) * b(8x8 tf32, col), fp32 accumulate.
__device__ __forceinline__ void mma_tf32_1688(float d[4], const unsigned a[4],
                                              const unsigned b[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
      "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
__device__ __forceinline__ unsigned f32_to_tf32(float v) {
  unsigned r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(v));
  return r;
}
// 16-byte async copy global -> shared; bytes past src_bytes (0..16) are zero-filled.
// Both addresses must be 16-byte aligned; with src_bytes == 0 nothing is read.
__device__ __forceinline__ void cp_async_16(void* smem, const void* gmem, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(smem)),
               "l"(gmem), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> __device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}
#else
inline void ldmatrix_x4(unsigned r[4], const void* p) { emu::ldmatrix_x4(r, p, false); }
inline void ldmatrix_x4_trans(unsigned r[4], const void* p) { emu::ldmatrix_x4(r, p, true); }
inline void mma_bf16_16816(float d[4], const unsigned a[4], const unsigned b[2]) {
  emu::mma_bf16_16816(d, a, b);
}
inline void mma_tf32_1688(float d[4], const unsigned a[4], const unsigned b[2]) {
  emu::mma_tf32_1688(d, a, b);
}
inline unsigned f32_to_tf32(float v) { return emu::f32_to_tf32(v); }
inline void cp_async_16(void* smem, const void* gmem, int src_bytes) {
  emu::cp_async_16(smem, gmem, src_bytes);
}
inline void cp_async_commit() {}
template <int N> inline void cp_async_wait() {}
#endif

// Packs two floats into one register of two bf16 (lo at the lower address).
__device__ __forceinline__ unsigned pack_bf16x2(float lo, float hi) {
  __nv_bfloat16 l = __float2bfloat16_rn(lo), h = __float2bfloat16_rn(hi);
  unsigned short ls = *reinterpret_cast<unsigned short*>(&l);
  unsigned short hs = *reinterpret_cast<unsigned short*>(&h);
  return static_cast<unsigned>(ls) | (static_cast<unsigned>(hs) << 16);
}

// Grid-stride loop bounds for 1-D elementwise kernels over n elements (n may exceed 2^31).
#define MT_GRID_STRIDE_LOOP(i, n)                                                   \
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; \
       i < (n); i += static_cast<long long>(gridDim.x) * blockDim.x)

}  // namespace mt
