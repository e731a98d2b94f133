#pragma once
// The prompts of a run: random text of a target token length, deterministic from the seed, or the
// lines of a dataset file.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mamba::bench {

struct Prompt {
  std::string text;
  int tokens = 0;                // length in tokens, measured or estimated
  bool tokens_measured = false;  // counted by the server's tokenizer
};

// Counts the tokens of a text (the server's /tokenize); empty when there is none.
using TokenCountFn = std::function<int(const std::string&)>;

// Characters per token assumed when the server cannot count tokens.
inline constexpr int kCharsPerTokenEstimate = 4;

// Pseudo-words made of letter syllables, the same list for the same seed.
std::vector<std::string> make_word_list(uint64_t seed, size_t size);

// count prompts of about input_len tokens each. Every prompt is a different word sequence from its
// first word on, so a server's prefix cache cannot serve one request from another. With a counter
// the word count is searched until the server counts input_len tokens (or the nearest it can);
// without one, the text gets input_len * kCharsPerTokenEstimate characters.
std::vector<Prompt> make_random_prompts(size_t count, int input_len, uint64_t seed,
                                        const TokenCountFn& count_tokens);

// Prompts of a dataset file: one prompt a line, or JSON lines with a string "prompt" field. Blank
// lines are skipped. Throws std::runtime_error naming the file and line when it cannot be used.
std::vector<std::string> load_dataset(const std::string& path);

// count prompts taken from the dataset in order, starting again at the top when it runs out.
std::vector<Prompt> make_dataset_prompts(const std::vector<std::string>& dataset, size_t count,
                                         const TokenCountFn& count_tokens);

}  // namespace mamba::bench
