#pragma once
// A live progress line for one level, redrawn in place twice a second while the level runs.

#include <atomic>
#include <ostream>
#include <string>
#include <thread>

#include "bench/loadgen/runner.hpp"

namespace mamba::bench {

class ProgressLine {
 public:
  // Draws nothing when disabled (output not a terminal, or --no-progress).
  ProgressLine(std::ostream& out, std::string label, const LevelCounters& counters, bool enabled);
  ~ProgressLine();  // erases the line

  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void draw();

  std::ostream& out_;
  std::string label_;
  const LevelCounters& counters_;
  Clock::time_point start_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace mamba::bench
