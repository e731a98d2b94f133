#include "engine/kernels/matmul.hpp"

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>

#include "engine/kernels/matmul_small.hpp"

namespace mamba::kernels {

namespace {

// Up to this many tokens our own kernel, which reads each weight once for all of them while it
// sits in L1, beats OpenBLAS's sgemm (tuned for large blocks); past it sgemm's blocking wins for
// F32. BF16 always uses our kernel, in tiles of this many tokens so a tile stays in L2.
constexpr int kSmallT = 32;

// Threads only pay off once a matrix is big enough to outlast the wake-up of the team.
bool worth_threads(int out, int in) {
  return static_cast<size_t>(out) * in >= (1u << 17);
}

// Splits the output rows over the OpenMP team. All threading is ours: OpenBLAS runs
// single-threaded inside each slice, so its threads and ours never compete for the cores.
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

void matmul_init_threads() {
  openblas_set_num_threads(1);
}

void matmul_f32(const float* X, size_t ld_x, int T, int in, const float* W, int out, float* Y,
                size_t ld_y) {
  if (T <= 0) return;
  parallel_rows(out, in, [&](int begin, int end) {
    const float* w = W + static_cast<size_t>(begin) * in;
    if (T == 1) {
      cblas_sgemv(CblasRowMajor, CblasNoTrans, end - begin, in, 1.0f, w, in, X, 1, 0.0f, Y + begin,
                  1);
    } else if (T <= kSmallT) {
      matmul_small_f32(X, ld_x, T, in, W, begin, end, Y, ld_y);
    } else {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, end - begin, in, 1.0f, X, ld_x, w, in,
                  0.0f, Y + begin, ld_y);
    }
  });
}

void matmul_bf16(const float* X, size_t ld_x, int T, int in, const uint16_t* W, int out, float* Y,
                 size_t ld_y) {
  for (int t = 0; t < T; t += kSmallT) {
    const int n = std::min(kSmallT, T - t);
    parallel_rows(out, in, [&](int begin, int end) {
      matmul_small_bf16(X + t * ld_x, ld_x, n, in, W, begin, end, Y + t * ld_y, ld_y);
    });
  }
}

}  // namespace mamba::kernels
