// UTF-8 decoding, repair policies and the "unfinished tail" rule the streaming decoder relies on.
#include <gtest/gtest.h>

#include <random>

#include "fixture_util.hpp"
#include "tokenizer/utf8.hpp"

namespace mamba::tok::test {
namespace {

using utf8::incomplete_tail;
using utf8::repair;

const std::string R = "\xEF\xBF\xBD";  // U+FFFD

TEST(Utf8, RepairMaximalSubpart) {
  // Unicode 15 §3.9, Table 3-8 style examples: one U+FFFD per maximal subpart.
  EXPECT_EQ(repair("a\xE2\x82"
                   "b",
                   Utf8Repair::kMaximalSubpart),
            "a" + R + "b");
  EXPECT_EQ(repair("\xF0\x9F\x98", Utf8Repair::kMaximalSubpart), R);
  EXPECT_EQ(repair("\xC0\xAF", Utf8Repair::kMaximalSubpart), R + R);          // overlong lead
  EXPECT_EQ(repair("\xED\xA0\x80", Utf8Repair::kMaximalSubpart), R + R + R);  // surrogate
  EXPECT_EQ(repair("\xF4\x90\x80\x80", Utf8Repair::kMaximalSubpart), R + R + R + R);
  EXPECT_EQ(repair("\xE0\x80", Utf8Repair::kMaximalSubpart), R + R);
  EXPECT_EQ(repair("\xFF", Utf8Repair::kMaximalSubpart), R);
  EXPECT_EQ(repair("caf\xC3\xA9", Utf8Repair::kMaximalSubpart), "caf\xC3\xA9");
  EXPECT_EQ(repair(std::string("a\0b", 3), Utf8Repair::kMaximalSubpart), std::string("a\0b", 3));
}

TEST(Utf8, RepairPerByte) {
  EXPECT_EQ(repair("a\xE2\x82"
                   "b",
                   Utf8Repair::kPerByte),
            "a" + R + R + "b");
  EXPECT_EQ(repair("\xF0\x9F\x98\x80", Utf8Repair::kPerByte), "\xF0\x9F\x98\x80");
}

TEST(Utf8, IncompleteTail) {
  EXPECT_EQ(incomplete_tail(""), 0u);
  EXPECT_EQ(incomplete_tail("abc"), 0u);
  EXPECT_EQ(incomplete_tail("a\xC3"), 1u);
  EXPECT_EQ(incomplete_tail("a\xE2\x82"), 2u);
  EXPECT_EQ(incomplete_tail("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(incomplete_tail("\xF0\x9F\x98\x80"), 0u);
  EXPECT_EQ(incomplete_tail("\xE0\x80"), 0u);  // can never become valid: decided now
  EXPECT_EQ(incomplete_tail("\xED\xA0"), 0u);  // surrogate range
  EXPECT_EQ(incomplete_tail("\x80\x80\x80"), 0u);
  EXPECT_EQ(incomplete_tail("\xFF"), 0u);
  EXPECT_EQ(incomplete_tail("\xE2\x41"), 0u);
}

// Splitting any byte string anywhere and repairing "all but the unfinished tail" piece by piece
// gives the same text as repairing it whole: the property streaming depends on.
TEST(Utf8, PiecewiseRepairEqualsWholeRepair) {
  std::mt19937 rng(1);
  const unsigned char interesting[] = {0x41, 0x80, 0x9F, 0xA0, 0xBF, 0xC2, 0xC3, 0xE0, 0xE2,
                                       0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x82, 0xA9, 0x98};
  for (const auto policy : {Utf8Repair::kMaximalSubpart, Utf8Repair::kPerByte}) {
    for (int round = 0; round < 20000; ++round) {
      std::string bytes(1 + rng() % 8, '\0');
      for (char& c : bytes) c = static_cast<char>(interesting[rng() % sizeof interesting]);
      std::string pending, streamed;
      for (const char c : bytes) {
        pending.push_back(c);
        const std::size_t ready = pending.size() - incomplete_tail(pending);
        const std::string out = repair(pending.substr(0, ready), policy);
        EXPECT_TRUE(complete_utf8(out));
        streamed += out;
        pending.erase(0, ready);
      }
      streamed += repair(pending, policy);
      ASSERT_EQ(streamed, repair(bytes, policy)) << ::testing::PrintToString(bytes);
    }
  }
}

TEST(Utf8, IsValid) {
  EXPECT_TRUE(utf8::is_valid(""));
  EXPECT_TRUE(utf8::is_valid("h\xC3\xA9llo \xF0\x9F\x98\x80"));
  EXPECT_FALSE(utf8::is_valid("\xC3"));
  EXPECT_FALSE(utf8::is_valid("\xED\xA0\x80"));
}

}  // namespace
}  // namespace mamba::tok::test
