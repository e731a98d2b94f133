#include "bench/loadgen/options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace mamba::bench {
namespace {

long long parse_integer(const std::string& option, const std::string& text, long long min,
                        long long max) {
  long long value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < min || value > max) {
    std::ostringstream msg;
    msg << option << ": expected an integer from " << min << " to " << max << ", got '" << text
        << "'";
    throw OptionsError(msg.str());
  }
  return value;
}

double parse_positive(const std::string& option, const std::string& text, bool allow_zero) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value) || value < 0 ||
      (!allow_zero && value == 0)) {
    throw OptionsError(option + ": expected a positive number, got '" + text + "'");
  }
  return value;
}

std::vector<int> parse_concurrency_list(const std::string& text) {
  std::vector<int> levels;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    levels.push_back(static_cast<int>(parse_integer("--concurrency", item, 1, 4096)));
  }
  if (levels.empty()) throw OptionsError("--concurrency: expected a list such as 1,4,16");
  return levels;
}

}  // namespace

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  bool have_url = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw OptionsError(arg + ": missing value");
      return args[++i];
    };
    if (arg == "-h" || arg == "--help") {
      o.help = true;
    } else if (arg == "--url") {
      o.url = value();
      have_url = true;
    } else if (arg == "--compare") {
      o.compare_url = value();
    } else if (arg == "--endpoint") {
      const std::string& v = value();
      if (v == "completions") {
        o.endpoint = Endpoint::Completions;
      } else if (v == "chat") {
        o.endpoint = Endpoint::Chat;
      } else {
        throw OptionsError("--endpoint: expected 'completions' or 'chat', got '" + v + "'");
      }
    } else if (arg == "--concurrency") {
      o.concurrency = parse_concurrency_list(value());
    } else if (arg == "--request-rate") {
      const std::string& v = value();
      o.request_rate = (v == "inf") ? 0.0 : parse_positive(arg, v, false);
    } else if (arg == "--num-requests") {
      o.num_requests = static_cast<int>(parse_integer(arg, value(), 1, 10'000'000));
    } else if (arg == "--input-len") {
      o.input_len = static_cast<int>(parse_integer(arg, value(), 1, 1'000'000));
    } else if (arg == "--output-len") {
      o.output_len = static_cast<int>(parse_integer(arg, value(), 1, 1'000'000));
    } else if (arg == "--dataset") {
      o.dataset = value();
    } else if (arg == "--ignore-eos") {
      o.ignore_eos = true;
    } else if (arg == "--seed") {
      o.seed = static_cast<uint64_t>(parse_integer(arg, value(), 0, INT64_MAX));
    } else if (arg == "--warmup") {
      o.warmup = static_cast<int>(parse_integer(arg, value(), 0, 1'000'000));
    } else if (arg == "--json") {
      o.json_path = value();
    } else if (arg == "--html") {
      o.html_path = value();
    } else if (arg == "--model") {
      o.model = value();
    } else if (arg == "--api-key") {
      o.api_key = value();
    } else if (arg == "--timeout") {
      o.timeout_s = parse_positive(arg, value(), false);
    } else if (arg == "--max-duration") {
      o.max_duration_s = parse_positive(arg, value(), false);
    } else if (arg == "--temperature") {
      o.temperature = parse_positive(arg, value(), true);
    } else if (arg == "--no-progress") {
      o.progress = false;
    } else {
      throw OptionsError("unknown option '" + arg + "' (see --help)");
    }
  }
  if (o.help) return o;
  if (!have_url || o.url.empty()) throw OptionsError("--url is required (see --help)");
  return o;
}

int requests_for_level(const Options& options, int concurrency) {
  if (options.num_requests) return *options.num_requests;
  return std::max(16, 4 * concurrency);
}

std::string usage_text() {
  return R"(mamba-bench: load generator for OpenAI-compatible streaming servers.

Usage: mamba-bench --url http://127.0.0.1:8080 [options]

Workload
  --endpoint completions|chat  /v1/completions (default) or /v1/chat/completions
  --concurrency LIST           concurrency levels to sweep, e.g. 1,4,16,64 (default 1,4,16,64)
  --request-rate R|inf         Poisson arrivals at R requests/s, or all at once (default inf)
  --num-requests N             requests per level (default 4 x concurrency, at least 16)
  --input-len N                random prompt length in tokens (default 128)
  --output-len N               max_tokens of every request (default 128)
  --dataset FILE               prompts from FILE: one a line, or JSONL with a "prompt" field
  --ignore-eos                 ask the server to generate exactly --output-len tokens
  --seed S                     seed of the random prompts and arrivals (default 0)
  --warmup N                   requests sent and discarded before the measured levels (default 0)
  --temperature T              sampling temperature sent with every request (default 0)
Server
  --model NAME                 model to request (default: the first of GET /v1/models)
  --api-key KEY                sent as Authorization: Bearer KEY
  --compare URL2               run the same workload against URL2 afterwards and compare
Bounds
  --timeout S                  per-request limit in seconds (default 120)
  --max-duration S             limit of the whole run against one server (default 1800)
Output
  --json OUT.json              results in the keys of vLLM's --save-result, one entry per level
  --html OUT.html              self-contained report with SVG charts
  --no-progress                no live progress line
)";
}

}  // namespace mamba::bench
