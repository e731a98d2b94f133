#pragma once
// The two non-streaming calls mamba-bench makes before a run: the model name (GET /v1/models) and
// prompt token counts (POST /tokenize, which not every server has).

#include <httplib.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "bench/loadgen/server_url.hpp"

namespace mamba::bench {

class ServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The id of the first model the server lists. Throws ServerError when the server cannot be reached
// or answers something else than {"data": [{"id": ...}, ...]}.
std::string fetch_model_name(const ServerUrl& url, const std::optional<std::string>& api_key,
                             double timeout_s);

// Counts tokens with the server's POST /tokenize. One client, used from one thread.
class TokenCounter {
 public:
  TokenCounter(const ServerUrl& url, std::optional<std::string> api_key, double timeout_s,
               std::optional<std::string> model);
  ~TokenCounter();

  // False when the server has no usable /tokenize (404, an error, or an answer without a count).
  bool available();
  // The token count of text; throws ServerError if the endpoint stops answering mid-way.
  int count(const std::string& text);

 private:
  std::optional<int> try_count(const std::string& text, std::string* error);

  ServerUrl url_;
  std::optional<std::string> api_key_;
  std::optional<std::string> model_;
  std::unique_ptr<httplib::Client> client_;
  std::optional<bool> available_;
};

}  // namespace mamba::bench
