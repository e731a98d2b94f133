// Malformed or unsupported tokenizer.json files are refused at load with a message that names the
// file and the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_util.hpp"

namespace mamba::tok::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// A minimal valid byte-level BPE document: bytes "a", "b", "Ġ" and the merge "a b".
json minimal() {
  return json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [{"id": 4, "content": "<eos>", "special": true, "normalized": false,
                      "lstrip": false, "rstrip": false, "single_word": false}],
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true},
    "post_processor": {"type": "ByteLevel"},
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "fuse_unk": false,
              "vocab": {"a": 0, "b": 1, "Ġ": 2, "ab": 3}, "merges": ["a b"]}
  })");
}

std::string load_error(const std::string& text) {
  try {
    load_hf_tokenizer_json_string(text, "test/tokenizer.json");
  } catch (const TokenizerError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string load_error(const json& doc) {
  return load_error(doc.dump());
}

TEST(MalformedTokenizerJson, MinimalDocumentLoads) {
  const auto t = load_hf_tokenizer_json_string(minimal().dump());
  EXPECT_EQ(t->encode("ab a<eos>"), (std::vector<int32_t>{3, 2, 0, 4}));
  EXPECT_EQ(t->decode(std::vector<int32_t>{3, 2, 0, 4}), "ab a<eos>");
  EXPECT_EQ(t->eos_id(), std::nullopt);  // "<eos>" is not one of the names we guess
}

TEST(MalformedTokenizerJson, BadJson) {
  const std::string e = load_error(std::string("{\"model\": {\"type\": \"BPE\",,}"));
  EXPECT_THAT(e, HasSubstr("test/tokenizer.json"));
  EXPECT_THAT(e, HasSubstr("not valid JSON"));
  EXPECT_THAT(load_error(std::string("")), HasSubstr("not valid JSON"));
  EXPECT_THAT(load_error(std::string("[1, 2]")), HasSubstr("top level is not a JSON object"));
}

TEST(MalformedTokenizerJson, MissingPieces) {
  json doc = minimal();
  doc["model"].erase("merges");
  EXPECT_THAT(load_error(doc), HasSubstr("model has no \"merges\""));
  doc = minimal();
  doc["model"].erase("vocab");
  EXPECT_THAT(load_error(doc), HasSubstr("model has no \"vocab\""));
  doc = minimal();
  doc.erase("model");
  EXPECT_THAT(load_error(doc), HasSubstr("has no \"model\""));
  doc = minimal();
  doc["model"]["merges"] = "a b";
  EXPECT_THAT(load_error(doc), HasSubstr("model.merges is not an array"));
}

TEST(MalformedTokenizerJson, UnsupportedComponentsAreNamed) {
  json doc = minimal();
  doc["model"]["type"] = "WordPiece";
  EXPECT_THAT(load_error(doc), HasSubstr("model type \"WordPiece\" is not supported"));
  doc = minimal();
  doc["model"]["type"] = "Unigram";
  EXPECT_THAT(load_error(doc), HasSubstr("model type \"Unigram\""));
  doc = minimal();
  doc["normalizer"] = {{"type", "Lowercase"}};
  EXPECT_THAT(load_error(doc), HasSubstr("normalizer \"Lowercase\" is not supported"));
  doc = minimal();
  doc["normalizer"] = {{"type", "Sequence"},
                       {"normalizers", {{{"type", "NFC"}}, {{"type", "NFKC"}}}}};
  EXPECT_THAT(load_error(doc), HasSubstr("normalizer \"NFKC\""));
  doc = minimal();
  doc["pre_tokenizer"] = {{"type", "Whitespace"}};
  EXPECT_THAT(load_error(doc), HasSubstr("pre_tokenizer \"Whitespace\" is not supported"));
  doc = minimal();
  doc["pre_tokenizer"] = nullptr;
  EXPECT_THAT(load_error(doc), HasSubstr("without pre_tokenizer"));
  doc = minimal();
  doc["decoder"] = {{"type", "WordPiece"}};
  EXPECT_THAT(load_error(doc), HasSubstr("decoder \"WordPiece\" is not supported"));
  doc = minimal();
  doc["post_processor"] = {{"type", "BertProcessing"}};
  EXPECT_THAT(load_error(doc), HasSubstr("post_processor \"BertProcessing\" is not supported"));
  doc = minimal();
  doc["model"]["dropout"] = 0.1;
  EXPECT_THAT(load_error(doc), HasSubstr("dropout"));
  doc = minimal();
  doc["model"]["byte_fallback"] = true;
  EXPECT_THAT(load_error(doc), HasSubstr("byte_fallback"));
  doc = minimal();
  doc["model"]["continuing_subword_prefix"] = "##";
  EXPECT_THAT(load_error(doc), HasSubstr("continuing_subword_prefix"));
  doc = minimal();
  doc["truncation"] = {{"max_length", 512}};
  EXPECT_THAT(load_error(doc), HasSubstr("\"truncation\" is set"));
}

TEST(MalformedTokenizerJson, BadMerges) {
  json doc = minimal();
  doc["model"]["merges"] = {"a c"};
  EXPECT_THAT(load_error(doc), HasSubstr("merge 0 uses \"c\", which is not in the vocab"));
  doc = minimal();
  doc["model"]["merges"] = {"b a"};  // "ba" is not in the vocab
  EXPECT_THAT(load_error(doc), HasSubstr("\"ba\", which is not in the vocab"));
  doc = minimal();
  doc["model"]["merges"] = {"ab"};
  EXPECT_THAT(load_error(doc), HasSubstr("not two tokens separated by a space"));
  doc = minimal();
  doc["model"]["merges"] = json::array({json::array({"a"})});
  EXPECT_THAT(load_error(doc), HasSubstr("neither"));
  doc = minimal();
  doc["model"]["merges"] = json::array({json::array({"a", "b"})});  // the pair form is fine
  EXPECT_EQ(load_error(doc), "(no error)");
}

TEST(MalformedTokenizerJson, BadVocabAndIds) {
  json doc = minimal();
  doc["model"]["vocab"]["b"] = -1;
  EXPECT_THAT(load_error(doc), HasSubstr("model.vocab[\"b\"] is not a valid id"));
  doc = minimal();
  doc["model"]["vocab"]["b"] = 0;
  EXPECT_THAT(load_error(doc), HasSubstr("gives id 0 to two tokens"));
  doc = minimal();
  doc["model"]["vocab"]["b"] = 7;
  EXPECT_THAT(load_error(doc), HasSubstr("model.vocab has no token with id 1"));
  doc = minimal();
  doc["model"]["unk_token"] = "<unk>";
  EXPECT_THAT(load_error(doc), HasSubstr("unk_token \"<unk>\" is not in the vocab"));
}

TEST(MalformedTokenizerJson, AddedTokensPastTheVocabulary) {
  json doc = minimal();
  doc["added_tokens"][0]["id"] = 9;
  const std::string e = load_error(doc);
  EXPECT_THAT(e, HasSubstr("added token \"<eos>\" has id 9"));
  EXPECT_THAT(e, HasSubstr("past the model's vocabulary"));
  doc = minimal();
  doc["added_tokens"][0]["id"] = 1;  // collides with "b" in the model vocabulary
  EXPECT_THAT(load_error(doc), HasSubstr("would give it id 4"));
  doc = minimal();
  doc["added_tokens"][0].erase("content");
  EXPECT_THAT(load_error(doc), HasSubstr("added_tokens[0] has no \"content\""));
  doc = minimal();
  doc["added_tokens"][0]["special"] = "yes";
  EXPECT_THAT(load_error(doc), HasSubstr("added_tokens[0].special is not a boolean"));
}

TEST(MalformedTokenizerJson, FilesThatCannotBeRead) {
  try {
    load_hf_tokenizer_json("/nonexistent/tokenizer.json");
    FAIL() << "no error";
  } catch (const TokenizerError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("/nonexistent/tokenizer.json"));
  }
  EXPECT_THROW(load_sentencepiece_model("/nonexistent/tokenizer.model"), TokenizerError);
  // A tokenizer.json is not a SentencePiece model.
  try {
    load_sentencepiece_model(fixture("flags.tokenizer.json"));
    FAIL() << "no error";
  } catch (const TokenizerError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("not a SentencePiece model"));
  }
}

}  // namespace
}  // namespace mamba::tok::test
