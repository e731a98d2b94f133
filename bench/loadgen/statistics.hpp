#pragma once
// Summary statistics over samples, with numpy's conventions so figures compare with vLLM's
// `bench serve`: population standard deviation (ddof = 0) and percentiles by linear interpolation
// between closest ranks. An empty sample gives 0 everywhere, as vLLM's `np.mean(x or 0)` does.

#include <vector>

namespace mamba::bench {

double mean(const std::vector<double>& samples);
double stddev(const std::vector<double>& samples);
// q in [0, 100].
double percentile(std::vector<double> samples, double q);
inline double median(const std::vector<double>& samples) {
  return percentile(samples, 50.0);
}

struct Summary {
  double mean = 0, median = 0, stddev = 0, p90 = 0, p95 = 0, p99 = 0;
};
Summary summarize(const std::vector<double>& samples);

}  // namespace mamba::bench
