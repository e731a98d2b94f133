// The engine with its recurrent-state prefix cache: a prompt that extends a cached prefix (an
// earlier prompt, a prompt plus its completion, a prefill chunk boundary) restores that state and
// prefills only the rest, and its output equals a cold run's: same tokens, logprobs within 1e-5.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include "tests/engine/engine_harness.hpp"

namespace mamba::test {
namespace {

// Logprobs of the sampled tokens and of their top alternatives agree within 1e-5 (the restored
// state is a bitwise copy; only a differently chunked prefill could move the float rounding).
constexpr float kTolerance = 1e-5f;

struct Outcome {
  std::vector<int32_t> tokens;
  std::vector<TokenLogprob> logprobs;
  int cached = -1;  // cached_tokens of the Finished event (all completions report the same)
  int prompt_tokens = 0;
};

std::vector<Outcome> collect_runs(RequestHandle& h, int n = 1) {
  std::vector<Outcome> runs(n);
  Event e;
  while (h.next(e, std::chrono::seconds(60))) {
    Outcome& r = runs.at(e.index);
    if (e.kind == Event::Kind::Token) {
      r.tokens.push_back(e.token);
      if (e.logprob) r.logprobs.push_back(*e.logprob);
    } else if (e.kind == Event::Kind::Finished) {
      r.cached = e.cached_tokens;
      r.prompt_tokens = e.prompt_tokens;
    }
  }
  return runs;
}

Outcome run(Engine& e, const GenerationRequest& r) {
  return collect_runs(*e.submit(r))[0];
}

SamplingParams greedy(int max_tokens) {
  return greedy_params(max_tokens, 5);
}

EngineConfig cold_config() {
  return EngineConfig{.slots = 4, .state_cache_bytes = 0};
}

EngineConfig warm_config(int prefill_budget = 512) {
  return EngineConfig{.slots = 4, .prefill_budget = prefill_budget, .state_cache_bytes = 64 << 20};
}

std::vector<int32_t> concat(std::vector<int32_t> a, const std::vector<int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

void expect_same(const Outcome& warm, const Outcome& cold, const std::string& what) {
  EXPECT_EQ(warm.tokens, cold.tokens) << what;
  ASSERT_EQ(warm.logprobs.size(), cold.logprobs.size()) << what;
  for (size_t k = 0; k < cold.logprobs.size(); ++k) {
    EXPECT_NEAR(warm.logprobs[k].logprob, cold.logprobs[k].logprob, kTolerance)
        << what << ", token " << k;
    ASSERT_EQ(warm.logprobs[k].top.size(), cold.logprobs[k].top.size()) << what;
    for (size_t j = 0; j < cold.logprobs[k].top.size(); ++j) {
      EXPECT_EQ(warm.logprobs[k].top[j].first, cold.logprobs[k].top[j].first) << what;
      EXPECT_NEAR(warm.logprobs[k].top[j].second, cold.logprobs[k].top[j].second, kTolerance)
          << what << ", token " << k << ", alternative " << j;
    }
  }
}

class PrefixCacheExactness : public ::testing::TestWithParam<std::string> {};

TEST_P(PrefixCacheExactness, WarmRunsEqualColdRuns) {
  auto model = fixture_model(GetParam());
  Engine cold(model, neox_tokenizer(), cold_config());
  Engine warm(model, neox_tokenizer(), warm_config());
  std::mt19937 rng(21);
  const int vocab = model->vocab_size();
  const auto prompt = random_prompt(rng, 40, vocab);

  // Turn one: nothing cached yet.
  const GenerationRequest first{prompt, greedy(8)};
  const Outcome a = run(warm, first);
  EXPECT_EQ(a.cached, 0);
  expect_same(a, run(cold, first), "first turn");

  // The next "chat turn" repeats the conversation and adds to it: it restores the state left by
  // the finished completion (prompt and every generated token but the last).
  const GenerationRequest next{concat(concat(prompt, a.tokens), random_prompt(rng, 20, vocab)),
                               greedy(8)};
  const Outcome b = run(warm, next);
  EXPECT_EQ(b.cached, static_cast<int>(prompt.size() + a.tokens.size() - 1));
  expect_same(b, run(cold, next), "next turn");

  // Another prompt extending the first prompt only: restores the first prompt's end state.
  const GenerationRequest other{concat(prompt, random_prompt(rng, 15, vocab)), greedy(8)};
  const Outcome c = run(warm, other);
  EXPECT_EQ(c.cached, static_cast<int>(prompt.size()));
  expect_same(c, run(cold, other), "other continuation");

  // The same prompt again: state and next-token logits are cached, nothing is prefilled.
  const auto prefilled_before = warm.stats().prompt_tokens_total;
  const Outcome d = run(warm, first);
  EXPECT_EQ(d.cached, static_cast<int>(prompt.size()));
  EXPECT_EQ(d.prompt_tokens, static_cast<int>(prompt.size()));
  expect_same(d, a, "repeated prompt");
  EXPECT_EQ(warm.stats().prompt_tokens_total, prefilled_before);

  const EngineStats s = warm.stats();
  EXPECT_EQ(s.cache_queries_total, 4u);
  EXPECT_EQ(s.cache_hits_total, 3u);
  EXPECT_EQ(s.cache_tokens_saved_total, static_cast<uint64_t>(b.cached + c.cached + d.cached));
  EXPECT_GT(s.cache_entries, 0u);
  EXPECT_GT(s.cache_bytes, 0u);
  EXPECT_LE(s.cache_bytes, warm.config().state_cache_bytes);
  EXPECT_EQ(cold.stats().cache_queries_total, 0u);
}

TEST_P(PrefixCacheExactness, RestoresFromPrefillChunkBoundaries) {
  auto model = fixture_model(GetParam());
  Engine cold(model, neox_tokenizer(), cold_config());
  Engine warm(model, neox_tokenizer(), warm_config(/*prefill_budget=*/16));
  std::mt19937 rng(22);
  const int vocab = model->vocab_size();
  const auto long_prompt = random_prompt(rng, 100, vocab);
  run(warm, {long_prompt, greedy(2)});
  // Chunks end at 16, 32, ..., 96; snapshots are spread: 16, 32, 64.
  for (size_t shared : {20, 40, 70, 99}) {
    const GenerationRequest r{
        concat(std::vector<int32_t>(long_prompt.begin(), long_prompt.begin() + shared),
               random_prompt(rng, 9, vocab)),
        greedy(6)};
    const Outcome w = run(warm, r);
    const int want = shared >= 64 ? 64 : (shared >= 32 ? 32 : 16);
    EXPECT_GE(w.cached, want) << shared;
    EXPECT_LE(w.cached, static_cast<int>(shared)) << shared;
    expect_same(w, run(cold, r), "sharing " + std::to_string(shared));
  }
}

INSTANTIATE_TEST_SUITE_P(Models, PrefixCacheExactness,
                         ::testing::Values("m1_f32_tied", "m2_g2_f32_tied"),
                         [](const auto& info) { return info.param; });

TEST(EnginePrefixCache, UsesTheLongestCachedPrefix) {
  auto model = fixture_model("m1_f32_tied");
  Engine cold(model, neox_tokenizer(), cold_config());
  Engine warm(model, neox_tokenizer(), warm_config());
  std::mt19937 rng(23);
  const auto base = random_prompt(rng, 60, model->vocab_size());
  auto prefix = [&](size_t n) { return std::vector<int32_t>(base.begin(), base.begin() + n); };
  run(warm, {prefix(10), greedy(1)});
  run(warm, {prefix(30), greedy(1)});
  const GenerationRequest r{concat(prefix(35), {7, 8, 9}), greedy(5)};
  const Outcome w = run(warm, r);
  EXPECT_EQ(w.cached, 30);
  expect_same(w, run(cold, r), "35 shared tokens");
}

uint64_t collide(uint64_t, int32_t) {
  return 7;
}

TEST(EnginePrefixCache, HashCollisionsAreServedColdAndExact) {
  auto model = fixture_model("m2_g2_f32_tied");
  Engine cold(model, neox_tokenizer(), cold_config());
  EngineConfig c = warm_config();
  c.state_cache_hash = &collide;
  Engine warm(model, neox_tokenizer(), c);
  std::mt19937 rng(24);
  const int vocab = model->vocab_size();
  const auto p1 = random_prompt(rng, 30, vocab);
  auto p2 = random_prompt(rng, 30, vocab);
  p2[0] = p1[0] == 1 ? 2 : 1;  // nothing in common from the first token
  run(warm, {p1, greedy(4)});
  // Every prefix of p2 hashes like every cached prefix of p1.
  const GenerationRequest r{p2, greedy(6)};
  const Outcome w = run(warm, r);
  EXPECT_EQ(w.cached, 0);
  expect_same(w, run(cold, r), "colliding prompt");
  EXPECT_EQ(warm.stats().cache_hits_total, 0u);
  // A true prefix is still found among the colliding entries.
  const GenerationRequest ext{concat(p1, {3, 4, 5}), greedy(6)};
  const Outcome x = run(warm, ext);
  EXPECT_EQ(x.cached, static_cast<int>(p1.size()));
  expect_same(x, run(cold, ext), "true prefix under collisions");
}

TEST(EnginePrefixCache, EvictionKeepsTheBudget) {
  auto model = fixture_model("m1_f32_tied");
  const size_t entry = model->state_layout().bytes() +
                       static_cast<size_t>(model->vocab_size()) * sizeof(float) + 64 * 4;
  EngineConfig c = warm_config();
  c.state_cache_bytes = 3 * entry;
  Engine warm(model, neox_tokenizer(), c);
  Engine cold(model, neox_tokenizer(), cold_config());
  std::mt19937 rng(25);
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 10; ++i) {
    prompts.push_back(random_prompt(rng, 24, model->vocab_size()));
    run(warm, {prompts.back(), greedy(1)});
    const EngineStats s = warm.stats();
    EXPECT_LE(s.cache_bytes, c.state_cache_bytes);
    EXPECT_LE(s.cache_entries, 3u);
  }
  EXPECT_GE(warm.stats().cache_evictions_total, 7u);
  // The latest prompt is still cached, the first is gone; both still give exact output.
  for (int i : {9, 0}) {
    const GenerationRequest r{concat(prompts[i], {5, 6}), greedy(4)};
    const Outcome w = run(warm, r);
    EXPECT_EQ(w.cached, i == 9 ? 24 : 0) << i;
    expect_same(w, run(cold, r), "prompt " + std::to_string(i));
  }
}

TEST(EnginePrefixCache, ConcurrentRequestsSharingAPrefixMatchColdRuns) {
  auto model = fixture_model("m2_g2_f32_tied");
  const int vocab = model->vocab_size();
  std::mt19937 rng(26);
  const auto system = random_prompt(rng, 150, vocab);
  std::vector<GenerationRequest> reqs;
  for (int i = 0; i < 32; ++i) {
    reqs.push_back({concat(system, random_prompt(rng, 5 + i, vocab)), greedy(6 + i % 5)});
  }
  std::vector<Outcome> cold_runs;
  {
    Engine cold(model, neox_tokenizer(), cold_config());
    for (const auto& r : reqs) cold_runs.push_back(run(cold, r));
  }
  // Fewer slots than requests and small prefill chunks: some share the step with others still
  // prefilling the same prefix, later ones restore it.
  Engine warm(model, neox_tokenizer(),
              EngineConfig{.slots = 8, .prefill_budget = 64, .state_cache_bytes = 64 << 20});
  for (int wave = 0; wave < 2; ++wave) {
    std::vector<std::shared_ptr<RequestHandle>> handles;
    for (int i = 0; i < 16; ++i) handles.push_back(warm.submit(reqs[wave * 16 + i]));
    for (int i = 0; i < 16; ++i) {
      const Outcome w = collect_runs(*handles[i])[0];
      expect_same(w, cold_runs[wave * 16 + i], "request " + std::to_string(wave * 16 + i));
      if (wave == 1) {
        EXPECT_GE(w.cached, 128) << "request " << 16 + i;
      }
    }
  }
  EXPECT_GT(warm.stats().cache_hits_total, 16u);
}

TEST(EnginePrefixCache, SeveralCompletionsFromAFullyCachedPrompt) {
  auto model = fixture_model("m1_f32_tied");
  Engine cold(model, neox_tokenizer(), cold_config());
  Engine warm(model, neox_tokenizer(), warm_config());
  std::mt19937 rng(27);
  GenerationRequest r{random_prompt(rng, 25, model->vocab_size()), greedy(6)};
  r.params.n = 3;
  r.params.temperature = 5.0f;
  r.params.seed = 9;
  const auto ref = collect_runs(*cold.submit(r), 3);
  collect_runs(*warm.submit(r), 3);
  const auto got = collect_runs(*warm.submit(r), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].cached, 25);
    expect_same(got[i], ref[i], "completion " + std::to_string(i));
  }
}

