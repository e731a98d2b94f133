#pragma once
// The machine-readable report. Each level carries the keys of vLLM's --save-result (duration,
// completed, failed, total_input_tokens, total_output_tokens, request_throughput,
// output_throughput, max_output_tokens_per_s, total_token_throughput, mean_/median_/std_/p99_ of
// ttft_ms, tpot_ms, itl_ms, e2el_ms), plus p90_/p95_ and the failure reasons.

#include <nlohmann/json.hpp>

#include "bench/loadgen/report.hpp"

namespace mamba::bench {

nlohmann::json level_json(const LevelMetrics& level, const ServerRun& run, const Options& options);
nlohmann::json report_json(const BenchReport& report);

}  // namespace mamba::bench
