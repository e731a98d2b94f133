#include "engine/kernels/matmul.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>

#include "engine/kernels/matmul_small.hpp"

namespace mamba::kernels {

namespace {

// Every product goes through one kernel that computes each (row, token) dot product in the same
// order whatever the number of tokens or threads: a sequence's logits are then bitwise the same
// alone or in any batch, so seeded sampling over a large, flat vocabulary cannot flip with the
// batch. Tokens are taken in tiles small enough for their activations to stay in L2 while every
// weight row is read once per tile. (OpenBLAS's sgemv/sgemm sum in orders that depend on the
// shape, and measured no faster here: bench/matmul_bench.cpp.)
constexpr int kTileT = 32;

// Threads only pay off once a matrix is big enough to outlast the wake-up of the team.
bool worth_threads(int out, int in) {
  return static_cast<size_t>(out) * in >= (1u << 17);
}

// Splits the output rows over the OpenMP team.
template <class Fn>
void parallel_rows(int out, int in, Fn fn) {
#pragma omp parallel if (worth_threads(out, in))
  {
#ifdef _OPENMP
    const int nt = omp_get_num_threads(), id = omp_get_thread_num();
#else
    const int nt = 1, id = 0;
#endif
    // Blocks of 4 rows so every thread runs the unrolled kernel.
    const int blocks = (out + 3) / 4;
    const int begin = std::min(out, 4 * (blocks * id / nt));
    const int end = std::min(out, 4 * (blocks * (id + 1) / nt));
    if (end > begin) fn(begin, end);
  }
}

}  // namespace

void matmul_f32(const float* X, size_t ld_x, int T, int in, const float* W, int out, float* Y,
                size_t ld_y) {
  for (int t = 0; t < T; t += kTileT) {
    const int n = std::min(kTileT, T - t);
    parallel_rows(out, in, [&](int begin, int end) {
      matmul_small_f32(X + t * ld_x, ld_x, n, in, W, begin, end, Y + t * ld_y, ld_y);
    });
  }
}

void matmul_bf16(const float* X, size_t ld_x, int T, int in, const uint16_t* W, int out, float* Y,
                 size_t ld_y) {
  for (int t = 0; t < T; t += kTileT) {
    const int n = std::min(kTileT, T - t);
    parallel_rows(out, in, [&](int begin, int end) {
      matmul_small_bf16(X + t * ld_x, ld_x, n, in, W, begin, end, Y + t * ld_y, ld_y);
    });
  }
}

}  // namespace mamba::kernels