TEST(EnginePrefixCache, PromptLogprobsRequestsAreNotServedFromTheCache) {
  auto model = fixture_model("m1_f32_tied");
  Engine warm(model, neox_tokenizer(), warm_config());
  std::mt19937 rng(28);
  GenerationRequest r{random_prompt(rng, 20, model->vocab_size()), greedy(3)};
  run(warm, r);
  r.params.prompt_logprobs = true;
  auto h = warm.submit(r);
  Event e;
  int cached = -1;
  size_t prompt_logprobs = 0;
  while (h->next(e, std::chrono::seconds(60))) {
    if (e.kind == Event::Kind::PromptLogprobs) prompt_logprobs = e.prompt_logprobs.size();
    if (e.kind == Event::Kind::Finished) cached = e.cached_tokens;
  }
  EXPECT_EQ(cached, 0);
  EXPECT_EQ(prompt_logprobs, r.prompt.size() - 1);
  EXPECT_EQ(warm.stats().cache_queries_total, 1u);
}

TEST(EnginePrefixCache, ASharedPrefixIsCachedWhereItEnds) {
  // Two prompts sharing 90 tokens: the second restores the first's chunk boundary (64), and the
  // point where it parts from the first (90) is snapshotted, so a third restores all 90.
  auto model = fixture_model("m2_g2_f32_tied");
  Engine cold(model, neox_tokenizer(), cold_config());
  Engine warm(model, neox_tokenizer(), warm_config(/*prefill_budget=*/32));
  std::mt19937 rng(29);
  const int vocab = model->vocab_size();
  const auto shared = random_prompt(rng, 90, vocab);
  auto with_tail = [&](int32_t first) {
    auto tail = random_prompt(rng, 40, vocab);
    tail[0] = first;
    return GenerationRequest{concat(shared, tail), greedy(4)};
  };
  EXPECT_EQ(run(warm, with_tail(1)).cached, 0);
  const auto second = with_tail(2);
  const Outcome b = run(warm, second);
  EXPECT_EQ(b.cached, 64);
  expect_same(b, run(cold, second), "second");
  const auto third = with_tail(3);
  const Outcome c = run(warm, third);
  EXPECT_EQ(c.cached, 90);
  expect_same(c, run(cold, third), "third");
}

