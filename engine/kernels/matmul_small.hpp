#pragma once
// Y = X W^T for a handful of tokens (the decode steps of a batch): every weight is read from memory
// once and used for all T tokens while it sits in L1. OpenBLAS's sgemm runs far below this at small
// M (it packs for large blocks), and T separate gemv calls would read the weights T times.

#include <cstddef>
#include <cstdint>

namespace mamba::kernels {

// Rows [o_begin, o_end) of Y. W is (out, in), row-major, float or bfloat16 bits.
void matmul_small_f32(const float* X, size_t ld_x, int T, int in, const float* W, int o_begin,
                      int o_end, float* Y, size_t ld_y);
void matmul_small_bf16(const float* X, size_t ld_x, int T, int in, const uint16_t* W, int o_begin,
                       int o_end, float* Y, size_t ld_y);

}  // namespace mamba::kernels
