// im2col / col2im for NCHW convolution as GEMM. x is [N, C, H, W]; cols is
// [N, C*kh*kw, OH*OW] with row (c*kh + i)*kw + j and column oh*OW + ow holding
// x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] (0 outside the image). Then
// out[n] = W[OC, C*kh*kw] @ cols[n] is a batched gemm with strideA = 0.
// col2im is the gather form (thread per image element, fixed order, no atomics); it
// overwrites x. OH = (H + 2ph - dh*(kh-1) - 1)/sh + 1 and likewise OW, given by the caller.
#include "common.cuh"

#define CONV_GEOM_DECL \
  int N, int C, int H, int W, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int OH, int OW

namespace {

template <typename T>
__device__ __forceinline__ void im2col(const T* __restrict__ x, T* __restrict__ cols, CONV_GEOM_DECL) {
  const long long L = static_cast<long long>(OH) * OW, K = static_cast<long long>(C) * kh * kw;
  MT_GRID_STRIDE_LOOP(idx, N * K * L) {
    const long long l = idx % L, rk = (idx / L) % K, n = idx / (L * K);
    const int j = static_cast<int>(rk % kw), i = static_cast<int>((rk / kw) % kh);
    const int c = static_cast<int>(rk / (static_cast<long long>(kw) * kh));
    const int oh = static_cast<int>(l / OW), ow = static_cast<int>(l % OW);
    const int h = oh * sh - ph + i * dh, w = ow * sw - pw + j * dw;
    float v = 0.f;
    if (h >= 0 && h < H && w >= 0 && w < W) v = mt::to_f32(x[((n * C + c) * H + h) * W + w]);
    cols[idx] = mt::from_f32<T>(v);
  }
}

template <typename T>
__device__ __forceinline__ void col2im(const T* __restrict__ cols, T* __restrict__ x, CONV_GEOM_DECL) {
  const long long L = static_cast<long long>(OH) * OW, K = static_cast<long long>(C) * kh * kw;
  MT_GRID_STRIDE_LOOP(idx, static_cast<long long>(N) * C * H * W) {
    const int w = static_cast<int>(idx % W), h = static_cast<int>((idx / W) % H);
    const long long c = (idx / (static_cast<long long>(W) * H)) % C, n = idx / (static_cast<long long>(W) * H * C);
    float s = 0.f;
    for (int i = 0; i < kh; ++i) {
      const int th = h + ph - i * dh;  // = oh * sh
      if (th < 0 || th % sh != 0 || th / sh >= OH) continue;
      const int oh = th / sh;
      for (int j = 0; j < kw; ++j) {
        const int tw = w + pw - j * dw;
        if (tw < 0 || tw % sw != 0 || tw / sw >= OW) continue;
        const int ow = tw / sw;
        const long long rk = (c * kh + i) * kw + j;
        s += mt::to_f32(cols[(n * K + rk) * L + static_cast<long long>(oh) * OW + ow]);
      }
    }
    x[idx] = mt::from_f32<T>(s);
  }
}

}  // namespace

#define CONV_GEOM N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW
#define IM2COL_KERNELS(SUFFIX, T)                                                           \
  extern "C" __global__ void __launch_bounds__(256)                                         \
      im2col_##SUFFIX(const T* x, T* cols, CONV_GEOM_DECL) { im2col(x, cols, CONV_GEOM); } \
  extern "C" __global__ void __launch_bounds__(256)                                         \
      col2im_##SUFFIX(const T* cols, T* x, CONV_GEOM_DECL) { col2im(cols, x, CONV_GEOM); }
IM2COL_KERNELS(f32, float)
IM2COL_KERNELS(bf16, __nv_bfloat16)
