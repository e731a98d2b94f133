// The state cache on its own: longest-prefix restore, verification against hash collisions, the
// byte budget with LRU eviction, and next-token logits for prompts cached to their full length.

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "engine/state_cache.hpp"

namespace mamba::test {
namespace {

constexpr size_t kStateFloats = 64;
constexpr size_t kLogitsFloats = 8;

std::vector<int32_t> iota_tokens(size_t n, int32_t first) {
  std::vector<int32_t> t(n);
  std::iota(t.begin(), t.end(), first);
  return t;
}

// A state whose every float says which prefix it belongs to.
std::vector<float> state_of(float tag) {
  return std::vector<float>(kStateFloats, tag);
}

uint64_t always_collide(uint64_t, int32_t) {
  return 42;
}

TEST(StateCache, RestoresTheLongestCachedPrefix) {
  StateCache cache(kStateFloats, kLogitsFloats, 1 << 20);
  const auto prompt = iota_tokens(60, 1);
  ASSERT_TRUE(cache.insert(std::span(prompt).first(10), state_of(10).data()));
  ASSERT_TRUE(cache.insert(std::span(prompt).first(30), state_of(30).data()));

  auto shares = [&](size_t n) {
    auto p = std::vector<int32_t>(prompt.begin(), prompt.begin() + n);
    for (int i = 0; i < 12; ++i) p.push_back(1000 + i);  // then parts from `prompt`
    return p;
  };
  std::vector<float> out(kStateFloats, -1.0f);
  auto hit = cache.restore(shares(35), out.data());
  EXPECT_EQ(hit.length, 30u);
  EXPECT_EQ(hit.logits, nullptr);
  EXPECT_EQ(out, state_of(30));

  hit = cache.restore(shares(29), out.data());
  EXPECT_EQ(hit.length, 10u);
  EXPECT_EQ(out, state_of(10));

  std::fill(out.begin(), out.end(), -1.0f);
  hit = cache.restore(shares(9), out.data());
  EXPECT_EQ(hit.length, 0u);
  EXPECT_EQ(out, std::vector<float>(kStateFloats, -1.0f)) << "a miss leaves the state alone";

  // Exactly the 30 cached tokens: the last one must still run (no logits stored), so 10.
  hit = cache.restore(std::span(prompt).first(30), out.data());
  EXPECT_EQ(hit.length, 10u);
}

TEST(StateCache, FullLengthHitNeedsStoredLogits) {
  StateCache cache(kStateFloats, kLogitsFloats, 1 << 20);
  const auto prompt = iota_tokens(20, 5);
  const std::vector<float> logits = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(cache.insert(prompt, state_of(20).data()));
  std::vector<float> out(kStateFloats);
  EXPECT_EQ(cache.restore(prompt, out.data()).length, 0u);

  // Inserting the same tokens with logits upgrades the entry instead of adding one.
  ASSERT_TRUE(cache.insert(prompt, state_of(20).data(), logits.data()));
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.bytes(), cache.entry_bytes(20, true));
  const auto hit = cache.restore(prompt, out.data());
  EXPECT_EQ(hit.length, 20u);
  ASSERT_NE(hit.logits, nullptr);
  EXPECT_EQ(std::vector<float>(hit.logits, hit.logits + kLogitsFloats), logits);
  EXPECT_EQ(out, state_of(20));
}

TEST(StateCache, ForcedHashCollisionsAreCaughtByVerification) {
  StateCache cache(kStateFloats, kLogitsFloats, 1 << 20, &always_collide);
  const auto a = iota_tokens(40, 1);
  const auto b = iota_tokens(40, 500);  // same lengths, every hash equal, no token in common
  ASSERT_TRUE(cache.insert(std::span(a).first(10), state_of(10).data()));
  ASSERT_TRUE(cache.insert(std::span(a).first(30), state_of(30).data()));

  std::vector<float> out(kStateFloats, -1.0f);
  EXPECT_EQ(cache.restore(b, out.data()).length, 0u) << "served a state of other tokens";
  EXPECT_EQ(out, std::vector<float>(kStateFloats, -1.0f));

  // Prompts differing only in their last cached token collide too, and are told apart.
  auto c = std::vector<int32_t>(a.begin(), a.begin() + 30);
  c[29] = 9999;
  c.push_back(7);
  EXPECT_EQ(cache.restore(c, out.data()).length, 10u);
  EXPECT_EQ(out, state_of(10));

  // Entries of the same length and hash coexist; each restores its own state.
  ASSERT_TRUE(cache.insert(std::span(b).first(30), state_of(-30).data()));
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_EQ(cache.restore(b, out.data()).length, 30u);
  EXPECT_EQ(out, state_of(-30));
  EXPECT_EQ(cache.restore(a, out.data()).length, 30u);
  EXPECT_EQ(out, state_of(30));
}

TEST(StateCache, EvictionKeepsTheBudgetAndDropsTheLeastRecentlyUsed) {
  const size_t per_entry = StateCache(kStateFloats, kLogitsFloats, 0).entry_bytes(16, false);
  const size_t budget = per_entry * 3 + per_entry / 2;  // room for three entries, not four
  StateCache cache(kStateFloats, kLogitsFloats, budget);
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 10; ++i) prompts.push_back(iota_tokens(16, 100 * i + 1));
  std::vector<float> out(kStateFloats);

  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cache.insert(prompts[i], state_of(i).data()));
    EXPECT_LE(cache.bytes(), budget);
    EXPECT_EQ(cache.entries(), std::min(i + 1, 3));
    if (i == 4) {
      // Using prompt 2 makes it the most recent: prompt 3 goes next, not 2.
      std::vector<int32_t> longer = prompts[2];
      longer.push_back(1);
      ASSERT_EQ(cache.restore(longer, out.data()).length, 16u);
    }
  }
  EXPECT_EQ(cache.evictions(), 7u);
  EXPECT_EQ(cache.bytes(), 3 * per_entry);
  // Inserted 0..9 with 2 used after 4 was inserted: the survivors are 7, 8, 9.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(cache.contains(prompts[i]), i >= 7) << "prompt " << i;
  }

  // After 5 was inserted the cache held 2 (used), 4, 5; then 6 evicted 4 (not 2), 7 evicted 2.
  StateCache order(kStateFloats, kLogitsFloats, budget);
  for (int i = 0; i < 6; ++i) {
    order.insert(prompts[i], state_of(i).data());
    if (i == 4) {
      std::vector<int32_t> longer = prompts[2];
      longer.push_back(1);
      order.restore(longer, out.data());
    }
  }
  EXPECT_TRUE(order.contains(prompts[2]));
  EXPECT_FALSE(order.contains(prompts[3]));
  order.insert(prompts[6], state_of(6).data());
  EXPECT_TRUE(order.contains(prompts[2]));
  EXPECT_FALSE(order.contains(prompts[4]));
}

