#pragma once
// The terminal report: vLLM's result table per level, and the side-by-side table of --compare.

#include <ostream>

#include "bench/loadgen/report.hpp"

namespace mamba::bench {

void print_level(std::ostream& out, const LevelMetrics& level);
void print_comparison(std::ostream& out, const ServerRun& a, const ServerRun& b);

}  // namespace mamba::bench
