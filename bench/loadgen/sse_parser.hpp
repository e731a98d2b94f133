#pragma once
// Incremental parser for a text/event-stream body, after the WHATWG Server-Sent Events rules:
// lines end in CRLF, LF or CR; a blank line ends an event; "data" fields are joined with "\n";
// comment lines (":...") and other fields (event, id, retry) are ignored. Bytes may arrive split at
// any position, including between the CR and LF of one line ending.

#include <functional>
#include <string>
#include <string_view>

namespace mamba::bench {

class SseParser {
 public:
  using EventHandler = std::function<void(std::string_view data)>;

  // Parses the bytes and calls on_event with the data of every event they complete.
  void feed(std::string_view bytes, const EventHandler& on_event);

  // True when bytes of an event that has not ended yet are buffered: a stream that stops now was
  // cut in the middle of an event.
  bool has_partial_event() const { return !line_.empty() || has_data_; }

 private:
  void end_line(const EventHandler& on_event);

  std::string line_;  // the current, unfinished line
  std::string data_;  // data fields of the current event, each followed by "\n"
  bool has_data_ = false;
  bool after_cr_ = false;  // the last byte was a CR, so a following LF belongs to the same ending
};

}  // namespace mamba::bench
