#pragma once
// The server's Prometheus metrics: request counters by endpoint and status, latency histograms
// observed on the HTTP side, and gauges/counters read from the engine at scrape time.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine_stats.hpp"

namespace mamba::server {

// A cumulative histogram with fixed upper bounds, as Prometheus expects.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  // Appends the _bucket/_sum/_count lines of metric `name`.
  void render(const std::string& name, std::string& out) const;
  uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; last one is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class ServerMetrics {
 public:
  ServerMetrics();

  void count_request(const std::string& endpoint, int status);
  void observe_ttft(double seconds);
  void observe_inter_token(double seconds);
  void observe_e2e(double seconds);
  void observe_queue(double seconds);
  void stream_started();
  void stream_ended();

  // The exposition text; `engine` is absent while the model loads.
  std::string render(const std::optional<EngineStats>& engine) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  Histogram ttft_, itl_, e2e_, queue_;
  int active_streams_ = 0;
};

}  // namespace mamba::server
