// Continuous batching: results never depend on what else is in the batch, prefill chunking, n > 1
// sharing one prefill, cancellation and backpressure.

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "tests/engine/engine_harness.hpp"

namespace mamba::test {
namespace {

constexpr float kLogprobTolerance = 1e-4f;

SamplingParams greedy(int max_tokens) {
  return greedy_params(max_tokens, 0);
}

Result run_alone(const std::shared_ptr<const Model>& m, const GenerationRequest& r) {
  Engine e(m, neox_tokenizer(), EngineConfig{.slots = 4});
  auto h = e.submit(r);
  return collect(*h, r.params.n);
}

class BatchInvariance : public ::testing::TestWithParam<std::string> {};

TEST_P(BatchInvariance, RandomArrivalsMatchEachRequestRunAlone) {
  auto model = fixture_model(GetParam());
  std::mt19937 rng(7);
  for (int trial = 0; trial < 3; ++trial) {
    const int count = trial == 0 ? 1 : (trial == 1 ? 9 : 32);
    std::vector<GenerationRequest> reqs(count);
    for (int i = 0; i < count; ++i) {
      const int len = std::uniform_int_distribution<int>(1, 70)(rng);
      reqs[i].prompt = random_prompt(rng, len, model->vocab_size());
      reqs[i].params = greedy(std::uniform_int_distribution<int>(1, 12)(rng));
      if (i % 3 == 1) {  // seeded sampling must not depend on the batch either
        reqs[i].params.temperature = 0.9f;
        reqs[i].params.top_p = 0.95f;
        reqs[i].params.seed = 100 + i;
      }
    }
    std::vector<Result> alone;
    for (const auto& r : reqs) alone.push_back(run_alone(model, r));

    // A small prefill budget forces chunked prompts mixed with other sequences' decode steps.
    Engine engine(model, neox_tokenizer(), EngineConfig{.slots = 32, .prefill_budget = 16});
    std::vector<std::shared_ptr<RequestHandle>> handles;
    for (const auto& r : reqs) {
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(rng)));
      handles.push_back(engine.submit(r));
    }
    for (int i = 0; i < count; ++i) {
      const Result got = collect(*handles[i]);
      const Completion& a = alone[i].completions[0];
      const Completion& b = got.completions[0];
      EXPECT_EQ(b.tokens, a.tokens) << "request " << i << " of " << count;
      EXPECT_EQ(b.text, a.text) << "request " << i;
      ASSERT_EQ(b.logprobs.size(), a.logprobs.size());
      for (size_t k = 0; k < a.logprobs.size(); ++k) {
        EXPECT_NEAR(b.logprobs[k], a.logprobs[k], kLogprobTolerance)
            << "request " << i << " token " << k;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, BatchInvariance,
                         ::testing::Values("m1_f32_tied", "m2_g2_bf16_untied"),
                         [](const auto& info) { return info.param; });

TEST(EngineBatching, AnyPrefillBudgetGivesTheSameGreedyOutput) {
  auto model = fixture_model("m2_g1_f32_untied");
  std::mt19937 rng(3);
  GenerationRequest r{random_prompt(rng, 41, model->vocab_size()), greedy(10)};
  r.params.prompt_logprobs = true;
  r.params.logprobs = 2;
  const Result ref = run_alone(model, r);
  for (int budget : {1, 2, 3, 7, 40, 41, 1000}) {
    Engine e(model, neox_tokenizer(), EngineConfig{.slots = 2, .prefill_budget = budget});
    const Result got = collect(*e.submit(r));
    EXPECT_EQ(got.completions[0].tokens, ref.completions[0].tokens) << budget;
    ASSERT_EQ(got.prompt_logprobs.size(), r.prompt.size() - 1);
    for (size_t k = 0; k < got.prompt_logprobs.size(); ++k) {
      EXPECT_NEAR(got.prompt_logprobs[k].logprob, ref.prompt_logprobs[k].logprob, 1e-5) << budget;
    }
  }
}

TEST(EngineBatching, NCompletionsShareOnePrefill) {
  auto model = fixture_model("m1_f32_tied");
  Engine e(model, neox_tokenizer(), EngineConfig{.slots = 8});
  std::mt19937 rng(5);
  GenerationRequest r{random_prompt(rng, 30, model->vocab_size()), {}};
  r.params.n = 4;
  r.params.max_tokens = 12;
  r.params.ignore_eos = true;
  r.params.seed = 42;
  r.params.temperature = 5.0f;  // the random model is very sure of itself; flatten it
  const auto before = e.stats().prefills_total;
  const Result got = collect(*e.submit(r), 4);
  EXPECT_EQ(e.stats().prefills_total - before, 1u);
  ASSERT_EQ(got.completions.size(), 4u);
  for (const auto& c : got.completions) {
    EXPECT_EQ(c.tokens.size(), 12u);
    EXPECT_EQ(c.finish, FinishReason::Length);
  }
  int distinct = 0;
  for (int i = 1; i < 4; ++i) distinct += got.completions[i].tokens != got.completions[0].tokens;
  EXPECT_GE(distinct, 2) << "the four completions should sample independently";
  // The same request again gives the same four completions: each has its own seeded stream.
  const Result again = collect(*e.submit(r), 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(again.completions[i].tokens, got.completions[i].tokens);
}

TEST(EngineBatching, CancellationFreesTheSlot) {
  auto model = fixture_model("m1_f32_tied");
  Engine e(model, neox_tokenizer(), EngineConfig{.slots = 2});
  std::mt19937 rng(9);
  GenerationRequest r{random_prompt(rng, 8, model->vocab_size()), greedy(16000)};
  auto h = e.submit(r);
  Event ev;
  ASSERT_TRUE(h->next(ev, std::chrono::seconds(10)));
  EXPECT_TRUE(wait_until([&] { return e.stats().slots_used == 1; }));
  h->cancel();
  EXPECT_TRUE(wait_until([&] { return e.stats().slots_used == 0; }));
  FinishReason why = FinishReason::Length;
  while (h->next(ev, std::chrono::seconds(10))) {
    if (ev.kind == Event::Kind::Finished) why = ev.finish;
  }
  EXPECT_EQ(why, FinishReason::Cancelled);
  EXPECT_TRUE(h->done());
}

TEST(EngineBatching, FullQueueIsRefusedAtOnce) {
  auto model = fixture_model("m1_f32_tied");
  Engine e(model, neox_tokenizer(), EngineConfig{.slots = 1, .max_waiting = 1});
  std::mt19937 rng(11);
  GenerationRequest r{random_prompt(rng, 8, model->vocab_size()), greedy(16000)};
  auto running = e.submit(r);
  ASSERT_TRUE(wait_until([&] { return e.stats().slots_used == 1; }));
  auto queued = e.submit(r);
  try {
    e.submit(r);
    FAIL() << "the third request should be refused";
  } catch (const SubmitError& err) {
    EXPECT_EQ(err.kind, SubmitError::Kind::QueueFull);
  }
  running->cancel();
  queued->cancel();
}

TEST(EngineBatching, OverlongPromptIsRefusedUpFront) {
  auto model = fixture_model("m1_f32_tied");
  Engine e(model, neox_tokenizer(), EngineConfig{.slots = 1, .max_prompt_tokens = 10});
  GenerationRequest r{std::vector<int32_t>(11, 5), greedy(1)};
  try {
    e.submit(r);
    FAIL();
  } catch (const SubmitError& err) {
    EXPECT_EQ(err.kind, SubmitError::Kind::PromptTooLong);
  }
  r.prompt = {1, 2, 100000};
  try {
    e.submit(r);
    FAIL();
  } catch (const SubmitError& err) {
    EXPECT_EQ(err.kind, SubmitError::Kind::Invalid);
    EXPECT_EQ(err.param, "prompt");
  }
}

}  // namespace
}  // namespace mamba::test
