#pragma once
// Every weight of a Mamba-1 or Mamba-2 model, named as in the math of docs/mamba-reference.md, in
// stored dtype, with shapes checked against the config. Mixer tensors a model lacks stay empty.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "engine/model/config.hpp"
#include "engine/model/tensor.hpp"

namespace mamba {

struct LayerWeights {
  Tensor norm;          // (d_model) block RMSNorm
  Tensor in_proj;       // (in_proj_rows, d_model)
  Tensor in_proj_bias;  // (in_proj_rows) only if use_bias
  Tensor conv_weight;   // (conv_channels, d_conv): the stored (C, 1, K) squeezed
  Tensor conv_bias;     // (conv_channels) only if use_conv_bias
  Tensor A_log;         // Mamba-1 (d_inner, d_state); Mamba-2 (n_heads)
  Tensor D;             // Mamba-1 (d_inner); Mamba-2 (n_heads) or (d_inner)
  Tensor out_proj;      // (d_model, d_inner)
  Tensor out_proj_bias; // (d_model) only if use_bias
  // Mamba-1
  Tensor x_proj;        // (dt_rank + 2 d_state, d_inner)
  Tensor dt_proj;       // (d_inner, dt_rank)
  Tensor dt_proj_bias;  // (d_inner)
  // Mamba-2
  Tensor dt_bias;       // (n_heads)
  Tensor gated_norm;    // (d_inner) mixer.norm.weight
};

struct ModelWeights {
  ModelConfig config;
  Tensor embedding;  // (vocab_size, d_model)
  Tensor norm_f;     // (d_model)
  Tensor lm_head;    // (vocab_size, d_model): the embedding itself when tied
  std::vector<LayerWeights> layers;
  size_t stored_bytes = 0;  // bytes of all checkpoint tensors
  std::vector<std::string> unused_tensors;  // checkpoint tensors no weight above uses
};

// Progress of loading: layers done out of total.
using LoadProgress = std::function<void(int done, int total)>;

// Reads config.json and the checkpoint of `model_dir`. Accepts HF names (backbone.embeddings,
// optional model. prefix, optional lm_head) and original names (backbone.embedding). Throws
// ModelError naming the file and the problem: unknown architecture, missing tensor, shape mismatch.
ModelWeights load_weights(const std::filesystem::path& model_dir, const LoadProgress& progress = {});

}  // namespace mamba
