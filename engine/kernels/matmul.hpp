#pragma once
// Y = X * W^T for a linear layer: X (T, in) activations, W (out, in) weights as stored.

#include <cstddef>
#include <cstdint>

namespace mamba::kernels {

void matmul_f32(const float* X, size_t ld_x, int T, int in, const float* W, int out, float* Y,
                size_t ld_y);

// W in bfloat16; the products and sums stay in fp32 (weights are widened, never activations
// narrowed), so results equal matmul_f32 on the widened weights.
// Both give each output bitwise independent of T and of how rows are split over threads.
void matmul_bf16(const float* X, size_t ld_x, int T, int in, const uint16_t* W, int out, float* Y,
                 size_t ld_y);

}  // namespace mamba::kernels
