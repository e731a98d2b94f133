#include "bench/loadgen/arrivals.hpp"

#include <cmath>
#include <random>

namespace mamba::bench {

std::vector<double> arrival_times(size_t count, double rate, uint64_t seed) {
  std::vector<double> times(count, 0.0);
  if (rate <= 0.0) return times;
  std::mt19937_64 rng(seed ^ 0x6172726976616c73ULL);
  double t = 0.0;
  for (size_t i = 1; i < count; ++i) {
    // u in (0, 1]: 53 random bits, shifted off zero so the logarithm stays finite.
    const double u = (static_cast<double>(rng() >> 11) + 1.0) / 9007199254740992.0;
    t += -std::log(u) / rate;
    times[i] = t;
  }
  return times;
}

}  // namespace mamba::bench
