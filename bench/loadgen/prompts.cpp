#include "bench/loadgen/prompts.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace mamba::bench {
namespace {

// splitmix64: decorrelates the seeds of neighbouring prompt indices.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// std::mt19937_64's output is fixed by the standard; the distributions are not, so a plain modulo
// keeps the prompts identical across standard libraries.
size_t pick(std::mt19937_64& rng, size_t n) {
  return static_cast<size_t>(rng() % n);
}

class WordStream {
 public:
  WordStream(const std::vector<std::string>& words, uint64_t seed) : words_(words), rng_(seed) {}

  // The text of the first n words, drawing more when needed.
  std::string text(size_t n) {
    while (drawn_.size() < n) drawn_.push_back(&words_[pick(rng_, words_.size())]);
    std::string out;
    for (size_t i = 0; i < n; ++i) {
      if (i) out.push_back(' ');
      out += *drawn_[i];
    }
    return out;
  }

  // Word i (from 0), drawing more when needed.
  const std::string& word(size_t i) {
    text(i + 1);
    return *drawn_[i];
  }

 private:
  const std::vector<std::string>& words_;
  std::mt19937_64 rng_;
  std::vector<const std::string*> drawn_;
};

Prompt measured_prompt(WordStream& stream, int target, double& tokens_per_word,
                       const TokenCountFn& count_tokens) {
  // Bracket the word count: lo counts fewer tokens than the target, hi more; guess in between
  // from the running tokens-per-word ratio.
  size_t lo = 0, hi = 0;  // hi == 0: no upper bound yet
  size_t k = std::max<size_t>(1, static_cast<size_t>(std::lround(target / tokens_per_word)));
  Prompt best;
  int best_gap = -1;
  for (int attempt = 0; attempt < 24; ++attempt) {
    std::string text = stream.text(k);
    const int n = count_tokens(text);
    if (n > 0) tokens_per_word = static_cast<double>(n) / static_cast<double>(k);
    const int gap = std::abs(n - target);
    if (best_gap < 0 || gap < best_gap) {
      best = Prompt{std::move(text), n, true};
      best_gap = gap;
    }
    if (n == target) break;
    if (n < target) {
      lo = k;
    } else {
      hi = k;
    }
    if (hi != 0 && hi - lo <= 1) break;
    auto guess =
        static_cast<size_t>(std::lround(k + (target - n) / std::max(tokens_per_word, 0.1)));
    const size_t floor = lo + 1;
    const size_t ceiling = hi != 0 ? hi - 1 : std::max(guess, floor);
    k = std::clamp(guess, floor, ceiling);
  }
  // lo words give too few tokens and lo + 1 too many (a byte-level tokenizer gives one token per
  // character, so a word adds several): try the next word's first letters in between.
  if (best_gap > 0 && hi == lo + 1) {
    const std::string base = lo > 0 ? stream.text(lo) + " " : std::string();
    const std::string& next = stream.word(lo);
    // With lo > 0, zero letters leaves the separating space, which is a token of its own for some
    // tokenizers.
    for (size_t letters = lo > 0 ? 0 : 1; letters < next.size(); ++letters) {
      std::string text = base + next.substr(0, letters);
      const int n = count_tokens(text);
      if (std::abs(n - target) < best_gap) {
        best_gap = std::abs(n - target);
        best = Prompt{std::move(text), n, true};
      }
      if (n >= target) break;
    }
  }
  return best;
}

}  // namespace

std::vector<std::string> make_word_list(uint64_t seed, size_t size) {
  static const char kConsonants[] = "bcdfghjklmnprstvwz";
  static const char kVowels[] = "aeiou";
  std::mt19937_64 rng(mix(seed ^ 0x776f72646c697374ULL));
  std::vector<std::string> words;
  words.reserve(size);
  for (size_t i = 0; i < size; ++i) {
    std::string word;
    const size_t syllables = 1 + pick(rng, 3);
    for (size_t s = 0; s < syllables; ++s) {
      word.push_back(kConsonants[pick(rng, sizeof(kConsonants) - 1)]);
      word.push_back(kVowels[pick(rng, sizeof(kVowels) - 1)]);
      if (pick(rng, 3) == 0) word.push_back(kConsonants[pick(rng, sizeof(kConsonants) - 1)]);
    }
    words.push_back(std::move(word));
  }
  return words;
}

std::vector<Prompt> make_random_prompts(size_t count, int input_len, uint64_t seed,
                                        const TokenCountFn& count_tokens) {
  const std::vector<std::string> words = make_word_list(seed, 2048);
  std::vector<Prompt> prompts;
  prompts.reserve(count);
  double tokens_per_word = 2.0;
  for (size_t i = 0; i < count; ++i) {
    WordStream stream(words, mix(seed * 0x100000001b3ULL + i));
    if (count_tokens) {
      prompts.push_back(measured_prompt(stream, input_len, tokens_per_word, count_tokens));
      continue;
    }
    const size_t target_chars = static_cast<size_t>(input_len) * kCharsPerTokenEstimate;
    std::string text;
    for (size_t n = 1; text.size() < target_chars; ++n) text = stream.text(n);
    prompts.push_back(Prompt{std::move(text), input_len, false});
  }
  return prompts;
}

std::vector<std::string> load_dataset(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open dataset file '" + path + "'");
  std::vector<std::string> prompts;
  std::string line;
  for (size_t line_no = 1; std::getline(in, line); ++line_no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const size_t first = line.find_first_not_of(" \t");
    if (line[first] == '{') {
      const auto record = nlohmann::json::parse(line, nullptr, false);
      if (record.is_discarded()) {
        throw std::runtime_error(path + ":" + std::to_string(line_no) + ": invalid JSON");
      }
      if (!record.contains("prompt") || !record["prompt"].is_string() ||
          record["prompt"].get<std::string>().empty()) {
        throw std::runtime_error(path + ":" + std::to_string(line_no) +
                                 ": JSON line without a non-empty string \"prompt\"");
      }
      prompts.push_back(record["prompt"].get<std::string>());
    } else {
      prompts.push_back(line);
    }
  }
  if (prompts.empty()) throw std::runtime_error("dataset file '" + path + "' has no prompts");
  return prompts;
}

std::vector<Prompt> make_dataset_prompts(const std::vector<std::string>& dataset, size_t count,
                                         const TokenCountFn& count_tokens) {
  std::vector<Prompt> prompts;
  prompts.reserve(count);
  std::vector<int> lengths(dataset.size(), -1);  // each distinct line counted once
  for (size_t i = 0; i < count; ++i) {
    const size_t j = i % dataset.size();
    if (lengths[j] < 0) {
      lengths[j] = count_tokens ? count_tokens(dataset[j])
                                : std::max<int>(1, static_cast<int>(std::lround(
                                                       static_cast<double>(dataset[j].size()) /
                                                       kCharsPerTokenEstimate)));
    }
    prompts.push_back(Prompt{dataset[j], lengths[j], static_cast<bool>(count_tokens)});
  }
  return prompts;
}

}  // namespace mamba::bench
