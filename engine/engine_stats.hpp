#pragma once
// Counters the engine keeps for /metrics and the benchmarks. Totals are monotonic since start.

#include <cstdint>

namespace mamba {

struct EngineStats {
  int running = 0;  // sequences holding a slot
  int waiting = 0;  // requests queued for a slot
  int slots_total = 0;
  int slots_used = 0;
  uint64_t prompt_tokens_total = 0;     // prompt tokens prefilled
  uint64_t generated_tokens_total = 0;  // tokens sampled
  uint64_t prefills_total = 0;          // prompt prefills run (n > 1 shares one)
  uint64_t steps_total = 0;
  double step_seconds_total = 0;  // time inside batched steps
  uint64_t requests_finished_total = 0;
  uint64_t requests_cancelled_total = 0;
  uint64_t requests_rejected_total = 0;  // refused at submit
  double queue_seconds_total = 0;        // submit -> admitted, summed over admitted requests
  double ttft_seconds_total = 0;         // submit -> first token, summed
  uint64_t ttft_count = 0;
  // Recurrent-state prefix cache.
  uint64_t cache_queries_total = 0;       // prompts looked up (prompt_logprobs requests are not)
  uint64_t cache_hits_total = 0;          // lookups that restored a cached prefix
  uint64_t cache_tokens_saved_total = 0;  // prompt tokens not prefilled thanks to the cache
  uint64_t cache_evictions_total = 0;
  uint64_t cache_bytes = 0;  // now
  uint64_t cache_entries = 0;
  uint64_t cache_capacity_bytes = 0;  // the configured budget; 0 = the cache is off
};

}  // namespace mamba
