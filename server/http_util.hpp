#pragma once
// Small pieces of the HTTP edge shared by the routes: the JSON body, error responses, and an SSE
// writer over cpp-httplib's chunked content sink.

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "server/api_error.hpp"

namespace mamba::server {

// The body as JSON; 400 invalid_request_error when it is not JSON.
nlohmann::json parse_json_body(const httplib::Request& req);

void write_error(httplib::Response& res, const ApiError& e);
void write_json(httplib::Response& res, const nlohmann::json& body, int status = 200);

// Headers of an event stream; call before set_chunked_content_provider.
void set_sse_headers(httplib::Response& res);

// Writes events to a streaming response; false once the client is gone.
class SseWriter {
 public:
  explicit SseWriter(httplib::DataSink& sink) : sink_(sink) {}
  bool event(const nlohmann::json& payload);
  bool done();  // "data: [DONE]" and the end of the chunked body
  bool ok() const { return ok_; }

 private:
  bool write(const std::string& text);
  httplib::DataSink& sink_;
  bool ok_ = true;
};

}  // namespace mamba::server
