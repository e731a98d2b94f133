#include "tokenizer/tokenizer.hpp"

#include "tokenizer/utf8.hpp"

namespace mamba::tok {

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  std::string bytes;
  DecodeState state;
  for (const int32_t id : ids) append_token_bytes(id, skip_special_tokens, state, bytes);
  return utf8::repair(bytes, utf8_repair());
}

std::string Tokenizer::piece(int32_t id) const {
  const int32_t ids[1] = {id};
  return decode(ids);
}

}  // namespace mamba::tok
