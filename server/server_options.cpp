#include "server/server_options.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

namespace mamba::server {
namespace {

enum class Kind { String, Int, Double, Size, Json };

struct OptionSpec {
  const char* name;
  Kind kind;
  const char* help;
  std::function<void(ServerOptions&, const nlohmann::json&)> set;
};

template <typename T>
std::function<void(ServerOptions&, const nlohmann::json&)> setter(T ServerOptions::*field) {
  return [field](ServerOptions& o, const nlohmann::json& v) { o.*field = v.get<T>(); };
}

const std::vector<OptionSpec>& specs() {
  static const std::vector<OptionSpec> s = {
      {"model", Kind::String, "model directory (required)", setter(&ServerOptions::model)},
      {"host", Kind::String, "address to listen on (default 127.0.0.1)",
       setter(&ServerOptions::host)},
      {"port", Kind::Int, "port to listen on (default 8080)", setter(&ServerOptions::port)},
      {"slots", Kind::Int, "sequences decoded at once (default 16)", setter(&ServerOptions::slots)},
      {"config", Kind::String, "JSON config file; the command line wins over it",
       setter(&ServerOptions::config)},
      {"api_key", Kind::String, "require 'Authorization: Bearer KEY' on the API routes",
       setter(&ServerOptions::api_key)},
      {"threads", Kind::Int, "compute threads (default 0 = all cores)",
       setter(&ServerOptions::threads)},
      {"served_model_name", Kind::String, "model name in the API (default: directory name)",
       setter(&ServerOptions::served_model_name)},
      {"max_waiting", Kind::Int, "queued requests before 503 (default 256)",
       setter(&ServerOptions::max_waiting)},
      {"max_prompt_tokens", Kind::Int, "longest prompt accepted (default 8192)",
       setter(&ServerOptions::max_prompt_tokens)},
      {"max_model_len", Kind::Int, "prompt + max_tokens limit (default 16384)",
       setter(&ServerOptions::max_model_len)},
      {"prefill_budget", Kind::Int, "prompt tokens per engine step (default 512)",
       setter(&ServerOptions::prefill_budget)},
      {"state_cache_mb", Kind::Int,
       "memory for cached prompt states, in MiB; 0 turns the prefix cache off (default 256)",
       setter(&ServerOptions::state_cache_mb)},
      {"http_threads", Kind::Int, "HTTP worker threads (default 0 = slots + max_waiting + 32)",
       setter(&ServerOptions::http_threads)},
      {"max_body_bytes", Kind::Size, "largest request body; larger gets 413 (default 8 MiB)",
       setter(&ServerOptions::max_body_bytes)},
      {"shutdown_timeout", Kind::Double,
       "seconds running streams get to finish on SIGTERM/SIGINT (default 30)",
       setter(&ServerOptions::shutdown_timeout)},
      {"chat_template", Kind::Json, "built-in name (plain, zephyr) or a template object",
       setter(&ServerOptions::chat_template)},
      {"cors_allow_origin", Kind::String, "Access-Control-Allow-Origin value (default *)",
       setter(&ServerOptions::cors_allow_origin)},
      {"log_level", Kind::String, "trace, debug, info, warn, error (default info)",
       setter(&ServerOptions::log_level)},
  };
  return s;
}

const OptionSpec* find_spec(const std::string& name) {
  for (const auto& s : specs()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

std::string flag_of(const std::string& name) {
  std::string f = "--" + name;
  for (char& c : f) c = c == '_' ? '-' : c;
  return f;
}

bool kind_matches(Kind kind, const nlohmann::json& v) {
  switch (kind) {
    case Kind::String:
      return v.is_string();
    case Kind::Int:
      return v.is_number_integer();
    case Kind::Size:
      return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
    case Kind::Double:
      return v.is_number();
    case Kind::Json:
      return v.is_string() || v.is_object();
  }
  return false;
}

// A command-line value as the JSON value its option expects.
nlohmann::json from_cli(const OptionSpec& spec, const std::string& text) {
  const std::string flag = flag_of(spec.name);
  try {
    size_t used = 0;
    switch (spec.kind) {
      case Kind::String:
      case Kind::Json:
        return text;
      case Kind::Int: {
        const long long v = std::stoll(text, &used);
        if (used == text.size()) return v;
        break;
      }
      case Kind::Size: {
        const unsigned long long v = std::stoull(text, &used);
        if (used == text.size() && text[0] != '-') return v;
        break;
      }
      case Kind::Double: {
        const double v = std::stod(text, &used);
        if (used == text.size()) return v;
        break;
      }
    }
  } catch (const std::exception&) {
  }
  throw OptionsError(flag + ": invalid value '" + text + "'");
}

nlohmann::json read_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw OptionsError("--config: cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return nlohmann::json::parse(ss.str(), nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::exception& e) {
    throw OptionsError(path + ": invalid JSON: " + e.what());
  }
}

}  // namespace

void apply_config(const nlohmann::json& config, ServerOptions& options, const std::string& origin) {
  if (!config.is_object()) throw OptionsError(origin + ": the config must be a JSON object");
  for (const auto& [key, value] : config.items()) {
    const OptionSpec* spec = find_spec(key);
    if (!spec || key == "config") throw OptionsError(origin + ": unknown option \"" + key + "\"");
    if (!kind_matches(spec->kind, value)) {
      throw OptionsError(origin + ": option \"" + key + "\" has the wrong type");
    }
    spec->set(options, value);
  }
}

ParsedArgs parse_server_args(const std::vector<std::string>& args) {
  ParsedArgs out;
  std::vector<std::pair<const OptionSpec*, std::string>> given;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "-h" || a == "--help") {
      out.help = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) throw OptionsError("unexpected argument '" + a + "'");
    std::string value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    std::string name = a.substr(2);
    for (char& c : name) c = c == '-' ? '_' : c;
    const OptionSpec* spec = find_spec(name);
    if (!spec) throw OptionsError("unknown option '" + a + "' (see --help)");
    if (!has_value) {
      if (i + 1 >= args.size()) throw OptionsError(a + ": missing value");
      value = args[++i];
    }
    given.emplace_back(spec, value);
  }
  if (out.help) return out;
  // The config file first, so that the command line overrides it whatever the order.
  for (const auto& [spec, value] : given) {
    if (std::string(spec->name) == "config") {
      out.options.config = value;
      apply_config(read_config_file(value), out.options, value);
    }
  }
  for (const auto& [spec, value] : given) spec->set(out.options, from_cli(*spec, value));
  validate_options(out.options);
  return out;
}

