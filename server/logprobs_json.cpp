#include "server/logprobs_json.hpp"

#include <cmath>

#include "server/completion_output.hpp"

namespace mamba::server {
namespace {

nlohmann::json byte_list(const std::string& bytes) {
  nlohmann::json out = nlohmann::json::array();
  for (unsigned char c : bytes) out.push_back(static_cast<int>(c));
  return out;
}

}  // namespace

double json_logprob(float lp) {
  return std::isfinite(lp) ? lp : -9999.0;
}

LegacyLogprobs::LegacyLogprobs()
    : json_({{"tokens", nlohmann::json::array()},
             {"token_logprobs", nlohmann::json::array()},
             {"top_logprobs", nlohmann::json::array()},
             {"text_offset", nlohmann::json::array()}}) {}

void LegacyLogprobs::add(const tok::Tokenizer& tokenizer, int32_t token,
                         const std::optional<TokenLogprob>& lp, size_t text_offset) {
  json_["tokens"].push_back(tokenizer.piece(token));
  json_["text_offset"].push_back(text_offset);
  if (!lp) {
    json_["token_logprobs"].push_back(nullptr);
    json_["top_logprobs"].push_back(nullptr);
    return;
  }
  json_["token_logprobs"].push_back(json_logprob(lp->logprob));
  // Pieces of different ids can coincide (e.g. lone bytes all read as U+FFFD): the most likely
  // one keeps the key. The chosen token is always present, as in vLLM, so logprobs=0 shows it.
  nlohmann::json top = nlohmann::json::object();
  for (const auto& [id, value] : lp->top) {
    const std::string piece = tokenizer.piece(id);
    if (!top.contains(piece)) top[piece] = json_logprob(value);
  }
  const std::string chosen = tokenizer.piece(token);
  if (!top.contains(chosen)) top[chosen] = json_logprob(lp->logprob);
  json_["top_logprobs"].push_back(std::move(top));
}

nlohmann::json chat_logprob_entry(const tok::Tokenizer& tokenizer, const TokenLogprob& lp) {
  nlohmann::json top = nlohmann::json::array();
  for (const auto& [id, value] : lp.top) {
    top.push_back({{"token", tokenizer.piece(id)},
                   {"logprob", json_logprob(value)},
                   {"bytes", byte_list(tokenizer.token_bytes(id))}});
  }
  return {{"token", tokenizer.piece(lp.token)},
          {"logprob", json_logprob(lp.logprob)},
          {"bytes", byte_list(tokenizer.token_bytes(lp.token))},
          {"top_logprobs", std::move(top)}};
}

std::vector<size_t> token_char_offsets(const tok::Tokenizer& tokenizer,
                                       std::span<const int32_t> tokens) {
  tok::IncrementalDecoder decoder(tokenizer);
  std::vector<size_t> offsets;
  offsets.reserve(tokens.size());
  size_t chars = 0;
  for (int32_t t : tokens) {
    offsets.push_back(chars);
    chars += utf8_length(decoder.push(t));
  }
  return offsets;
}

}  // namespace mamba::server
