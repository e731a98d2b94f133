// One test per sampling parameter, each failing if the engine ignored the parameter.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tests/engine/engine_harness.hpp"

namespace mamba::test {
namespace {

class Sampling : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = fixture_model("m2_g1_f32_untied");
    engine_ = std::make_unique<Engine>(model_, neox_tokenizer(), EngineConfig{.slots = 8});
    std::mt19937 rng(21);
    prompt_ = random_prompt(rng, 12, model_->vocab_size());
  }
  Completion run(SamplingParams p, std::vector<int32_t> prompt = {}) {
    GenerationRequest r{prompt.empty() ? prompt_ : prompt, p};
    return collect(*engine_->submit(r)).completions[0];
  }
  static SamplingParams base(int max_tokens = 16) {
    SamplingParams p;
    p.max_tokens = max_tokens;
    p.ignore_eos = true;
    p.seed = 1;
    return p;
  }
  static SamplingParams greedy(int max_tokens = 16) {
    SamplingParams p = base(max_tokens);
    p.temperature = 0.0f;
    return p;
  }
  static int repeats(const std::vector<int32_t>& seq, const std::vector<int32_t>& prompt) {
    std::set<int32_t> seen(prompt.begin(), prompt.end());
    int r = 0;
    for (int32_t t : seq) r += !seen.insert(t).second;
    return r;
  }
  std::shared_ptr<const Model> model_;
  std::unique_ptr<Engine> engine_;
  std::vector<int32_t> prompt_;
};

TEST_F(Sampling, TemperatureZeroIsGreedyAndHighTemperatureIsNot) {
  const auto g = run(greedy());
  auto hot = base();
  hot.temperature = 5.0f;
  int differ = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    hot.seed = seed;
    differ += run(hot).tokens != g.tokens;
  }
  EXPECT_GE(differ, 3);
  EXPECT_EQ(run(greedy()).tokens, g.tokens);
}

TEST_F(Sampling, SeedMakesSamplingReproducible) {
  auto p = base();
  p.temperature = 2.0f;
  p.seed = 77;
  const auto a = run(p), b = run(p);
  EXPECT_EQ(a.tokens, b.tokens);
  p.seed = 78;
  EXPECT_NE(run(p).tokens, a.tokens);
}

TEST_F(Sampling, TopKOneIsGreedy) {
  auto p = base();
  p.temperature = 5.0f;
  p.top_k = 1;
  EXPECT_EQ(run(p).tokens, run(greedy()).tokens);
}

TEST_F(Sampling, TinyTopPIsGreedy) {
  auto p = base();
  p.temperature = 5.0f;
  p.top_p = 1e-6f;
  EXPECT_EQ(run(p).tokens, run(greedy()).tokens);
}

TEST_F(Sampling, MinPOneIsGreedy) {
  auto p = base();
  p.temperature = 5.0f;
  p.min_p = 1.0f;
  EXPECT_EQ(run(p).tokens, run(greedy()).tokens);
}

TEST_F(Sampling, TopKTwoOnlyPicksFromTheTwoMostLikely) {
  auto p = base(24);
  p.temperature = 50.0f;
  p.top_k = 2;
  p.logprobs = 2;
  const auto c = run(p);
  for (const auto& lp : c.token_logprobs) {
    EXPECT_TRUE(lp.token == lp.top[0].first || lp.token == lp.top[1].first);
  }
}

TEST_F(Sampling, RepetitionPenaltyAvoidsSeenTokens) {
  const auto plain = run(greedy(24));
  ASSERT_GT(repeats(plain.tokens, prompt_), 0)
      << "the baseline must repeat for this test to mean anything";
  auto p = greedy(24);
  p.repetition_penalty = 1e6f;
  EXPECT_EQ(repeats(run(p).tokens, prompt_), 0);
}

TEST_F(Sampling, PresencePenaltyAvoidsGeneratedTokens) {
  const auto plain = run(greedy(24));
  ASSERT_GT(repeats(plain.tokens, {}), 0);
  auto p = greedy(24);
  p.presence_penalty = 1e4f;
  EXPECT_EQ(repeats(run(p).tokens, {}), 0);
}

TEST_F(Sampling, FrequencyPenaltyAvoidsGeneratedTokens) {
  auto p = greedy(24);
  p.frequency_penalty = 1e4f;
  EXPECT_EQ(repeats(run(p).tokens, {}), 0);
}

TEST_F(Sampling, LogitBiasForcesAToken) {
  auto p = base(5);
  p.logit_bias = {{123, 1e4f}};
  EXPECT_EQ(run(p).tokens, std::vector<int32_t>(5, 123));
  p = greedy(5);
  const auto g = run(p);
  p.logit_bias = {{g.tokens[0], -1e4f}};
  EXPECT_NE(run(p).tokens[0], g.tokens[0]);
}

TEST_F(Sampling, MaxTokensBoundsTheCompletion) {
  const auto c = run(greedy(7));
  EXPECT_EQ(c.tokens.size(), 7u);
  EXPECT_EQ(c.completion_tokens, 7);
  EXPECT_EQ(c.finish, FinishReason::Length);
}

