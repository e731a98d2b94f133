#include "server/completion_output.hpp"

namespace mamba::server {

size_t utf8_length(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

void CompletionOutput::apply(const Event& e) {
  if (e.kind == Event::Kind::Token) {
    tokens.push_back({e.token, e.logprob, chars});
    if (e.logprob) cumulative_logprob += e.logprob->logprob;
    text += e.text;
    chars += utf8_length(e.text);
  } else if (e.kind == Event::Kind::Finished) {
    // Text that was held back until the end (an incomplete character) arrives with Finished.
    text += e.text;
    chars += utf8_length(e.text);
    finished = true;
    finish = e.finish;
    completion_tokens = e.completion_tokens;
    cached_tokens = e.cached_tokens;
    error = e.error;
  }
}

const char* finish_reason_text(FinishReason r) {
  // vLLM's name for a completion the server cut short; the rest are the engine's own names.
  return r == FinishReason::Cancelled ? "abort" : finish_reason_name(r);
}

}  // namespace mamba::server
