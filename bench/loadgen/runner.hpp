#pragma once
// Runs one level of the workload: requests sent by `concurrency` workers, each request no earlier
// than its arrival time, until all are done, the deadline passes or the run is aborted.

#include <atomic>
#include <cstdint>
#include <vector>

#include "bench/loadgen/prompts.hpp"
#include "bench/loadgen/request.hpp"
#include "bench/loadgen/server_url.hpp"

namespace mamba::bench {

struct LevelPlan {
  int concurrency = 1;
  double request_rate = 0.0;  // 0: all requests due at once
  uint64_t seed = 0;
};

// Live counts for a progress line, updated by the workers.
struct LevelCounters {
  std::atomic<int> total{0};
  std::atomic<int> succeeded{0};
  std::atomic<int> failed{0};
  std::atomic<int> in_flight{0};
  std::atomic<long long> output_chunks{0};  // as they arrive, failed requests' included
};

struct LevelRun {
  std::vector<RequestResult> results;  // the requests that were sent, in prompt order
  size_t not_sent = 0;                 // left unsent by the deadline or an abort
  double duration_s = 0;               // level start -> the last request finished
};

LevelRun run_level(const ServerUrl& url, const RequestSettings& settings,
                   const std::vector<Prompt>& prompts, const LevelPlan& plan,
                   Clock::time_point deadline, const std::atomic<bool>& abort,
                   LevelCounters& counters);

}  // namespace mamba::bench
