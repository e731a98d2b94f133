#pragma once
// Scalar activations written with plain arithmetic and bit casts only, so loops that call them
// auto-vectorise (libm's expf would keep them scalar).

#include <bit>
#include <cmath>
#include <cstdint>

namespace mamba::kernels {

// exp(x) to about 2 ulp over the float range; flushes to 0 below -87.3, which the Mamba
// recurrences only ever reach through exp of a non-positive argument (decay), where 0 is benign.
inline float fast_exp(float in) {
  const float x = in < -87.3f ? -87.3f : (in > 88.7f ? 88.7f : in);
  const float n = std::nearbyint(x * 1.44269504088896341f);
  // Two-step reduction keeps r = x - n ln2 exact to float precision.
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t e = static_cast<int32_t>(n) + 127;
  const float scale = std::bit_cast<float>(e > 0 ? e << 23 : 0);
  return in < -87.3f ? 0.0f : p * scale;
}

inline float sigmoid(float x) {
  return 1.0f / (1.0f + fast_exp(-x));
}
inline float silu(float x) {
  return x / (1.0f + fast_exp(-x));
}

// Threshold 20 as PyTorch, the CUDA scan and ggml; log1p keeps small values exact.
inline float softplus(float x) {
  return x > 20.0f ? x : std::log1p(std::exp(x));
}

}  // namespace mamba::kernels
