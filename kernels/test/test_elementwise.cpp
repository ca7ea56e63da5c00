// Emulated tests of kernels/elementwise.cu: broadcast binary ops (row, column, scalar and
// transposed strides), every unary op and its backward, fill, axpby, dtype conversion.
#include "../elementwise.cu"
#include "emu_test.h"

namespace {

using t::dev;
using t::host;
double bin(int op, double a, double b) {
  switch (op) { case 0: return a + b; case 1: return a - b; case 2: return a * b; case 3: return a / b;
                case 4: return std::max(a, b); default: return std::min(a, b); }
}

template <class T, class K>
void binary_case(const char* tag, K kernel, int op, const int d[4], const int sa[4], const int sb[4],
                 size_t na, size_t nb, double tol) {
  auto a = t::randn(na), b = t::uniform(nb, 0.5f, 2.f);
  if (sizeof(T) == 2) a = t::rounded_bf16(a), b = t::rounded_bf16(b);
  const long long n = (long long)d[0] * d[1] * d[2] * d[3];
  t::vec<double> want(n);
  for (long long i = 0; i < n; ++i) {
    long long r = i;
    const long long i3 = r % d[3]; r /= d[3];
    const long long i2 = r % d[2]; r /= d[2];
    const long long i1 = r % d[1], i0 = r / d[1];
    want[i] = bin(op, a[i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3]], b[i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3]]);
  }
  auto ad = dev<T>(a), bd = dev<T>(b);
  t::vec<T> out(n);
  MT_LAUNCH(dim3(2), dim3(64), kernel, op, n, d[1], d[2], d[3], ad.data(), sa[0], sa[1], sa[2], sa[3], bd.data(), sb[0], sb[1], sb[2], sb[3], out.data());
  char name[96];
  std::snprintf(name, sizeof name, "%s op=%d shape=[%d,%d,%d,%d]", tag, op, d[0], d[1], d[2], d[3]);
  t::expect_close(name, host(out), want, tol, tol);
}

template <class T, class U, class UB>
void unary_cases(const char* tag, U un, UB ub, double tol) {
  const long long n = 300;
  for (int op = 0; op < 8; ++op) {
    auto x = (op == 6 || op == 7) ? t::uniform(n, 0.1f, 3.f) : t::randn(n, 2.f);
    auto dy = t::randn(n);
    if (sizeof(T) == 2) x = t::rounded_bf16(x), dy = t::rounded_bf16(dy);
    const double alpha = 1.5, beta = -0.25;
    t::vec<double> y(n), dx(n);
    for (long long i = 0; i < n; ++i) {
      const double v = x[i];
      double f, g;
      switch (op) {
        case 0: f = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
                g = 0.5 * (1 + std::erf(v / std::sqrt(2.0))) + v * std::exp(-v * v / 2) / std::sqrt(2 * M_PI); break;
        case 1: f = std::exp(v); g = f; break;
        case 2: f = std::tanh(v); g = 1 - f * f; break;
        case 3: f = 1 / (1 + std::exp(-v)); g = f * (1 - f); break;
        case 4: f = v > 0 ? v : 0; g = v > 0 ? 1 : 0; break;
        case 5: f = alpha * v + beta; g = alpha; break;
        case 6: f = std::log(v); g = 1 / v; break;
        default: f = std::sqrt(v); g = 0.5 / f; break;
      }
      y[i] = f, dx[i] = dy[i] * g;
    }
    auto xd = dev<T>(x), dyd = dev<T>(dy);
    t::vec<T> yd(n), dxd(n);
    MT_LAUNCH(dim3(1), dim3(128), un, op, n, xd.data(), yd.data(), float(alpha), float(beta));
    // Backward input: x for gelu/relu/log, the forward output for exp/tanh/sigmoid/sqrt.
    const bool uses_y = op == 1 || op == 2 || op == 3 || op == 7;
    t::vec<T> in = uses_y ? yd : xd;
    if (uses_y) {  // reference gradient from the kernel's (rounded) y, as the kernel sees it
      for (long long i = 0; i < n; ++i) {
        const double f = mt::to_f32(yd[i]);
        dx[i] = dy[i] * (op == 1 ? f : op == 2 ? 1 - f * f : op == 3 ? f * (1 - f) : 0.5 / f);
      }
    }
    MT_LAUNCH(dim3(1), dim3(128), ub, op, n, in.data(), dyd.data(), dxd.data(), float(alpha));
    char name[64];
    std::snprintf(name, sizeof name, "%s unary op=%d", tag, op);
    t::expect_close(std::string(name) + " y", host(yd), y, tol, tol);
    t::expect_close(std::string(name) + " dx", host(dxd), dx, tol, tol);
  }
}

}  // namespace

