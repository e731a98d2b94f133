#pragma once
// When each request of a level is due, in seconds after the level starts.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mamba::bench {

// A Poisson process of `rate` requests per second (exponential gaps, the first request at 0, as in
// vLLM's get_request), deterministic from the seed; rate 0 means every request is due at once.
std::vector<double> arrival_times(size_t count, double rate, uint64_t seed);

}  // namespace mamba::bench
