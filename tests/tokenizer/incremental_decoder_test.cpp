// IncrementalDecoder: holds split characters, flushes leftovers as U+FFFD, skips specials, and is
// safe to use from several threads on one shared tokenizer.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fixture_util.hpp"

namespace mamba::tok::test {
namespace {

TEST(IncrementalDecoder, HoldsACharacterSplitAcrossTokens) {
  const Tokenizer& t = neox();
  // "😀" is four byte-tokens in GPT-NeoX; nothing may come out until the last one.
  const auto ids = t.encode("\xF0\x9F\x98\x80!");
  ASSERT_GE(ids.size(), 3u);
  IncrementalDecoder d(t);
  std::vector<std::string> pieces;
  for (const int32_t id : ids) pieces.push_back(d.push(id));
  pieces.push_back(d.flush());
  std::string all;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    EXPECT_TRUE(complete_utf8(pieces[i]));
    all += pieces[i];
  }
  EXPECT_EQ(all, "\xF0\x9F\x98\x80!");
  EXPECT_EQ(pieces[0], "");  // the first token holds a partial character
}

TEST(IncrementalDecoder, FlushTurnsAnUnfinishedCharacterIntoReplacement) {
  const Tokenizer& t = neox();
  const auto ids = t.encode("\xF0\x9F\x98\x80");
  IncrementalDecoder d(t);
  std::string out;
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) out += d.push(ids[i]);
  EXPECT_EQ(out, "");
  EXPECT_EQ(d.flush(), "\xEF\xBF\xBD");
  EXPECT_EQ(d.flush(), "");
}

TEST(IncrementalDecoder, SkipsSpecialTokensWhenAsked) {
  const Tokenizer& t = neox();
  IncrementalDecoder keep(t), skip(t, true);
  EXPECT_EQ(keep.push(0), "<|endoftext|>");
  EXPECT_EQ(skip.push(0), "");
  EXPECT_EQ(skip.push(12092), "Hello");
  EXPECT_EQ(skip.push(-1), "");  // unknown ids contribute nothing
  EXPECT_EQ(skip.push(1 << 30), "");
}

TEST(IncrementalDecoder, LongStreamStaysSmall) {
  // push() only ever keeps an unfinished character, so a long stream costs O(1) per token.
  const Tokenizer& t = neox();
  const std::string text = read_file(fixture("valid.txt"));
  const auto ids = t.encode(text);
  IncrementalDecoder d(t);
  std::string out;
  for (const int32_t id : ids) out += d.push(id);
  out += d.flush();
  EXPECT_EQ(out, text);
}

TEST(Tokenizer, ConcurrentEncodeAndDecodeAgree) {
  const Tokenizer& t = neox();
  const std::string text = read_file(fixture("valid.txt"));
  const auto expected = ids_of(read_json("neox_valid.json")["whole"]);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back(
        [&, k] { ok[k] = t.encode(text) == expected && t.decode(expected) == text; });
  }
  for (auto& th : threads) th.join();
  for (int k = 0; k < 4; ++k) EXPECT_TRUE(ok[k]) << k;
}

}  // namespace
}  // namespace mamba::tok::test

namespace mamba::tok::test {
namespace {

TEST(Tokenizer, VeryLongWordsStayFast) {
  // One pre-token of a million symbols: BPE must not be quadratic in the word length.
  const Tokenizer& t = neox();
  const std::string text(1 << 20, '=');
  const auto start = std::chrono::steady_clock::now();
  const auto ids = t.encode(text);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(t.decode(ids), text);
  EXPECT_LT(seconds, 10.0);
}

}  // namespace
}  // namespace mamba::tok::test

namespace mamba::tok::test {
namespace {

TEST(IncrementalDecoder, ContinuationKeepsTheWordStartSpaceOfSentencePiece) {
  const auto t = load_sentencepiece_model(fixture("sp_demo.model"));
  const auto prompt = t->encode("The jury said", {.add_special_tokens = false});
  const auto all = t->encode("The jury said that it was", {.add_special_tokens = false});
  ASSERT_GT(all.size(), prompt.size());
  ASSERT_TRUE(std::equal(prompt.begin(), prompt.end(), all.begin()));
  IncrementalDecoder start(*t), continuation(*t, false, true);
  std::string from_start, continued;
  for (size_t i = prompt.size(); i < all.size(); ++i) {
    from_start += start.push(all[i]);
    continued += continuation.push(all[i]);
  }
  from_start += start.flush();
  continued += continuation.flush();
  EXPECT_EQ(from_start, "that it was");
  EXPECT_EQ(continued, " that it was");
}

}  // namespace
}  // namespace mamba::tok::test
