#include "bench/loadgen/prompts.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace mamba::bench {
namespace {

// A stand-in tokenizer: one token per word plus one per five characters.
int fake_count(const std::string& text) {
  std::istringstream in(text);
  std::string word;
  int words = 0;
  while (in >> word) ++words;
  return words + static_cast<int>(text.size() / 5);
}

TEST(Prompts, SameSeedSamePromptsOtherSeedOthers) {
  const auto a = make_random_prompts(5, 64, 42, nullptr);
  const auto b = make_random_prompts(5, 64, 42, nullptr);
  const auto c = make_random_prompts(5, 64, 43, nullptr);
  ASSERT_EQ(a.size(), 5u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].text, b[i].text);
    EXPECT_NE(a[i].text, c[i].text);
  }
  EXPECT_EQ(make_word_list(1, 100), make_word_list(1, 100));
  EXPECT_NE(make_word_list(1, 100), make_word_list(2, 100));
}

TEST(Prompts, EveryPromptStartsDifferently) {
  // A shared beginning would let a prefix cache serve one request from another.
  const auto prompts = make_random_prompts(50, 32, 0, nullptr);
  std::set<std::string> starts;
  for (const auto& p : prompts) starts.insert(p.text.substr(0, 12));
  EXPECT_EQ(starts.size(), prompts.size());
}

TEST(Prompts, EstimatedLengthWithoutTokenizer) {
  for (const auto& p : make_random_prompts(10, 100, 3, nullptr)) {
    EXPECT_FALSE(p.tokens_measured);
    EXPECT_EQ(p.tokens, 100);
    EXPECT_GE(p.text.size(), 400u);
    EXPECT_LT(p.text.size(), 420u);
  }
}

TEST(Prompts, MeasuredLengthHitsTheTarget) {
  int calls = 0;
  TokenCountFn counter = [&](const std::string& text) {
    ++calls;
    return fake_count(text);
  };
  for (int target : {1, 7, 128, 1000}) {
    const auto prompts = make_random_prompts(20, target, 9, counter);
    for (const auto& p : prompts) {
      EXPECT_TRUE(p.tokens_measured);
      EXPECT_EQ(p.tokens, fake_count(p.text));
      // Adding one word adds at least two tokens here, so a miss by one is sometimes unavoidable.
      EXPECT_LE(std::abs(p.tokens - target), 1) << "target " << target;
    }
  }
  EXPECT_LT(calls, 4 * 20 * 10);  // a handful of /tokenize calls per prompt, not a linear scan
}

TEST(Prompts, MeasuredLengthIsExactWithAByteLevelTokenizer) {
  // One token per character: whole words jump by several tokens, so letters must fill the gap.
  TokenCountFn bytes = [](const std::string& text) { return static_cast<int>(text.size()); };
  for (int target : {1, 2, 10, 64, 333}) {
    for (const auto& p : make_random_prompts(10, target, 4, bytes)) {
      EXPECT_EQ(p.tokens, target);
      EXPECT_EQ(static_cast<int>(p.text.size()), target);
    }
  }
}

class DatasetFile : public ::testing::Test {
 protected:
  std::string write(const std::string& content) {
    path_ = std::filesystem::temp_directory_path() /
            ("mamba_bench_dataset_" + std::to_string(::getpid()) + ".txt");
    std::ofstream(path_) << content;
    return path_.string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
};

TEST_F(DatasetFile, PlainLines) {
  const auto prompts = load_dataset(write("first prompt\r\n\n  \nsecond prompt\n"));
  EXPECT_EQ(prompts, (std::vector<std::string>{"first prompt", "second prompt"}));
}

TEST_F(DatasetFile, JsonLines) {
  const auto prompts = load_dataset(
      write("{\"prompt\": \"a \\\"quoted\\\" one\", \"id\": 1}\n{\"prompt\":\"b\"}\n"));
  EXPECT_EQ(prompts, (std::vector<std::string>{"a \"quoted\" one", "b"}));
}

TEST_F(DatasetFile, ErrorsNameTheLine) {
  try {
    load_dataset(write("{\"prompt\":\"ok\"}\n{\"text\":\"no prompt\"}\n"));
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(":2:"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_dataset(write("{broken\n")), std::runtime_error);
  EXPECT_THROW(load_dataset(write("\n\n")), std::runtime_error);
  EXPECT_THROW(load_dataset("/nonexistent/mamba/dataset.txt"), std::runtime_error);
}

TEST(Prompts, DatasetPromptsCycleAndAreCounted) {
  const std::vector<std::string> dataset = {"one two three", "four"};
  const auto prompts = make_dataset_prompts(dataset, 5, fake_count);
  ASSERT_EQ(prompts.size(), 5u);
  EXPECT_EQ(prompts[2].text, "one two three");
  EXPECT_EQ(prompts[3].text, "four");
  EXPECT_EQ(prompts[0].tokens, fake_count("one two three"));
  const auto estimated = make_dataset_prompts(dataset, 1, nullptr);
  EXPECT_EQ(estimated[0].tokens, 3);  // 13 characters / 4
  EXPECT_FALSE(estimated[0].tokens_measured);
}

}  // namespace
}  // namespace mamba::bench
