#include "server/http_util.hpp"

#include "server/sse.hpp"

namespace mamba::server {

nlohmann::json parse_json_body(const httplib::Request& req) {
  try {
    return nlohmann::json::parse(req.body);
  } catch (const nlohmann::json::parse_error& e) {
    throw ApiError::invalid(std::string("The request body is not valid JSON: ") + e.what(),
                            std::nullopt);
  }
}

void write_json(httplib::Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  res.set_content(dump_json(body), "application/json");
}

void write_error(httplib::Response& res, const ApiError& e) {
  if (e.retry_after_seconds > 0) {
    res.set_header("Retry-After", std::to_string(e.retry_after_seconds));
  }
  if (e.status == 401) res.set_header("WWW-Authenticate", "Bearer");
  write_json(res, error_json(e), e.status);
}

void set_sse_headers(httplib::Response& res) {
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
}

bool SseWriter::write(const std::string& text) {
  if (!ok_) return false;
  ok_ = sink_.write(text.data(), text.size());
  return ok_;
}

bool SseWriter::event(const nlohmann::json& payload) {
  return write(sse_event(payload));
}

bool SseWriter::done() {
  if (!write(sse_done())) return false;
  sink_.done();
  return true;
}

}  // namespace mamba::server
