#pragma once
#include <cstddef>

namespace mamba::kernels {

// out[r] = w * x[r] / sqrt(mean(x[r]^2) + eps) for `rows` rows of `dim`; rows are `ld` apart.
void rmsnorm(const float* x, size_t ld_x, const float* w, int rows, int dim, float eps, float* out,
             size_t ld_out);

// Mamba-2's gated norm (norm_before_gate = false): v = y * silu(z), RMS-normalised within each of
// `groups` contiguous groups of dim / groups channels (as mamba_ssm), times w. In place on y.
void gated_rmsnorm(float* y, size_t ld_y, const float* z, size_t ld_z, const float* w, int rows,
                   int dim, int groups, float eps);

}  // namespace mamba::kernels
