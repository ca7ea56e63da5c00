// Emulated tests of kernels/interpolate.cu: bilinear up- and down-sampling for both
// align_corners settings against a direct implementation of PyTorch's rule, and the
// backward against the adjoint identity <up(x), g> == <x, up^T(g)>.
#include "../interpolate.cu"
#include "emu_test.h"

namespace {
void taps(int dst, int in, int out, bool ac, int& i0, int& i1, double& w) {
  float src = ac ? (out > 1 ? dst * (float(in - 1) / (out - 1)) : 0.f) : std::max((dst + 0.5f) * (float(in) / out) - 0.5f, 0.f);
  i0 = std::min(int(src), in - 1);
  i1 = std::min(i0 + 1, in - 1);
  w = src - i0;
}
}  // namespace

int main() {
  const int sizes[][4] = {{5, 7, 12, 9}, {12, 10, 5, 4}, {4, 4, 1, 1}, {3, 5, 3, 5}};
  for (const auto& s : sizes)
    for (int ac = 0; ac < 2; ++ac) {
      const int H = s[0], W = s[1], OH = s[2], OW = s[3];
      const long long NC = 3;
      auto x = t::randn(size_t(NC * H * W)), g = t::randn(size_t(NC * OH * OW));
      t::vec<double> want(NC * OH * OW);
      for (long long nc = 0; nc < NC; ++nc) for (int oh = 0; oh < OH; ++oh) for (int ow = 0; ow < OW; ++ow) {
        int h0, h1, w0, w1; double lh, lw;
        taps(oh, H, OH, ac, h0, h1, lh);
        taps(ow, W, OW, ac, w0, w1, lw);
        const float* p = x.data() + nc * H * W;
        want[(nc * OH + oh) * OW + ow] = (1 - lh) * ((1 - lw) * p[h0 * W + w0] + lw * p[h0 * W + w1]) + lh * ((1 - lw) * p[h1 * W + w0] + lw * p[h1 * W + w1]);
      }
      t::vec<float> y(want.size()), dx(x.size(), 0.f);
      MT_LAUNCH(dim3(2), dim3(64), bilinear_fwd_f32, x.data(), y.data(), NC, H, W, OH, OW, ac);
      MT_LAUNCH(dim3(2), dim3(64), bilinear_bwd_f32, g.data(), dx.data(), NC, H, W, OH, OW, ac);
      char name[96];
      std::snprintf(name, sizeof name, "bilinear f32 %dx%d -> %dx%d align_corners=%d", H, W, OH, OW, ac);
      t::expect_close(name, y, want, 1e-5, 1e-5);
      double lhs = 0, rhs = 0;
      for (size_t i = 0; i < want.size(); ++i) lhs += want[i] * g[i];
      for (size_t i = 0; i < x.size(); ++i) rhs += double(x[i]) * dx[i];
      t::expect_close(std::string(name) + " backward adjoint", t::vec<double>{rhs}, t::vec<double>{lhs}, 1e-4, 1e-5);
    }
  return t::finish("test_interpolate");
}
