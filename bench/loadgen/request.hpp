#pragma once
// One streaming request and what was measured on it, with the definitions of vLLM's
// `bench serve`:
//   TTFT  send -> the first chunk carrying output (a choice with text, or a token with no text yet)
//   ITL   the gaps between consecutive output chunks
//   E2EL  send -> the last output chunk
//   output tokens: usage.completion_tokens of the final chunk (the count of output chunks when the
//   server sends no usage)

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/loadgen/options.hpp"
#include "bench/loadgen/prompts.hpp"
#include "bench/loadgen/server_url.hpp"

namespace mamba::bench {

using Clock = std::chrono::steady_clock;

struct RequestResult {
  bool success = false;
  bool cut_off =
      false;           // broken off by --max-duration or an interrupt: neither success nor failure
  std::string error;   // why it failed, empty on success
  double start_s = 0;  // send time, seconds after the level started
  double ttft_s = 0;
  double e2el_s = 0;
  std::vector<double> itl_s;
  int prompt_tokens = 0;  // usage.prompt_tokens, else the prompt's own count
  int output_tokens = 0;
  bool output_tokens_from_usage = false;
  size_t output_chunks = 0;
};

struct RequestSettings {
  Endpoint endpoint = Endpoint::Completions;
  std::string model;
  int max_tokens = 128;
  bool ignore_eos = false;
  double temperature = 0.0;
  std::optional<std::string> api_key;
  double timeout_s = 120.0;
};

// The JSON body of a streaming request for the endpoint.
std::string request_body(const RequestSettings& settings, const std::string& prompt);

// Sends requests one after another; one per worker thread.
class RequestClient {
 public:
  RequestClient(const ServerUrl& url, RequestSettings settings);
  ~RequestClient();

  // Sends the prompt and measures it; never throws for anything the server does. The request is
  // abandoned (and fails) once `stop` becomes true. Output chunks are also added to
  // `live_chunks`, when given, as they arrive.
  RequestResult send(const Prompt& prompt, Clock::time_point level_start,
                     const std::atomic<bool>& stop, std::atomic<long long>* live_chunks = nullptr);

  // Breaks off a request in flight from another thread (its socket is shut down).
  void interrupt();

 private:
  ServerUrl url_;
  RequestSettings settings_;
  std::string path_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace mamba::bench
