#pragma once
// The recurrences of Mamba-1 and Mamba-2, sequential over time, for one sequence continuing from
// its own state. Every (T, ·) input is row-major with the given row stride.

#include <cstddef>

namespace mamba::kernels {

// Mamba-1 selective scan with the D skip and the silu(z) gate:
//   h[c,n] = exp(dt[t,c] A[c,n]) h[c,n] + dt[t,c] B[t,n] u[t,c]
//   y[t,c] = (sum_n h[c,n] C[t,n] + D[c] u[t,c]) * silu(z[t,c])
// u, dt, z: (T, Di); A: (Di, N); B, C: (T, N); D: (Di); state h: (Di, N); y: (T, Di).
void selective_scan(int T, int Di, int N, const float* u, size_t ld_u, const float* dt,
                    size_t ld_dt, const float* A, const float* B, size_t ld_b, const float* C,
                    size_t ld_c, const float* D, const float* z, size_t ld_z, float* state,
                    float* y, size_t ld_y);

// Mamba-2 scan, heads of P channels sharing B/C in G contiguous groups of heads:
//   S[h] = exp(dt[t,h] A[h]) S[h] + dt[t,h] x[t,h,:] (outer) B[t,g(h),:]
//   y[t,h,p] = sum_n S[h,p,n] C[t,g(h),n] + D[h,p] x[t,h,p]
// x: (T, H*P); dt: (T, H), already softplus'd and clamped; A: (H); B, C: (T, G*N);
// D: (H*P) per channel; state: (H, P, N); y: (T, H*P).
void ssd_scan(int T, int H, int P, int N, int G, const float* x, size_t ld_x, const float* dt,
              size_t ld_dt, const float* A, const float* B, size_t ld_b, const float* C,
              size_t ld_c, const float* D, float* state, float* y, size_t ld_y);

}  // namespace mamba::kernels
