#include "tokenizer/tokenizer.hpp"
#include "tokenizer/utf8.hpp"

namespace mamba::tok {

IncrementalDecoder::IncrementalDecoder(const Tokenizer& tokenizer, bool skip_special_tokens,
                                       bool continues_text)
    : tokenizer_(tokenizer), skip_special_tokens_(skip_special_tokens) {
  state_.at_start = !continues_text;
}

std::string IncrementalDecoder::push(int32_t id) {
  tokenizer_.append_token_bytes(id, skip_special_tokens_, state_, pending_);
  // Everything before an unfinished trailing sequence is decided: later bytes cannot change how
  // it decodes (a lead byte is never a continuation, so the held bytes start a new sequence).
  const std::size_t hold = utf8::incomplete_tail(pending_);
  const std::size_t ready = pending_.size() - hold;
  if (ready == 0) return {};
  std::string out =
      utf8::repair(std::string_view(pending_).substr(0, ready), tokenizer_.utf8_repair());
  pending_.erase(0, ready);
  return out;
}

std::string IncrementalDecoder::flush() {
  std::string out = utf8::repair(pending_, tokenizer_.utf8_repair());
  pending_.clear();
  return out;
}

}  // namespace mamba::tok
