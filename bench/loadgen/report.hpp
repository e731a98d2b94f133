#pragma once
// What a whole run produced, shared by the terminal, JSON and HTML reports, and the catalogue of
// figures with the labels and JSON keys of vLLM's `bench serve`.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/loadgen/metrics.hpp"
#include "bench/loadgen/options.hpp"

namespace mamba::bench {

struct ServerRun {
  std::string url;
  std::string model;
  std::vector<LevelMetrics> levels;
  bool aborted = false;  // stopped early by --max-duration or an interrupt
};

struct BenchReport {
  Options options;
  std::string prompt_source;    // how prompts were made and their lengths known, in words
  std::string started_at;       // local time, "YYYY-MM-DD HH:MM:SS"
  std::vector<ServerRun> runs;  // the --url run, then the --compare run if any
};

struct Figure {
  std::string label;  // "Output token throughput (tok/s)"
  std::string key;    // "output_throughput"
  std::function<double(const LevelMetrics&)> value;
  bool higher_is_better;
  bool integer;
};

// The headline figures, in the order of vLLM's report.
const std::vector<Figure>& headline_figures();
// Mean, median, std and p99 of TTFT, TPOT, ITL and E2EL in ms (std only goes to the JSON).
const std::vector<Figure>& latency_figures();

// "inf" or the rate with its unit.
std::string rate_text(double request_rate);

}  // namespace mamba::bench
