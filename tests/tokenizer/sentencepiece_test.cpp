// SentencePiece: a small model trained with Debian's spm_train (tools/tokenizer/
// make_sentencepiece_fixture.sh); expected ids from Debian's spm_encode. Decoding is our own (so
// that it can stream), and is checked against libsentencepiece's DecodeIds.
#include <gtest/gtest.h>
#include <sentencepiece_processor.h>

#include <random>

#include "fixture_util.hpp"

namespace mamba::tok::test {
namespace {

const Tokenizer& sp() {
  static const std::unique_ptr<Tokenizer> t = load_sentencepiece_model(fixture("sp_demo.model"));
  return *t;
}

const sentencepiece::SentencePieceProcessor& reference() {
  static const auto p = [] {
    auto proc = std::make_unique<sentencepiece::SentencePieceProcessor>();
    if (!proc->Load(fixture("sp_demo.model").string()).ok()) throw std::runtime_error("load");
    return proc;
  }();
  return *p;
}

std::string reference_decode(const std::vector<int32_t>& ids) {
  std::string out;
  EXPECT_TRUE(reference().Decode(std::vector<int>(ids.begin(), ids.end()), &out).ok());
  return out;
}

std::vector<std::string> lines_of(const std::string& name) {
  std::istringstream in(read_file(fixture(name)));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<int32_t> parse_ids(const std::string& line) {
  std::istringstream in(line);
  std::vector<int32_t> ids;
  for (int32_t id; in >> id;) ids.push_back(id);
  return ids;
}

TEST(SentencePiece, IdsMatchSpmEncode) {
  const auto texts = lines_of("sp_texts.txt");
  const auto ids = lines_of("sp_ids.txt");
  ASSERT_EQ(texts.size(), ids.size());
  ASSERT_GE(texts.size(), 300u);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto expected = parse_ids(ids[i]);
    EXPECT_EQ(sp().encode(texts[i], {.add_special_tokens = false}), expected) << texts[i];
    auto with_bos = expected;
    with_bos.insert(with_bos.begin(), 1);
    EXPECT_EQ(sp().encode(texts[i]), with_bos) << texts[i];
  }
}

TEST(SentencePiece, RoundTripAndStreaming) {
  for (const std::string& text : lines_of("sp_texts.txt")) {
    const auto ids = sp().encode(text);
    const std::string decoded = sp().decode(ids);
    EXPECT_EQ(decoded, reference_decode(ids)) << text;
    expect_streaming_matches_decode(sp(), ids, false, text);
    expect_streaming_matches_decode(sp(), ids, true, text);
  }
  // Plain ASCII text with single spaces survives the model's normalizer unchanged.
  for (const char* text : {"The jury said it did find that many of the voters were not registered.",
                           "Hello world", "a b c 1 2 3"}) {
    EXPECT_EQ(sp().decode(sp().encode(text)), text);
  }
}

TEST(SentencePiece, ByteFallbackRoundTrip) {
  // Characters the model never saw are encoded as <0xNN> byte pieces and decode back.
  const std::string text = "snowman \u2603 and clef \U0001D11E";
  const auto ids = sp().encode(text, {.add_special_tokens = false});
  bool has_byte_piece = false;
  for (const int32_t id : ids) has_byte_piece |= reference().IsByte(id);
  EXPECT_TRUE(has_byte_piece);
  EXPECT_EQ(sp().decode(ids), text);
  expect_streaming_matches_decode(sp(), ids, false, text);
}

TEST(SentencePiece, RandomIdSequencesDecodeLikeTheLibrary) {
  std::mt19937 rng(7);
  const int32_t n = sp().vocab_size();
  std::vector<int32_t> byte_ids;
  for (int32_t id = 0; id < n; ++id) {
    if (reference().IsByte(id)) byte_ids.push_back(id);
  }
  ASSERT_EQ(byte_ids.size(), 256u);
  for (int round = 0; round < 2000; ++round) {
    std::vector<int32_t> ids(1 + rng() % 10);
    for (auto& id : ids) {
      const unsigned r = rng() % 10;
      // Mostly byte pieces (split and invalid UTF-8), some control/unk, the rest anything.
      id = r < 5    ? byte_ids[rng() % 256]
           : r == 5 ? static_cast<int32_t>(rng() % 3)
                    : static_cast<int32_t>(rng() % n);
    }
    EXPECT_EQ(sp().decode(ids), reference_decode(ids)) << ::testing::PrintToString(ids);
    expect_streaming_matches_decode(sp(), ids, false, ::testing::PrintToString(ids));
    expect_streaming_matches_decode(sp(), ids, true, ::testing::PrintToString(ids));
  }
}

TEST(SentencePiece, SpecialIdsAndPieces) {
  const Tokenizer& t = sp();
  EXPECT_EQ(t.vocab_size(), 1000);
  EXPECT_EQ(t.bos_id(), 1);
  EXPECT_EQ(t.eos_id(), 2);
  EXPECT_TRUE(t.is_special(0));  // <unk>
  EXPECT_TRUE(t.is_special(1));
  EXPECT_TRUE(t.is_special(2));
  EXPECT_FALSE(t.is_special(500));
  EXPECT_EQ(t.token_to_id("<s>"), 1);
  EXPECT_EQ(t.token_to_id("<unk>"), 0);
  EXPECT_EQ(t.token_to_id("no such piece"), std::nullopt);
  const auto the = t.token_to_id("\xE2\x96\x81the");
  ASSERT_TRUE(the);
  EXPECT_EQ(t.token_bytes(*the), " the");
  EXPECT_EQ(t.piece(*the), "the");  // decode([id]) drops the first piece's leading space
  EXPECT_EQ(t.piece(*the), reference_decode({*the}));
  EXPECT_EQ(t.decode(std::vector<int32_t>{1, *the, *the, 2}), "the the");
  EXPECT_EQ(t.decode(std::vector<int32_t>{0}), reference_decode({0}));
  EXPECT_EQ(t.decode(std::vector<int32_t>{0}, true), "");
  EXPECT_EQ(t.decode(std::vector<int32_t>{-5, 100000}), "");  // unknown ids are dropped
}

TEST(SentencePiece, ParseSpecial) {
  const Tokenizer& t = sp();
  const auto parsed = t.encode("a</s>b", {.add_special_tokens = false});
  EXPECT_NE(std::find(parsed.begin(), parsed.end(), 2), parsed.end());
  const auto plain = t.encode("a</s>b", {.add_special_tokens = false, .parse_special = false});
  EXPECT_EQ(std::find(plain.begin(), plain.end(), 2), plain.end());
  std::vector<int> lib;
  ASSERT_TRUE(reference().Encode("a</s>b", &lib).ok());
  EXPECT_EQ(plain, std::vector<int32_t>(lib.begin(), lib.end()));
}

}  // namespace
}  // namespace mamba::tok::test
