#include "server/completion_request.hpp"

#include <limits>

#include "server/api_error.hpp"
#include "server/request_fields.hpp"

namespace mamba::server {
namespace {

constexpr int kMaxLogprobs = 20;
constexpr size_t kMaxPrompts = 256;

std::vector<int32_t> parse_token_ids(const nlohmann::json& arr, int vocab_size) {
  std::vector<int32_t> ids;
  ids.reserve(arr.size());
  for (const auto& t : arr) {
    const auto id = as_integer(t);
    if (!id) throw ApiError::invalid("'prompt' token ids must be integers.", "prompt");
    if (*id < 0 || *id >= vocab_size) {
      throw ApiError::invalid("'prompt' holds token id " + std::to_string(*id) +
                                  ", outside the vocabulary [0, " + std::to_string(vocab_size) +
                                  ").",
                              "prompt");
    }
    ids.push_back(static_cast<int32_t>(*id));
  }
  if (ids.empty()) throw ApiError::invalid("'prompt' token lists must not be empty.", "prompt");
  return ids;
}

// A string, a list of strings, a list of token ids, or a list of token-id lists.
std::vector<PromptInput> parse_prompts(const RequestFields& f, int vocab_size) {
  const auto* v = f.get("prompt");
  if (!v) throw ApiError::invalid("'prompt' is required.", "prompt");
  const char* shape =
      "'prompt' must be a string, a list of strings, a list of token ids or a list of token-id "
      "lists.";
  std::vector<PromptInput> prompts;
  if (v->is_string()) {
    prompts.push_back({v->get<std::string>(), {}});
    return prompts;
  }
  if (!v->is_array()) throw ApiError::invalid(shape, "prompt");
  if (v->empty()) throw ApiError::invalid("'prompt' must not be an empty list.", "prompt");
  if (v->size() > kMaxPrompts && !(*v)[0].is_number()) {
    throw ApiError::invalid(
        "'prompt' may hold at most " + std::to_string(kMaxPrompts) + " prompts.", "prompt");
  }
  const auto& first = (*v)[0];
  if (first.is_number()) {
    prompts.push_back({std::nullopt, parse_token_ids(*v, vocab_size)});
  } else if (first.is_string()) {
    for (const auto& s : *v) {
      if (!s.is_string()) throw ApiError::invalid(shape, "prompt");
      prompts.push_back({s.get<std::string>(), {}});
    }
  } else if (first.is_array()) {
    for (const auto& a : *v) {
      if (!a.is_array()) throw ApiError::invalid(shape, "prompt");
      prompts.push_back({std::nullopt, parse_token_ids(a, vocab_size)});
    }
  } else {
    throw ApiError::invalid(shape, "prompt");
  }
  return prompts;
}

}  // namespace

CompletionRequest parse_completion_request(const nlohmann::json& body,
                                           const RequestLimits& limits) {
  RequestFields f(body);
  check_model_name(f, limits);
  CompletionRequest r;
  if (f.get("suffix")) {
    throw ApiError::invalid("'suffix' is not supported: Mamba models generate left to right only.",
                            "suffix");
  }
  r.prompts = parse_prompts(f, limits.vocab_size);
  parse_sampling_fields(f, limits, r.sampling);
  r.sampling.max_tokens = static_cast<int>(
      f.integer("max_tokens", 0, std::numeric_limits<int32_t>::max()).value_or(16));
  check_min_tokens(r.sampling);
  r.n = static_cast<int>(f.integer("n", 1, limits.max_choices).value_or(1));
  r.best_of = static_cast<int>(f.integer("best_of", 1, limits.max_choices).value_or(r.n));
  if (r.best_of < r.n) {
    throw ApiError::invalid("'best_of' (" + std::to_string(r.best_of) + ") must be at least 'n' (" +
                                std::to_string(r.n) + ").",
                            "best_of");
  }
  r.echo = f.boolean("echo").value_or(false);
  if (auto v = f.integer("logprobs", 0, kMaxLogprobs)) r.logprobs = static_cast<int>(*v);
  r.stream = parse_stream_options(f);
  if (r.stream.stream && r.best_of > r.n) {
    throw ApiError::invalid("'best_of' cannot be used with 'stream'.", "best_of");
  }
  r.sampling.n = r.n;
  r.sampling.logprobs = r.logprobs;
  r.sampling.prompt_logprobs = r.echo && r.logprobs >= 0;
  return r;
}

}  // namespace mamba::server
