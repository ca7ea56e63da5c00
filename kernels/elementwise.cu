// Elementwise kernels; all are 1-D grid-stride loops (any grid works, see docs/kernels.md).
//   ew_binary_*:    out = a OP b with broadcasting. out is contiguous [d0, d1, d2, d3]
//                   (n = d0*d1*d2*d3); a and b are read at sum(i_k * s_k) with per-dim
//                   element strides (0 broadcasts). Ops: 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min.
//   ew_unary_*:     y = f(x). Ops: 0 gelu (erf), 1 exp, 2 tanh, 3 sigmoid, 4 relu,
//                   5 affine (alpha*x + beta), 6 log, 7 sqrt. In place (y == x) is allowed.
//   ew_unary_bwd_*: dx = dy * f'(.). Ops as above; `in` is x for gelu, relu, log; the forward
//                   output y for exp, tanh, sigmoid, sqrt; unused (may be null) for affine.
//   ew_fill_*, ew_axpby_* (y = a*x + b*y; b == 0 does not read y), ew_f32_to_bf16, ew_bf16_to_f32.
#include "common.cuh"

namespace {

enum BinaryOp { kAdd = 0, kSub, kMul, kDiv, kMax, kMin };
enum UnaryOp { kGelu = 0, kExp, kTanh, kSigmoid, kRelu, kAffine, kLog, kSqrt };

__device__ __forceinline__ float binary(int op, float a, float b) {
  switch (op) {
    case kAdd: return a + b;
    case kSub: return a - b;
    case kMul: return a * b;
    case kDiv: return a / b;
    case kMax: return fmaxf(a, b);
    default: return fminf(a, b);
  }
}

__device__ __forceinline__ float sigmoid(float x) { return 1.f / (1.f + expf(-x)); }

__device__ __forceinline__ float unary(int op, float x, float alpha, float beta) {
  switch (op) {
    case kGelu: return mt::gelu_erf(x);
    case kExp: return expf(x);
    case kTanh: return tanhf(x);
    case kSigmoid: return sigmoid(x);
    case kRelu: return x > 0.f ? x : 0.f;
    case kAffine: return alpha * x + beta;
    case kLog: return logf(x);
    default: return sqrtf(x);
  }
}

// in: x for gelu/relu/log, y = f(x) for exp/tanh/sigmoid/sqrt.
__device__ __forceinline__ float unary_grad(int op, float in, float alpha) {
  switch (op) {
    case kGelu: return mt::gelu_erf_grad(in);
    case kExp: return in;
    case kTanh: return 1.f - in * in;
    case kSigmoid: return in * (1.f - in);
    case kRelu: return in > 0.f ? 1.f : 0.f;
    case kAffine: return alpha;
    case kLog: return 1.f / in;
    default: return 0.5f / in;
  }
}

template <typename T>
__device__ __forceinline__ void binary_kernel(int op, long long n, int d1, int d2, int d3,
                                              const T* __restrict__ a, int sa0, int sa1, int sa2,
                                              int sa3, const T* __restrict__ b, int sb0, int sb1,
                                              int sb2, int sb3, T* __restrict__ out) {
  MT_GRID_STRIDE_LOOP(i, n) {
    long long r = i;
    const long long i3 = r % d3; r /= d3;
    const long long i2 = r % d2; r /= d2;
    const long long i1 = r % d1;
    const long long i0 = r / d1;
    const long long ia = i0 * sa0 + i1 * sa1 + i2 * sa2 + i3 * sa3;
    const long long ib = i0 * sb0 + i1 * sb1 + i2 * sb2 + i3 * sb3;
    out[i] = mt::from_f32<T>(binary(op, mt::to_f32(a[ia]), mt::to_f32(b[ib])));
  }
}

}  // namespace

#define EW_KERNELS(SUFFIX, T)                                                                   \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      ew_binary_##SUFFIX(int op, long long n, int d1, int d2, int d3, const T* a, int sa0,      \
                         int sa1, int sa2, int sa3, const T* b, int sb0, int sb1, int sb2,      \
                         int sb3, T* out) {                                                     \
    binary_kernel(op, n, d1, d2, d3, a, sa0, sa1, sa2, sa3, b, sb0, sb1, sb2, sb3, out);        \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      ew_unary_##SUFFIX(int op, long long n, const T* x, T* y, float alpha, float beta) {       \
    MT_GRID_STRIDE_LOOP(i, n) y[i] = mt::from_f32<T>(unary(op, mt::to_f32(x[i]), alpha, beta)); \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      ew_unary_bwd_##SUFFIX(int op, long long n, const T* in, const T* dy, T* dx, float alpha) { \
    MT_GRID_STRIDE_LOOP(i, n) {                                                                 \
      const float g = op == kAffine ? alpha : unary_grad(op, mt::to_f32(in[i]), alpha);         \
      dx[i] = mt::from_f32<T>(mt::to_f32(dy[i]) * g);                                           \
    }                                                                                           \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256) ew_fill_##SUFFIX(long long n, float value, T* y) { \
    const T v = mt::from_f32<T>(value);                                                         \
    MT_GRID_STRIDE_LOOP(i, n) y[i] = v;                                                         \
  }                                                                                             \
  /* out[r, :] = src[idx[r], :]; an index outside [0, R) gives a zero row instead of a stray read */ \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      ew_gather_rows_##SUFFIX(long long n, int C, long long R, const T* src, const int* idx, T* out) { \
    MT_GRID_STRIDE_LOOP(i, n) {                                                                 \
      const long long r = idx[i / C];                                                           \
      out[i] = r >= 0 && r < R ? src[r * C + i % C] : mt::from_f32<T>(0.f);                    \
    }                                                                                           \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256)                                             \
      ew_axpby_##SUFFIX(long long n, float a, const T* x, float b, T* y) {                      \
    MT_GRID_STRIDE_LOOP(i, n) {                                                                 \
      const float r = a * mt::to_f32(x[i]) + (b != 0.f ? b * mt::to_f32(y[i]) : 0.f);           \
      y[i] = mt::from_f32<T>(r);                                                                \
    }                                                                                           \
  }
EW_KERNELS(f32, float)
EW_KERNELS(bf16, __nv_bfloat16)

extern "C" __global__ void __launch_bounds__(256)
ew_f32_to_bf16(long long n, const float* x, __nv_bfloat16* y) {
  MT_GRID_STRIDE_LOOP(i, n) y[i] = __float2bfloat16_rn(x[i]);
}
extern "C" __global__ void __launch_bounds__(256)
ew_bf16_to_f32(long long n, const __nv_bfloat16* x, float* y) {
  MT_GRID_STRIDE_LOOP(i, n) y[i] = __bfloat162float(x[i]);
}
