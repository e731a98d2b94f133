#include "server/request_fields.hpp"

#include <cmath>
#include <sstream>

#include "server/api_error.hpp"

namespace mamba::server {
namespace {

std::string format_bound(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

std::optional<int64_t> as_integer(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e18) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

RequestFields::RequestFields(const nlohmann::json& body) : body_(body) {
  if (!body_.is_object()) {
    throw ApiError::invalid("The request body must be a JSON object.", std::nullopt);
  }
}

const nlohmann::json* RequestFields::get(const std::string& key) const {
  auto it = body_.find(key);
  if (it == body_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<bool> RequestFields::boolean(const std::string& key) const {
  const auto* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) throw ApiError::invalid("'" + key + "' must be a boolean.", key);
  return v->get<bool>();
}

std::optional<std::string> RequestFields::string(const std::string& key) const {
  const auto* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw ApiError::invalid("'" + key + "' must be a string.", key);
  return v->get<std::string>();
}

std::optional<double> RequestFields::number(const std::string& key, double lo, double hi,
                                            bool lo_open) const {
  const auto* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) throw ApiError::invalid("'" + key + "' must be a number.", key);
  const double d = v->get<double>();
  const bool below = lo_open ? !(d > lo) : !(d >= lo);
  if (below || !(d <= hi)) {
    throw ApiError::invalid("'" + key + "' must be " + (lo_open ? "greater than " : "at least ") +
                                format_bound(lo) + " and at most " + format_bound(hi) + ", got " +
                                format_bound(d) + ".",
                            key);
  }
  return d;
}

std::optional<int64_t> RequestFields::integer(const std::string& key, int64_t lo,
                                              int64_t hi) const {
  const auto* v = get(key);
  if (!v) return std::nullopt;
  const auto i = as_integer(*v);
  if (!i) throw ApiError::invalid("'" + key + "' must be an integer.", key);
  if (*i < lo || *i > hi) {
    throw ApiError::invalid("'" + key + "' must be between " + std::to_string(lo) + " and " +
                                std::to_string(hi) + ", got " + std::to_string(*i) + ".",
                            key);
  }
  return *i;
}

}  // namespace mamba::server
