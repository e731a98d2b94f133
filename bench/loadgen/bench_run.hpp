#pragma once
// A whole mamba-bench run: prompts prepared once, then for the --url server (and the --compare
// server after it) the warmup and every concurrency level, with the tables printed as levels end.

#include <atomic>
#include <ostream>

#include "bench/loadgen/options.hpp"
#include "bench/loadgen/report.hpp"

namespace mamba::bench {

struct RunOutput {
  std::ostream& tables;  // result tables
  std::ostream& log;     // notes and the progress line
  bool show_progress = false;
};

// Throws std::runtime_error (or a subclass) with a clear message when the run cannot start: a bad
// URL, an unusable dataset, a server that cannot name its model. Request failures are measured,
// never thrown. `abort` stops the run early, keeping what was measured.
BenchReport run_benchmark(const Options& options, RunOutput output, const std::atomic<bool>& abort);

}  // namespace mamba::bench
