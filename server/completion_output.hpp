#pragma once
// What one completion produced, gathered from the engine's events: its text, its tokens with the
// character offset each starts at (for logprobs.text_offset), their logprobs, and how it ended.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/request.hpp"

namespace mamba::server {

// Number of Unicode code points in UTF-8 text (OpenAI's text_offset counts characters).
size_t utf8_length(std::string_view text);

struct TokenRecord {
  int32_t token = 0;
  std::optional<TokenLogprob> logprob;
  size_t char_offset = 0;  // characters of the completion's text before this token's text
};

struct CompletionOutput {
  std::string text;
  size_t chars = 0;
  std::vector<TokenRecord> tokens;
  bool finished = false;
  FinishReason finish = FinishReason::Length;
  int completion_tokens = 0;
  int cached_tokens = 0;  // prompt tokens served from the prefix cache
  double cumulative_logprob = 0;
  std::string error;

  // Applies a Token or Finished event of this completion.
  void apply(const Event& e);
};

// The OpenAI finish_reason string.
const char* finish_reason_text(FinishReason r);

}  // namespace mamba::server
