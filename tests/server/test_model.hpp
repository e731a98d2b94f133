#pragma once
// A random-weight Mamba-1 model written at test time, with the GPT-NeoX tokenizer beside it: its
// vocabulary covers the tokenizer, and its random tokens are often byte fragments that are not
// valid UTF-8 on their own, the case streaming must hold back rather than fail on.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/engine/safetensors_writer.hpp"

namespace mamba::server::testing {

inline std::filesystem::path neox_tokenizer_file() {
  const auto p =
      std::filesystem::path(MAMBA_FIXTURES_DIR) / "tokenizer" / "gpt-neox-20b.tokenizer.json";
  if (!std::filesystem::exists(p)) throw std::runtime_error("missing fixture " + p.string());
  return p;
}

struct RandomModelSpec {
  int vocab_size = 50280;  // GPT-NeoX's 50277 tokens, padded
  int d_model = 16;
  int n_layer = 2;
  int d_state = 4;
  uint32_t seed = 1234;
};

// config.json + model.safetensors + tokenizer.json in `dir`.
inline void write_random_model(const std::filesystem::path& dir, const RandomModelSpec& spec = {}) {
  std::filesystem::create_directories(dir);
  const int d = spec.d_model, di = 2 * d, ds = spec.d_state, dt_rank = 1, k = 4;
  nlohmann::json config = {{"architectures", {"MambaForCausalLM"}},
                           {"model_type", "mamba"},
                           {"hidden_size", d},
                           {"intermediate_size", di},
                           {"state_size", ds},
                           {"num_hidden_layers", spec.n_layer},
                           {"conv_kernel", k},
                           {"expand", 2},
                           {"time_step_rank", dt_rank},
                           {"vocab_size", spec.vocab_size},
                           {"layer_norm_epsilon", 1e-5},
                           {"use_bias", false},
                           {"use_conv_bias", true},
                           {"tie_word_embeddings", true},
                           {"bos_token_id", 0},
                           {"eos_token_id", 0},
                           {"pad_token_id", 1}};
  std::ofstream(dir / "config.json") << config.dump(2);

  std::mt19937 rng(spec.seed);
  auto randn = [&](size_t count, float scale) {
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(count);
    for (auto& x : v) x = dist(rng);
    return v;
  };
  mamba::testing::SafetensorsWriter w;
  // Embedding scale sets how peaked the (tied) output distribution is: broad enough that the
  // samples vary, peaked enough that greedy and seeded runs are meaningful.
  w.add_f32("backbone.embeddings.weight", {spec.vocab_size, d},
            randn(static_cast<size_t>(spec.vocab_size) * d, 1.0f));
  for (int l = 0; l < spec.n_layer; ++l) {
    const std::string p = "backbone.layers." + std::to_string(l) + ".";
    std::vector<float> a_log(static_cast<size_t>(di) * ds);
    for (int c = 0; c < di; ++c) {
      for (int s = 0; s < ds; ++s) a_log[c * ds + s] = std::log(static_cast<float>(s + 1));
    }
    w.add_f32(p + "mixer.A_log", {di, ds}, a_log);
    w.add_f32(p + "mixer.D", {di}, std::vector<float>(di, 1.0f));
    w.add_f32(p + "mixer.conv1d.bias", {di}, randn(di, 0.1f));
    w.add_f32(p + "mixer.conv1d.weight", {di, 1, k}, randn(static_cast<size_t>(di) * k, 0.5f));
    w.add_f32(p + "mixer.dt_proj.bias", {di}, std::vector<float>(di, -4.0f));
    w.add_f32(p + "mixer.dt_proj.weight", {di, dt_rank}, randn(di * dt_rank, 0.5f));
    w.add_f32(p + "mixer.in_proj.weight", {2 * di, d},
              randn(static_cast<size_t>(2 * di) * d, 0.25f));
    w.add_f32(p + "mixer.out_proj.weight", {d, di}, randn(static_cast<size_t>(d) * di, 0.2f));
    w.add_f32(p + "mixer.x_proj.weight", {dt_rank + 2 * ds, di},
              randn(static_cast<size_t>(dt_rank + 2 * ds) * di, 0.2f));
    w.add_f32(p + "norm.weight", {d}, std::vector<float>(d, 1.0f));
  }
  w.add_f32("backbone.norm_f.weight", {d}, std::vector<float>(d, 1.0f));
  w.write(dir / "model.safetensors");
  std::filesystem::copy_file(neox_tokenizer_file(), dir / "tokenizer.json",
                             std::filesystem::copy_options::overwrite_existing);
}

}  // namespace mamba::server::testing
