// Emulated tests of kernels/layernorm.cu: forward (y, mean, rstd) with and without affine,
// a large offset (catastrophic cancellation check), backward dx and the deterministic
// dgamma/dbeta partial + reduce, fp32 and bf16; the row L2 normalization forward and backward
// (a zero row takes the clamped branch).
#include "../layernorm.cu"
#include "emu_test.h"

namespace {

template <class T, class Fwd, class Dx, class Part>
void run(const char* tag, long long rows, int C, bool affine, float offset, Fwd fwd_k, Dx dx_k,
         Part part_k, double tol) {
  auto x = t::randn(size_t(rows * C)), g = t::randn(size_t(C)), b = t::randn(size_t(C));
  auto dy = t::randn(size_t(rows * C));
  for (auto& v : x) v += offset;
  if (sizeof(T) == 2) x = t::rounded_bf16(x), g = t::rounded_bf16(g), b = t::rounded_bf16(b), dy = t::rounded_bf16(dy);
  const double eps = 1e-5;
  t::vec<double> y_ref(x.size()), mean_ref(rows), rstd_ref(rows), dx_ref(x.size()), dg_ref(C, 0), db_ref(C, 0);
  for (long long r = 0; r < rows; ++r) {
    double mu = 0, var = 0;
    for (int c = 0; c < C; ++c) mu += x[r * C + c];
    mu /= C;
    for (int c = 0; c < C; ++c) var += (x[r * C + c] - mu) * (x[r * C + c] - mu);
    const double rs = 1 / std::sqrt(var / C + eps);
    mean_ref[r] = mu, rstd_ref[r] = rs;
    double sg = 0, sgx = 0;
    for (int c = 0; c < C; ++c) {
      const double xh = (x[r * C + c] - mu) * rs, gm = affine ? g[c] : 1.0;
      y_ref[r * C + c] = xh * gm + (affine ? b[c] : 0.0);
      sg += dy[r * C + c] * gm, sgx += dy[r * C + c] * gm * xh;
      dg_ref[c] += dy[r * C + c] * xh, db_ref[c] += dy[r * C + c];
    }
    for (int c = 0; c < C; ++c) {
      const double xh = (x[r * C + c] - mu) * rs, gm = affine ? g[c] : 1.0;
      dx_ref[r * C + c] = rs * (dy[r * C + c] * gm - sg / C - xh * sgx / C);
    }
  }
  t::vec<T> xd(x.size()), gd(C), bd(C), yd(x.size()), dyd(x.size()), dxd(x.size());
  for (size_t i = 0; i < x.size(); ++i) xd[i] = mt::from_f32<T>(x[i]), dyd[i] = mt::from_f32<T>(dy[i]);
  for (int c = 0; c < C; ++c) gd[c] = mt::from_f32<T>(g[c]), bd[c] = mt::from_f32<T>(b[c]);
  t::vec<float> mean(rows), rstd(rows);
  const int chunks = 3;
  t::vec<float> pdg(size_t(chunks) * C), pdb(size_t(chunks) * C), dg(C), db(C);
  const T* gp = affine ? gd.data() : nullptr;
  MT_LAUNCH(dim3(t::blocks_for(rows, 8)), dim3(256), fwd_k, xd.data(), gp, affine ? bd.data() : nullptr, yd.data(), mean.data(), rstd.data(), rows, C, 1e-5f);
  MT_LAUNCH(dim3(t::blocks_for(rows, 8)), dim3(256), dx_k, xd.data(), gp, dyd.data(), mean.data(), rstd.data(), dxd.data(), rows, C);
  MT_LAUNCH(dim3(t::blocks_for(C, 256), chunks), dim3(256), part_k, xd.data(), dyd.data(), mean.data(), rstd.data(), rows, C, pdg.data(), pdb.data());
  MT_LAUNCH(dim3(t::blocks_for(C, 256)), dim3(256), layernorm_bwd_dgb_reduce, pdg.data(), pdb.data(), C, chunks, dg.data(), db.data());
  auto host = [](const t::vec<T>& v) { t::vec<float> r(v.size()); for (size_t i = 0; i < v.size(); ++i) r[i] = mt::to_f32(v[i]); return r; };
  char name[128];
  std::snprintf(name, sizeof name, "%s rows=%lld C=%d affine=%d offset=%g", tag, rows, C, affine, offset);
  const std::string n(name);
  t::expect_close(n + " y", host(yd), y_ref, tol, tol);
  t::expect_close(n + " mean", mean, mean_ref, 1e-5, 1e-6);
  t::expect_close(n + " rstd", rstd, rstd_ref, 1e-4, 1e-4);
  t::expect_close(n + " dx", host(dxd), dx_ref, 4 * tol, 4 * tol);
  t::expect_close(n + " dgamma", dg, dg_ref, 1e-4, 1e-4);
  t::expect_close(n + " dbeta", db, db_ref, 1e-4, 1e-4);
}

template <class T, class Fwd, class Bwd>
void run_l2(const char* tag, long long rows, int C, Fwd fwd_k, Bwd bwd_k, double tol) {
  auto x = t::randn(size_t(rows * C)), dy = t::randn(size_t(rows * C));
  for (int c = 0; c < C; ++c) x[c] = 0;  // row 0: norm 0 < eps, so y = 0 and dx = dy / eps
  if (sizeof(T) == 2) x = t::rounded_bf16(x), dy = t::rounded_bf16(dy);
  const double eps = 1e-6;
  t::vec<double> y_ref(x.size()), dx_ref(x.size());
  for (long long r = 0; r < rows; ++r) {
    double ss = 0;
    for (int c = 0; c < C; ++c) ss += x[r * C + c] * x[r * C + c];
    const double n = std::sqrt(ss), inv = 1 / std::max(n, eps);
    double dot = 0;
    for (int c = 0; c < C; ++c) y_ref[r * C + c] = x[r * C + c] * inv, dot += x[r * C + c] * inv * dy[r * C + c];
    for (int c = 0; c < C; ++c) {
      dx_ref[r * C + c] = n >= eps ? (dy[r * C + c] - y_ref[r * C + c] * dot) / n : dy[r * C + c] / eps;
    }
  }
  t::vec<T> xd(x.size()), yd(x.size()), dyd(x.size()), dxd(x.size());
  for (size_t i = 0; i < x.size(); ++i) xd[i] = mt::from_f32<T>(x[i]), dyd[i] = mt::from_f32<T>(dy[i]);
  MT_LAUNCH(dim3(t::blocks_for(rows, 8)), dim3(256), fwd_k, xd.data(), yd.data(), rows, C, float(eps));
  MT_LAUNCH(dim3(t::blocks_for(rows, 8)), dim3(256), bwd_k, xd.data(), dyd.data(), dxd.data(), rows, C, float(eps));
  auto host = [](const t::vec<T>& v) { t::vec<float> r(v.size()); for (size_t i = 0; i < v.size(); ++i) r[i] = mt::to_f32(v[i]); return r; };
  char name[128];
  std::snprintf(name, sizeof name, "%s rows=%lld C=%d", tag, rows, C);
  const std::string n(name);
  t::expect_close(n + " y", host(yd), y_ref, tol, tol);
  t::vec<double> dx_scaled(x.size());  // the clamped row's dx is dy * 1e6: compare relative to eps
  t::vec<float> dx_got = host(dxd);
  for (size_t i = 0; i < x.size(); ++i) dx_scaled[i] = dx_ref[i] * (i < size_t(C) ? eps : 1.0), dx_got[i] *= (i < size_t(C) ? float(eps) : 1.f);
  t::expect_close(n + " dx", dx_got, dx_scaled, 4 * tol, 4 * tol);
}

}  // namespace

