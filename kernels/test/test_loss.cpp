// Emulated tests of kernels/loss.cu: cross-entropy with ignore index (and an out-of-range
// target giving NaN), its gradient with a device-side upstream scale, BCE on logits
// (large |x| stays finite) and on probabilities (clamped logs).
#include "../loss.cu"
#include "emu_test.h"

int main() {
  const long long R = 13; const int C = 40;
  auto x = t::randn(size_t(R * C), 4.f);
  t::vec<int> tgt(R);
  for (long long r = 0; r < R; ++r) tgt[r] = int((r * 7) % C);
  tgt[3] = -100;           // ignored
  tgt[5] = C;              // out of range -> NaN loss
  t::vec<double> loss_ref(R), lse_ref(R), dx_ref(R * C, 0.0);
  const double gscale = 0.25, dloss = 2.0;
  for (long long r = 0; r < R; ++r) {
    double m = -INFINITY, l = 0;
    for (int c = 0; c < C; ++c) m = std::max(m, double(x[r * C + c]));
    for (int c = 0; c < C; ++c) l += std::exp(x[r * C + c] - m);
    lse_ref[r] = m + std::log(l);
    loss_ref[r] = tgt[r] == -100 ? 0.0 : (tgt[r] >= C ? NAN : lse_ref[r] - x[r * C + tgt[r]]);
    if (tgt[r] != -100)
      for (int c = 0; c < C; ++c) dx_ref[r * C + c] = gscale * dloss * (std::exp(x[r * C + c] - lse_ref[r]) - (c == tgt[r]));
  }
  t::vec<float> loss(R), lse(R), dx(R * C), dl = {float(dloss)};
  MT_LAUNCH(dim3(t::blocks_for(R, 8)), dim3(256), ce_fwd_f32, x.data(), tgt.data(), R, C, -100, loss.data(), lse.data());
  MT_LAUNCH(dim3(3), dim3(128), ce_bwd_f32, x.data(), tgt.data(), lse.data(), R, C, -100, float(gscale), dl.data(), dx.data());
  t::expect_close("ce_fwd f32 loss (ignore -> 0, bad target -> NaN)", loss, loss_ref, 1e-5, 1e-5);
  t::expect_close("ce_fwd f32 lse", lse, lse_ref, 1e-5, 1e-5);
  t::expect_close("ce_bwd f32", dx, dx_ref, 1e-6, 1e-5);

  const long long n = 200;
  auto z = t::randn(n, 5.f), y = t::uniform(n, 0.f, 1.f);
  z[0] = 80.f, z[1] = -80.f;
  t::vec<double> bl(n), bg(n);
  for (long long i = 0; i < n; ++i) {
    const double zi = z[i], yi = y[i];
    bl[i] = std::max(zi, 0.0) - zi * yi + std::log1p(std::exp(-std::fabs(zi)));
    bg[i] = 3.0 * (1 / (1 + std::exp(-zi)) - yi);
  }
  t::vec<float> lz(n), gz(n);
  MT_LAUNCH(dim3(1), dim3(128), bce_logits_fwd_f32, n, z.data(), y.data(), lz.data());
  MT_LAUNCH(dim3(1), dim3(128), bce_logits_bwd_f32, n, z.data(), y.data(), 3.f, nullptr, gz.data());
  t::expect_close("bce_logits_fwd f32 (|x| = 80 included)", lz, bl, 1e-5, 1e-5);
  t::expect_close("bce_logits_bwd f32", gz, bg, 1e-6, 1e-5);

  auto p = t::uniform(n, 0.01f, 0.99f);
  p[0] = 0.f, p[1] = 1.f;
  t::vec<double> pl(n), pg(n);
  for (long long i = 0; i < n; ++i) {
    const double pi = p[i], yi = y[i];
    pl[i] = -(yi * std::max(std::log(pi), -100.0) + (1 - yi) * std::max(std::log(1 - pi), -100.0));
    pg[i] = (pi - yi) / std::max(pi * (1 - pi), 1e-12);
  }
  t::vec<float> lp(n), gp(n);
  MT_LAUNCH(dim3(1), dim3(128), bce_prob_fwd_f32, n, p.data(), y.data(), lp.data());
  MT_LAUNCH(dim3(1), dim3(128), bce_prob_bwd_f32, n, p.data(), y.data(), 1.f, nullptr, gp.data());
  t::expect_close("bce_prob_fwd f32 (p = 0 and 1 clamped)", lp, pl, 1e-4, 1e-5);
  t::expect_close("bce_prob_bwd f32", gp, pg, 1e-3, 1e-5);
  return t::finish("test_loss");
}
