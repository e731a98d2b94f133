// Each kernel against a slow, obvious reference on random inputs, at sizes that are not multiples
// of the vector width.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/kernels/conv.hpp"
#include "engine/kernels/math.hpp"
#include "engine/kernels/matmul.hpp"
#include "engine/kernels/norm.hpp"
#include "engine/kernels/scan.hpp"
#include "engine/model/tensor.hpp"

namespace mamba::kernels {
namespace {

std::vector<float> randn(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

double max_rel(const std::vector<float>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num / den);
}

double silu_d(double x) {
  return x / (1 + std::exp(-x));
}

TEST(Kernels, FastExpIsAccurateOverTheRangeTheScansUse) {
  for (float x = -87.0f; x <= 20.0f; x += 0.0137f) {
    const double ref = std::exp(static_cast<double>(x));
    EXPECT_NEAR(fast_exp(x) / ref, 1.0, 4e-7) << x;
  }
  EXPECT_EQ(fast_exp(-1000.0f), 0.0f);
  EXPECT_EQ(fast_exp(0.0f), 1.0f);
}

TEST(Kernels, SoftplusUsesThreshold20) {
  EXPECT_FLOAT_EQ(softplus(25.0f), 25.0f);
  EXPECT_NEAR(softplus(-30.0f), std::exp(-30.0), 1e-20);
  EXPECT_NEAR(softplus(1.0f), std::log1p(std::exp(1.0)), 1e-6);
}

TEST(Kernels, MatmulBf16EqualsF32OnWidenedWeights) {
  for (int T : {1, 2, 7, 33}) {
    for (auto [out, in] : {std::pair{5, 17}, std::pair{67, 129}, std::pair{130, 64}}) {
      const auto X = randn(static_cast<size_t>(T) * in, 1);
      const auto Wf = randn(static_cast<size_t>(out) * in, 2);
      std::vector<uint16_t> Wb(Wf.size());
      std::vector<float> Ww(Wf.size());
      for (size_t i = 0; i < Wf.size(); ++i) {
        Wb[i] = f32_to_bf16(Wf[i]);
        Ww[i] = bf16_to_f32(Wb[i]);
      }
      std::vector<float> y(static_cast<size_t>(T) * out), yb(y.size());
      matmul_f32(X.data(), in, T, in, Ww.data(), out, y.data(), out);
      matmul_bf16(X.data(), in, T, in, Wb.data(), out, yb.data(), out);
      std::vector<double> ref(y.size());
      for (int t = 0; t < T; ++t) {
        for (int o = 0; o < out; ++o) {
          double s = 0;
          for (int i = 0; i < in; ++i) s += static_cast<double>(X[t * in + i]) * Ww[o * in + i];
          ref[t * out + o] = s;
        }
      }
      EXPECT_LT(max_rel(y, ref), 1e-6) << T << " " << out << " " << in;
      EXPECT_LT(max_rel(yb, ref), 1e-6) << T << " " << out << " " << in;
    }
  }
}

TEST(Kernels, CausalConvInPiecesEqualsWholeAndKeepsTheWindow) {
  const int C = 37, K = 4, T = 11;
  const auto x = randn(static_cast<size_t>(T) * C, 3);
  const auto w = randn(static_cast<size_t>(K) * C, 4);
  const auto b = randn(C, 5);
  // Reference in double with zero history.
  std::vector<double> ref(static_cast<size_t>(T) * C);
  for (int t = 0; t < T; ++t) {
    for (int c = 0; c < C; ++c) {
      double s = b[c];
      for (int k = 0; k < K; ++k) {
        const int src = t - (K - 1) + k;
        if (src >= 0) s += static_cast<double>(w[k * C + c]) * x[src * C + c];
      }
      ref[t * C + c] = silu_d(s);
    }
  }
  for (int piece : {1, 2, 3, 11}) {
    std::vector<float> window(static_cast<size_t>(K - 1) * C, 0.0f), out(ref.size());
    for (int t = 0; t < T; t += piece) {
      const int n = std::min(piece, T - t);
      causal_conv_silu(x.data() + t * C, C, n, C, K, w.data(), b.data(), window.data(),
                       out.data() + t * C, C);
    }
    EXPECT_LT(max_rel(out, ref), 1e-6) << piece;
    for (int r = 0; r < K - 1; ++r) {
      for (int c = 0; c < C; ++c) EXPECT_EQ(window[r * C + c], x[(T - (K - 1) + r) * C + c]);
    }
  }
}

TEST(Kernels, SelectiveScanMatchesDoubleRecurrence) {
  const int T = 9, Di = 19, N = 13;
  const auto u = randn(static_cast<size_t>(T) * Di, 6);
  auto dt = randn(static_cast<size_t>(T) * Di, 7);
  for (float& d : dt) d = softplus(d);
  auto A = randn(static_cast<size_t>(Di) * N, 8);
  for (float& a : A) a = -std::exp(a);
  const auto B = randn(static_cast<size_t>(T) * N, 9), C = randn(static_cast<size_t>(T) * N, 10);
  const auto D = randn(Di, 11), z = randn(static_cast<size_t>(T) * Di, 12);
  auto h0 = randn(static_cast<size_t>(Di) * N, 13);
  std::vector<double> h(h0.begin(), h0.end()), ref(static_cast<size_t>(T) * Di);
  for (int t = 0; t < T; ++t) {
    for (int c = 0; c < Di; ++c) {
      double acc = 0;
      for (int n = 0; n < N; ++n) {
        double& s = h[c * N + n];
        s = std::exp(static_cast<double>(dt[t * Di + c]) * A[c * N + n]) * s +
            static_cast<double>(dt[t * Di + c]) * B[t * N + n] * u[t * Di + c];
        acc += s * C[t * N + n];
      }
      ref[t * Di + c] = (acc + static_cast<double>(D[c]) * u[t * Di + c]) * silu_d(z[t * Di + c]);
    }
  }
  std::vector<float> y(ref.size());
  selective_scan(T, Di, N, u.data(), Di, dt.data(), Di, A.data(), B.data(), N, C.data(), N,
                 D.data(), z.data(), Di, h0.data(), y.data(), Di);
  EXPECT_LT(max_rel(y, ref), 1e-5);
  EXPECT_LT(max_rel(h0, h), 1e-5);
}

TEST(Kernels, SsdScanMatchesDoubleRecurrenceWithGroups) {
  const int T = 7, H = 6, P = 5, N = 11, G = 3;
  const auto x = randn(static_cast<size_t>(T) * H * P, 14);
  auto dt = randn(static_cast<size_t>(T) * H, 15);
  for (float& d : dt) d = softplus(d);
  auto A = randn(H, 16);
  for (float& a : A) a = -std::exp(a);
  const auto B = randn(static_cast<size_t>(T) * G * N, 17);
  const auto C = randn(static_cast<size_t>(T) * G * N, 18);
  const auto D = randn(static_cast<size_t>(H) * P, 19);
  auto S0 = randn(static_cast<size_t>(H) * P * N, 20);
  std::vector<double> S(S0.begin(), S0.end()), ref(static_cast<size_t>(T) * H * P);
  for (int t = 0; t < T; ++t) {
    for (int h = 0; h < H; ++h) {
      const int g = h / (H / G);
      const double d = dt[t * H + h], a = std::exp(d * A[h]);
      for (int p = 0; p < P; ++p) {
        double acc = 0;
        for (int n = 0; n < N; ++n) {
          double& s = S[(h * P + p) * N + n];
          s = a * s + d * x[t * H * P + h * P + p] * B[t * G * N + g * N + n];
          acc += s * C[t * G * N + g * N + n];
        }
        ref[t * H * P + h * P + p] =
            acc + static_cast<double>(D[h * P + p]) * x[t * H * P + h * P + p];
      }
    }
  }
  std::vector<float> y(ref.size());
  ssd_scan(T, H, P, N, G, x.data(), H * P, dt.data(), H, A.data(), B.data(), G * N, C.data(), G * N,
           D.data(), S0.data(), y.data(), H * P);
  EXPECT_LT(max_rel(y, ref), 1e-5);
  EXPECT_LT(max_rel(S0, S), 1e-5);
}

TEST(Kernels, GatedNormNormalisesWithinEachGroup) {
  const int rows = 3, dim = 12, groups = 3;
  auto y = randn(static_cast<size_t>(rows) * dim, 21);
  const auto z = randn(y.size(), 22), w = randn(dim, 23);
  std::vector<double> ref(y.size());
  for (int r = 0; r < rows; ++r) {
    for (int g = 0; g < groups; ++g) {
      double ss = 0;
      std::vector<double> v(dim / groups);
      for (int i = 0; i < dim / groups; ++i) {
        const int k = r * dim + g * (dim / groups) + i;
        v[i] = y[k] * silu_d(z[k]);
        ss += v[i] * v[i];
      }
      const double s = 1 / std::sqrt(ss / (dim / groups) + 1e-5);
      for (int i = 0; i < dim / groups; ++i) {
        ref[r * dim + g * (dim / groups) + i] = v[i] * s * w[g * (dim / groups) + i];
      }
    }
  }
  gated_rmsnorm(y.data(), dim, z.data(), dim, w.data(), rows, dim, groups, 1e-5f);
  EXPECT_LT(max_rel(y, ref), 1e-6);
}

}  // namespace
}  // namespace mamba::kernels
