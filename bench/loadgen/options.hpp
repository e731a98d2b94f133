#pragma once
// Command-line options of mamba-bench and their parser.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mamba::bench {

enum class Endpoint { Completions, Chat };

struct Options {
  std::string url;
  std::optional<std::string> compare_url;
  Endpoint endpoint = Endpoint::Completions;
  std::vector<int> concurrency = {1, 4, 16, 64};
  double request_rate = 0.0;        // requests per second; 0 means all at once (inf)
  std::optional<int> num_requests;  // per concurrency level; unset: 4 x concurrency, at least 16
  int input_len = 128;
  int output_len = 128;
  std::optional<std::string> dataset;
  bool ignore_eos = false;
  uint64_t seed = 0;
  int warmup = 0;
  std::optional<std::string> json_path;
  std::optional<std::string> html_path;
  std::optional<std::string> model;
  std::optional<std::string> api_key;
  double timeout_s = 120.0;        // per request
  double max_duration_s = 1800.0;  // whole run against one server
  double temperature = 0.0;
  bool progress = true;
  bool help = false;
};

class OptionsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws OptionsError naming the offending option.
Options parse_options(const std::vector<std::string>& args);
std::string usage_text();

// Requests sent at one concurrency level.
int requests_for_level(const Options& options, int concurrency);

}  // namespace mamba::bench
