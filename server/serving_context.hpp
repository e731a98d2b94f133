#pragma once
// What the generation routes need once the model is loaded: the engine, the tokenizer, the limits
// requests are checked against, the chat template, the metrics, and the shutdown signal.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "server/chat_template.hpp"
#include "server/metrics.hpp"
#include "server/request_limits.hpp"
#include "tokenizer/tokenizer.hpp"

namespace mamba::server {

struct ServingContext {
  Engine& engine;
  const tok::Tokenizer& tokenizer;
  RequestLimits limits;
  ChatTemplate chat_template;
  std::string bos_text, eos_text;  // for the chat template's {bos}/{eos}
  ServerMetrics& metrics;
  const std::atomic<bool>& force_stop;   // set when the shutdown timeout ends running streams
  std::atomic<int>& active_generations;  // requests generating now; shutdown waits for zero
};

// Holds one count of ServingContext::active_generations for as long as it lives.
class ActiveGeneration {
 public:
  explicit ActiveGeneration(std::atomic<int>& counter) : counter_(counter) { ++counter_; }
  ~ActiveGeneration() { --counter_; }
  ActiveGeneration(const ActiveGeneration&) = delete;
  ActiveGeneration& operator=(const ActiveGeneration&) = delete;

 private:
  std::atomic<int>& counter_;
};

// Counts the access log reports for the request being handled on this thread.
struct AccessRecord {
  std::chrono::steady_clock::time_point start;
  int prompt_tokens = 0;
  int completion_tokens = 0;
};
AccessRecord& current_access_record();

// Tokenizes a prompt text; an empty result becomes [BOS] (or [EOS] for GPT-style vocabularies
// that start documents with it). Throws ApiError 400 naming `param` when that is not possible.
std::vector<int32_t> prompt_tokens(const tok::Tokenizer& tokenizer, const std::string& text,
                                   const char* param);
// Token ids as given; the same empty-prompt rule.
std::vector<int32_t> start_if_empty(const tok::Tokenizer& tokenizer, std::vector<int32_t> ids,
                                    const char* param);

// Throws 400 context_length_exceeded when the prompt or prompt + max_tokens is over the limits.
void check_context_length(const RequestLimits& limits, size_t prompt_tokens, int max_tokens,
                          const char* param);

// "cmpl-..." / "chatcmpl-..." with 24 random hex digits.
std::string make_response_id(const std::string& prefix);
int64_t unix_time_now();

}  // namespace mamba::server