void validate_options(const ServerOptions& o) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw OptionsError(what);
  };
  require(!o.model.empty(), "--model DIR is required");
  require(o.port >= 0 && o.port <= 65535, "--port must be in [0, 65535]");
  require(o.slots >= 1 && o.slots <= 4096, "--slots must be in [1, 4096]");
  require(o.threads >= 0, "--threads must be 0 or more");
  // Every request passes through the queue on its way to a slot, so it must hold one.
  require(o.max_waiting >= 1, "--max-waiting must be at least 1");
  require(o.max_prompt_tokens >= 1, "--max-prompt-tokens must be at least 1");
  require(o.max_model_len >= 2, "--max-model-len must be at least 2");
  require(o.prefill_budget >= 1, "--prefill-budget must be at least 1");
  require(o.state_cache_mb >= 0, "--state-cache-mb must be 0 or more");
  require(o.http_threads >= 0, "--http-threads must be 0 or more");
  require(o.max_body_bytes >= 1024, "--max-body-bytes must be at least 1024");
  require(o.shutdown_timeout >= 0, "--shutdown-timeout must be 0 or more");
  static const std::vector<std::string> levels = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
  require(std::find(levels.begin(), levels.end(), o.log_level) != levels.end(),
          "--log-level must be one of trace, debug, info, warn, error, critical, off");
}

std::string server_usage() {
  std::string s =
      "Usage: mamba-server --model DIR [options]\n"
      "OpenAI-compatible HTTP server for Mamba models. Every option can also be set in a JSON\n"
      "config file (--config FILE) under its snake_case name; the command line wins.\n\nOptions:\n";
  for (const auto& spec : specs()) {
    std::string flag = flag_of(spec.name);
    flag += spec.kind == Kind::String || spec.kind == Kind::Json ? " TEXT" : " N";
    s += "  " + flag + std::string(flag.size() < 28 ? 28 - flag.size() : 1, ' ') + spec.help + "\n";
  }
  s += "  -h, --help                  this text\n";
  return s;
}

}  // namespace mamba::server
