#include "server/chat_request.hpp"

#include <limits>

#include "server/api_error.hpp"
#include "server/request_fields.hpp"

namespace mamba::server {
namespace {

constexpr int kMaxTopLogprobs = 20;

// Content is a string or a list of {"type": "text", "text": ...} parts (joined with newlines).
std::string parse_content(const nlohmann::json& msg, size_t i) {
  const std::string param = "messages[" + std::to_string(i) + "].content";
  auto it = msg.find("content");
  if (it == msg.end() || it->is_null()) {
    if (msg.value("role", "") == "assistant") return "";
    throw ApiError::invalid("'" + param + "' is required.", param);
  }
  if (it->is_string()) return it->get<std::string>();
  if (!it->is_array()) {
    throw ApiError::invalid("'" + param + "' must be a string or a list of content parts.", param);
  }
  std::string text;
  for (const auto& part : *it) {
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
        !part["text"].is_string()) {
      throw ApiError::invalid("'" + param +
                                  "' parts must be of type \"text\" with a string "
                                  "'text'; this model reads text only.",
                              param);
    }
    if (!text.empty()) text += "\n";
    text += part["text"].get<std::string>();
  }
  return text;
}

std::vector<ChatMessage> parse_messages(const RequestFields& f) {
  const auto* v = f.get("messages");
  if (!v) throw ApiError::invalid("'messages' is required.", "messages");
  if (!v->is_array() || v->empty()) {
    throw ApiError::invalid("'messages' must be a non-empty list of messages.", "messages");
  }
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < v->size(); ++i) {
    const auto& m = (*v)[i];
    const std::string param = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) throw ApiError::invalid("'" + param + "' must be an object.", param);
    auto role = m.find("role");
    if (role == m.end() || !role->is_string()) {
      throw ApiError::invalid("'" + param + ".role' must be a string.", param + ".role");
    }
    std::string r = role->get<std::string>();
    if (r == "developer") r = "system";
    if (r != "system" && r != "user" && r != "assistant") {
      throw ApiError::invalid("'" + param +
                                  ".role' must be one of system, developer, user, "
                                  "assistant; got \"" +
                                  role->get<std::string>() + "\".",
                              param + ".role");
    }
    out.push_back({r, parse_content(m, i)});
  }
  return out;
}

}  // namespace

ChatRequest parse_chat_request(const nlohmann::json& body, const RequestLimits& limits) {
  RequestFields f(body);
  check_model_name(f, limits);
  ChatRequest r;
  r.messages = parse_messages(f);
  parse_sampling_fields(f, limits, r.sampling);
  constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();
  auto max_tokens = f.integer("max_completion_tokens", 1, kMaxInt);
  if (!max_tokens) max_tokens = f.integer("max_tokens", 1, kMaxInt);
  if (max_tokens) {
    r.sampling.max_tokens = static_cast<int>(*max_tokens);
    r.max_tokens_given = true;
    check_min_tokens(r.sampling);
  }
  r.n = static_cast<int>(f.integer("n", 1, limits.max_choices).value_or(1));
  r.logprobs = f.boolean("logprobs").value_or(false);
  if (auto v = f.integer("top_logprobs", 0, kMaxTopLogprobs)) {
    if (!r.logprobs) {
      throw ApiError::invalid("'top_logprobs' requires 'logprobs' to be true.", "top_logprobs");
    }
    r.top_logprobs = static_cast<int>(*v);
  }
  r.stream = parse_stream_options(f);
  r.sampling.n = r.n;
  r.sampling.logprobs = r.logprobs ? r.top_logprobs : -1;
  return r;
}

}  // namespace mamba::server
