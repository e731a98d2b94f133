#pragma once
// Model hyper-parameters, read from a Hugging Face (MambaForCausalLM / Mamba2ForCausalLM) or an
// original state-spaces config.json, with upstream defaults for missing fields.

#include <filesystem>
#include <limits>
#include <optional>
#include <string>

namespace mamba {

enum class Arch { Mamba1, Mamba2 };

struct ModelConfig {
  Arch arch = Arch::Mamba1;
  std::string format;  // "hf" or "state-spaces"
  int d_model = 0;
  int n_layer = 0;
  int vocab_size = 0;  // embedding rows, already padded
  int d_inner = 0;     // expand * d_model (Mamba-2: d_ssm = n_heads * head_dim)
  int d_state = 0;
  int d_conv = 4;
  float norm_eps = 1e-5f;
  bool tie_embeddings = true;
  bool use_bias = false;       // in_proj / out_proj bias
  bool use_conv_bias = true;

  // Mamba-1
  int dt_rank = 0;

  // Mamba-2
  int head_dim = 0;
  int n_heads = 0;
  int n_groups = 1;
  float dt_min = 0.0f;  // time_step_limit / dt_limit
  float dt_max = std::numeric_limits<float>::infinity();

  std::optional<int> bos_token_id, eos_token_id, pad_token_id;

  // The config's vocab_size before padding (state-spaces configs); 0 when the file gives only the
  // padded size (HF). Logits at or above it belong to padding rows.
  int unpadded_vocab_size = 0;
  // use_bias was absent from config.json and took the class default: load_weights then follows
  // whether the checkpoint has the bias tensors.
  bool use_bias_defaulted = false;

  // Channels that go through the causal conv: x (Mamba-1) or x, B and C (Mamba-2).
  int conv_channels() const {
    return arch == Arch::Mamba1 ? d_inner : d_inner + 2 * n_groups * d_state;
  }
  // Rows of in_proj.weight.
  int in_proj_rows() const {
    return arch == Arch::Mamba1 ? 2 * d_inner : 2 * d_inner + 2 * n_groups * d_state + n_heads;
  }
};

// Throws ModelError naming the file and the field on anything missing or inconsistent.
ModelConfig load_config(const std::filesystem::path& config_json);

// Parses config.json text (accepts the non-standard Infinity / -Infinity / NaN tokens and
// transformers' {"__float__": "Infinity"} form). `origin` names the file in errors.
ModelConfig parse_config(const std::string& text, const std::string& origin);

}  // namespace mamba
