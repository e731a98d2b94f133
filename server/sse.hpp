#pragma once
// Server-sent events framing for the streaming endpoints: one "data: <json>" event per message and
// the "data: [DONE]" terminator OpenAI clients wait for.

#include <string>

#include <nlohmann/json.hpp>

namespace mamba::server {

// "data: {json}\n\n". JSON text never contains a raw newline, so one data line per event.
std::string sse_event(const nlohmann::json& payload);
std::string sse_done();

}  // namespace mamba::server
