#pragma once
// A reference fixture of tests/fixtures/models/<name>: the checkpoint, the prompts, the float64
// reference logits and the greedy continuation made by tools/fixtures/make_model_fixtures.py.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/model/model.hpp"
#include "engine/model/safetensors.hpp"

namespace mamba::test {

inline std::filesystem::path model_fixture_dir(const std::string& name) {
  return std::filesystem::path(MAMBA_FIXTURES_DIR) / "models" / name;
}

inline const std::vector<std::string>& model_fixture_names() {
  static const std::vector<std::string> names = {"m1_f32_tied",    "m1_bf16_untied",
                                                 "m1_f32_sharded", "m2_g1_f32_untied",
                                                 "m2_g2_f32_tied", "m2_g2_bf16_untied"};
  return names;
}

struct ModelFixture {
  std::unique_ptr<Model> model;
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::vector<float>> ref_logits;  // per prompt, (T, vocab)
  std::vector<int32_t> greedy;                 // continuation of prompts[0]

  explicit ModelFixture(const std::string& name)
      : ModelFixture(model_fixture_dir(name), model_fixture_dir(name)) {}

  // A model directory and the directory of its reference.{json,safetensors}.
  ModelFixture(const std::filesystem::path& dir, const std::filesystem::path& ref_dir) {
    model = Model::load(dir);
    nlohmann::json ref = nlohmann::json::parse(std::ifstream(ref_dir / "reference.json"));
    const auto tensors = read_safetensors(ref_dir / "reference.safetensors");
    for (size_t k = 0; k < ref["prompts"].size(); ++k) {
      prompts.push_back(ref["prompts"][k]["ids"].get<std::vector<int32_t>>());
      ref_logits.push_back(tensors.at("logits." + std::to_string(k)).to_f32());
    }
    greedy = ref["greedy"]["generated"].get<std::vector<int32_t>>();
  }

  std::vector<float> fresh_state() const {
    return std::vector<float>(model->state_layout().floats(), 0.0f);
  }
};

// ||a - b|| / ||b||
inline double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    num += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    den += static_cast<double>(b[i]) * b[i];
  }
  return std::sqrt(num / den);
}

}  // namespace mamba::test
