// Emulated tests of kernels/gemm.cu against a double-precision reference: all kernels (the
// fp32 v2 ones too), all transpose combinations, odd sizes across several tiles, padded
// leading dimensions (padding must stay untouched), base pointers off 16-byte alignment,
// batch broadcast (stride 0), batches looped by one block, beta, and every epilogue.
#include "../gemm.cu"
#include "emu_test.h"

namespace {

struct Case {
  int ta, tb, M, N, K, batch;
  int pad;  // extra leading-dimension elements (0 keeps rows 16-byte aligned when sizes allow)
  bool broadcastA;
  float alpha, beta;
  int flags;
  int offset = 0;  // elements by which the A, B and C pointers are shifted (breaks 16-byte alignment)
};

template <class TIn, class TC, class Kernel>
void run_case(const char* kname, Kernel kernel, const Case& c, double atol, double rtol,
              float (*round_in)(float), int tile = 128) {
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
  const size_t off = size_t(c.offset);
  t::vec<TIn> Ad(A.size() + off), Bd(B.size() + off);
  for (size_t i = 0; i < A.size(); ++i) { A[i] = round_in(A[i]); Ad[off + i] = mt::from_f32<TIn>(A[i]); }
  for (size_t i = 0; i < B.size(); ++i) { B[i] = round_in(B[i]); Bd[off + i] = mt::from_f32<TIn>(B[i]); }
  t::vec<TC> Cd(C0.size() + off), biasd(bias.size()), Rd(R.size()), auxd(C0.size());
  for (size_t i = 0; i < C0.size(); ++i) { Cd[off + i] = mt::from_f32<TC>(C0[i]); C0[i] = mt::to_f32(Cd[off + i]); }
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

  dim3 grid((c.N + tile - 1) / tile, (c.M + tile - 1) / tile, std::min(c.batch, 2));  // z < batch: loop
  MT_LAUNCH(grid, dim3(256), kernel, c.ta, c.tb, c.M, c.N, c.K, c.alpha, Ad.data() + off, lda, sA, Bd.data() + off, ldb, sB, c.beta, Cd.data() + off, ldc, sC, c.batch, biasd.data(), Rd.data(), ldr, sR, (c.flags & 2) ? auxd.data() : nullptr, c.flags);
  t::vec<float> got(C0.size()), got_aux(auxd.size());
  for (size_t i = 0; i < C0.size(); ++i) got[i] = mt::to_f32(Cd[off + i]), got_aux[i] = mt::to_f32(auxd[i]);
  char name[220];
  std::snprintf(name, sizeof name, "%s ta=%d tb=%d M=%d N=%d K=%d batch=%d pad=%d bcastA=%d beta=%g flags=%d offset=%d",
                kname, c.ta, c.tb, c.M, c.N, c.K, c.batch, c.pad, c.broadcastA, c.beta, c.flags, c.offset);
  t::expect_close(name, got, want, atol, rtol);
  if (c.flags & 2) t::expect_close(std::string(name) + " aux", got_aux, want_aux, atol, rtol);
}

float identity(float x) { return x; }

// gemm_f32_v2 is one kernel per tile and transpose combination; CudaBackend picks the same way.
using GemmF32Kernel = decltype(&gemm_f32);
GemmF32Kernel gemm_f32_v2_for(int tile, int ta, int tb) {
  if (tile == 64) return ta ? (tb ? gemm_f32_v2_64_tt : gemm_f32_v2_64_tn) : (tb ? gemm_f32_v2_64_nt : gemm_f32_v2_64_nn);
  return ta ? (tb ? gemm_f32_v2_128_tt : gemm_f32_v2_128_tn) : (tb ? gemm_f32_v2_128_nt : gemm_f32_v2_128_nn);
}
float to_bf16(float x) { return t::round_bf16(x); }

// Split-K as CudaBackend runs it: one gemm_f32_v2 launch with batch = S whose strides step
// along K into a workspace [S, M, N] (beta 0), then gemm_f32_splitk_reduce into C.
void run_split_case(int tile, int ta, int tb, int M, int N, int K, int S, float alpha, float beta) {
  const int ks = K / S, lda = ta ? M : K, ldb = tb ? K : N;
  auto A = t::randn(size_t(M) * K), B = t::randn(size_t(K) * N), C = t::randn(size_t(M) * N);
  t::vec<double> want(C.size());
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      double acc = 0;
      for (int k = 0; k < K; ++k)
        acc += double(A[ta ? size_t(k) * lda + m : size_t(m) * lda + k]) * B[tb ? size_t(n) * ldb + k : size_t(k) * ldb + n];
      want[size_t(m) * N + n] = alpha * acc + (beta != 0 ? beta * double(C[size_t(m) * N + n]) : 0.0);
    }
  if (beta == 0) for (auto& x : C) x = NAN;  // beta 0: C's old value must not be read
  t::vec<float> W(size_t(S) * M * N, -7.f);
  const long long sA = ta ? (long long)ks * lda : ks, sB = tb ? ks : (long long)ks * ldb;
  dim3 grid((N + tile - 1) / tile, (M + tile - 1) / tile, S);
  MT_LAUNCH(grid, dim3(256), gemm_f32_v2_for(tile, ta, tb), ta, tb, M, N, ks, alpha, A.data(), lda, sA, B.data(), ldb, sB, 0.f, W.data(), N, (long long)M * N, S, nullptr, nullptr, 0, 0LL, nullptr, 0);
  const long long mn = (long long)M * N;
  MT_LAUNCH(dim3(t::blocks_for(mn, 256)), dim3(256), gemm_f32_splitk_reduce, S, mn, W.data(), C.data(), beta);
  char name[160];
  std::snprintf(name, sizeof name, "gemm_f32_v2_%d split-K S=%d ta=%d tb=%d M=%d N=%d K=%d beta=%g", tile, S, ta, tb, M, N, K, beta);
  t::expect_close(name, C, want, 1e-4, 1e-4);
}

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
  // v2 (128x128x16 tiles, 3 stages): also K spanning many stages, batches whose last k-tile
  // sits in stage 0 or 1 (the next batch's first loads must wait for it), rows that are
  // 16-byte aligned but end inside a float4 chunk, and misaligned base pointers.
  t::vec<Case> v2_cases = cases;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      v2_cases.push_back({ta, tb, 45, 53, 37, 1, 3, false, 1.f, 0.5f, 6});     // aligned rows, partial chunks
      v2_cases.push_back({ta, tb, 40, 36, 50, 3, 0, true, 1.f, 0.f, 2});      // 4 k-tiles, batch loop
      v2_cases.push_back({ta, tb, 33, 20, 20, 3, 0, false, 1.f, 0.f, 4});     // 2 k-tiles, batch loop
      v2_cases.push_back({ta, tb, 36, 44, 24, 2, 0, false, 1.f, 0.25f, 7, 1}); // misaligned pointers
      if (!quick) {
        v2_cases.push_back({ta, tb, 20, 24, 200, 1, 0, false, 1.f, 0.f, 0});  // 13 k-tiles
        v2_cases.push_back({ta, tb, 131, 257, 9, 1, 4, false, 2.f, 0.f, 1});  // 2x3 tiles, K < BK
      }
    }
  for (int tile : {128, 64})
    for (int reverse = 0; reverse < 2; ++reverse) {
      emu::set_reverse(reverse == 1);
      const std::string kname = "gemm_f32_v2_" + std::to_string(tile);
      for (const auto& c : v2_cases)
        run_case<float, float>(kname.c_str(), gemm_f32_v2_for(tile, c.ta, c.tb), c, 1e-4, 1e-4, identity, tile);
    }
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      run_split_case(128, ta, tb, 37, 70, 120, 3, 0.5f, 0.f);  // K-slices of 40: partial k-tiles
      run_split_case(64, ta, tb, 70, 37, 128, 4, 1.f, 0.75f);
    }
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
