// Emulated tests of kernels/lcd.cu: split-key forward + combine, and split dQ + reduce,
// against the double attention reference; splits of 1, several, and more than key tiles
// (empty splits), query counts over one block, fp32 and bf16.
#include "../lcd.cu"
#include "attn_ref.h"
#include "emu_test.h"

namespace {

using t::dev;
using t::host;

template <class T, class Part, class Comb, class Pre, class DqPart, class DqRed>
void run(const char* tag, int BH, int Nq, int Nk, int d, int splits, Part part, Comb comb, Pre pre,
         DqPart dqp, DqRed dqr, double tol) {
  const bool bf = sizeof(T) == 2;
  auto Q = t::randn((size_t)BH * Nq * d), K = t::randn((size_t)BH * Nk * d);
  auto V = t::randn((size_t)BH * Nk * d), dO = t::randn((size_t)BH * Nq * d);
  if (bf) Q = t::rounded_bf16(Q), K = t::rounded_bf16(K), V = t::rounded_bf16(V), dO = t::rounded_bf16(dO);
  ref::Attn r{BH, 1, Nq, Nk, d, 1.0 / std::sqrt(double(d))};
  t::vec<double> O_ref, lse_ref, dQ_ref, dK_ref, dV_ref, dB_ref;
  r.forward(Q, K, V, O_ref, lse_ref);
  r.backward(Q, K, V, dO, dQ_ref, dK_ref, dV_ref, dB_ref);

  auto Qd = dev<T>(Q), Kd = dev<T>(K), Vd = dev<T>(V), dOd = dev<T>(dO);
  t::vec<T> Od(Q.size()), dQd(Q.size());
  const size_t rows = (size_t)BH * splits * Nq;
  t::vec<float> pm(rows, 7.f), pl(rows, 7.f), pacc(rows * d, 7.f), pdq(rows * d, 7.f);
  t::vec<float> lse((size_t)BH * Nq), Dv((size_t)BH * Nq);
  const float scale = float(r.scale);
  const unsigned gy = std::min(BH, 2);
  MT_LAUNCH(dim3(splits * t::blocks_for(Nq, 16), gy), dim3(128), part, Qd.data(), Kd.data(), Vd.data(), BH, Nq, Nk, d, scale, splits, pm.data(), pl.data(), pacc.data());
  MT_LAUNCH(dim3(t::blocks_for((long long)BH * Nq, 8)), dim3(256), comb, pm.data(), pl.data(), pacc.data(), BH, Nq, d, splits, Od.data(), lse.data());
  MT_LAUNCH(dim3(t::blocks_for((long long)BH * Nq, 8)), dim3(256), pre, Od.data(), dOd.data(), Dv.data(), (long long)BH * Nq, d);
  MT_LAUNCH(dim3(splits * t::blocks_for(Nq, 8), gy), dim3(128), dqp, Qd.data(), Kd.data(), Vd.data(), dOd.data(), lse.data(), Dv.data(), BH, Nq, Nk, d, scale, splits, pdq.data());
  MT_LAUNCH(dim3(3), dim3(256), dqr, pdq.data(), BH, Nq, d, splits, dQd.data());
  char name[128];
  std::snprintf(name, sizeof name, "%s BH=%d Nq=%d Nk=%d d=%d splits=%d", tag, BH, Nq, Nk, d, splits);
  const std::string n(name);
  t::expect_close(n + " O", host(Od), O_ref, tol, tol);
  t::expect_close(n + " lse", lse, lse_ref, 1e-4, 1e-4);
  t::expect_close(n + " dQ", host(dQd), dQ_ref, 4 * tol, 4 * tol);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "quick";
#define F32 lcd_fwd_partial_f32, lcd_fwd_combine_f32, lcd_bwd_preprocess_f32, lcd_bwd_dq_partial_f32, lcd_bwd_dq_reduce_f32
#define BF16 lcd_fwd_partial_bf16, lcd_fwd_combine_bf16, lcd_bwd_preprocess_bf16, lcd_bwd_dq_partial_bf16, lcd_bwd_dq_reduce_bf16
  run<float>("lcd f32", 3, 4, quick ? 300 : 1000, 32, 7, F32, 2e-5);
  emu::set_reverse(true);
  run<float>("lcd f32", 2, 16, 300, 64, 20, F32, 2e-5);  // 10 key tiles, 20 splits
  emu::set_reverse(false);
  run<float>("lcd f32", 1, 20, 77, 100, 2, F32, 2e-5);   // 2 query blocks, D=128 padded
  run<float>("lcd f32", 2, 3, 50, 24, 1, F32, 2e-5);     // one split
  run<__nv_bfloat16>("lcd bf16", 2, 4, 200, 64, 3, BF16, 2e-2);
  return t::finish("test_lcd");
}
