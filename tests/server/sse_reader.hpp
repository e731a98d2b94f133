#pragma once
// A strict reader of the server's event streams, for tests: every event is exactly one
// "data: <payload>" line followed by a blank line; anything else is a framing error.

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mamba::server::testing {

struct SseStream {
  std::vector<std::string> payloads;            // in order, "[DONE]" included
  std::vector<nlohmann::json> events() const {  // the JSON payloads (all but [DONE])
    std::vector<nlohmann::json> out;
    for (const auto& p : payloads) {
      if (p != "[DONE]") out.push_back(nlohmann::json::parse(p));
    }
    return out;
  }
};

// Throws std::runtime_error describing the first framing problem.
inline SseStream parse_sse_strict(const std::string& body) {
  SseStream s;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t eol = body.find('\n', pos);
    if (eol == std::string::npos)
      throw std::runtime_error("unterminated line at byte " + std::to_string(pos));
    const std::string line = body.substr(pos, eol - pos);
    if (line.rfind("data: ", 0) != 0) throw std::runtime_error("not a data line: '" + line + "'");
    if (eol + 1 >= body.size() || body[eol + 1] != '\n') {
      throw std::runtime_error("event not followed by a blank line: '" + line + "'");
    }
    if (!s.payloads.empty() && s.payloads.back() == "[DONE]") {
      throw std::runtime_error("event after [DONE]: '" + line + "'");
    }
    s.payloads.push_back(line.substr(6));
    if (s.payloads.back() != "[DONE]" && !nlohmann::json::accept(s.payloads.back())) {
      throw std::runtime_error("payload is not JSON: '" + line + "'");
    }
    pos = eol + 2;
  }
  if (s.payloads.empty() || s.payloads.back() != "[DONE]") {
    throw std::runtime_error("stream does not end with data: [DONE]");
  }
  return s;
}

}  // namespace mamba::server::testing
