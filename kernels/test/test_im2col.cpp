// Emulated tests of kernels/im2col.cu: im2col against direct indexing, and col2im against
// the adjoint identity <im2col(x), c> == <x, col2im(c)>, with stride, padding and dilation.
#include "../im2col.cu"
#include "emu_test.h"

int main() {
  struct G { int N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw; };
  const G cases[] = {{2, 3, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1}, {1, 2, 10, 8, 3, 2, 2, 3, 2, 0, 2, 1}, {1, 3, 16, 16, 4, 4, 4, 4, 0, 0, 1, 1}};
  for (const auto& g : cases) {
    const int OH = (g.H + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1, OW = (g.W + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
    const long long K = (long long)g.C * g.kh * g.kw, L = (long long)OH * OW;
    auto x = t::randn(size_t(g.N) * g.C * g.H * g.W), c = t::randn(size_t(g.N * K * L));
    t::vec<double> want(g.N * K * L);
    for (int n = 0; n < g.N; ++n) for (int ch = 0; ch < g.C; ++ch) for (int i = 0; i < g.kh; ++i) for (int j = 0; j < g.kw; ++j)
      for (int oh = 0; oh < OH; ++oh) for (int ow = 0; ow < OW; ++ow) {
        const int h = oh * g.sh - g.ph + i * g.dh, w = ow * g.sw - g.pw + j * g.dw;
        const long long idx = ((long long)n * K + (ch * g.kh + i) * g.kw + j) * L + oh * OW + ow;
        want[idx] = (h >= 0 && h < g.H && w >= 0 && w < g.W) ? x[(((long long)n * g.C + ch) * g.H + h) * g.W + w] : 0.0;
      }
    t::vec<float> cols(want.size()), xb(x.size());
    MT_LAUNCH(dim3(4), dim3(128), im2col_f32, x.data(), cols.data(), g.N, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, OH, OW);
    MT_LAUNCH(dim3(4), dim3(128), col2im_f32, c.data(), xb.data(), g.N, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, OH, OW);
    char name[96];
    std::snprintf(name, sizeof name, "im2col f32 %dx%d k%dx%d s%d,%d p%d,%d d%d,%d", g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw);
    t::expect_close(name, cols, want, 0, 0);
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < want.size(); ++i) lhs += want[i] * c[i];
    for (size_t i = 0; i < x.size(); ++i) rhs += double(x[i]) * xb[i];
    t::expect_close(std::string(name) + " col2im adjoint", t::vec<double>{rhs}, t::vec<double>{lhs}, 1e-3, 1e-5);
  }
  return t::finish("test_im2col");
}
