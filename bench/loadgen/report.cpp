#include "bench/loadgen/report.hpp"

#include <sstream>

namespace mamba::bench {
namespace {

std::vector<Figure> make_latency_figures() {
  struct Metric {
    const char* name;
    const char* key;
    Summary LevelMetrics::*summary;
  };
  const Metric metrics[] = {{"TTFT", "ttft", &LevelMetrics::ttft_ms},
                            {"TPOT", "tpot", &LevelMetrics::tpot_ms},
                            {"ITL", "itl", &LevelMetrics::itl_ms},
                            {"E2EL", "e2el", &LevelMetrics::e2el_ms}};
  struct Stat {
    const char* label;
    const char* prefix;
    double Summary::*value;
  };
  const Stat stats[] = {{"Mean", "mean", &Summary::mean}, {"Median", "median", &Summary::median},
                        {"Std", "std", &Summary::stddev}, {"P90", "p90", &Summary::p90},
                        {"P95", "p95", &Summary::p95},    {"P99", "p99", &Summary::p99}};
  std::vector<Figure> figures;
  for (const auto& metric : metrics) {
    for (const auto& stat : stats) {
      auto summary = metric.summary;
      auto value = stat.value;
      figures.push_back({std::string(stat.label) + " " + metric.name + " (ms)",
                         std::string(stat.prefix) + "_" + metric.key + "_ms",
                         [summary, value](const LevelMetrics& m) { return m.*summary.*value; },
                         false, false});
    }
  }
  return figures;
}

}  // namespace

const std::vector<Figure>& headline_figures() {
  static const std::vector<Figure> figures = {
      {"Successful requests", "completed", [](const LevelMetrics& m) { return m.completed; }, true,
       true},
      {"Failed requests", "failed", [](const LevelMetrics& m) { return m.failed; }, false, true},
      {"Benchmark duration (s)", "duration", [](const LevelMetrics& m) { return m.duration_s; },
       false, false},
      {"Total input tokens", "total_input_tokens",
       [](const LevelMetrics& m) { return static_cast<double>(m.total_input_tokens); }, true, true},
      {"Total generated tokens", "total_output_tokens",
       [](const LevelMetrics& m) { return static_cast<double>(m.total_output_tokens); }, true,
       true},
      {"Request throughput (req/s)", "request_throughput",
       [](const LevelMetrics& m) { return m.request_throughput; }, true, false},
      {"Output token throughput (tok/s)", "output_throughput",
       [](const LevelMetrics& m) { return m.output_throughput; }, true, false},
      {"Peak output token throughput (tok/s)", "max_output_tokens_per_s",
       [](const LevelMetrics& m) { return m.max_output_tokens_per_s; }, true, false},
      {"Peak concurrent requests", "max_concurrent_requests",
       [](const LevelMetrics& m) { return m.max_concurrent_requests; }, true, true},
      {"Total token throughput (tok/s)", "total_token_throughput",
       [](const LevelMetrics& m) { return m.total_token_throughput; }, true, false},
  };
  return figures;
}

const std::vector<Figure>& latency_figures() {
  static const std::vector<Figure> figures = make_latency_figures();
  return figures;
}

std::string rate_text(double request_rate) {
  if (request_rate <= 0) return "inf";
  std::ostringstream out;
  out << request_rate << " req/s";
  return out.str();
}

}  // namespace mamba::bench
