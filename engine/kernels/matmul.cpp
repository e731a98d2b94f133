#include "engine/kernels/matmul.hpp"

#include <cblas.h>
#include <immintrin.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <vector>

namespace mamba::kernels {

void matmul_f32(const float* X, size_t ld_x, int T, int in, const float* W, int out, float* Y,
                size_t ld_y) {
  if (T <= 0) return;
  if (T == 1) {
    // OpenBLAS's sgemm at M = 1 runs far below its gemv (about 12 vs 65 GFLOP/s here).
    cblas_sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, W, in, X, 1, 0.0f, Y, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, out, in, 1.0f, X, ld_x, W, in, 0.0f, Y,
              ld_y);
}

namespace {

inline float bf16_widen(uint16_t v) {
  uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}

#if defined(__AVX512F__)
inline __m512 load_bf16x16(const uint16_t* p) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
#endif

// y[o] = dot(W[o], x) for rows [begin, end): the single-token case, bound by reading W.
void gemv_bf16_rows(const float* x, int in, const uint16_t* W, int begin, int end, float* y) {
  int o = begin;
#if defined(__AVX512F__)
  const int vec_end = in - in % 16;
  for (; o + 4 <= end; o += 4) {
    const uint16_t* w0 = W + static_cast<size_t>(o) * in;
    const uint16_t* w1 = w0 + in;
    const uint16_t* w2 = w1 + in;
    const uint16_t* w3 = w2 + in;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    __m512 a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    for (int i = 0; i < vec_end; i += 16) {
      const __m512 xv = _mm512_loadu_ps(x + i);
      a0 = _mm512_fmadd_ps(load_bf16x16(w0 + i), xv, a0);
      a1 = _mm512_fmadd_ps(load_bf16x16(w1 + i), xv, a1);
      a2 = _mm512_fmadd_ps(load_bf16x16(w2 + i), xv, a2);
      a3 = _mm512_fmadd_ps(load_bf16x16(w3 + i), xv, a3);
    }
    float s0 = _mm512_reduce_add_ps(a0), s1 = _mm512_reduce_add_ps(a1);
    float s2 = _mm512_reduce_add_ps(a2), s3 = _mm512_reduce_add_ps(a3);
    for (int i = vec_end; i < in; ++i) {
      s0 += bf16_widen(w0[i]) * x[i];
      s1 += bf16_widen(w1[i]) * x[i];
      s2 += bf16_widen(w2[i]) * x[i];
      s3 += bf16_widen(w3[i]) * x[i];
    }
    y[o] = s0;
    y[o + 1] = s1;
    y[o + 2] = s2;
    y[o + 3] = s3;
  }
#endif
  for (; o < end; ++o) {
    const uint16_t* w = W + static_cast<size_t>(o) * in;
    float s = 0.0f;
    for (int i = 0; i < in; ++i) s += bf16_widen(w[i]) * x[i];
    y[o] = s;
  }
}

}  // namespace

void matmul_bf16(const float* X, size_t ld_x, int T, int in, const uint16_t* W, int out, float* Y,
                 size_t ld_y) {
  if (T <= 0) return;
  // Threads only pay off once a matrix is big enough to outlast the wake-up of the team.
  const bool parallel = static_cast<size_t>(out) * in >= (1u << 18);
  if (T == 1) {
#pragma omp parallel if (parallel)
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
      gemv_bf16_rows(X, in, W, begin, end, Y);
    }
    return;
  }
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
