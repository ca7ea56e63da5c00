// Emulated tests of kernels/softmax.cu: forward with scale, -inf entries and an all -inf
// row (zeros), long rows, backward; fp32 and bf16.
#include "../softmax.cu"
#include "emu_test.h"

namespace {

template <class T, class Fwd, class Bwd>
void run(const char* tag, long long rows, int C, float scale, Fwd fwd_k, Bwd bwd_k, double tol) {
  auto x = t::randn(size_t(rows * C), 3.f), dy = t::randn(size_t(rows * C));
  auto u = t::uniform(x.size(), 0.f, 1.f);
  for (size_t i = 0; i < x.size(); ++i) if (u[i] < 0.2f) x[i] = -INFINITY;
  for (int c = 0; c < C; ++c) x[size_t(C) * (rows > 1 ? 1 : 0) + c] = -INFINITY;  // row 1 all -inf
  if (sizeof(T) == 2) x = t::rounded_bf16(x), dy = t::rounded_bf16(dy);
  t::vec<double> y_ref(x.size(), 0.0), dx_ref(x.size(), 0.0);
  for (long long r = 0; r < rows; ++r) {
    double m = -INFINITY, l = 0, s = 0;
    for (int c = 0; c < C; ++c) m = std::max(m, double(x[r * C + c]) * scale);
    if (m == -INFINITY) continue;
    for (int c = 0; c < C; ++c) l += std::exp(double(x[r * C + c]) * scale - m);
    for (int c = 0; c < C; ++c) y_ref[r * C + c] = std::exp(double(x[r * C + c]) * scale - m) / l;
    for (int c = 0; c < C; ++c) s += y_ref[r * C + c] * dy[r * C + c];
    for (int c = 0; c < C; ++c) dx_ref[r * C + c] = scale * y_ref[r * C + c] * (dy[r * C + c] - s);
  }
  t::vec<T> xd(x.size()), yd(x.size()), dyd(x.size()), dxd(x.size());
  for (size_t i = 0; i < x.size(); ++i) xd[i] = mt::from_f32<T>(x[i]), dyd[i] = mt::from_f32<T>(dy[i]);
  MT_LAUNCH(dim3(t::blocks_for(rows, 8)), dim3(256), fwd_k, xd.data(), yd.data(), rows, C, scale);
  // The backward consumes the kernel's y; compare with the reference computed from it.
  t::vec<float> yk(x.size());
  for (size_t i = 0; i < x.size(); ++i) yk[i] = mt::to_f32(yd[i]);
  for (long long r = 0; r < rows; ++r) {
    double s = 0;
    for (int c = 0; c < C; ++c) s += double(yk[r * C + c]) * dy[r * C + c];
    for (int c = 0; c < C; ++c) dx_ref[r * C + c] = scale * yk[r * C + c] * (dy[r * C + c] - s);
  }
  MT_LAUNCH(dim3(t::blocks_for(rows, 8)), dim3(256), bwd_k, yd.data(), dyd.data(), dxd.data(), rows, C, scale);
  t::vec<float> dxk(x.size());
  for (size_t i = 0; i < x.size(); ++i) dxk[i] = mt::to_f32(dxd[i]);
  char name[96];
  std::snprintf(name, sizeof name, "%s rows=%lld C=%d scale=%g", tag, rows, C, scale);
  t::expect_close(std::string(name) + " y", yk, y_ref, tol, tol);
  t::expect_close(std::string(name) + " dx", dxk, dx_ref, tol, tol);
}

}  // namespace

int main() {
  run<float>("softmax f32", 19, 45, 0.5f, softmax_fwd_f32, softmax_bwd_f32, 1e-6);
  emu::set_reverse(true);
  run<float>("softmax f32", 3, 1000, 1.f, softmax_fwd_f32, softmax_bwd_f32, 1e-6);
  emu::set_reverse(false);
  run<float>("softmax f32", 9, 7, 2.f, softmax_fwd_f32, softmax_bwd_f32, 1e-6);
  run<__nv_bfloat16>("softmax bf16", 10, 64, 1.f, softmax_fwd_bf16, softmax_bwd_bf16, 1e-2);
  return t::finish("test_softmax");
}
