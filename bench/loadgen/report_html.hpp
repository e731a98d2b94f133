#pragma once
// The report for people: one self-contained HTML page (no scripts, no external files) with SVG
// charts of throughput and latency percentiles against concurrency, and the full tables.

#include <string>

#include "bench/loadgen/report.hpp"

namespace mamba::bench {

std::string report_html(const BenchReport& report);

}  // namespace mamba::bench