TEST(StateCache, EntryLargerThanTheBudgetIsNotStored) {
  const size_t per_entry = StateCache(kStateFloats, kLogitsFloats, 0).entry_bytes(16, false);
  StateCache cache(kStateFloats, kLogitsFloats, per_entry);
  ASSERT_TRUE(cache.insert(iota_tokens(16, 1), state_of(1).data()));
  EXPECT_FALSE(cache.insert(iota_tokens(17, 1), state_of(2).data()));
  EXPECT_TRUE(cache.contains(iota_tokens(16, 1))) << "a refused entry evicts nothing";
  EXPECT_LE(cache.bytes(), per_entry);
  StateCache off(kStateFloats, kLogitsFloats, 0);
  EXPECT_FALSE(off.insert(iota_tokens(1, 1), state_of(1).data()));
  EXPECT_EQ(off.entries(), 0u);
}

TEST(StateCache, ReinsertingRefreshesWithoutDuplicating) {
  StateCache cache(kStateFloats, kLogitsFloats, 1 << 20);
  const auto p = iota_tokens(12, 1);
  ASSERT_TRUE(cache.insert(p, state_of(1).data()));
  ASSERT_TRUE(cache.insert(p, state_of(1).data()));
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.bytes(), cache.entry_bytes(12, false));
  EXPECT_FALSE(cache.insert({}, state_of(0).data())) << "the empty prefix is the zero state";
}

TEST(StateCache, LongestOverlapFindsWhereAPromptPartsFromCachedOnes) {
  StateCache cache(kStateFloats, kLogitsFloats, 1 << 20);
  const auto a = iota_tokens(50, 1);
  cache.insert(a, state_of(1).data());
  auto p = std::vector<int32_t>(a.begin(), a.begin() + 33);
  p.push_back(-5);
  const auto o = cache.longest_overlap(p);
  EXPECT_EQ(o.length, 33u);
  EXPECT_EQ(o.entry_length, 50u);
  EXPECT_EQ(cache.longest_overlap(iota_tokens(5, 900)).length, 0u);
  // Sequences with generated tokens are not branch candidates.
  const auto generated = iota_tokens(50, 300);
  cache.insert(generated, state_of(2).data(), nullptr, /*prompt=*/false);
  EXPECT_EQ(cache.longest_overlap(std::span(generated).first(40)).length, 0u);
  std::vector<float> out(kStateFloats);
  auto longer = generated;
  longer.push_back(1);
  EXPECT_EQ(cache.restore(longer, out.data()).length, 50u) << "but they are restored";
}

}  // namespace
}  // namespace mamba::test
