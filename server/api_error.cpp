#include "server/api_error.hpp"

namespace mamba::server {

ApiError ApiError::invalid(const std::string& message, std::optional<std::string> param,
                           std::optional<std::string> code) {
  return ApiError(400, message, "invalid_request_error", std::move(param), std::move(code));
}

ApiError ApiError::unavailable(const std::string& message, const std::string& code,
                               int retry_after_seconds) {
  ApiError e(503, message, "server_error", std::nullopt, code);
  e.retry_after_seconds = retry_after_seconds;
  return e;
}

nlohmann::json error_json(const ApiError& e) {
  nlohmann::json err = {{"message", e.what()}, {"type", e.type}};
  err["param"] = e.param ? nlohmann::json(*e.param) : nlohmann::json(nullptr);
  err["code"] = e.code ? nlohmann::json(*e.code) : nlohmann::json(nullptr);
  return {{"error", err}};
}

std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mamba::server
