// Emulated test of kernels/adamw.cu: three AdamW steps against a double implementation of
// PyTorch's AdamW, fp32 and bf16 gradients, grad scaling and the bf16 weight copy.
#include "../adamw.cu"
#include "emu_test.h"

int main() {
  const long long n = 777;
  for (int variant = 0; variant < 2; ++variant) {
    auto p = t::randn(n), m = t::vec<float>(n, 0.f), v = t::vec<float>(n, 0.f);
    t::vec<double> pr(p.begin(), p.end()), mr(n, 0.0), vr(n, 0.0);
    t::vec<__nv_bfloat16> pcopy(n);
    const double lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.05, gs = 0.5;
    for (int step = 1; step <= 3; ++step) {
      auto g = t::randn(n);
      auto gb = t::to_bf16(g);
      if (variant == 1) g = t::from_bf16(gb);
      const double bc1 = 1 - std::pow(b1, step), bc2 = 1 - std::pow(b2, step);
      for (long long i = 0; i < n; ++i) {
        const double gi = g[i] * gs;
        pr[i] *= 1 - lr * wd;
        mr[i] = b1 * mr[i] + (1 - b1) * gi;
        vr[i] = b2 * vr[i] + (1 - b2) * gi * gi;
        pr[i] -= lr / bc1 * mr[i] / (std::sqrt(vr[i]) / std::sqrt(bc2) + eps);
      }
      if (variant == 0)
        MT_LAUNCH(dim3(2), dim3(256), adamw_step_f32, n, p.data(), g.data(), m.data(), v.data(), float(lr),
                  float(b1), float(b2), float(eps), float(wd), float(bc1), float(bc2), float(gs), pcopy.data());
      else
        MT_LAUNCH(dim3(2), dim3(256), adamw_step_bf16, n, p.data(), gb.data(), m.data(), v.data(), float(lr),
                  float(b1), float(b2), float(eps), float(wd), float(bc1), float(bc2), float(gs), nullptr);
    }
    const char* tag = variant ? "adamw bf16 grads" : "adamw f32 grads";
    t::expect_close(std::string(tag) + " p", p, pr, 1e-6, 1e-5);
    t::expect_close(std::string(tag) + " m", m, mr, 1e-6, 1e-4);
    t::expect_close(std::string(tag) + " v", v, vr, 1e-8, 1e-4);
    if (variant == 0) t::expect_close("adamw bf16 copy of p", t::from_bf16(pcopy), pr, 1e-2, 8e-3);
  }
  return t::finish("test_adamw");
}
