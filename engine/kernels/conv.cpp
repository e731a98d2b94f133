#include "engine/kernels/conv.hpp"

#include <algorithm>
#include <cstring>

#include "engine/kernels/math.hpp"

namespace mamba::kernels {

void causal_conv_silu(const float* x, size_t ld_x, int T, int C, int K, const float* w,
                      const float* bias, float* window, float* out, size_t ld_out) {
  const int W = K - 1;
  for (int t = 0; t < T; ++t) {
    float* o = out + t * ld_out;
    if (bias) {
      std::memcpy(o, bias, sizeof(float) * C);
    } else {
      std::fill(o, o + C, 0.0f);
    }
    for (int k = 0; k < K; ++k) {
      const int s = t - W + k;  // source time; negative means the saved window
      const float* src = s >= 0 ? x + s * ld_x : window + (W + s) * C;
      const float* wk = w + k * C;
      for (int c = 0; c < C; ++c) o[c] += wk[c] * src[c];
    }
    for (int c = 0; c < C; ++c) o[c] = silu(o[c]);
  }
  // New window: the last W raw inputs of (old window ++ x).
  if (T >= W) {
    for (int r = 0; r < W; ++r)
      std::memcpy(window + r * C, x + (T - W + r) * ld_x, sizeof(float) * C);
  } else if (T > 0) {
    std::memmove(window, window + T * C, sizeof(float) * (W - T) * C);
    for (int r = 0; r < T; ++r)
      std::memcpy(window + (W - T + r) * C, x + r * ld_x, sizeof(float) * C);
  }
}

}  // namespace mamba::kernels