TEST_F(Sampling, EosStopsUnlessIgnored) {
  const int32_t eos = *neox_tokenizer()->eos_id();
  auto p = greedy(10);
  p.ignore_eos = false;
  p.logit_bias = {{eos, 1e4f}};
  auto c = run(p);
  EXPECT_EQ(c.tokens, std::vector<int32_t>{eos});
  EXPECT_EQ(c.finish, FinishReason::Stop);
  EXPECT_EQ(c.text, "");
  p.ignore_eos = true;
  c = run(p);
  EXPECT_EQ(c.tokens.size(), 10u);
  EXPECT_EQ(c.finish, FinishReason::Length);
}

TEST_F(Sampling, MinTokensHoldsOffEos) {
  const int32_t eos = *neox_tokenizer()->eos_id();
  auto p = greedy(10);
  p.ignore_eos = false;
  p.logit_bias = {{eos, 1e4f}};
  p.min_tokens = 4;
  const auto c = run(p);
  ASSERT_EQ(c.tokens.size(), 5u);
  EXPECT_EQ(std::count(c.tokens.begin(), c.tokens.begin() + 4, eos), 0);
  EXPECT_EQ(c.tokens.back(), eos);
  EXPECT_EQ(c.finish, FinishReason::Stop);
}

TEST_F(Sampling, StopTokenIdsEndTheCompletion) {
  const auto g = run(greedy(10));
  auto p = greedy(10);
  p.stop_token_ids = {g.tokens[3]};
  const auto c = run(p);
  const auto first = std::find(g.tokens.begin(), g.tokens.end(), g.tokens[3]) - g.tokens.begin();
  EXPECT_EQ(c.tokens.size(), static_cast<size_t>(first + 1));
  EXPECT_EQ(c.finish, FinishReason::Stop);
}

TEST_F(Sampling, StopStringsCutTheTextAcrossTokenBoundaries) {
  // Printable tokens only, so the text has clean boundaries to cut at.
  auto p = greedy(20);
  for (int32_t id = 0; id < model_->vocab_size(); ++id) {
    const std::string piece = neox_tokenizer()->piece(id);
    if (piece.size() != 1 || piece[0] < 'a' || piece[0] > 'z') p.logit_bias.push_back({id, -1e4f});
  }
  const auto plain = run(p);
  ASSERT_EQ(plain.text.size(), 20u);
  const std::string stop = plain.text.substr(6, 3);  // spans three tokens
  const size_t at = plain.text.find(stop);
  p.stop = {"never-there", stop};
  const auto c = run(p);
  EXPECT_EQ(c.text, plain.text.substr(0, at));
  EXPECT_EQ(c.finish, FinishReason::Stop);
  EXPECT_EQ(c.matched_stop, stop);
  for (const auto& piece : c.pieces) EXPECT_EQ(piece.find(stop), std::string::npos);
}

TEST_F(Sampling, LogprobsReportTheChosenTokenAndTopAlternatives) {
  auto p = greedy(6);
  p.logprobs = 3;
  const auto c = run(p);
  ASSERT_EQ(c.token_logprobs.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const auto& lp = c.token_logprobs[i];
    ASSERT_EQ(lp.top.size(), 3u);
    EXPECT_EQ(lp.top[0].first, c.tokens[i]);  // greedy picks the most likely
    EXPECT_FLOAT_EQ(lp.top[0].second, lp.logprob);
    EXPECT_GE(lp.top[1].second, lp.top[2].second);
    EXPECT_LE(lp.logprob, 0.0f);
  }
}

TEST_F(Sampling, PromptLogprobsMatchTheModel) {
  auto p = greedy(0);
  p.prompt_logprobs = true;
  p.logprobs = 1;
  GenerationRequest r{prompt_, p};
  const Result got = collect(*engine_->submit(r));
  ASSERT_TRUE(got.got_prompt_logprobs);
  ASSERT_EQ(got.prompt_logprobs.size(), prompt_.size() - 1);
  EXPECT_TRUE(got.completions[0].tokens.empty());
  // Direct from the model: log_softmax of position i scores token i + 1.
  std::vector<float> state(model_->state_layout().floats(), 0.0f);
  ForwardScratch scratch;
  SeqChunk ch{prompt_, state.data(), 0};
  std::vector<float> logits(prompt_.size() * model_->vocab_size());
  model_->forward({&ch, 1}, logits.data(), scratch);
  for (size_t i = 0; i + 1 < prompt_.size(); ++i) {
    const float* row = logits.data() + i * model_->vocab_size();
    double mx = *std::max_element(row, row + model_->vocab_size()), s = 0;
    for (int v = 0; v < model_->vocab_size(); ++v) s += std::exp(row[v] - mx);
    EXPECT_NEAR(got.prompt_logprobs[i].logprob, row[prompt_[i + 1]] - mx - std::log(s), 1e-5);
  }
}

TEST_F(Sampling, InvalidParametersAreRefusedWithTheirName) {
  auto expect_invalid = [&](SamplingParams p, const std::string& param) {
    try {
      engine_->submit(GenerationRequest{prompt_, p});
      ADD_FAILURE() << param;
    } catch (const SubmitError& e) {
      EXPECT_EQ(e.kind, SubmitError::Kind::Invalid);
      EXPECT_EQ(e.param, param);
    }
  };
  auto p = base();
  p.temperature = -1;
  expect_invalid(p, "temperature");
  p = base();
  p.top_p = 0;
  expect_invalid(p, "top_p");
  p = base();
  p.n = 100;
  expect_invalid(p, "n");
  p = base();
  p.min_tokens = 100;
  expect_invalid(p, "min_tokens");
}

}  // namespace
}  // namespace mamba::test
