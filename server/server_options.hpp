#pragma once
// mamba-server's options: from a JSON config file (--config FILE), then the command line, which
// wins. Every option has one snake_case name used as the config key and, with dashes, the flag.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mamba::server {

class OptionsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ServerOptions {
  std::string model;  // model directory (config.json, weights, tokenizer.json or tokenizer.model)
  std::string host = "127.0.0.1";
  int port = 8080;
  int slots = 16;
  std::string config;  // the config file read, if any
  std::string api_key;
  int threads = 0;                // compute threads; 0 = all cores
  std::string served_model_name;  // default: the model directory's name
  int max_waiting = 256;
  int max_prompt_tokens = 8192;
  int max_model_len = 16384;
  int prefill_budget = 512;
  int state_cache_mb = 256;  // prefix state cache budget; 0 turns it off
  int http_threads = 0;      // 0: enough for every slot and queued request, plus headroom
  size_t max_body_bytes = 8u << 20;
  double shutdown_timeout = 30.0;  // seconds running streams get to finish on SIGTERM/SIGINT
  nlohmann::json chat_template = "plain";  // built-in name or template object
  std::string cors_allow_origin = "*";
  std::string log_level = "info";
};

struct ParsedArgs {
  ServerOptions options;
  bool help = false;
};

// Throws OptionsError naming the option on unknown options, bad values or an unreadable config.
ParsedArgs parse_server_args(const std::vector<std::string>& args);

// Applies the keys of a config file's JSON object; unknown keys are an error.
void apply_config(const nlohmann::json& config, ServerOptions& options, const std::string& origin);

// Checks ranges and required options (model).
void validate_options(const ServerOptions& options);

std::string server_usage();

}  // namespace mamba::server
