// Emulated tests of the forward variants selected by -Dmettle.cuda.attention=tc: the tensor-core
// bf16 forward (attn_fwd_tc{32,64}_bf16, kernels/attn_tc.cuh) and the register-tiled fp32 forward
// (attn_fwd_tiled{32,64}_f32, kernels/attn_tiled.cuh), against the double reference of
// attn_ref.h: head dims 32 and 64 (and 24, 40 zero-padded), query and key counts that are not
// multiples of the 64-row / 64- or 32-key tiles, broadcast and full bias (ramped over the keys:
// the running max grows tile by tile), -inf masks with a fully masked row and a row whose first
// tile is fully masked, no keys, lse omitted.
#include <algorithm>

#include "../attention.cu"
#include "attn_ref.h"
#include "emu_test.h"

namespace {

struct Case {
  int B, H, Nq, Nk, d;
  bool with_bias, bias_full, with_mask, with_lse;
};

using t::dev;
using t::host;

// T = bf16: the tensor-core kernels; T = float: the register-tiled ones.
template <class T>
void run(const Case& c) {
  constexpr bool bf = sizeof(T) == 2;
  const int BH = c.B * c.H;
  auto Q = t::randn((size_t)BH * c.Nq * c.d), K = t::randn((size_t)BH * c.Nk * c.d);
  auto V = t::randn((size_t)BH * c.Nk * c.d);
  if (bf) Q = t::rounded_bf16(Q), K = t::rounded_bf16(K), V = t::rounded_bf16(V);
  ref::Attn r{c.B, c.H, c.Nq, c.Nk, c.d, 1.0 / std::sqrt(double(c.d))};
  t::vec<float> bias, mask;
  if (c.with_bias) {
    r.Bb = c.bias_full ? c.B : 1;
    r.Hb = c.H;
    bias = t::randn((size_t)r.Bb * r.Hb * c.Nq * c.Nk, 0.5f);
    // a ramp over the keys: the row max grows tile after tile, so the accumulator is rescaled often
    for (size_t i = 0; i < bias.size(); ++i) bias[i] += 0.05f * float(i % c.Nk);
    r.bias = &bias;
  }
  if (c.with_mask) {  // [B, 1, Nq, Nk]: random -inf, row 1 fully masked in batch 0
    r.Bm = c.B;
    r.Hm = 1;
    mask.assign((size_t)c.B * c.Nq * c.Nk, 0.f);
    auto u = t::uniform(mask.size(), 0.f, 1.f);
    for (size_t i = 0; i < mask.size(); ++i) if (u[i] < 0.3f) mask[i] = -INFINITY;
    for (int j = 0; j < c.Nk; ++j) mask[(size_t)1 * c.Nk + j] = -INFINITY;
    // row 2 of batch 0: its first 64-key tile fully masked (the running max starts at -inf there)
    if (c.Nq > 2)
      for (int j = 0; j < std::min(c.Nk - 1, 64); ++j) mask[(size_t)2 * c.Nk + j] = -INFINITY;
    r.mask = &mask;
  }
  t::vec<double> O_ref, lse_ref;
  r.forward(Q, K, V, O_ref, lse_ref);

  auto Qd = dev<T>(Q), Kd = dev<T>(K), Vd = dev<T>(V);
  t::vec<T> Od(Q.size(), mt::from_f32<T>(NAN));  // NaN: an unwritten output shows up
  t::vec<float> lse((size_t)BH * c.Nq, NAN);
  const float* bp = c.with_bias ? bias.data() : nullptr;
  const float* mp = c.with_mask ? mask.data() : nullptr;
  float* lp = c.with_lse ? lse.data() : nullptr;
  const float scale = float(r.scale);
  const unsigned gy = std::min(BH, 2);  // fewer blocks than heads: exercises the bh loop
  static_assert(attn_tc::kRows == attn_tiled::kRows && attn_tc::kThreads == attn_tiled::kThreads, "one launch shape");
  const dim3 grid(t::blocks_for(c.Nq, attn_tc::kRows), gy), block(attn_tc::kThreads);
  if constexpr (bf) {
    auto kernel = c.d <= 32 ? attn_fwd_tc32_bf16 : attn_fwd_tc64_bf16;
    MT_LAUNCH(grid, block, kernel, Qd.data(), Kd.data(), Vd.data(), Od.data(), lp, c.B, c.H, c.Nq, c.Nk, c.d, scale, bp, r.Bb, r.Hb, mp, r.Bm, r.Hm);
  } else {
    auto kernel = c.d <= 32 ? attn_fwd_tiled32_f32 : attn_fwd_tiled64_f32;
    MT_LAUNCH(grid, block, kernel, Qd.data(), Kd.data(), Vd.data(), Od.data(), lp, c.B, c.H, c.Nq, c.Nk, c.d, scale, bp, r.Bb, r.Hb, mp, r.Bm, r.Hm);
  }
  char name[160];
  std::snprintf(name, sizeof name, "%s B=%d H=%d Nq=%d Nk=%d d=%d bias=%d%s mask=%d lse=%d",
                bf ? "attn tc bf16" : "attn tiled f32", c.B, c.H,
                c.Nq, c.Nk, c.d, c.with_bias, c.with_bias ? (c.bias_full ? "(full)" : "(bcast)") : "",
                c.with_mask, c.with_lse);
  const std::string n(name);
  // bf16: P is rounded to bf16 for P V and O is stored as bf16 (the classic bf16 kernel's tolerance)
  const double tol = bf ? 2e-2 : 2e-5;
  t::expect_close(n + " O", host(Od), O_ref, tol, tol);
  if (c.with_lse) t::expect_close(n + " lse", lse, lse_ref, 1e-4, 1e-4);
  else t::expect(n + " lse untouched", std::all_of(lse.begin(), lse.end(), [](float v) { return std::isnan(v); }));
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "quick";
  t::vec<Case> cases = {
      {2, 3, 37, 45, 32, true, false, true, true},    // D=32, broadcast bias, masks, one partial tile
      {1, 2, 70, 130, 64, true, true, false, true},   // D=64, full bias, 2 query blocks, 3 key tiles
      {2, 1, 9, 33, 24, false, false, true, true},    // d=24 zero-padded to 32
      {1, 1, 20, 64, 40, false, false, false, false}, // d=40 padded to 64, exactly one key tile, no lse
      {1, 2, 3, 0, 32, false, false, false, true},    // no keys: O = 0, lse = -inf
  };
  if (!quick) {
    cases.push_back({1, 2, 144, 144, 32, true, false, true, true});  // a Swin-V2 window (3 blocks, 3 tiles)
    cases.push_back({1, 1, 197, 197, 64, false, false, false, true});  // ViT-B: 4 blocks, a 5-key tail tile
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    emu::set_reverse(i % 2 == 1);
    run<__nv_bfloat16>(cases[i]);
    emu::set_reverse(i % 2 == 0);
    run<float>(cases[i]);
  }
  // head dims the tensor-core kernels do not take (d % 8 != 0): the fp32 tiled kernels pad any d
  const t::vec<Case> f32_only = {{1, 1, 5, 5, 1, false, false, false, true}, {1, 2, 33, 100, 50, true, false, true, true}};
  for (size_t i = 0; i < f32_only.size(); ++i) {
    emu::set_reverse(i % 2 == 1);
    run<float>(f32_only[i]);
  }
  return t::finish("test_attention_variants");
}
