// A small CUDA emulator for testing kernels/*.cu on a CPU (no GPU on the build machines).
// Each thread of a block is a fiber (ucontext); blocks run one after another, so
// `__shared__` maps to `static`. __syncthreads and warp operations (shuffles, ldmatrix,
// mma.sync) are barriers in a cooperative scheduler; misuse (a barrier that some threads
// never reach, a warp op with exited lanes, misaligned ldmatrix/cp.async) aborts with a
// message. Fibers run in forward or reverse order (set_reverse) to expose missing barriers.
// It checks semantics, not speed; include it before any kernel source (g++ -include).
#pragma once
#include <ucontext.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#define MT_EMU 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))

using std::max;
using std::min;

struct uint3 { unsigned x, y, z; };
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) float2 { float x, y; };
inline float4 make_float4(float a, float b, float c, float d) { return {a, b, c, d}; }

inline uint3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
constexpr int warpSize = 32;

struct __nv_bfloat16 { unsigned short x; };
inline float __bfloat162float(__nv_bfloat16 v) {
  uint32_t u = uint32_t(v.x) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline __nv_bfloat16 __float2bfloat16_rn(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return {uint16_t((u >> 16) | 0x40)};  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return {uint16_t(u >> 16)};
}

inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float rsqrtf(float x) { return 1.f / std::sqrt(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __int_as_float(int v) { float f; std::memcpy(&f, &v, 4); return f; }
inline int __float_as_int(float v) { int i; std::memcpy(&i, &v, 4); return i; }
inline unsigned __float_as_uint(float v) { unsigned i; std::memcpy(&i, &v, 4); return i; }
inline float __uint_as_float(unsigned v) { float f; std::memcpy(&f, &v, 4); return f; }
template <class T> inline T __ldg(const T* p) { return *p; }

namespace emu {

enum State { RUNNABLE, BLOCK_BAR, WARP_BAR, DONE };
struct Fiber {
  ucontext_t ctx;
  std::vector<char> stack;
  State st;
  uint3 tid;
};
struct Slot { uint64_t v[8]; const void* p; };
struct Ctx {
  std::vector<Fiber> fibers;
  ucontext_t sched;
  int cur = 0, n = 0;
  bool reverse = false;
  std::vector<Slot> slots;
  std::function<void()> body;
};
inline Ctx& ctx() { static Ctx c; return c; }
inline void set_reverse(bool r) { ctx().reverse = r; }

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "emu error: %s (block %u,%u,%u; thread %u,%u,%u)\n", what, blockIdx.x,
               blockIdx.y, blockIdx.z, threadIdx.x, threadIdx.y, threadIdx.z);
  std::abort();
}
inline void wait_in(State s) {
  Ctx& c = ctx();
  c.fibers[c.cur].st = s;
  swapcontext(&c.fibers[c.cur].ctx, &c.sched);
}
inline void trampoline() {
  Ctx& c = ctx();
  c.body();
  c.fibers[c.cur].st = DONE;  // uc_link returns to the scheduler
}

inline void run_block() {
  Ctx& c = ctx();
  for (;;) {
    for (int k = 0; k < c.n; ++k) {
      int t = c.reverse ? c.n - 1 - k : k;
      if (c.fibers[t].st != RUNNABLE) continue;
      c.cur = t;
      threadIdx = c.fibers[t].tid;
      swapcontext(&c.sched, &c.fibers[t].ctx);
    }
    int done = 0, bar = 0;
    for (int t = 0; t < c.n; ++t) done += c.fibers[t].st == DONE, bar += c.fibers[t].st == BLOCK_BAR;
    if (done == c.n) return;
    bool released = false;
    for (int w = 0; w * 32 < c.n; ++w) {
      int lo = w * 32, hi = std::min(c.n, lo + 32), at = 0, gone = 0;
      for (int t = lo; t < hi; ++t) at += c.fibers[t].st == WARP_BAR, gone += c.fibers[t].st == DONE;
      if (at > 0 && gone > 0) { c.cur = lo; fail("warp operation with exited lanes"); }
      if (at == hi - lo) {
        for (int t = lo; t < hi; ++t) c.fibers[t].st = RUNNABLE;
        released = true;
      }
    }
    if (released) continue;
    if (bar + done == c.n) {
      if (done > 0) fail("__syncthreads reached by only part of the block (others exited)");
      for (int t = 0; t < c.n; ++t) c.fibers[t].st = RUNNABLE;
      continue;
    }
    fail("deadlock: threads wait at different barriers");
  }
}

// Runs kernel_call (a lambda calling the kernel) for every block of the grid.
inline void launch(dim3 grid, dim3 block, std::function<void()> kernel_call) {
  Ctx& c = ctx();
  c.n = int(block.x * block.y * block.z);
  if (c.n > 1024 || c.n <= 0) fail("block size must be 1..1024");
  c.body = std::move(kernel_call);
  if (int(c.fibers.size()) < c.n) c.fibers.resize(c.n);
  c.slots.assign(c.n, Slot{});
  gridDim = grid;
  blockDim = block;
  const size_t stack_bytes = 256 * 1024;
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        blockIdx = {bx, by, bz};
        for (int t = 0; t < c.n; ++t) {
          Fiber& f = c.fibers[t];
          if (f.stack.size() != stack_bytes) f.stack.assign(stack_bytes, 0);
          getcontext(&f.ctx);
          f.ctx.uc_stack.ss_sp = f.stack.data();
          f.ctx.uc_stack.ss_size = f.stack.size();
          f.ctx.uc_link = &c.sched;
          makecontext(&f.ctx, trampoline, 0);
          f.st = RUNNABLE;
          f.tid = {unsigned(t % block.x), unsigned((t / block.x) % block.y),
                   unsigned(t / (block.x * block.y))};
        }
        run_block();
      }
}

inline int lane() { return ctx().cur & 31; }
inline Slot& slot(int lane_in_warp) { return ctx().slots[(ctx().cur & ~31) + lane_in_warp]; }

template <class T> inline T exchange(T v, int src_lane) {
  std::memcpy(slot(lane()).v, &v, sizeof(T));
  wait_in(WARP_BAR);
  T r;
  std::memcpy(&r, slot(src_lane & 31).v, sizeof(T));
  wait_in(WARP_BAR);
  return r;
}

inline void ldmatrix_x4(unsigned r[4], const void* row, bool trans) {
  if (reinterpret_cast<uintptr_t>(row) % 16 != 0) fail("ldmatrix row address not 16-byte aligned");
  slot(lane()).p = row;
  wait_in(WARP_BAR);
  const int l = lane();
  for (int j = 0; j < 4; ++j) {
    if (!trans) {
      const char* p = static_cast<const char*>(slot(j * 8 + l / 4).p);
      std::memcpy(&r[j], p + (l % 4) * 4, 4);
    } else {
      const char* p0 = static_cast<const char*>(slot(j * 8 + (l % 4) * 2).p);
      const char* p1 = static_cast<const char*>(slot(j * 8 + (l % 4) * 2 + 1).p);
      uint16_t lo, hi;
      std::memcpy(&lo, p0 + (l / 4) * 2, 2);
      std::memcpy(&hi, p1 + (l / 4) * 2, 2);
      r[j] = unsigned(lo) | (unsigned(hi) << 16);
    }
  }
  wait_in(WARP_BAR);
}

inline float bf16_bits(unsigned reg, int half) {
  return __bfloat162float(__nv_bfloat16{uint16_t(half ? reg >> 16 : reg & 0xffffu)});
}

// Fragment layouts as in the PTX ISA (mma.m16n8k16 .bf16 and mma.m16n8k8 .tf32).
inline void mma_bf16_16816(float d[4], const unsigned a[4], const unsigned b[2]) {
  Slot& s = slot(lane());
  for (int i = 0; i < 4; ++i) s.v[i] = a[i];
  s.v[4] = b[0];
  s.v[5] = b[1];
  wait_in(WARP_BAR);
  float A[16][16], B[16][8];
  for (int L = 0; L < 32; ++L) {
    const Slot& o = slot(L);
    int g = L / 4, t = L % 4;
    for (int h = 0; h < 2; ++h) {
      A[g][2 * t + h] = bf16_bits(unsigned(o.v[0]), h);
      A[g + 8][2 * t + h] = bf16_bits(unsigned(o.v[1]), h);
      A[g][8 + 2 * t + h] = bf16_bits(unsigned(o.v[2]), h);
      A[g + 8][8 + 2 * t + h] = bf16_bits(unsigned(o.v[3]), h);
      B[2 * t + h][g] = bf16_bits(unsigned(o.v[4]), h);
      B[8 + 2 * t + h][g] = bf16_bits(unsigned(o.v[5]), h);
    }
  }
  const int g = lane() / 4, t = lane() % 4;
  for (int i = 0; i < 4; ++i) {
    int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
    float acc = 0.f;
    for (int k = 0; k < 16; ++k) acc += A[row][k] * B[k][col];
    d[i] += acc;
  }
  wait_in(WARP_BAR);
}

inline void mma_tf32_1688(float d[4], const unsigned a[4], const unsigned b[2]) {
  Slot& s = slot(lane());
  for (int i = 0; i < 4; ++i) s.v[i] = a[i];
  s.v[4] = b[0];
  s.v[5] = b[1];
  wait_in(WARP_BAR);
  float A[16][8], B[8][8];
  for (int L = 0; L < 32; ++L) {
    const Slot& o = slot(L);
    int g = L / 4, t = L % 4;
    A[g][t] = __uint_as_float(unsigned(o.v[0]));
    A[g + 8][t] = __uint_as_float(unsigned(o.v[1]));
    A[g][t + 4] = __uint_as_float(unsigned(o.v[2]));
    A[g + 8][t + 4] = __uint_as_float(unsigned(o.v[3]));
    B[t][g] = __uint_as_float(unsigned(o.v[4]));
    B[t + 4][g] = __uint_as_float(unsigned(o.v[5]));
  }
  const int g = lane() / 4, t = lane() % 4;
  for (int i = 0; i < 4; ++i) {
    int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
    float acc = 0.f;
    for (int k = 0; k < 8; ++k) acc += A[row][k] * B[k][col];
    d[i] += acc;
  }
  wait_in(WARP_BAR);
}

inline unsigned f32_to_tf32(float v) {
  unsigned u = __float_as_uint(v);
  if ((u & 0x7f800000u) != 0x7f800000u) u += 0x1000u;  // round half away from zero
  return u & 0xffffe000u;
}

inline void cp_async_16(void* smem, const void* gmem, int src_bytes) {
  if (reinterpret_cast<uintptr_t>(smem) % 16 || reinterpret_cast<uintptr_t>(gmem) % 16)
    fail("cp.async address not 16-byte aligned");
  if (src_bytes < 0 || src_bytes > 16) fail("cp.async src_bytes out of 0..16");
  std::memset(smem, 0, 16);
  if (src_bytes > 0) std::memcpy(smem, gmem, size_t(src_bytes));
}

}  // namespace emu

inline void __syncthreads() { emu::wait_in(emu::BLOCK_BAR); }
inline void __syncwarp(unsigned = 0xffffffffu) { emu::wait_in(emu::WARP_BAR); }
template <class T> inline T __shfl_xor_sync(unsigned, T v, int m, int = 32) {
  return emu::exchange(v, emu::lane() ^ m);
}
template <class T> inline T __shfl_down_sync(unsigned, T v, unsigned d, int = 32) {
  int src = emu::lane() + int(d);
  return emu::exchange(v, src < 32 ? src : emu::lane());
}
template <class T> inline T __shfl_sync(unsigned, T v, int src, int = 32) {
  return emu::exchange(v, src);
}
// Kernel launch as written by the tests (gpu_test.h defines the GPU version).
#define MT_LAUNCH(grid, block, kernel, ...) emu::launch(grid, block, [&] { kernel(__VA_ARGS__); })

inline float atomicAdd(float* p, float v) { float o = *p; *p = o + v; return o; }
inline int atomicAdd(int* p, int v) { int o = *p; *p = o + v; return o; }
