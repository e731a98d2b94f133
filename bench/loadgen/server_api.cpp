#include "bench/loadgen/server_api.hpp"

#include <nlohmann/json.hpp>

#include "bench/loadgen/http_client.hpp"

namespace mamba::bench {
namespace {

std::string snippet(const std::string& body) {
  return body.size() > 200 ? body.substr(0, 200) + "..." : body;
}

}  // namespace

std::string fetch_model_name(const ServerUrl& url, const std::optional<std::string>& api_key,
                             double timeout_s) {
  auto client = make_client(url, timeout_s);
  const std::string path = url.path("/v1/models");
  auto res = client->Get(path, request_headers(api_key));
  if (!res) {
    throw ServerError("GET " + url.origin + path + " failed: " + describe_error(res.error()));
  }
  if (res->status != 200) {
    throw ServerError("GET " + path + " answered HTTP " + std::to_string(res->status) + ": " +
                      snippet(res->body));
  }
  const auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (body.is_object() && body.contains("data") && body["data"].is_array() &&
      !body["data"].empty() && body["data"][0].is_object() && body["data"][0].contains("id") &&
      body["data"][0]["id"].is_string()) {
    return body["data"][0]["id"].get<std::string>();
  }
  throw ServerError("GET " + path + " gave no model id (expected {\"data\":[{\"id\":...}]}): " +
                    snippet(res->body));
}

TokenCounter::TokenCounter(const ServerUrl& url, std::optional<std::string> api_key,
                           double timeout_s, std::optional<std::string> model)
    : url_(url),
      api_key_(std::move(api_key)),
      model_(std::move(model)),
      client_(make_client(url, timeout_s)) {}

TokenCounter::~TokenCounter() = default;

std::optional<int> TokenCounter::try_count(const std::string& text, std::string* error) {
  nlohmann::json body = {{"prompt", text}};
  if (model_) body["model"] = *model_;
  const std::string path = url_.path("/tokenize");
  auto res = client_->Post(path, request_headers(api_key_), body.dump(), "application/json");
  if (!res) {
    *error = "POST " + path + " failed: " + describe_error(res.error());
    return std::nullopt;
  }
  if (res->status != 200) {
    *error = "POST " + path + " answered HTTP " + std::to_string(res->status);
    return std::nullopt;
  }
  const auto answer = nlohmann::json::parse(res->body, nullptr, false);
  if (answer.is_object()) {
    if (answer.contains("count") && answer["count"].is_number_integer()) {
      return answer["count"].get<int>();
    }
    if (answer.contains("tokens") && answer["tokens"].is_array()) {
      return static_cast<int>(answer["tokens"].size());
    }
  }
  *error = "POST " + path + " gave no token count: " + snippet(res->body);
  return std::nullopt;
}

bool TokenCounter::available() {
  if (!available_) {
    std::string error;
    available_ = try_count("hello world", &error).has_value();
  }
  return *available_;
}

int TokenCounter::count(const std::string& text) {
  std::string error;
  auto n = try_count(text, &error);
  if (!n) throw ServerError(error);
  return *n;
}

}  // namespace mamba::bench
