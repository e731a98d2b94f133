#include "server/serving_context.hpp"

#include <ctime>
#include <random>

#include "server/api_error.hpp"

namespace mamba::server {

AccessRecord& current_access_record() {
  // cpp-httplib serves each connection on one worker thread, from reading the request to writing
  // the last byte of a streamed response, so the record of the request in hand is per thread.
  thread_local AccessRecord record;
  return record;
}

std::vector<int32_t> start_if_empty(const tok::Tokenizer& tokenizer, std::vector<int32_t> ids,
                                    const char* param) {
  if (!ids.empty()) return ids;
  if (auto bos = tokenizer.bos_id()) return {*bos};
  if (auto eos = tokenizer.eos_id()) return {*eos};
  throw ApiError::invalid(std::string("'") + param +
                              "' is empty and the tokenizer has no BOS or EOS token to start from.",
                          std::string(param));
}

std::vector<int32_t> prompt_tokens(const tok::Tokenizer& tokenizer, const std::string& text,
                                   const char* param) {
  std::vector<int32_t> ids;
  try {
    ids = tokenizer.encode(text);
  } catch (const tok::TokenizerError& e) {
    throw ApiError::invalid(std::string("Cannot tokenize '") + param + "': " + e.what(),
                            std::string(param));
  }
  return start_if_empty(tokenizer, std::move(ids), param);
}

void check_context_length(const RequestLimits& limits, size_t prompt_tokens, int max_tokens,
                          const char* param) {
  if (prompt_tokens > static_cast<size_t>(limits.max_prompt_tokens)) {
    throw ApiError::invalid("The prompt has " + std::to_string(prompt_tokens) +
                                " tokens; this server accepts at most " +
                                std::to_string(limits.max_prompt_tokens) + ".",
                            std::string(param), std::string("context_length_exceeded"));
  }
  if (prompt_tokens + static_cast<size_t>(max_tokens) > static_cast<size_t>(limits.max_model_len)) {
    throw ApiError::invalid(
        "This model's maximum context length is " + std::to_string(limits.max_model_len) +
            " tokens, but " + std::to_string(prompt_tokens + max_tokens) + " were requested (" +
            std::to_string(prompt_tokens) + " in the prompt, " + std::to_string(max_tokens) +
            " for the completion). Shorten the prompt or max_tokens.",
        std::string(param), std::string("context_length_exceeded"));
  }
}

std::string make_response_id(const std::string& prefix) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += hex[rng() & 15];
  return id;
}

int64_t unix_time_now() {
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace mamba::server
