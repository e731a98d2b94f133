#pragma once
// Errors in the shape of OpenAI's API: {"error": {"message", "type", "param", "code"}}. Request
// parsing and the routes throw ApiError; the HTTP layer turns it into the status and body.

#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace mamba::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string message, std::string type,
           std::optional<std::string> param = std::nullopt,
           std::optional<std::string> code = std::nullopt)
      : std::runtime_error(message),
        status(status),
        type(std::move(type)),
        param(std::move(param)),
        code(std::move(code)) {}

  int status;
  std::string type;
  std::optional<std::string> param;
  std::optional<std::string> code;
  int retry_after_seconds = 0;  // sent as Retry-After when > 0 (503)

  // 400 invalid_request_error naming the offending parameter.
  static ApiError invalid(const std::string& message, std::optional<std::string> param,
                          std::optional<std::string> code = std::nullopt);
  static ApiError unavailable(const std::string& message, const std::string& code,
                              int retry_after_seconds);
};

nlohmann::json error_json(const ApiError& e);

// JSON text that never throws on invalid UTF-8 (replaced with U+FFFD).
std::string dump_json(const nlohmann::json& j);

}  // namespace mamba::server
