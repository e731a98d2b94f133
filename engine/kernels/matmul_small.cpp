#include "engine/kernels/matmul_small.hpp"

// GCC 12 flags its own _mm512 intrinsics header as reading uninitialised values (a false positive).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace mamba::kernels {

namespace {

inline float widen(float w) {
  return w;
}
inline float widen(uint16_t w) {
  const uint32_t bits = static_cast<uint32_t>(w) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

#if defined(__AVX512F__)
inline __m512 load16(const float* p) {
  return _mm512_loadu_ps(p);
}
inline __m512 load16(const uint16_t* p) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// NR weight rows times NT tokens, accumulators in registers.
template <int NR, int NT, class Wt>
void block(const float* X, size_t ld_x, int in, const Wt* W, int o, int t, float* Y, size_t ld_y,
           const Wt* prefetch) {
  __m512 acc[NR][NT];
  for (int r = 0; r < NR; ++r) {
    for (int k = 0; k < NT; ++k) acc[r][k] = _mm512_setzero_ps();
  }
  const int vec_end = in - in % 16;
  for (int i = 0; i < vec_end; i += 16) {
    __m512 w[NR];
    for (int r = 0; r < NR; ++r) w[r] = load16(W + static_cast<size_t>(o + r) * in + i);
    // The next rows' weights stream from memory while these are in use.
    if (prefetch) {
      for (int r = 0; r < NR; ++r) {
        _mm_prefetch(reinterpret_cast<const char*>(prefetch + static_cast<size_t>(r) * in + i),
                     _MM_HINT_T0);
      }
    }
    for (int k = 0; k < NT; ++k) {
      const __m512 x = _mm512_loadu_ps(X + (t + k) * ld_x + i);
      for (int r = 0; r < NR; ++r) acc[r][k] = _mm512_fmadd_ps(w[r], x, acc[r][k]);
    }
  }
  for (int r = 0; r < NR; ++r) {
    for (int k = 0; k < NT; ++k) {
      float s = _mm512_reduce_add_ps(acc[r][k]);
      const Wt* wr = W + static_cast<size_t>(o + r) * in;
      const float* xr = X + (t + k) * ld_x;
      for (int i = vec_end; i < in; ++i) s += widen(wr[i]) * xr[i];
      Y[(t + k) * ld_y + o + r] = s;
    }
  }
}

template <int NR, class Wt>
void rows_all_tokens(const float* X, size_t ld_x, int T, int in, const Wt* W, int o, float* Y,
                     size_t ld_y) {
  // Only the first pass over these rows fetches the next rows; later passes find them in cache.
  const Wt* next = W + static_cast<size_t>(o + NR) * in;
  int t = 0;
  for (; t + 4 <= T; t += 4) block<NR, 4>(X, ld_x, in, W, o, t, Y, ld_y, t == 0 ? next : nullptr);
  const Wt* pf = t == 0 ? next : nullptr;
  switch (T - t) {
    case 3:
      block<NR, 3>(X, ld_x, in, W, o, t, Y, ld_y, pf);
      break;
    case 2:
      block<NR, 2>(X, ld_x, in, W, o, t, Y, ld_y, pf);
      break;
    case 1:
      block<NR, 1>(X, ld_x, in, W, o, t, Y, ld_y, pf);
      break;
    default:
      break;
  }
}
#endif

template <class Wt>
void small(const float* X, size_t ld_x, int T, int in, const Wt* W, int o_begin, int o_end,
           float* Y, size_t ld_y) {
  int o = o_begin;
#if defined(__AVX512F__)
  for (; o + 4 <= o_end; o += 4) rows_all_tokens<4>(X, ld_x, T, in, W, o, Y, ld_y);
  for (; o < o_end; ++o) rows_all_tokens<1>(X, ld_x, T, in, W, o, Y, ld_y);
#else
  for (; o < o_end; ++o) {
    for (int t = 0; t < T; ++t) {
      float s = 0.0f;
      for (int i = 0; i < in; ++i) s += widen(W[static_cast<size_t>(o) * in + i]) * X[t * ld_x + i];
      Y[t * ld_y + o] = s;
    }
  }
#endif
}

}  // namespace

void matmul_small_f32(const float* X, size_t ld_x, int T, int in, const float* W, int o_begin,
                      int o_end, float* Y, size_t ld_y) {
  small(X, ld_x, T, in, W, o_begin, o_end, Y, ld_y);
}

void matmul_small_bf16(const float* X, size_t ld_x, int T, int in, const uint16_t* W, int o_begin,
                       int o_end, float* Y, size_t ld_y) {
  small(X, ld_x, T, in, W, o_begin, o_end, Y, ld_y);
}

}  // namespace mamba::kernels
