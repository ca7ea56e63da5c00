// Emulated tests of kernels/attention.cu: forward (O, lse), preprocess, dQ (+ dBias, full and
// broadcast), dK/dV against the double reference, for head dims 24/64/80/128, odd sequence
// lengths, bias and -inf masks (including a fully masked row), fp32 and bf16.
#include "../attention.cu"
#include "attn_ref.h"
#include "emu_test.h"

namespace {

struct Case {
  int B, H, Nq, Nk, d;
  bool with_bias, bias_full, with_mask;
};

using t::dev;
using t::host;

template <class T, class Fwd, class Pre, class Dq, class Dkv>
void run(const char* tag, const Case& c, Fwd fwd, Pre pre, Dq dq, Dkv dkv, double tol) {
  const int BH = c.B * c.H;
  const bool bf = sizeof(T) == 2;
  auto Q = t::randn((size_t)BH * c.Nq * c.d), K = t::randn((size_t)BH * c.Nk * c.d);
  auto V = t::randn((size_t)BH * c.Nk * c.d), dO = t::randn((size_t)BH * c.Nq * c.d);
  if (bf) Q = t::rounded_bf16(Q), K = t::rounded_bf16(K), V = t::rounded_bf16(V), dO = t::rounded_bf16(dO);
  ref::Attn r{c.B, c.H, c.Nq, c.Nk, c.d, 1.0 / std::sqrt(double(c.d))};
  t::vec<float> bias, mask;
  if (c.with_bias) {
    r.Bb = c.bias_full ? c.B : 1;
    r.Hb = c.H;
    bias = t::randn((size_t)r.Bb * r.Hb * c.Nq * c.Nk, 0.5f);
    r.bias = &bias;
  }
  if (c.with_mask) {  // [B, 1, Nq, Nk]: random -inf, row 1 fully masked in batch 0
    r.Bm = c.B;
    r.Hm = 1;
    mask.assign((size_t)c.B * c.Nq * c.Nk, 0.f);
    auto u = t::uniform(mask.size(), 0.f, 1.f);
    for (size_t i = 0; i < mask.size(); ++i) if (u[i] < 0.3f) mask[i] = -INFINITY;
    for (int j = 0; j < c.Nk; ++j) mask[(size_t)1 * c.Nk + j] = -INFINITY;
    r.mask = &mask;
  }
  t::vec<double> O_ref, lse_ref, dQ_ref, dK_ref, dV_ref, dB_ref;
  r.forward(Q, K, V, O_ref, lse_ref);
  r.backward(Q, K, V, dO, dQ_ref, dK_ref, dV_ref, dB_ref);

  auto Qd = dev<T>(Q), Kd = dev<T>(K), Vd = dev<T>(V), dOd = dev<T>(dO);
  t::vec<T> Od(Q.size()), dQd(Q.size()), dKd(K.size()), dVd(V.size());
  t::vec<float> lse((size_t)BH * c.Nq), Dv((size_t)BH * c.Nq), dB(bias.size(), 0.f);
  const float* bp = c.with_bias ? bias.data() : nullptr;
  const float* mp = c.with_mask ? mask.data() : nullptr;
  const float scale = float(r.scale);
  const unsigned gy = std::min(BH, 2);  // fewer blocks than heads: exercises the bh loop
  MT_LAUNCH(dim3(t::blocks_for(c.Nq, 16), gy), dim3(128), fwd, Qd.data(), Kd.data(), Vd.data(), Od.data(), lse.data(), c.B, c.H, c.Nq, c.Nk, c.d, scale, bp, r.Bb, r.Hb, mp, r.Bm, r.Hm);
  // The backward runs on the kernel's own O (as in training), rounded like the kernel's.
  MT_LAUNCH(dim3(t::blocks_for((long long)BH * c.Nq, 8)), dim3(256), pre, Od.data(), dOd.data(), Dv.data(), (long long)BH * c.Nq, c.d);
  MT_LAUNCH(dim3(t::blocks_for(c.Nq, 8), gy), dim3(128), dq, Qd.data(), Kd.data(), Vd.data(), dOd.data(), lse.data(), Dv.data(), dQd.data(), c.with_bias ? dB.data() : nullptr, c.B, c.H, c.Nq, c.Nk, c.d, scale, bp, r.Bb, r.Hb, mp, r.Bm, r.Hm);
  MT_LAUNCH(dim3(t::blocks_for(c.Nk, 8), gy), dim3(128), dkv, Qd.data(), Kd.data(), Vd.data(), dOd.data(), lse.data(), Dv.data(), dKd.data(), dVd.data(), c.B, c.H, c.Nq, c.Nk, c.d, scale, bp, r.Bb, r.Hb, mp, r.Bm, r.Hm);
  char name[160];
  std::snprintf(name, sizeof name, "%s B=%d H=%d Nq=%d Nk=%d d=%d bias=%d%s mask=%d", tag, c.B, c.H,
                c.Nq, c.Nk, c.d, c.with_bias, c.with_bias ? (c.bias_full ? "(full)" : "(bcast)") : "",
                c.with_mask);
  const std::string n(name);
  t::expect_close(n + " O", host(Od), O_ref, tol, tol);
  t::expect_close(n + " lse", lse, lse_ref, 1e-4, 1e-4);
  t::vec<double> D_ref(Dv.size());
  auto Oh = host(Od);
  for (size_t i = 0; i < D_ref.size(); ++i) {
    double acc = 0;
    for (int k = 0; k < c.d; ++k) acc += double(Oh[i * c.d + k]) * dO[i * c.d + k];
    D_ref[i] = acc;
  }
  t::expect_close(n + " Dv", Dv, D_ref, 1e-4, 1e-4);
  t::expect_close(n + " dQ", host(dQd), dQ_ref, 4 * tol, 4 * tol);
  t::expect_close(n + " dK", host(dKd), dK_ref, 4 * tol, 4 * tol);
  t::expect_close(n + " dV", host(dVd), dV_ref, 4 * tol, 4 * tol);
  if (c.with_bias) t::expect_close(n + " dBias", dB, dB_ref, 4 * tol, 4 * tol);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "quick";
  t::vec<Case> cases = {
      {2, 3, 37, 45, 24, true, false, true},   // D=32 padded, broadcast bias, masks
      {1, 2, 20, 70, 64, true, true, false},   // D=64 exact, full bias (plain dBias stores)
      {2, 1, 9, 33, 80, false, false, true},   // D=128 padded
  };
  if (!quick) cases.push_back({1, 1, 17, 40, 128, true, true, true});
  cases.push_back({1, 2, 3, 0, 32, false, false, false});  // no keys: O = 0, lse = -inf
  for (size_t i = 0; i < cases.size(); ++i) {
    emu::set_reverse(i % 2 == 1);
    run<float>("attn f32", cases[i], attn_fwd_f32, attn_bwd_preprocess_f32, attn_bwd_dq_f32,
               attn_bwd_dkdv_f32, 2e-5);
  }
  for (size_t i = 0; i < 2; ++i) {
    emu::set_reverse(i % 2 == 0);
    run<__nv_bfloat16>("attn bf16", cases[i], attn_fwd_bf16, attn_bwd_preprocess_bf16,
                       attn_bwd_dq_bf16, attn_bwd_dkdv_bf16, 2e-2);
  }
  return t::finish("test_attention");
}
