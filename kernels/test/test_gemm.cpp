// Emulated tests of kernels/gemm.cu against a double-precision reference: all four kernels,
// all transpose combinations, odd sizes across several tiles, padded leading dimensions
// (padding must stay untouched), batch broadcast (stride 0), beta, and every epilogue.
#include "../gemm.cu"
#include "emu_test.h"

namespace {

struct Case {
  int ta, tb, M, N, K, batch;
  int pad;  // extra leading-dimension elements (0 keeps rows 16-byte aligned when sizes allow)
  bool broadcastA;
  float alpha, beta;
  int flags;
};

template <class TIn, class TC, class Kernel>
void run_case(const char* kname, Kernel kernel, const Case& c, double atol, double rtol,
              float (*round_in)(float)) {
  const int lda = (c.ta ? c.M : c.K) + c.pad, ldb = (c.tb ? c.K : c.N) + c.pad;
  const int ldc = c.N + c.pad, ldr = c.N + 3;
  const long long a_rows = c.ta ? c.K : c.M, b_rows = c.tb ? c.N : c.K;
  const long long sA = c.broadcastA ? 0 : a_rows * lda, sB = b_rows * ldb;
  const long long sC = (long long)c.M * ldc, sR = (long long)c.M * ldr;
  auto A = t::randn(size_t(c.broadcastA ? a_rows * lda : sA * c.batch));
  auto B = t::randn(size_t(sB * c.batch));
  auto C0 = t::randn(size_t(sC * c.batch));
  auto bias = t::randn(size_t(c.N));
  auto R = t::randn(size_t(sR * c.batch));
  // Inputs as the kernel sees them (rounded to bf16/tf32), so the reference is exact.
  t::vec<TIn> Ad(A.size()), Bd(B.size());
  for (size_t i = 0; i < A.size(); ++i) { A[i] = round_in(A[i]); Ad[i] = mt::from_f32<TIn>(A[i]); }
  for (size_t i = 0; i < B.size(); ++i) { B[i] = round_in(B[i]); Bd[i] = mt::from_f32<TIn>(B[i]); }
  t::vec<TC> Cd(C0.size()), biasd(bias.size()), Rd(R.size()), auxd(C0.size());
  for (size_t i = 0; i < C0.size(); ++i) { Cd[i] = mt::from_f32<TC>(C0[i]); C0[i] = mt::to_f32(Cd[i]); }
  for (size_t i = 0; i < bias.size(); ++i) { biasd[i] = mt::from_f32<TC>(bias[i]); bias[i] = mt::to_f32(biasd[i]); }
  for (size_t i = 0; i < R.size(); ++i) { Rd[i] = mt::from_f32<TC>(R[i]); R[i] = mt::to_f32(Rd[i]); }
  for (auto& x : auxd) x = mt::from_f32<TC>(-7.f);

  t::vec<double> want(C0.begin(), C0.end()), want_aux(C0.size(), -7.0);
  for (int b = 0; b < c.batch; ++b)
    for (int m = 0; m < c.M; ++m)
      for (int n = 0; n < c.N; ++n) {
        double acc = 0;
        for (int k = 0; k < c.K; ++k) {
          double a = A[b * sA + (c.ta ? (long long)k * lda + m : (long long)m * lda + k)];
          double bv = B[b * sB + (c.tb ? (long long)n * ldb + k : (long long)k * ldb + n)];
          acc += a * bv;
        }
        const long long idx = b * sC + (long long)m * ldc + n;
        double v = c.alpha * acc + (c.beta != 0 ? c.beta * C0[idx] : 0.0);
        if (c.flags & 1) v += bias[n];
        if (c.flags & 2) { want_aux[idx] = v; v = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }
        if (c.flags & 4) v += R[b * sR + (long long)m * ldr + n];
        want[idx] = v;
      }

  dim3 grid((c.N + 127) / 128, (c.M + 127) / 128, std::min(c.batch, 2));  // z < batch: loop
  MT_LAUNCH(grid, dim3(256), kernel, c.ta, c.tb, c.M, c.N, c.K, c.alpha, Ad.data(), lda, sA, Bd.data(), ldb, sB, c.beta, Cd.data(), ldc, sC, c.batch, biasd.data(), Rd.data(), ldr, sR, (c.flags & 2) ? auxd.data() : nullptr, c.flags);
  t::vec<float> got(Cd.size()), got_aux(auxd.size());
  for (size_t i = 0; i < Cd.size(); ++i) got[i] = mt::to_f32(Cd[i]), got_aux[i] = mt::to_f32(auxd[i]);
  char name[200];
  std::snprintf(name, sizeof name, "%s ta=%d tb=%d M=%d N=%d K=%d batch=%d pad=%d bcastA=%d beta=%g flags=%d",
                kname, c.ta, c.tb, c.M, c.N, c.K, c.batch, c.pad, c.broadcastA, c.beta, c.flags);
  t::expect_close(name, got, want, atol, rtol);
  if (c.flags & 2) t::expect_close(std::string(name) + " aux", got_aux, want_aux, atol, rtol);
}

float identity(float x) { return x; }
float to_bf16(float x) { return t::round_bf16(x); }

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "quick";
  t::vec<Case> cases;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      cases.push_back({ta, tb, 37, 45, 19, 1, 1, false, 1.f, 0.f, 0});    // odd, misaligned rows
      cases.push_back({ta, tb, 64, 48, 40, 3, 0, true, 0.5f, 0.f, 7});     // aligned, batch, epilogue
      if (!quick) cases.push_back({ta, tb, 130, 136, 70, 1, 8, false, 1.f, 0.75f, 1});  // 2x2 tiles, beta
    }
  cases.push_back({0, 1, 5, 3, 0, 2, 0, false, 1.f, 0.5f, 5});  // K = 0: only beta*C + epilogue
  emu::set_reverse(false);
  for (const auto& c : cases) run_case<float, float>("gemm_f32", gemm_f32, c, 1e-4, 1e-4, identity);
  emu::set_reverse(true);
  for (const auto& c : cases) run_case<float, float>("gemm_tf32", gemm_tf32, c, 1e-4, 1e-4, t::round_tf32);
  emu::set_reverse(false);
  for (const auto& c : cases)
    run_case<__nv_bfloat16, float>("gemm_bf16_f32c", gemm_bf16_f32c, c, 1e-4, 1e-4, to_bf16);
  emu::set_reverse(true);
  for (const auto& c : cases)
    run_case<__nv_bfloat16, __nv_bfloat16>("gemm_bf16", gemm_bf16, c, 2e-2, 1e-2, to_bf16);
  return t::finish("test_gemm");
}
