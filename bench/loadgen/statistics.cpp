#include "bench/loadgen/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mamba::bench {

double mean(const std::vector<double>& samples) {
  if (samples.empty()) return 0.0;
  return std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
}

double stddev(const std::vector<double>& samples) {
  if (samples.empty()) return 0.0;
  const double m = mean(samples);
  double sum_sq = 0.0;
  for (double x : samples) sum_sq += (x - m) * (x - m);
  return std::sqrt(sum_sq / static_cast<double>(samples.size()));
}

double percentile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0.0;
  std::sort(samples.begin(), samples.end());
  q = std::clamp(q, 0.0, 100.0);
  // numpy "linear": the rank is q/100 * (n - 1), interpolated between its two neighbours.
  const double rank = q / 100.0 * static_cast<double>(samples.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, samples.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return samples[lo] + (samples[hi] - samples[lo]) * frac;
}

Summary summarize(const std::vector<double>& samples) {
  Summary s;
  s.mean = mean(samples);
  s.median = percentile(samples, 50.0);
  s.stddev = stddev(samples);
  s.p90 = percentile(samples, 90.0);
  s.p95 = percentile(samples, 95.0);
  s.p99 = percentile(samples, 99.0);
  return s;
}

}  // namespace mamba::bench
