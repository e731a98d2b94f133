#pragma once
// Layout of one sequence's recurrent state: one contiguous block of floats holding, for every
// layer, the conv window then the SSM state. One block per slot lets the engine keep states in a
// pool, copy a prefix's state with one memcpy and run a step over any set of slots.

#include <cstddef>

#include "engine/model/config.hpp"

namespace mamba {

struct StateLayout {
  int n_layer = 0;
  size_t conv_floats = 0;  // (d_conv - 1, conv_channels): the previous raw inputs, oldest first
  size_t ssm_floats = 0;   // Mamba-1 (d_inner, d_state); Mamba-2 (n_heads, head_dim, d_state)

  static StateLayout for_config(const ModelConfig& c) {
    StateLayout s;
    s.n_layer = c.n_layer;
    s.conv_floats = static_cast<size_t>(c.d_conv - 1) * c.conv_channels();
    s.ssm_floats = static_cast<size_t>(c.d_inner) * c.d_state;
    return s;
  }
  size_t layer_floats() const { return conv_floats + ssm_floats; }
  size_t floats() const { return layer_floats() * n_layer; }
  size_t bytes() const { return floats() * sizeof(float); }
  float* conv(float* state, int layer) const { return state + layer * layer_floats(); }
  float* ssm(float* state, int layer) const { return conv(state, layer) + conv_floats; }
};

}  // namespace mamba
