#pragma once
// POST /v1/chat/completions parsed into native values: the conversation, the sampling parameters
// and the response options.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/sampling_params.hpp"
#include "server/request_limits.hpp"
#include "server/sampling_request.hpp"

namespace mamba::server {

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant" ("developer" is read as "system")
  std::string content;
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  SamplingParams sampling;
  bool max_tokens_given = false;  // else the route fills the rest of the context
  int n = 1;
  bool logprobs = false;
  int top_logprobs = 0;
  StreamOptions stream;
};

ChatRequest parse_chat_request(const nlohmann::json& body, const RequestLimits& limits);

}  // namespace mamba::server
