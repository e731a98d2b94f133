#pragma once
// POST /v1/completions parsed into native values: the prompts (text or token ids), the sampling
// parameters and the response options (n, best_of, echo, logprobs, streaming).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/sampling_params.hpp"
#include "server/request_limits.hpp"
#include "server/sampling_request.hpp"

namespace mamba::server {

// One prompt as the client sent it: text to tokenize, or token ids used as they are.
struct PromptInput {
  std::optional<std::string> text;
  std::vector<int32_t> tokens;
};

struct CompletionRequest {
  std::vector<PromptInput> prompts;
  SamplingParams sampling;  // sampling.n is n; the route submits best_of when it is larger
  int n = 1;
  int best_of = 1;
  bool echo = false;
  int logprobs = -1;  // -1: none; else the number of top alternatives per token (0 to 20)
  StreamOptions stream;
};

// Throws ApiError (400 with `param`, 404 for another model) on anything invalid.
CompletionRequest parse_completion_request(const nlohmann::json& body, const RequestLimits& limits);

}  // namespace mamba::server
