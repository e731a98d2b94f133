// Added-token flags (lstrip, rstrip, single_word, normalized, special), leftmost-longest matching,
// TemplateProcessing, add_prefix_space, use_regex and pair-form merges, on small hand-made
// tokenizer.json files whose expected ids come from npm `tokenizers` (make_fixtures.mjs).
#include <gtest/gtest.h>

#include <map>

#include "fixture_util.hpp"

namespace mamba::tok::test {
namespace {

using nlohmann::json;

const Tokenizer& flags_tokenizer(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> loaded;
  auto& t = loaded[name];
  if (!t) t = load_hf_tokenizer_json(fixture(name + ".tokenizer.json"));
  return *t;
}

std::string label(const json& c) {
  return c["tokenizer"].get<std::string>() + ": " + c["text"].dump();
}

TEST(AddedTokenFlags, FixtureHasAllTokenizers) {
  const json cases = read_json("flag_cases.json");
  std::set<std::string> names;
  for (const json& c : cases) names.insert(c["tokenizer"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"flags", "flags_template", "flags_noregex"}));
}

TEST(AddedTokenFlags, EncodeMatchesHuggingFace) {
  for (const json& c : read_json("flag_cases.json")) {
    const Tokenizer& t = flags_tokenizer(c["tokenizer"].get<std::string>());
    const std::string text = c["text"].get<std::string>();
    EXPECT_EQ(t.encode(text), ids_of(c["ids"])) << label(c);
    EXPECT_EQ(t.encode(text, {.add_special_tokens = false}), ids_of(c["ids_no_special_tokens"]))
        << label(c);
    EXPECT_EQ(t.encode(text, {.parse_special = false}), ids_of(c["ids_parse_special_off"]))
        << label(c);
  }
}

TEST(AddedTokenFlags, DecodeMatchesHuggingFace) {
  for (const json& c : read_json("flag_cases.json")) {
    const Tokenizer& t = flags_tokenizer(c["tokenizer"].get<std::string>());
    const auto ids = ids_of(c["ids"]);
    EXPECT_EQ(t.decode(ids), c["decoded"].get<std::string>()) << label(c);
    EXPECT_EQ(t.decode(ids, true), c["decoded_skip_special"].get<std::string>()) << label(c);
    expect_streaming_matches_decode(t, ids, false, label(c));
    expect_streaming_matches_decode(t, ids, true, label(c));
  }
}

// Spot checks that say in words what the fixture pins down.
TEST(AddedTokenFlags, FlagSemantics) {
  const Tokenizer& t = flags_tokenizer("flags");
  const int32_t ls = *t.token_to_id("[LS]");
  const int32_t rs = *t.token_to_id("[RS]");
  const int32_t sw = *t.token_to_id("[SW]");
  const int32_t a = *t.token_to_id("a");
  const int32_t b = *t.token_to_id("b");
  const int32_t space = *t.token_to_id("Ġ");
  // lstrip swallows the whitespace before the token.
  EXPECT_EQ(t.encode("a   [LS]"), (std::vector<int32_t>{a, ls}));
  // rstrip swallows the whitespace after it, so "b" loses its space.
  EXPECT_EQ(t.encode("[RS]   b"), (std::vector<int32_t>{rs, b}));
  // single_word: only matched when not inside a word.
  EXPECT_EQ(t.encode("a [SW] b"), (std::vector<int32_t>{a, space, sw, space, b}));
  EXPECT_NE(t.encode("a[SW]b")[1], sw);
  // leftmost-longest.
  EXPECT_EQ(t.encode("<a><b>"), (std::vector<int32_t>{*t.token_to_id("<a><b>")}));
  // normalized tokens match after NFC: composed and decomposed input both hit "Ña".
  const int32_t na = *t.token_to_id("N\u0303a");
  EXPECT_EQ(t.encode("\u00d1a"), (std::vector<int32_t>{na}));
  EXPECT_EQ(t.encode("N\u0303a"), (std::vector<int32_t>{na}));
  // non-normalized tokens match the raw input only.
  const int32_t no = *t.token_to_id("n\u0303o");
  EXPECT_EQ(t.encode("n\u0303o"), (std::vector<int32_t>{no}));
  EXPECT_NE(t.encode("\u00f1o"), (std::vector<int32_t>{no}));
}

TEST(AddedTokenFlags, TemplateAddsBosAndEos) {
  const Tokenizer& t = flags_tokenizer("flags_template");
  const int32_t bos = *t.token_to_id("<s>");
  const int32_t eos = *t.token_to_id("</s>");
  EXPECT_EQ(t.bos_id(), bos);
  EXPECT_EQ(t.eos_id(), eos);
  const auto with = t.encode("hello");
  const auto without = t.encode("hello", {.add_special_tokens = false});
  ASSERT_EQ(with.size(), without.size() + 2);
  EXPECT_EQ(with.front(), bos);
  EXPECT_EQ(with.back(), eos);
  EXPECT_EQ(t.encode(""), (std::vector<int32_t>{bos, eos}));
}

}  // namespace
}  // namespace mamba::tok::test