// out[r] = src[idx[r]] rows; an out-of-range index gives a zero row (no stray read)
void gather_case() {
  const int R = 6, C = 5;
  const int idx[7] = {4, 0, 4, 5, 2, -1, 6};
  auto src = t::randn(size_t(R * C));
  t::vec<float> out(7 * C, 123.f);
  t::vec<double> want(7 * C, 0.0);
  for (int r = 0; r < 7; ++r)
    for (int c = 0; c < C; ++c) want[r * C + c] = idx[r] >= 0 && idx[r] < R ? src[idx[r] * C + c] : 0.0;
  t::vec<float> s(src.begin(), src.end());
  t::vec<int> id(idx, idx + 7);
  MT_LAUNCH(dim3(2), dim3(16), ew_gather_rows_f32, 7LL * C, C, (long long)R, s.data(), id.data(), out.data());
  t::expect_close("ew_gather_rows f32 (two indices out of range)", out, want, 0, 0);
}

int main() {
  gather_case();
  for (int op = 0; op < 6; ++op) {
    const int d[4] = {2, 3, 5, 7};
    const int sa[4] = {105, 35, 7, 1};  // contiguous a
    const int sb[4] = {0, 0, 0, 1};     // b broadcast as a row [7]
    binary_case<float>("ew_binary f32 row-bcast", ew_binary_f32, op, d, sa, sb, 210, 7, 1e-6);
  }
  {
    const int d[4] = {1, 4, 6, 3};
    const int sa[4] = {0, 1, 12, 4};    // a stored [6, 3, 4] read transposed
    const int sb[4] = {0, 1, 0, 0};     // b per dim-1 [4], a "column" broadcast
    binary_case<float>("ew_binary f32 transposed+col-bcast", ew_binary_f32, 2, d, sa, sb, 72, 4, 1e-6);
    const int sc[4] = {0, 0, 0, 0};     // b a scalar
    binary_case<__nv_bfloat16>("ew_binary bf16 scalar", ew_binary_bf16, 3, d, sa, sc, 72, 1, 1e-2);
  }
  unary_cases<float>("f32", ew_unary_f32, ew_unary_bwd_f32, 1e-5);
  emu::set_reverse(true);
  unary_cases<__nv_bfloat16>("bf16", ew_unary_bf16, ew_unary_bwd_bf16, 2e-2);
  {
    t::vec<float> y(1000, 1.f), x = t::randn(1000), yb = y;
    MT_LAUNCH(dim3(3), dim3(128), ew_fill_f32, 999, 2.5f, y.data());
    t::vec<double> want(1000, 2.5); want[999] = 1.0;
    t::expect_close("ew_fill f32 (n=999 of 1000)", y, want, 0, 0);
    t::vec<double> w2(1000);
    for (int i = 0; i < 1000; ++i) w2[i] = 0.5 * x[i] - 2.0 * yb[i];
    MT_LAUNCH(dim3(3), dim3(128), ew_axpby_f32, 1000, 0.5f, x.data(), -2.f, yb.data());
    t::expect_close("ew_axpby f32", yb, w2, 1e-6, 1e-6);
    t::vec<float> nanv(1000, NAN);
    MT_LAUNCH(dim3(3), dim3(128), ew_axpby_f32, 1000, 2.f, x.data(), 0.f, nanv.data());
    for (int i = 0; i < 1000; ++i) w2[i] = 2.0 * x[i];
    t::expect_close("ew_axpby f32 b=0 ignores NaN y", nanv, w2, 1e-6, 1e-6);
    t::vec<float> v = {1.f, -2.5f, 3.14159f, 1e-8f, 65504.f, 1.00390625f, 1.01171875f};
    t::vec<__nv_bfloat16> b(v.size());
    t::vec<float> back(v.size());
    MT_LAUNCH(dim3(1), dim3(32), ew_f32_to_bf16, (long long)v.size(), v.data(), b.data());
    MT_LAUNCH(dim3(1), dim3(32), ew_bf16_to_f32, (long long)v.size(), b.data(), back.data());
    // round-to-nearest-even: 1.00390625 (a tie) -> 1.0, 1.01171875 (a tie) -> 1.015625
    t::vec<double> wantb = {1.0, -2.5, 3.140625, 1.0011717677116394e-08, 65536.0, 1.0, 1.015625};
    t::expect_close("f32 -> bf16 -> f32 round-to-nearest-even", back, wantb, 0, 0);
  }
  return t::finish("test_elementwise");
}
