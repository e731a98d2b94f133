#pragma once
// The common ending of the two generation routes: one JSON response, or a server-sent event stream
// whose provider keeps the call (and the active-generation count) alive until the stream ends.

#include <memory>

#include <httplib.h>

#include "server/http_util.hpp"
#include "server/serving_context.hpp"

namespace mamba::server {

// Call: respond(httplib::Response&) for the whole answer, stream(httplib::DataSink&) -> bool.
// `active` was taken before the call submitted anything, so draining waits for this one too.
template <class Call>
void respond_generation(ServingContext& ctx, std::shared_ptr<ActiveGeneration> active,
                        std::shared_ptr<Call> call, bool stream, httplib::Response& res) {
  if (!stream) {
    call->respond(res);
    return;
  }
  set_sse_headers(res);
  ctx.metrics.stream_started();
  res.set_chunked_content_provider(
      "text/event-stream",
      [call, active](size_t, httplib::DataSink& sink) {
        try {
          return call->stream(sink);
        } catch (const std::exception&) {
          return false;  // an exception must not escape into the HTTP worker
        }
      },
      [&metrics = ctx.metrics](bool) { metrics.stream_ended(); });
}

}  // namespace mamba::server
