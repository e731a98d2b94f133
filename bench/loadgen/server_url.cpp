#include "bench/loadgen/server_url.hpp"

#include <stdexcept>

namespace mamba::bench {

ServerUrl parse_server_url(const std::string& url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    throw std::invalid_argument("URL '" + url + "' has no scheme; expected http://host:port");
  }
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    throw std::invalid_argument("URL '" + url + "': only http and https are supported");
  }
  const size_t host_start = scheme_end + 3;
  const size_t path_start = url.find('/', host_start);
  const std::string authority = url.substr(host_start, path_start - host_start);
  if (authority.empty() || authority.front() == ':') {
    throw std::invalid_argument("URL '" + url + "' has no host");
  }
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    const std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) == 0 ||
        std::stoi(port) > 65535) {
      throw std::invalid_argument("URL '" + url + "' has a bad port '" + port + "'");
    }
  }
  ServerUrl out;
  out.text = url;
  out.origin = scheme + "://" + authority;
  if (path_start != std::string::npos) out.prefix = url.substr(path_start);
  if (out.prefix.find_first_of("?#") != std::string::npos) {
    throw std::invalid_argument("URL '" + url + "': a query or fragment is not supported");
  }
  while (!out.prefix.empty() && out.prefix.back() == '/') out.prefix.pop_back();
  if (out.prefix.size() >= 3 && out.prefix.compare(out.prefix.size() - 3, 3, "/v1") == 0) {
    out.prefix.resize(out.prefix.size() - 3);
  }
  return out;
}

}  // namespace mamba::bench
