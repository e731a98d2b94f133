#include "bench/loadgen/http_client.hpp"

#include <chrono>

namespace mamba::bench {

std::unique_ptr<httplib::Client> make_client(const ServerUrl& url, double timeout_s) {
  auto client = std::make_unique<httplib::Client>(url.origin);
  const auto limit = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::duration<double>(timeout_s));
  client->set_connection_timeout(limit);
  client->set_read_timeout(limit);
  client->set_write_timeout(limit);
  // A new connection per request, as vLLM's benchmark does: a kept-alive idle connection would
  // pin a worker thread of a thread-per-connection server (cpp-httplib's, ours) while its client
  // waits for the next Poisson arrival, and starve requests on other connections.
  client->set_keep_alive(false);
  // Small request bodies go out at once instead of waiting on Nagle's algorithm.
  client->set_tcp_nodelay(true);
  return client;
}

httplib::Headers request_headers(const std::optional<std::string>& api_key) {
  httplib::Headers headers;
  if (api_key) headers.emplace("Authorization", "Bearer " + *api_key);
  return headers;
}

std::string describe_error(httplib::Error error) {
  const std::string name = httplib::to_string(error);
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect (" + name + ")";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out (" + name + ")";
    case httplib::Error::Read:
      return "read failed or connection closed (" + name + ")";
    case httplib::Error::Write:
      return "write failed or connection closed (" + name + ")";
    default:
      return name;
  }
}

}  // namespace mamba::bench
