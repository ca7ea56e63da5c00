// Test helpers for the kernel tests: seeded random data, bf16 rounding, tolerant comparison
// against double-precision references, and a pass/fail tally. The same tests run in the CPU
// emulator (cuda_emu.h, MT_EMU) or on a real GPU (gpu_test.h, managed memory).
#pragma once
#include <cinttypes>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace t {

#ifdef MT_EMU
template <class T> using vec = std::vector<T>;
#else
// Unified memory so that host-built test data can be handed to kernels as is.
template <class T> struct Managed {
  using value_type = T;
  Managed() = default;
  template <class U> Managed(const Managed<U>&) {}
  T* allocate(size_t n) {
    void* p = nullptr;
    if (cudaMallocManaged(&p, n * sizeof(T) + 16) != cudaSuccess) {
      std::fprintf(stderr, "cudaMallocManaged of %zu bytes failed\n", n * sizeof(T));
      std::abort();
    }
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { cudaFree(p); }
  template <class U> bool operator==(const Managed<U>&) const { return true; }
  template <class U> bool operator!=(const Managed<U>&) const { return false; }
};
template <class T> using vec = std::vector<T, Managed<T>>;
#endif

inline std::mt19937_64& rng() { static std::mt19937_64 r(1234567); return r; }
inline vec<float> randn(size_t n, float scale = 1.f) {
  std::normal_distribution<float> d(0.f, scale);
  vec<float> v(n);
  for (auto& x : v) x = d(rng());
  return v;
}
inline vec<float> uniform(size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  vec<float> v(n);
  for (auto& x : v) x = d(rng());
  return v;
}
inline float round_bf16(float x) { return __bfloat162float(__float2bfloat16_rn(x)); }
inline vec<__nv_bfloat16> to_bf16(const vec<float>& v) {
  vec<__nv_bfloat16> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) r[i] = __float2bfloat16_rn(v[i]);
  return r;
}
inline vec<float> from_bf16(const vec<__nv_bfloat16>& v) {
  vec<float> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) r[i] = __bfloat162float(v[i]);
  return r;
}
inline vec<float> rounded_bf16(vec<float> v) {
  for (auto& x : v) x = round_bf16(x);
  return v;
}
inline float round_tf32(float x) {
  const unsigned u = emu::f32_to_tf32(x);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline int& failures() { static int f = 0; return f; }
inline int& checks() { static int c = 0; return c; }

// |got - want| <= atol + rtol*|want| elementwise; NaN/inf must match exactly.
template <class G, class W>
bool expect_close(const std::string& what, const G& got, const W& want, double atol, double rtol) {
  ++checks();
  if (got.size() != want.size()) {
    std::printf("FAIL %s: size %zu, expected %zu\n", what.c_str(), got.size(), want.size());
    ++failures();
    return false;
  }
  double worst = 0;
  size_t bad = 0, first = size_t(-1);
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = double(got[i]), w = double(want[i]);
    bool ok;
    if (std::isnan(w) || std::isinf(w)) ok = (std::isnan(w) && std::isnan(g)) || g == w;
    else ok = std::isfinite(g) && std::fabs(g - w) <= atol + rtol * std::fabs(w);
    if (std::isfinite(g) && std::isfinite(w)) worst = std::max(worst, std::fabs(g - w));
    if (!ok) { ++bad; if (first == size_t(-1)) first = i; }
  }
  if (bad) {
    std::printf("FAIL %s: %zu of %zu off (first at %zu: got %.7g, want %.7g), max abs err %.3g\n",
                what.c_str(), bad, got.size(), first, double(got[first]), double(want[first]), worst);
    ++failures();
    return false;
  }
  std::printf("ok   %s (n=%zu, max abs err %.3g)\n", what.c_str(), got.size(), worst);
  return true;
}

inline void expect(const std::string& what, bool cond) {
  ++checks();
  if (!cond) { std::printf("FAIL %s\n", what.c_str()); ++failures(); }
  else std::printf("ok   %s\n", what.c_str());
}

inline int finish(const char* suite) {
  std::printf("%s: %d checks, %d failed\n", suite, checks(), failures());
  return failures() == 0 ? 0 : 1;
}

inline unsigned blocks_for(long long n, int threads) { return unsigned((n + threads - 1) / threads); }

// Test data in a kernel's element type and back, through the kernels' own conversions (mt::, common.cuh).
template <class T> vec<T> dev(const vec<float>& v) {
  vec<T> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) r[i] = mt::from_f32<T>(v[i]);
  return r;
}
template <class T> vec<float> host(const vec<T>& v) {
  vec<float> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) r[i] = mt::to_f32(v[i]);
  return r;
}

}  // namespace t