int main() {
  run<float>("layernorm f32", 37, 200, true, 0.f, layernorm_fwd_f32, layernorm_bwd_dx_f32, layernorm_bwd_dgb_partial_f32, 1e-5);
  emu::set_reverse(true);
  run<float>("layernorm f32", 9, 33, false, 1000.f, layernorm_fwd_f32, layernorm_bwd_dx_f32, layernorm_bwd_dgb_partial_f32, 2e-3);
  emu::set_reverse(false);
  run<float>("layernorm f32", 2, 300, true, 0.f, layernorm_fwd_f32, layernorm_bwd_dx_f32, layernorm_bwd_dgb_partial_f32, 1e-5);
  run<__nv_bfloat16>("layernorm bf16", 20, 96, true, 0.f, layernorm_fwd_bf16, layernorm_bwd_dx_bf16, layernorm_bwd_dgb_partial_bf16, 2e-2);
  run_l2<float>("l2norm f32", 19, 32, l2norm_fwd_f32, l2norm_bwd_f32, 1e-5);
  run_l2<float>("l2norm f32", 5, 333, l2norm_fwd_f32, l2norm_bwd_f32, 1e-5);
  run_l2<__nv_bfloat16>("l2norm bf16", 7, 96, l2norm_fwd_bf16, l2norm_bwd_bf16, 2e-2);
  return t::finish("test_layernorm");
}
