#include "engine/kernels/norm.hpp"

#include <cmath>

#include "engine/kernels/math.hpp"

namespace mamba::kernels {

namespace {
// Sum of squares in double: the norms are the one place a long reduction meets fp32.
float inv_rms(const float* v, int n, float eps) {
  double ss = 0.0;
  for (int i = 0; i < n; ++i) ss += static_cast<double>(v[i]) * v[i];
  return static_cast<float>(1.0 / std::sqrt(ss / n + eps));
}
}  // namespace

void rmsnorm(const float* x, size_t ld_x, const float* w, int rows, int dim, float eps, float* out,
             size_t ld_out) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + r * ld_x;
    float* o = out + r * ld_out;
    const float s = inv_rms(xr, dim, eps);
    for (int i = 0; i < dim; ++i) o[i] = xr[i] * s * w[i];
  }
}

void gated_rmsnorm(float* y, size_t ld_y, const float* z, size_t ld_z, const float* w, int rows,
                   int dim, int groups, float eps) {
  const int gsize = dim / groups;
  for (int r = 0; r < rows; ++r) {
    float* yr = y + r * ld_y;
    const float* zr = z + r * ld_z;
    for (int i = 0; i < dim; ++i) yr[i] *= silu(zr[i]);
    for (int g = 0; g < groups; ++g) {
      float* v = yr + g * gsize;
      const float s = inv_rms(v, gsize, eps);
      for (int i = 0; i < gsize; ++i) v[i] = v[i] * s * w[g * gsize + i];
    }
  }
}

}  // namespace mamba::kernels
