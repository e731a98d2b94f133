#pragma once
// Token logprobs in the two OpenAI shapes: the legacy Completions object (parallel lists tokens,
// token_logprobs, top_logprobs, text_offset) and the Chat Completions "content" entries.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/request.hpp"
#include "tokenizer/tokenizer.hpp"

namespace mamba::server {

class LegacyLogprobs {
 public:
  LegacyLogprobs();
  // A token with its logprob, or with nulls when `lp` is absent (the first prompt token, which
  // nothing predicts). `text_offset` counts characters of the returned text.
  void add(const tok::Tokenizer& tokenizer, int32_t token, const std::optional<TokenLogprob>& lp,
           size_t text_offset);
  const nlohmann::json& json() const { return json_; }

 private:
  nlohmann::json json_;
};

// {"token", "logprob", "bytes", "top_logprobs": [{"token", "logprob", "bytes"}...]}
nlohmann::json chat_logprob_entry(const tok::Tokenizer& tokenizer, const TokenLogprob& lp);

// Character offset at which each token's text starts when `tokens` are decoded in sequence.
std::vector<size_t> token_char_offsets(const tok::Tokenizer& tokenizer,
                                       std::span<const int32_t> tokens);

// A logprob as JSON can carry it: -inf (a token that could not be sampled) becomes -9999.
double json_logprob(float lp);

}  // namespace mamba::server
