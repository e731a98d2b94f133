#pragma once
// A server address as given on the command line, split into what httplib::Client takes
// ("scheme://host:port") and a path prefix put in front of every API path.

#include <string>

namespace mamba::bench {

struct ServerUrl {
  std::string origin;  // "http://127.0.0.1:8080"
  std::string prefix;  // "" or "/some/proxy", never ending in "/"
  std::string text;    // as given, for reports

  std::string path(const std::string& api_path) const { return prefix + api_path; }
};

// Accepts http:// and https:// URLs with an optional path; a trailing "/v1" is dropped because
// API paths already carry it. Throws std::invalid_argument on anything else.
ServerUrl parse_server_url(const std::string& url);

}  // namespace mamba::bench
