#include "bench/loadgen/progress.hpp"

#include <cstdio>

namespace mamba::bench {

ProgressLine::ProgressLine(std::ostream& out, std::string label, const LevelCounters& counters,
                           bool enabled)
    : out_(out), label_(std::move(label)), counters_(counters), start_(Clock::now()) {
  if (!enabled) return;
  thread_ = std::thread([this] {
    while (!done_.load()) {
      draw();
      for (int i = 0; i < 10 && !done_.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  });
}

ProgressLine::~ProgressLine() {
  if (!thread_.joinable()) return;
  done_ = true;
  thread_.join();
  out_ << "\r\x1b[K" << std::flush;
}

void ProgressLine::draw() {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const int ok = counters_.succeeded.load(), failed = counters_.failed.load();
  // Output chunks stand in for tokens here; the report counts tokens from usage.
  const double tok_s = elapsed > 0 ? counters_.output_chunks.load() / elapsed : 0.0;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "\r\x1b[K%s  %d/%d done  %d failed  %d in flight  ~%.1f tok/s  %.1f s",
                label_.c_str(), ok + failed, counters_.total.load(), failed,
                counters_.in_flight.load(), tok_s, elapsed);
  out_ << buf << std::flush;
}

}  // namespace mamba::bench
