// Character classes and NFC (utf8proc), including our piecewise NFC shortcut.
#include <gtest/gtest.h>
#include <utf8proc.h>

#include <random>

#include "fixture_util.hpp"
#include "tokenizer/gpt2_split.hpp"
#include "tokenizer/unicode.hpp"

namespace mamba::tok::test {
namespace {

using unicode::CharClass;
using unicode::classify;

TEST(Unicode, Classes) {
  EXPECT_EQ(classify(U'a'), CharClass::kLetter);
  EXPECT_EQ(classify(U'\u00e9'), CharClass::kLetter);
  EXPECT_EQ(classify(U'\u4e2d'), CharClass::kLetter);
  EXPECT_EQ(classify(U'7'), CharClass::kNumber);
  EXPECT_EQ(classify(U'\u0663'), CharClass::kNumber);  // Arabic-Indic three
  EXPECT_EQ(classify(U'\u00bd'), CharClass::kNumber);  // No
  EXPECT_EQ(classify(U' '), CharClass::kWhitespace);
  EXPECT_EQ(classify(U'\t'), CharClass::kWhitespace);
  EXPECT_EQ(classify(U'\r'), CharClass::kWhitespace);
  EXPECT_EQ(classify(U'\u0085'), CharClass::kWhitespace);
  EXPECT_EQ(classify(U'\u00a0'), CharClass::kWhitespace);
  EXPECT_EQ(classify(U'\u3000'), CharClass::kWhitespace);
  EXPECT_EQ(classify(U'\u2028'), CharClass::kWhitespace);
  EXPECT_EQ(classify(U'\u200b'), CharClass::kOther);  // zero-width space is Cf, not White_Space
  EXPECT_EQ(classify(U'\u0301'), CharClass::kOther);  // combining mark
  EXPECT_EQ(classify(U'!'), CharClass::kOther);
  EXPECT_EQ(classify(U'\U0001F600'), CharClass::kOther);
}

std::string nfc_whole(const std::string& s) {
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                              static_cast<utf8proc_ssize_t>(s.size()), &out,
                              static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  EXPECT_GE(n, 0);
  std::string r(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  std::free(out);
  return r;
}

TEST(Unicode, PiecewiseNfcEqualsWholeNfc) {
  const std::vector<std::string> parts = {
      "a",      "e",      " ", "\u0301", "\u0308", "\u0323", "\u00e2", "\u1100", "\u1161", "\u11a8",
      "\u212b", "\u0344", "x", "\u00e9", "\u3099", "\u304b", "\n",     "\u0b47", "\u0b3e"};
  std::mt19937 rng(3);
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    const int n = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < n; ++i) s += parts[rng() % parts.size()];
    ASSERT_EQ(unicode::nfc(s), nfc_whole(s)) << ::testing::PrintToString(s);
  }
  EXPECT_EQ(unicode::nfc("cafe\u0301"), "caf\u00e9");
  EXPECT_EQ(unicode::nfc("plain ascii"), "plain ascii");
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < s.size();) {
    const std::size_t end = gpt2_match_end(s, pos);
    out.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

TEST(Gpt2Split, RegexAlternatives) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split("I'm here\n\nnew"), (V{"I", "'m", " here", "\n", "\n", "new"}));
  EXPECT_EQ(split("don't"), (V{"don", "'t"}));
  EXPECT_EQ(split("DON'T"), (V{"DON", "'", "T"}));  // contractions are lowercase only
  EXPECT_EQ(split("we'll've"), (V{"we", "'ll", "'ve"}));
  EXPECT_EQ(split("a  b"), (V{"a", " ", " b"}));
  EXPECT_EQ(split("x   "), (V{"x", "   "}));
  EXPECT_EQ(split("abc123 456"), (V{"abc", "123", " 456"}));
  EXPECT_EQ(split("?!'s"), (V{"?!'", "s"}));
  EXPECT_EQ(split(" \t x"), (V{" \t", " x"}));
  EXPECT_EQ(split("\u00e9t\u00e9 \u4e2d\u6587"), (V{"\u00e9t\u00e9", " \u4e2d\u6587"}));
  EXPECT_EQ(split("a\u00a0b"), (V{"a", "\u00a0", "b"}));
}

}  // namespace
}  // namespace mamba::tok::test
