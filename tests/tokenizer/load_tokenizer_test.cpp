// load_tokenizer(model_dir): file choice, bos/eos from the config files, vocab_size check.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "fixture_util.hpp"

namespace mamba::tok::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ModelDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mamba-tok-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
  }
  void copy(const std::string& fixture_name, const std::string& name) {
    fs::copy_file(fixture(fixture_name), dir_ / name);
  }
  std::string error() {
    try {
      load_tokenizer(dir_);
    } catch (const TokenizerError& e) {
      return e.what();
    }
    return "(no error)";
  }
  fs::path dir_;
};

TEST_F(ModelDir, GptNeoxWithMambaConfig) {
  copy("gpt-neox-20b.tokenizer.json", "tokenizer.json");
  write("config.json", R"({"model_type": "mamba", "vocab_size": 50280, "bos_token_id": 0,
                           "eos_token_id": 0, "pad_token_id": 0})");
  const auto t = load_tokenizer(dir_);
  EXPECT_EQ(t->bos_id(), 0);
  EXPECT_EQ(t->eos_id(), 0);
  EXPECT_EQ(t->encode("Hello world"), (std::vector<int32_t>{12092, 1533}));
}

TEST_F(ModelDir, ConfigIdsWinOverTokenizerConfig) {
  copy("gpt-neox-20b.tokenizer.json", "tokenizer.json");
  write("special_tokens_map.json",
        R"({"bos_token": "<|padding|>", "eos_token": {"content": "<|padding|>"}})");
  write("tokenizer_config.json", R"({"bos_token": "<|endoftext|>", "eos_token": "<|padding|>"})");
  auto t = load_tokenizer(dir_);
  EXPECT_EQ(t->bos_id(), 0);  // tokenizer_config.json wins over special_tokens_map.json
  EXPECT_EQ(t->eos_id(), 1);
  write("config.json", R"({"eos_token_id": [0, 1]})");
  t = load_tokenizer(dir_);
  EXPECT_EQ(t->eos_id(), 0);  // config.json wins; of a list, the first
}

TEST_F(ModelDir, TokenizerIdsPastTheModelVocabulary) {
  copy("gpt-neox-20b.tokenizer.json", "tokenizer.json");
  write("config.json", R"({"vocab_size": 50000})");
  EXPECT_THAT(error(), HasSubstr("vocab_size is 50000 but its tokenizer has ids up to 50276"));
}

TEST_F(ModelDir, BadConfigFiles) {
  copy("gpt-neox-20b.tokenizer.json", "tokenizer.json");
  write("config.json", "{not json");
  EXPECT_THAT(error(), HasSubstr("config.json: not valid JSON"));
  write("config.json", R"({"eos_token_id": 999999})");
  EXPECT_THAT(error(), HasSubstr("eos_token_id 999999 is outside the tokenizer's ids"));
  write("config.json", R"({"eos_token_id": "0"})");
  EXPECT_THAT(error(), HasSubstr("eos_token_id is not an integer"));
  fs::remove(dir_ / "config.json");
  write("tokenizer_config.json", R"({"eos_token": "</nope>"})");
  EXPECT_THAT(error(), HasSubstr("eos_token \"</nope>\" is not a token"));
}

TEST_F(ModelDir, SentencePieceModel) {
  copy("sp_demo.model", "tokenizer.model");
  auto t = load_tokenizer(dir_);
  EXPECT_EQ(t->bos_id(), 1);
  EXPECT_EQ(t->eos_id(), 2);
  EXPECT_EQ(t->encode("hi").front(), 1);  // BOS by default, as HF's LlamaTokenizer
  write("tokenizer_config.json", R"({"add_bos_token": false, "add_eos_token": true})");
  t = load_tokenizer(dir_);
  EXPECT_NE(t->encode("hi").front(), 1);
  EXPECT_EQ(t->encode("hi").back(), 2);
}

TEST_F(ModelDir, PrefersTokenizerJson) {
  copy("sp_demo.model", "tokenizer.model");
  copy("flags.tokenizer.json", "tokenizer.json");
  EXPECT_EQ(load_tokenizer(dir_)->vocab_size(), 297);
}

TEST_F(ModelDir, EmptyOrMissing) {
  EXPECT_THAT(error(), HasSubstr("has neither tokenizer.json nor tokenizer.model"));
  EXPECT_THROW(load_tokenizer(dir_ / "missing"), TokenizerError);
}

TEST(LoadTokenizer, SingleFiles) {
  EXPECT_EQ(load_tokenizer(fixture("gpt-neox-20b.tokenizer.json"))->vocab_size(), 50277);
  EXPECT_EQ(load_tokenizer(fixture("sp_demo.model"))->vocab_size(), 1000);
}

}  // namespace
}  // namespace mamba::tok::test
