#pragma once
// Typed reads of optional JSON request fields. Absent and null both mean "use the default"; a
// value of the wrong type or out of range is a 400 naming the field.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace mamba::server {

class RequestFields {
 public:
  // Throws ApiError unless `body` is a JSON object.
  explicit RequestFields(const nlohmann::json& body);

  // The value, or nullptr when absent or null.
  const nlohmann::json* get(const std::string& key) const;

  std::optional<bool> boolean(const std::string& key) const;
  std::optional<std::string> string(const std::string& key) const;
  // A number in [lo, hi]; `lo_open` makes the lower bound exclusive.
  std::optional<double> number(const std::string& key, double lo, double hi,
                               bool lo_open = false) const;
  // An integer in [lo, hi] (an integral float such as 4.0 is accepted).
  std::optional<int64_t> integer(const std::string& key, int64_t lo, int64_t hi) const;

  const nlohmann::json& body() const { return body_; }

 private:
  const nlohmann::json& body_;
};

// The integer value of `v` if it is an integer (or an integral float); nullopt otherwise.
std::optional<int64_t> as_integer(const nlohmann::json& v);

}  // namespace mamba::server
