// The bundled demo models (models/) against transformers' float32 logits and greedy output, made
// on the device machine right after training (tests/fixtures/demo/).

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/engine/model_fixture.hpp"
#include "tokenizer/tokenizer.hpp"

namespace mamba::test {
namespace {

// Our fp32 against transformers' fp32 on the same BF16 weights.
constexpr double kTolerance = 1e-4;

class DemoModel : public ::testing::TestWithParam<std::string> {
 protected:
  std::filesystem::path model_dir() const {
    return std::filesystem::path(MAMBA_SOURCE_DIR) / "models" / GetParam();
  }
  std::filesystem::path ref_dir() const {
    return std::filesystem::path(MAMBA_FIXTURES_DIR) / "demo" / GetParam();
  }
};

TEST_P(DemoModel, LogitsMatchTransformers) {
  ModelFixture f(model_dir(), ref_dir());
  ForwardScratch scratch;
  for (size_t k = 0; k < f.prompts.size(); ++k) {
    auto state = f.fresh_state();
    SeqChunk ch{f.prompts[k], state.data(), 0};
    std::vector<float> logits(f.prompts[k].size() * f.model->vocab_size());
    f.model->forward({&ch, 1}, logits.data(), scratch);
    EXPECT_LT(rel_err(logits, f.ref_logits[k]), kTolerance) << "prompt " << k;
  }
}

TEST_P(DemoModel, GreedyContinuationMatchesTransformers) {
  ModelFixture f(model_dir(), ref_dir());
  ForwardScratch scratch;
  auto state = f.fresh_state();
  const int vocab = f.model->vocab_size();
  std::vector<float> logits(vocab);
  SeqChunk ch{f.prompts[0], state.data(), static_cast<int>(f.prompts[0].size()) - 1};
  f.model->forward({&ch, 1}, logits.data(), scratch);
  std::vector<int32_t> out;
  for (size_t i = 0; i < f.greedy.size(); ++i) {
    const int32_t next =
        static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    out.push_back(next);  // EOS included: transformers generated with EOS not a stop
    SeqChunk step{std::span<const int32_t>(&out.back(), 1), state.data(), 0};
    f.model->forward({&step, 1}, logits.data(), scratch);
  }
  EXPECT_EQ(out, f.greedy);
}

TEST_P(DemoModel, TokenizerGivesTheFixturePromptIds) {
  const auto tokenizer = tok::load_tokenizer(model_dir());
  nlohmann::json ref = nlohmann::json::parse(std::ifstream(ref_dir() / "reference.json"));
  for (const auto& p : ref["prompts"]) {
    EXPECT_EQ(tokenizer->encode(p["text"].get<std::string>()),
              p["ids"].get<std::vector<int32_t>>());
  }
}

INSTANTIATE_TEST_SUITE_P(Bundled, DemoModel, ::testing::Values("mamba-demo", "mamba2-demo"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace mamba::test
