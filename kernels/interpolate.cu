// Bilinear resize of x [NC, H, W] to y [NC, OH, OW] with PyTorch's rules (sizes given, no
// scale factor): align_corners = 1: src = dst * (in - 1) / (out - 1) (0 when out == 1);
// align_corners = 0: src = max((dst + 0.5) * in / out - 0.5, 0). Neighbours i0 = floor(src),
// i1 = min(i0 + 1, in - 1), weight src - i0.
// The backward scatters with atomicAdd into fp32 dx (the caller zeroes dx first):
// summation order, and so the last bits, vary between runs.
#include "common.cuh"

namespace {

struct Tap { int i0, i1; float w1; };

__device__ __forceinline__ Tap tap(int dst, int in, int out, int align_corners) {
  float src;
  if (align_corners) src = out > 1 ? dst * (static_cast<float>(in - 1) / (out - 1)) : 0.f;
  else src = fmaxf((dst + 0.5f) * (static_cast<float>(in) / out) - 0.5f, 0.f);
  int i0 = static_cast<int>(src);
  if (i0 > in - 1) i0 = in - 1;
  const int i1 = i0 + 1 < in ? i0 + 1 : in - 1;
  return {i0, i1, src - i0};
}

template <typename T>
__device__ __forceinline__ void fwd(const T* __restrict__ x, T* __restrict__ y, long long NC,
                                    int H, int W, int OH, int OW, int align_corners) {
  MT_GRID_STRIDE_LOOP(idx, NC * OH * OW) {
    const int ow = static_cast<int>(idx % OW), oh = static_cast<int>((idx / OW) % OH);
    const long long nc = idx / (static_cast<long long>(OW) * OH);
    const Tap th = tap(oh, H, OH, align_corners), tw = tap(ow, W, OW, align_corners);
    const T* p = x + nc * H * W;
    const float v00 = mt::to_f32(p[static_cast<long long>(th.i0) * W + tw.i0]);
    const float v01 = mt::to_f32(p[static_cast<long long>(th.i0) * W + tw.i1]);
    const float v10 = mt::to_f32(p[static_cast<long long>(th.i1) * W + tw.i0]);
    const float v11 = mt::to_f32(p[static_cast<long long>(th.i1) * W + tw.i1]);
    const float top = v00 + (v01 - v00) * tw.w1, bot = v10 + (v11 - v10) * tw.w1;
    y[idx] = mt::from_f32<T>(top + (bot - top) * th.w1);
  }
}

template <typename T>
__device__ __forceinline__ void bwd(const T* __restrict__ dy, float* dx, long long NC, int H,
                                    int W, int OH, int OW, int align_corners) {
  MT_GRID_STRIDE_LOOP(idx, NC * OH * OW) {
    const int ow = static_cast<int>(idx % OW), oh = static_cast<int>((idx / OW) % OH);
    const long long nc = idx / (static_cast<long long>(OW) * OH);
    const Tap th = tap(oh, H, OH, align_corners), tw = tap(ow, W, OW, align_corners);
    const float g = mt::to_f32(dy[idx]);
    float* p = dx + nc * H * W;
    atomicAdd(p + static_cast<long long>(th.i0) * W + tw.i0, g * (1.f - th.w1) * (1.f - tw.w1));
    atomicAdd(p + static_cast<long long>(th.i0) * W + tw.i1, g * (1.f - th.w1) * tw.w1);
    atomicAdd(p + static_cast<long long>(th.i1) * W + tw.i0, g * th.w1 * (1.f - tw.w1));
    atomicAdd(p + static_cast<long long>(th.i1) * W + tw.i1, g * th.w1 * tw.w1);
  }
}

}  // namespace

#define INTERP_KERNELS(SUFFIX, T)                                                              \
  extern "C" __global__ void __launch_bounds__(256)                                            \
      bilinear_fwd_##SUFFIX(const T* x, T* y, long long NC, int H, int W, int OH, int OW,      \
                            int align_corners) {                                               \
    fwd(x, y, NC, H, W, OH, OW, align_corners);                                                \
  }                                                                                            \
  extern "C" __global__ void __launch_bounds__(256)                                            \
      bilinear_bwd_##SUFFIX(const T* dy, float* dx, long long NC, int H, int W, int OH, int OW, \
                            int align_corners) {                                               \
    bwd(dy, dx, NC, H, W, OH, OW, align_corners);                                              \
  }
INTERP_KERNELS(f32, float)
INTERP_KERNELS(bf16, __nv_bfloat16)
