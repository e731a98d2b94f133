// Parity with the official Hugging Face tokenizers (npm `tokenizers` 0.23.2) on GPT-NeoX-20B.
// Fixtures: tools/tokenizer/make_fixtures.mjs.
#include <gtest/gtest.h>

#include "fixture_util.hpp"

namespace mamba::tok::test {
namespace {

using nlohmann::json;

std::string case_text(const json& c) {
  return c.contains("hex") ? from_hex(c["hex"].get<std::string>()) : c["text"].get<std::string>();
}

std::string label(const json& c) {
  return c["category"].get<std::string>() + ": " +
         (c.contains("hex") ? c["hex"].dump() : c["text"].dump());
}

TEST(NeoxParity, FixtureCoversEveryCategory) {
  const json cases = read_json("neox_cases.json");
  EXPECT_GE(cases.size(), 300u);
  std::set<std::string> categories;
  for (const json& c : cases) categories.insert(c["category"].get<std::string>());
  for (const char* want : {"prose", "code", "digits", "contractions", "accents", "cjk", "scripts",
                           "emoji", "special", "whitespace", "invalid_utf8"}) {
    EXPECT_TRUE(categories.count(want)) << want;
  }
}

TEST(NeoxParity, EncodeMatchesHuggingFace) {
  const json cases = read_json("neox_cases.json");
  std::size_t mismatches = 0;
  for (const json& c : cases) {
    const std::string text = case_text(c);
    const auto ids = neox().encode(text);
    if (ids != ids_of(c["ids"])) ++mismatches;
    EXPECT_EQ(ids, ids_of(c["ids"])) << label(c);
    EXPECT_EQ(neox().encode(text, {.add_special_tokens = false}), ids_of(c["ids"])) << label(c);
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(NeoxParity, ParseSpecialOffEncodesSpecialTextAsPlainText) {
  const json cases = read_json("neox_cases.json");
  for (const json& c : cases) {
    EXPECT_EQ(neox().encode(case_text(c), {.parse_special = false}),
              ids_of(c["ids_parse_special_off"]))
        << label(c);
  }
}

TEST(NeoxParity, DecodeOfEncodeIsNfc) {
  const json cases = read_json("neox_cases.json");
  for (const json& c : cases) {
    const auto ids = ids_of(c["ids"]);
    EXPECT_EQ(neox().decode(ids), c["nfc"].get<std::string>()) << label(c);
    EXPECT_EQ(neox().decode(neox().encode(case_text(c))), c["nfc"].get<std::string>()) << label(c);
    EXPECT_EQ(neox().decode(ids, true), c["decoded_skip_special"].get<std::string>()) << label(c);
  }
}

TEST(NeoxParity, StreamingEqualsDecodeForEveryCase) {
  const json cases = read_json("neox_cases.json");
  for (const json& c : cases) {
    const auto ids = ids_of(c["ids"]);
    expect_streaming_matches_decode(neox(), ids, false, label(c));
    expect_streaming_matches_decode(neox(), ids, true, label(c));
  }
}

TEST(NeoxParity, WholeValidCorpus) {
  const std::string text = read_file(fixture("valid.txt"));
  const json valid = read_json("neox_valid.json");
  const auto ids = neox().encode(text);
  EXPECT_EQ(ids, ids_of(valid["whole"]));
  EXPECT_EQ(neox().decode(ids), text);  // the corpus is ASCII-and-NFC, so NFC(x) == x
  expect_streaming_matches_decode(neox(), ids, false, "valid.txt");
}

TEST(NeoxParity, ValidCorpusLineByLine) {
  const std::string text = read_file(fixture("valid.txt"));
  const json valid = read_json("neox_valid.json");
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  ASSERT_EQ(lines.size(), valid["lines"].size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto ids = neox().encode(lines[i]);
    if (ids != ids_of(valid["lines"][i])) {
      ++mismatches;
      ADD_FAILURE() << "line " << i << ": " << lines[i];
    }
    expect_streaming_matches_decode(neox(), ids, false, "line " + std::to_string(i));
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(NeoxParity, DecodeRandomIdSequences) {
  const json d = read_json("neox_decode.json");
  EXPECT_EQ(neox().vocab_size(), d["vocab_size"].get<int32_t>());
  for (const json& s : d["sequences"]) {
    const auto ids = ids_of(s["ids"]);
    EXPECT_EQ(neox().decode(ids), s["text"].get<std::string>()) << s["ids"].dump();
    EXPECT_EQ(neox().decode(ids, true), s["skip_special"].get<std::string>()) << s["ids"].dump();
    expect_streaming_matches_decode(neox(), ids, false, s["ids"].dump());
    expect_streaming_matches_decode(neox(), ids, true, s["ids"].dump());
  }
}

TEST(NeoxParity, PiecesMatchSingleTokenDecode) {
  const json d = read_json("neox_decode.json");
  for (const json& p : d["pieces"]) {
    EXPECT_EQ(neox().piece(p[0].get<int32_t>()), p[1].get<std::string>()) << p.dump();
  }
}

TEST(NeoxParity, ReferenceExamples) {
  // docs/mamba-reference.md §10, checked with HF tokenizers 0.23.2.
  const auto& t = neox();
  EXPECT_EQ(t.encode("Hello world"), (std::vector<int32_t>{12092, 1533}));
  EXPECT_EQ(t.encode(" Hello  world"), (std::vector<int32_t>{24387, 50276, 10186}));
  EXPECT_EQ(t.encode("    hello"), (std::vector<int32_t>{50274, 25521}));
  EXPECT_EQ(t.encode("I'm here\n\nnew"), (std::vector<int32_t>{42, 1353, 1060, 187, 187, 1826}));
  EXPECT_EQ(t.encode("café"), (std::vector<int32_t>{68, 2320, 860}));
  EXPECT_EQ(t.encode("<|endoftext|>Hi"), (std::vector<int32_t>{0, 12764}));
  EXPECT_EQ(t.vocab_size(), 50277);
  EXPECT_EQ(t.bos_id(), 0);
  EXPECT_EQ(t.eos_id(), 0);
  EXPECT_TRUE(t.is_special(0));
  EXPECT_TRUE(t.is_special(1));
  EXPECT_FALSE(t.is_special(50276));
  EXPECT_FALSE(t.is_special(12092));
  EXPECT_EQ(t.token_to_id("<|endoftext|>"), 0);
  EXPECT_EQ(t.token_to_id("Ġworld"), 1533);
  EXPECT_EQ(t.token_to_id("no such token"), std::nullopt);
  EXPECT_EQ(t.token_bytes(1533), " world");
  EXPECT_EQ(t.token_bytes(50276), "  ");
  EXPECT_EQ(t.token_bytes(-1), "");
  EXPECT_EQ(t.token_bytes(50277), "");
}

TEST(NeoxParity, MergesAsPairsGiveTheSameIds) {
  json doc = json::parse(read_file(fixture("gpt-neox-20b.tokenizer.json")));
  for (json& m : doc["model"]["merges"]) {
    const std::string s = m.get<std::string>();
    const auto space = s.find(' ');
    m = json::array({s.substr(0, space), s.substr(space + 1)});
  }
  const auto pairs = load_hf_tokenizer_json_string(doc.dump(), "pairs");
  const json cases = read_json("neox_cases.json");
  for (const json& c : cases) EXPECT_EQ(pairs->encode(case_text(c)), ids_of(c["ids"])) << label(c);
}

}  // namespace
}  // namespace mamba::tok::test
