#include "bench/loadgen/sse_parser.hpp"

namespace mamba::bench {

void SseParser::feed(std::string_view bytes, const EventHandler& on_event) {
  for (char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r') {
      after_cr_ = true;
      end_line(on_event);
    } else if (c == '\n') {
      end_line(on_event);
    } else {
      line_.push_back(c);
    }
  }
}

void SseParser::end_line(const EventHandler& on_event) {
  if (line_.empty()) {
    if (has_data_) {
      data_.pop_back();  // the "\n" after the last data field is not part of the payload
      on_event(data_);
    }
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line_.front() != ':') {
    const size_t colon = line_.find(':');
    std::string_view line(line_);
    std::string_view field = line.substr(0, colon);
    std::string_view value;
    if (colon != std::string::npos) {
      value = line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
      data_.append(value);
      data_.push_back('\n');
      has_data_ = true;
    }
  }
  line_.clear();
}

}  // namespace mamba::bench
