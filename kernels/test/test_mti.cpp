// Emulated tests of kernels/mti.cu: forward and backward (dQ, dK/dV partials + reduce) for
// M = 5..32 meta keys, head dims 24/64/100/128, more blocks than rows, fp32 and bf16.
#include "../mti.cu"
#include "attn_ref.h"
#include "emu_test.h"

namespace {

using t::dev;
using t::host;

template <class T, class Fwd, class Bwd, class Red>
void run(const char* tag, int BH, int N, int M, int d, int nblk, Fwd fwd, Bwd bwd, Red red, double tol) {
  auto Q = t::randn((size_t)BH * N * d), K = t::randn((size_t)BH * M * d);
  auto V = t::randn((size_t)BH * M * d), dO = t::randn((size_t)BH * N * d);
  if (sizeof(T) == 2) Q = t::rounded_bf16(Q), K = t::rounded_bf16(K), V = t::rounded_bf16(V), dO = t::rounded_bf16(dO);
  ref::Attn r{BH, 1, N, M, d, 0.7 / std::sqrt(double(d))};
  t::vec<double> O_ref, lse_ref, dQ_ref, dK_ref, dV_ref, dB_ref;
  r.forward(Q, K, V, O_ref, lse_ref);
  r.backward(Q, K, V, dO, dQ_ref, dK_ref, dV_ref, dB_ref);
  auto Qd = dev<T>(Q), Kd = dev<T>(K), Vd = dev<T>(V), dOd = dev<T>(dO);
  t::vec<T> Od(Q.size()), dQd(Q.size()), dKd(K.size()), dVd(V.size());
  t::vec<float> pk((size_t)BH * nblk * M * d, 7.f), pv(pk.size(), 7.f);
  const float scale = float(r.scale);
  const unsigned gy = std::min(BH, 2);
  MT_LAUNCH(dim3(t::blocks_for(N, 32), gy), dim3(256), fwd, Qd.data(), Kd.data(), Vd.data(), Od.data(), BH, N, M, d, scale);
  MT_LAUNCH(dim3(nblk, gy), dim3(256), bwd, Qd.data(), Kd.data(), Vd.data(), dOd.data(), dQd.data(), pk.data(), pv.data(), BH, N, M, d, scale);
  MT_LAUNCH(dim3(2), dim3(256), red, pk.data(), pv.data(), BH, M, d, nblk, dKd.data(), dVd.data());
  char name[128];
  std::snprintf(name, sizeof name, "%s BH=%d N=%d M=%d d=%d nblk=%d", tag, BH, N, M, d, nblk);
  const std::string n(name);
  t::expect_close(n + " O", host(Od), O_ref, tol, tol);
  t::expect_close(n + " dQ", host(dQd), dQ_ref, 4 * tol, 4 * tol);
  t::expect_close(n + " dK", host(dKd), dK_ref, 4 * tol, 4 * tol);
  t::expect_close(n + " dV", host(dVd), dV_ref, 4 * tol, 4 * tol);
}

}  // namespace

int main() {
#define F32 mti_fwd_f32, mti_bwd_f32, mti_bwd_reduce_f32
#define BF16 mti_fwd_bf16, mti_bwd_bf16, mti_bwd_reduce_bf16
  run<float>("mti f32", 3, 50, 8, 24, 3, F32, 2e-5);
  emu::set_reverse(true);
  run<float>("mti f32", 1, 37, 32, 64, 2, F32, 2e-5);
  emu::set_reverse(false);
  run<float>("mti f32", 2, 20, 5, 128, 30, F32, 2e-5);  // more blocks than rows
  run<float>("mti f32", 1, 70, 16, 100, 1, F32, 2e-5);
  run<__nv_bfloat16>("mti bf16", 2, 33, 8, 64, 2, BF16, 2e-2);
  return t::finish("test_mti");
}