TEST(EnginePrefixCache, ANextPromptThatRetokenizesTheLastTokenRestoresAllButIt) {
  // "...Assistant:" then "...Assistant:!! reply": the last prompt token merges with what follows.
  auto model = fixture_model("m1_f32_tied");
  Engine cold(model, neox_tokenizer(), cold_config());
  EngineConfig c = warm_config();
  c.state_cache_before_last_from = 50;
  Engine warm(model, neox_tokenizer(), c);
  std::mt19937 rng(31);
  const int vocab = model->vocab_size();
  const auto first = random_prompt(rng, 50, vocab);
  run(warm, {first, greedy(3)});
  auto next = first;
  next.back() = first.back() == 1 ? 2 : 1;
  next = concat(next, random_prompt(rng, 30, vocab));
  const Outcome w = run(warm, {next, greedy(6)});
  EXPECT_EQ(w.cached, 49);
  expect_same(w, run(cold, {next, greedy(6)}), "retokenized last token");

  // Prompts shorter than state_cache_before_last_from only get their end cached: a miss.
  c.state_cache_before_last_from = 51;
  Engine plain(model, neox_tokenizer(), c);
  run(plain, {first, greedy(3)});
  EXPECT_EQ(run(plain, {next, greedy(6)}).cached, 0);
}

