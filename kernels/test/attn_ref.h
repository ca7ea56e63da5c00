// Double-precision attention reference (forward and backward) for the emulated tests.
#pragma once
#include <cmath>
#include <limits>
#include <vector>

#include "emu_test.h"

namespace ref {

struct Attn {
  int B, H, Nq, Nk, d;
  double scale;
  const t::vec<float>* bias = nullptr;  // [Bb, Hb, Nq, Nk]
  int Bb = 1, Hb = 1;
  const t::vec<float>* mask = nullptr;
  int Bm = 1, Hm = 1;

  double logit(const t::vec<float>& Q, const t::vec<float>& K, int bh, int i, int j) const {
    const int b = bh / H, h = bh % H;
    double s = 0;
    for (int t = 0; t < d; ++t)
      s += double(Q[((long long)bh * Nq + i) * d + t]) * K[((long long)bh * Nk + j) * d + t];
    s *= scale;
    if (bias) s += (*bias)[(((long long)(b % Bb) * Hb + h % Hb) * Nq + i) * Nk + j];
    if (mask) s += (*mask)[(((long long)(b % Bm) * Hm + h % Hm) * Nq + i) * Nk + j];
    return s;
  }

  // P[bh][i][j]; rows whose logits are all -inf give zeros and lse = -inf.
  void probs(const t::vec<float>& Q, const t::vec<float>& K, t::vec<double>& P,
             t::vec<double>& lse) const {
    P.assign((size_t)B * H * Nq * Nk, 0.0);
    lse.assign((size_t)B * H * Nq, -std::numeric_limits<double>::infinity());
    for (int bh = 0; bh < B * H; ++bh)
      for (int i = 0; i < Nq; ++i) {
        t::vec<double> s(Nk);
        double m = -std::numeric_limits<double>::infinity();
        for (int j = 0; j < Nk; ++j) s[j] = logit(Q, K, bh, i, j), m = std::max(m, s[j]);
        if (m == -std::numeric_limits<double>::infinity()) continue;
        double l = 0;
        for (int j = 0; j < Nk; ++j) l += std::exp(s[j] - m);
        for (int j = 0; j < Nk; ++j) P[((size_t)bh * Nq + i) * Nk + j] = std::exp(s[j] - m) / l;
        lse[(size_t)bh * Nq + i] = m + std::log(l);
      }
  }

  void forward(const t::vec<float>& Q, const t::vec<float>& K, const t::vec<float>& V,
               t::vec<double>& O, t::vec<double>& lse) const {
    t::vec<double> P;
    probs(Q, K, P, lse);
    O.assign((size_t)B * H * Nq * d, 0.0);
    for (int bh = 0; bh < B * H; ++bh)
      for (int i = 0; i < Nq; ++i)
        for (int j = 0; j < Nk; ++j) {
          const double pij = P[((size_t)bh * Nq + i) * Nk + j];
          for (int t = 0; t < d; ++t) O[((size_t)bh * Nq + i) * d + t] += pij * V[((size_t)bh * Nk + j) * d + t];
        }
  }

  // Gradients for upstream dO; dbias has the bias shape (summed over broadcast b, h).
  void backward(const t::vec<float>& Q, const t::vec<float>& K, const t::vec<float>& V,
                const t::vec<float>& dO, t::vec<double>& dQ, t::vec<double>& dK,
                t::vec<double>& dV, t::vec<double>& dbias) const {
    t::vec<double> P, lse;
    probs(Q, K, P, lse);
    dQ.assign(Q.size(), 0.0);
    dK.assign(K.size(), 0.0);
    dV.assign(V.size(), 0.0);
    dbias.assign((size_t)Bb * Hb * Nq * Nk, 0.0);
    for (int bh = 0; bh < B * H; ++bh) {
      const int b = bh / H, h = bh % H;
      for (int i = 0; i < Nq; ++i) {
        t::vec<double> dp(Nk), ds(Nk);
        double Di = 0;
        for (int j = 0; j < Nk; ++j) {
          double acc = 0;
          for (int t = 0; t < d; ++t)
            acc += double(dO[((size_t)bh * Nq + i) * d + t]) * V[((size_t)bh * Nk + j) * d + t];
          dp[j] = acc;
          Di += P[((size_t)bh * Nq + i) * Nk + j] * acc;
        }
        for (int j = 0; j < Nk; ++j) {
          const double pij = P[((size_t)bh * Nq + i) * Nk + j];
          ds[j] = pij * (dp[j] - Di);
          dbias[(((size_t)(b % Bb) * Hb + h % Hb) * Nq + i) * Nk + j] += ds[j];
          for (int t = 0; t < d; ++t) {
            dQ[((size_t)bh * Nq + i) * d + t] += scale * ds[j] * K[((size_t)bh * Nk + j) * d + t];
            dK[((size_t)bh * Nk + j) * d + t] += scale * ds[j] * Q[((size_t)bh * Nq + i) * d + t];
            dV[((size_t)bh * Nk + j) * d + t] += pij * dO[((size_t)bh * Nq + i) * d + t];
          }
        }
      }
    }
  }
};

}  // namespace ref
