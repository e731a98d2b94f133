#pragma once
// The figures of one level, computed from its requests as vLLM's `bench serve` computes them
// (calculate_metrics): only successful requests count towards tokens, throughput and latencies;
// TPOT is taken over requests with more than one output token.

#include <map>
#include <string>
#include <vector>

#include "bench/loadgen/request.hpp"
#include "bench/loadgen/statistics.hpp"

namespace mamba::bench {

struct LevelMetrics {
  int max_concurrency = 0;
  double request_rate = 0;  // 0: inf
  int num_prompts = 0;      // requests planned for the level
  int completed = 0;
  int failed = 0;
  int cut_off = 0;   // sent, then broken off when the run stopped early
  int not_sent = 0;  // never sent because the run stopped early
  double duration_s = 0;
  long long total_input_tokens = 0;
  long long total_output_tokens = 0;
  double request_throughput = 0;       // completed / duration
  double output_throughput = 0;        // output tokens / duration
  double total_token_throughput = 0;   // (input + output tokens) / duration
  double max_output_tokens_per_s = 0;  // busiest one-second window, counting output chunks
  int max_concurrent_requests = 0;     // most requests active in any one-second window
  int output_tokens_estimated = 0;     // successful requests whose server sent no usage
  Summary ttft_ms, tpot_ms, itl_ms, e2el_ms;
  std::map<std::string, int> failure_reasons;
};

LevelMetrics compute_metrics(const std::vector<RequestResult>& results, double duration_s);

}  // namespace mamba::bench