TEST(EnginePrefixCache, CancelledCompletionLeavesAUsableSnapshot) {
  auto model = fixture_model("m1_f32_tied");
  Engine warm(model, neox_tokenizer(), warm_config());
  Engine cold(model, neox_tokenizer(), cold_config());
  std::mt19937 rng(30);
  const auto prompt = random_prompt(rng, 20, model->vocab_size());
  auto h = warm.submit({prompt, greedy(16000)});
  std::vector<int32_t> seen;
  Event e;
  while (seen.size() < 5 && h->next(e, std::chrono::seconds(10))) {
    if (e.kind == Event::Kind::Token) seen.push_back(e.token);
  }
  h->cancel();
  while (h->next(e, std::chrono::seconds(10))) {
    if (e.kind == Event::Kind::Token) seen.push_back(e.token);
  }
  ASSERT_GE(seen.size(), 5u);
  // The state covers the prompt and all tokens but the last one sampled.
  const GenerationRequest r{concat(concat(prompt, seen), {11, 12}), greedy(4)};
  const Outcome w = run(warm, r);
  EXPECT_EQ(w.cached, static_cast<int>(prompt.size() + seen.size() - 1));
  expect_same(w, run(cold, r), "after cancel");
}

}  // namespace
}  // namespace mamba::test
