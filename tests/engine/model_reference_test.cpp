// The forward pass against float64 reference logits and transformers' greedy output, and the
// consistency of its step, chunked and batched paths with the full-sequence path.

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/engine/model_fixture.hpp"

namespace mamba::test {
namespace {

// fp32 compute against a float64 reference from the same stored weights.
constexpr double kRefTolerance = 1e-4;
// Same fp32 math over different groupings of tokens.
constexpr double kPathTolerance = 1e-5;

class ModelReference : public ::testing::TestWithParam<std::string> {
 protected:
  static std::vector<float> run(const Model& m, std::vector<float>& state,
                                std::span<const int32_t> tokens, int logits_from = 0) {
    ForwardScratch scratch;
    SeqChunk chunk{tokens, state.data(), logits_from};
    std::vector<float> logits(Model::logits_rows({&chunk, 1}) * m.vocab_size());
    m.forward({&chunk, 1}, logits.data(), scratch);
    return logits;
  }
};

TEST_P(ModelReference, FullSequenceLogitsMatchFloat64Reference) {
  ModelFixture f(GetParam());
  for (size_t k = 0; k < f.prompts.size(); ++k) {
    auto state = f.fresh_state();
    const auto logits = run(*f.model, state, f.prompts[k]);
    ASSERT_EQ(logits.size(), f.ref_logits[k].size());
    EXPECT_LT(rel_err(logits, f.ref_logits[k]), kRefTolerance) << "prompt " << k;
  }
}

TEST_P(ModelReference, StepByStepEqualsFullSequence) {
  ModelFixture f(GetParam());
  const auto& ids = f.prompts[0];
  auto full_state = f.fresh_state();
  const auto full = run(*f.model, full_state, ids);
  auto state = f.fresh_state();
  std::vector<float> stepped;
  for (size_t t = 0; t < ids.size(); ++t) {
    const auto l = run(*f.model, state, std::span(ids).subspan(t, 1));
    stepped.insert(stepped.end(), l.begin(), l.end());
  }
  EXPECT_LT(rel_err(stepped, full), kPathTolerance);
  EXPECT_LT(rel_err(state, full_state), kPathTolerance);
}

TEST_P(ModelReference, ChunkedPrefillLeavesTheSameState) {
  ModelFixture f(GetParam());
  const auto& ids = f.prompts[0];
  auto full_state = f.fresh_state();
  const auto full = run(*f.model, full_state, ids);
  const int vocab = f.model->vocab_size();
  for (int chunk : {1, 2, 3, 5, 8, 64}) {
    auto state = f.fresh_state();
    std::vector<float> last;
    for (size_t t = 0; t < ids.size(); t += chunk) {
      const size_t n = std::min<size_t>(chunk, ids.size() - t);
      last = run(*f.model, state, std::span(ids).subspan(t, n), static_cast<int>(n) - 1);
    }
    EXPECT_LT(rel_err(state, full_state), kPathTolerance) << "chunk " << chunk;
    const std::vector<float> full_last(full.end() - vocab, full.end());
    EXPECT_LT(rel_err(last, full_last), kPathTolerance) << "chunk " << chunk;
  }
}

TEST_P(ModelReference, BatchedChunksEqualEachAlone) {
  ModelFixture f(GetParam());
  std::vector<std::vector<float>> states, alone;
  std::vector<SeqChunk> chunks;
  for (const auto& p : f.prompts) {
    auto s = f.fresh_state();
    alone.push_back(run(*f.model, s, p));
    states.push_back(f.fresh_state());
  }
  for (size_t k = 0; k < f.prompts.size(); ++k)
    chunks.push_back({f.prompts[k], states[k].data(), 0});
  std::vector<float> batched(Model::logits_rows(chunks) * f.model->vocab_size());
  ForwardScratch scratch;
  f.model->forward(chunks, batched.data(), scratch);
  size_t off = 0;
  for (size_t k = 0; k < f.prompts.size(); ++k) {
    std::vector<float> part(batched.begin() + off, batched.begin() + off + alone[k].size());
    off += alone[k].size();
    // Bitwise: every product sums in an order independent of the batch, so seeded sampling
    // cannot depend on what else runs in the step.
    EXPECT_EQ(part, alone[k]) << "prompt " << k;
  }
}

TEST_P(ModelReference, GreedyContinuationMatchesTransformers) {
  ModelFixture f(GetParam());
  auto state = f.fresh_state();
  const int vocab = f.model->vocab_size();
  auto logits = run(*f.model, state, f.prompts[0], static_cast<int>(f.prompts[0].size()) - 1);
  std::vector<int32_t> out;
  for (size_t i = 0; i < f.greedy.size(); ++i) {
    const int32_t next = static_cast<int32_t>(
        std::max_element(logits.begin(), logits.begin() + vocab) - logits.begin());
    out.push_back(next);
    const int32_t tok[1] = {next};
    logits = run(*f.model, state, tok);
  }
  EXPECT_EQ(out, f.greedy);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ModelReference, ::testing::ValuesIn(model_fixture_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace mamba::test
