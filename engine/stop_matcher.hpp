#pragma once
// Finds stop strings in streamed text, also across token boundaries. Text that could still be the
// start of a stop string is held back, so nothing of a stop string ever reaches the client.

#include <string>
#include <string_view>
#include <vector>

namespace mamba {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  // Adds newly decoded text; returns the text that is now safe to emit. When a stop string is
  // found, returns the text before it and stopped() becomes true.
  std::string push(std::string_view text);
  // End of generation: whatever was held back is not a stop string after all.
  std::string flush();
  bool stopped() const { return !matched_.empty(); }
  const std::string& matched() const { return matched_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  std::string matched_;
};

}  // namespace mamba
