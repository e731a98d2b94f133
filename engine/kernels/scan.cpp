#include "engine/kernels/scan.hpp"

#include "engine/kernels/math.hpp"

namespace mamba::kernels {

void selective_scan(int T, int Di, int N, const float* u, size_t ld_u, const float* dt,
                    size_t ld_dt, const float* A, const float* B, size_t ld_b, const float* C,
                    size_t ld_c, const float* D, const float* z, size_t ld_z, float* state,
                    float* y, size_t ld_y) {
  // Channel-outer keeps one channel's state row in registers across all T tokens; channels are
  // independent, so a long prefill spreads them over the threads.
#pragma omp parallel for schedule(static) if (static_cast <size_t>(T) * Di * N >= (1u << 16))
  for (int c = 0; c < Di; ++c) {
    float* h = state + static_cast<size_t>(c) * N;
    const float* a = A + static_cast<size_t>(c) * N;
    for (int t = 0; t < T; ++t) {
      const float d = dt[t * ld_dt + c];
      const float uc = u[t * ld_u + c];
      const float du = d * uc;
      const float* b = B + t * ld_b;
      const float* cc = C + t * ld_c;
      float acc = 0.0f;
      for (int n = 0; n < N; ++n) {
        h[n] = fast_exp(d * a[n]) * h[n] + du * b[n];
        acc += h[n] * cc[n];
      }
      y[t * ld_y + c] = (acc + D[c] * uc) * silu(z[t * ld_z + c]);
    }
  }
}

void ssd_scan(int T, int H, int P, int N, int G, const float* x, size_t ld_x, const float* dt,
              size_t ld_dt, const float* A, const float* B, size_t ld_b, const float* C,
              size_t ld_c, const float* D, float* state, float* y, size_t ld_y) {
  const int heads_per_group = H / G;
#pragma omp parallel for schedule(static) if (static_cast <size_t>(T) * H * P * N >= (1u << 16))
  for (int h = 0; h < H; ++h) {
    float* S = state + static_cast<size_t>(h) * P * N;
    const int g = h / heads_per_group;
    for (int t = 0; t < T; ++t) {
      const float d = dt[t * ld_dt + h];
      const float decay = fast_exp(d * A[h]);
      const float* xt = x + t * ld_x + h * P;
      const float* b = B + t * ld_b + g * N;
      const float* cc = C + t * ld_c + g * N;
      float* yt = y + t * ld_y + h * P;
      for (int p = 0; p < P; ++p) {
        float* s = S + static_cast<size_t>(p) * N;
        const float dx = d * xt[p];
        float acc = 0.0f;
        for (int n = 0; n < N; ++n) {
          s[n] = decay * s[n] + dx * b[n];
          acc += s[n] * cc[n];
        }
        yt[p] = acc + D[h * P + p] * xt[p];
      }
    }
  }
}

}  // namespace mamba::kernels
