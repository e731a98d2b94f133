#pragma once
#include <cstddef>

namespace mamba::kernels {

// Depthwise causal conv over time followed by SiLU, for one sequence continuing from its window.
//   x:      (T, C) raw inputs, rows ld_x apart
//   w:      (K, C) taps, tap K-1 multiplies the current token (the stored (C, K) transposed)
//   bias:   (C) or null
//   window: (K-1, C) the previous K-1 raw inputs, oldest first; updated to the last K-1 inputs
//   out:    (T, C) silu(bias + sum_k w[k] * x[t-K+1+k]), rows ld_out apart
void causal_conv_silu(const float* x, size_t ld_x, int T, int C, int K, const float* w,
                      const float* bias, float* window, float* out, size_t ld_out);

}  // namespace mamba::kernels
