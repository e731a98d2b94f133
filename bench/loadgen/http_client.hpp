#pragma once
// httplib clients configured the same way for every call mamba-bench makes.

#include <httplib.h>

#include <memory>
#include <optional>
#include <string>

#include "bench/loadgen/server_url.hpp"

namespace mamba::bench {

// Connect, read and write limits all set to timeout_s; one connection per request.
std::unique_ptr<httplib::Client> make_client(const ServerUrl& url, double timeout_s);

httplib::Headers request_headers(const std::optional<std::string>& api_key);

// A transport error in words, e.g. "cannot connect (Connection)".
std::string describe_error(httplib::Error error);

}  // namespace mamba::bench
