#include "engine/kernels/matmul.hpp"

#include "engine/kernels/matmul_small.hpp"

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <vector>

namespace mamba::kernels {

namespace {

inline float bf16_widen(uint16_t v) {
  uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}

// Up to this many tokens our own kernel, which reads each weight once for all of them, beats
// OpenBLAS's sgemm (tuned for large blocks); past it sgemm's blocking wins.
constexpr int kSmallT = 32;

// Threads only pay off once a matrix is big enough to outlast the wake-up of the team.
bool worth_threads(int out, int in) { return static_cast<size_t>(out) * in >= (1u << 18); }

template <class Wt, class Kernel>
void parallel_rows(const float* X, size_t ld_x, int T, int in, const Wt* W, int out, float* Y,
                   size_t ld_y, Kernel kernel) {
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
    kernel(X, ld_x, T, in, W, begin, end, Y, ld_y);
  }
}

}  // namespace

void matmul_f32(const float* X, size_t ld_x, int T, int in, const float* W, int out, float* Y,
                size_t ld_y) {
  if (T <= 0) return;
  if (T == 1) {
    // OpenBLAS's sgemm at M = 1 runs far below its gemv (about 12 vs 65 GFLOP/s here).
    cblas_sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, W, in, X, 1, 0.0f, Y, 1);
    return;
  }
  if (T <= kSmallT) {
    parallel_rows(X, ld_x, T, in, W, out, Y, ld_y, matmul_small_f32);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, out, in, 1.0f, X, ld_x, W, in, 0.0f, Y,
              ld_y);
}


void matmul_bf16(const float* X, size_t ld_x, int T, int in, const uint16_t* W, int out, float* Y,
                 size_t ld_y) {
  if (T <= 0) return;
  if (T <= kSmallT) {
    parallel_rows(X, ld_x, T, in, W, out, Y, ld_y, matmul_small_bf16);
    return;
  }
  const bool parallel = worth_threads(out, in);
  // Widen a panel of rows at a time into a cache-sized fp32 buffer and let sgemm do the rest:
  // the widening is paid once per step and shared by all T tokens.
  constexpr size_t kPanelFloats = 1 << 18;  // 1 MiB
  const int panel_rows = std::max<int>(16, static_cast<int>(kPanelFloats / std::max(in, 1)));
  thread_local std::vector<float> panel;
  panel.resize(static_cast<size_t>(std::min(panel_rows, out)) * in);
  for (int r0 = 0; r0 < out; r0 += panel_rows) {
    const int rows = std::min(panel_rows, out - r0);
    const uint16_t* src = W + static_cast<size_t>(r0) * in;
    const size_t n = static_cast<size_t>(rows) * in;
    float* dst = panel.data();  // the buffer is this thread's; the workers write through a pointer
#pragma omp parallel for schedule(static) if (parallel)
    for (size_t i = 0; i < n; ++i) dst[i] = bf16_widen(src[i]);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, rows, in, 1.0f, X, ld_x, panel.data(),
                in, 0.0f, Y + r0, ld_y);
  }
}

}  // namespace mamba::kernels
