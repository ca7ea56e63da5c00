// Emulated tests of kernels/reduce.cu: row sums, column sums (partial + final), sum to a
// broadcast shape, whole-tensor sum / sum of squares / max |x|, accumulate flags.
#include "../reduce.cu"
#include "emu_test.h"

int main() {
  const long long R = 37; const int C = 300;
  auto x = t::randn(size_t(R * C));
  t::vec<double> rows_ref(R, 0), cols_ref(C, 0);
  for (long long r = 0; r < R; ++r) for (int c = 0; c < C; ++c) rows_ref[r] += 2.0 * x[r * C + c], cols_ref[c] += x[r * C + c];
  t::vec<float> rows(R);
  MT_LAUNCH(dim3(t::blocks_for(R, 8)), dim3(256), reduce_rows_f32, x.data(), rows.data(), R, C, 2.f, 0);
  t::expect_close("reduce_rows f32 alpha=2", rows, rows_ref, 1e-4, 1e-5);
  const int chunks = 4;
  t::vec<float> part(size_t(chunks) * C), cols(C, 1.f);
  MT_LAUNCH(dim3(t::blocks_for(C, 256), chunks), dim3(256), reduce_cols_partial_f32, x.data(), R, C, part.data());
  MT_LAUNCH(dim3(t::blocks_for(C, 256)), dim3(256), reduce_cols_final, part.data(), C, chunks, cols.data(), 1.f, 1);
  for (auto& v : cols_ref) v += 1.0;
  t::expect_close("reduce_cols f32 accumulate", cols, cols_ref, 1e-4, 1e-5);

  // [2, 3, 4, 5] -> [1, 3, 1, 5] and -> [2, 1, 4, 1]
  auto y = t::randn(120);
  auto yb = t::to_bf16(y);
  y = t::from_bf16(yb);
  for (int variant = 0; variant < 2; ++variant) {
    int e[4] = {1, 3, 1, 5};
    if (variant) e[0] = 2, e[1] = 1, e[2] = 4, e[3] = 1;
    t::vec<double> want(size_t(e[0]) * e[1] * e[2] * e[3], 0.0);
    for (int a = 0; a < 2; ++a) for (int b = 0; b < 3; ++b) for (int c = 0; c < 4; ++c) for (int f = 0; f < 5; ++f) {
      const int o = (((e[0] == 1 ? 0 : a) * e[1] + (e[1] == 1 ? 0 : b)) * e[2] + (e[2] == 1 ? 0 : c)) * e[3] + (e[3] == 1 ? 0 : f);
      want[o] += 0.5 * y[((a * 3 + b) * 4 + c) * 5 + f];
    }
    t::vec<float> out(want.size());
    MT_LAUNCH(dim3(1), dim3(64), reduce_to_shape_bf16, yb.data(), 2, 3, 4, 5, e[0], e[1], e[2], e[3], out.data(), 0.5f, 0);
    t::expect_close(variant ? "reduce_to_shape bf16 -> [2,1,4,1]" : "reduce_to_shape bf16 -> [1,3,1,5]", out, want, 1e-5, 1e-5);
  }
  double s = 0, sq = 0, mx = 0;
  for (auto v : x) s += v, sq += double(v) * v, mx = std::max(mx, double(std::fabs(v)));
  for (int op = 0; op < 3; ++op) {
    t::vec<float> out(1, 0.f);
    MT_LAUNCH(dim3(1), dim3(1024), reduce_all_f32, op, R * C, x.data(), out.data(), 0);
    const char* names[] = {"reduce_all sum", "reduce_all sumsq", "reduce_all max|x|"};
    t::expect_close(names[op], out, t::vec<double>{op == 0 ? s : op == 1 ? sq : mx}, 1e-3, 1e-5);
  }
  return t::finish("test_reduce");
}
