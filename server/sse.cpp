#include "server/sse.hpp"

#include "server/api_error.hpp"

namespace mamba::server {

std::string sse_event(const nlohmann::json& payload) {
  return "data: " + dump_json(payload) + "\n\n";
}

std::string sse_done() {
  return "data: [DONE]\n\n";
}

}  // namespace mamba::server
