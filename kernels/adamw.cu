// Fused AdamW step on fp32 master weights (PyTorch's AdamW semantics):
//   g  = grad * grad_scale
//   p  = p * (1 - lr * weight_decay)
//   m  = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2
//   p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)
// with bc1 = 1 - beta1^t and bc2 = 1 - beta2^t computed by the caller for step t >= 1.
// grad is fp32 or bf16 (suffix); p_bf16, when not null, receives a bf16 copy of the new p.
#include "common.cuh"

namespace {

template <typename G>
__device__ __forceinline__ void step(long long n, float* __restrict__ p, const G* __restrict__ grad,
                                     float* __restrict__ m, float* __restrict__ v, float lr,
                                     float beta1, float beta2, float eps, float weight_decay,
                                     float bc1, float bc2, float grad_scale,
                                     __nv_bfloat16* __restrict__ p_bf16) {
  const float step_size = lr / bc1, inv_sqrt_bc2 = rsqrtf(bc2), decay = 1.f - lr * weight_decay;
  MT_GRID_STRIDE_LOOP(i, n) {
    const float g = mt::to_f32(grad[i]) * grad_scale;
    const float mi = beta1 * m[i] + (1.f - beta1) * g;
    const float vi = beta2 * v[i] + (1.f - beta2) * g * g;
    const float pi = p[i] * decay - step_size * mi / (sqrtf(vi) * inv_sqrt_bc2 + eps);
    m[i] = mi;
    v[i] = vi;
    p[i] = pi;
    if (p_bf16 != nullptr) p_bf16[i] = __float2bfloat16_rn(pi);
  }
}

}  // namespace

#define ADAMW_KERNEL(SUFFIX, G)                                                                \
  extern "C" __global__ void __launch_bounds__(256)                                            \
      adamw_step_##SUFFIX(long long n, float* p, const G* grad, float* m, float* v, float lr,  \
                          float beta1, float beta2, float eps, float weight_decay, float bc1,  \
                          float bc2, float grad_scale, __nv_bfloat16* p_bf16) {                \
    step(n, p, grad, m, v, lr, beta1, beta2, eps, weight_decay, bc1, bc2, grad_scale, p_bf16); \
  }
ADAMW_KERNEL(f32, float)
ADAMW_KERNEL(bf16, __nv_bfloat16)
