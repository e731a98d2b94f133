#pragma once
// Random-weight models of real shapes for the benchmarks: speed does not depend on the values, so
// no checkpoint file is needed. Values are scaled like a trained model's so nothing overflows.

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/model/weights.hpp"

namespace mamba::bench {

// The --dtype and --arch values the in-process benchmarks take.
inline DType parse_dtype(const std::string& v) {
  return v == "bf16" ? DType::BF16 : DType::F32;
}
inline Arch parse_arch(const std::string& v) {
  return v == "mamba2" ? Arch::Mamba2 : Arch::Mamba1;
}

inline ModelConfig mamba_130m_config(Arch arch) {
  ModelConfig c;
  c.arch = arch;
  c.format = "hf";
  c.d_model = 768;
  c.n_layer = 24;
  c.d_inner = 1536;
  c.d_conv = 4;
  if (arch == Arch::Mamba1) {
    c.vocab_size = 50280;
    c.d_state = 16;
    c.dt_rank = 48;
  } else {
    c.vocab_size = 50288;
    c.d_state = 128;
    c.head_dim = 64;
    c.n_heads = 24;
    c.n_groups = 1;
  }
  return c;
}

class RandomTensors {
 public:
  RandomTensors(DType dtype, uint64_t seed) : dtype_(dtype), rng_(seed) {}

  // Matrices take the benchmark's dtype; vectors stay F32 as real checkpoints keep them.
  Tensor matrix(int64_t rows, int64_t cols, float scale) {
    return make({rows, cols}, scale, 0.0f, dtype_);
  }
  Tensor vector(int64_t n, float scale, float offset = 0.0f) {
    return make({n}, scale, offset, DType::F32);
  }
  Tensor make(std::vector<int64_t> shape, float scale, float offset, DType dtype) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::normal_distribution<float> dist(offset, scale);
    if (dtype == DType::F32) {
      std::vector<float> v(n);
      for (auto& x : v) x = dist(rng_);
      return make_f32_tensor(std::move(shape), std::move(v));
    }
    auto buf = std::make_shared<std::vector<uint16_t>>(n);
    for (auto& x : *buf) x = f32_to_bf16(dist(rng_));
    Tensor t;
    t.dtype = DType::BF16;
    t.shape = std::move(shape);
    t.data = buf->data();
    t.owner = buf;
    t.source = "random";
    return t;
  }

 private:
  DType dtype_;
  std::mt19937_64 rng_;
};

inline ModelWeights random_weights(const ModelConfig& c, DType dtype, uint64_t seed = 1) {
  RandomTensors r(dtype, seed);
  ModelWeights w;
  w.config = c;
  const float in_scale = 1.0f / std::sqrt(static_cast<float>(c.d_model));
  const float inner_scale = 1.0f / std::sqrt(static_cast<float>(c.d_inner));
  w.embedding = r.matrix(c.vocab_size, c.d_model, 1.0f);
  w.lm_head = w.embedding;  // tied, as every published Mamba
  w.norm_f = r.vector(c.d_model, 0.1f, 1.0f);
  const int Cc = c.conv_channels();
  for (int l = 0; l < c.n_layer; ++l) {
    LayerWeights L;
    L.norm = r.vector(c.d_model, 0.1f, 1.0f);
    L.in_proj = r.matrix(c.in_proj_rows(), c.d_model, in_scale);
    L.conv_weight = r.make({Cc, c.d_conv}, 0.5f, 0.0f, DType::F32);
    L.conv_bias = r.vector(Cc, 0.1f);
    L.out_proj = r.matrix(c.d_model, c.d_inner, inner_scale);
    if (c.arch == Arch::Mamba1) {
      L.A_log = r.make({c.d_inner, c.d_state}, 0.5f, 1.0f, DType::F32);
      L.D = r.vector(c.d_inner, 0.5f, 1.0f);
      L.x_proj = r.matrix(c.dt_rank + 2 * c.d_state, c.d_inner, inner_scale);
      L.dt_proj = r.matrix(c.d_inner, c.dt_rank, 1.0f / std::sqrt(static_cast<float>(c.dt_rank)));
      L.dt_proj_bias = r.vector(c.d_inner, 0.5f, -4.0f);
    } else {
      L.A_log = r.vector(c.n_heads, 0.5f, 1.0f);
      L.D = r.vector(c.n_heads, 0.5f, 1.0f);
      L.dt_bias = r.vector(c.n_heads, 0.5f, -4.0f);
      L.gated_norm = r.vector(c.d_inner, 0.1f, 1.0f);
    }
    w.layers.push_back(std::move(L));
  }
  return w;
}

}  // namespace mamba::bench
