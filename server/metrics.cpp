#include "server/metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace mamba::server {
namespace {

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void header(std::string& out, const std::string& name, const char* type, const char* help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& out, const std::string& name, const std::string& labels, double v) {
  out += name + labels + " " + num(v) + "\n";
}

const std::vector<double>& latency_bounds() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1,
                                        0.15,  0.2,    0.3,   0.5,  0.75,  1.0,  2.5,   5.0,
                                        7.5,   10.0,   20.0,  40.0, 80.0,  160.0};
  return b;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  ++counts_[i];
  sum_ += v;
  ++count_;
}

void Histogram::render(const std::string& name, std::string& out) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    sample(out, name + "_bucket", "{le=\"" + num(bounds_[i]) + "\"}",
           static_cast<double>(cumulative));
  }
  sample(out, name + "_bucket", "{le=\"+Inf\"}", static_cast<double>(count_));
  sample(out, name + "_sum", "", sum_);
  sample(out, name + "_count", "", static_cast<double>(count_));
}

ServerMetrics::ServerMetrics()
    : ttft_(latency_bounds()),
      itl_(latency_bounds()),
      e2e_(latency_bounds()),
      queue_(latency_bounds()) {}

void ServerMetrics::count_request(const std::string& endpoint, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{endpoint, status}];
}

void ServerMetrics::observe_ttft(double s) {
  std::lock_guard lock(mu_);
  ttft_.observe(s);
}
void ServerMetrics::observe_inter_token(double s) {
  std::lock_guard lock(mu_);
  itl_.observe(s);
}
void ServerMetrics::observe_e2e(double s) {
  std::lock_guard lock(mu_);
  e2e_.observe(s);
}
void ServerMetrics::observe_queue(double s) {
  std::lock_guard lock(mu_);
  queue_.observe(s);
}
void ServerMetrics::stream_started() {
  std::lock_guard lock(mu_);
  ++active_streams_;
}
void ServerMetrics::stream_ended() {
  std::lock_guard lock(mu_);
  --active_streams_;
}

std::string ServerMetrics::render(const std::optional<EngineStats>& engine) const {
  std::string out;
  std::lock_guard lock(mu_);
  header(out, "mamba_requests_total", "counter", "HTTP requests by endpoint and status code.");
  for (const auto& [key, n] : requests_) {
    sample(out, "mamba_requests_total",
           "{endpoint=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"}",
           static_cast<double>(n));
  }
  header(out, "mamba_streams_active", "gauge", "Streaming responses being written now.");
  sample(out, "mamba_streams_active", "", active_streams_);

  const EngineStats s = engine.value_or(EngineStats{});
  header(out, "mamba_requests_running", "gauge", "Sequences holding a slot.");
  sample(out, "mamba_requests_running", "", s.running);
  header(out, "mamba_requests_waiting", "gauge", "Requests queued for a slot.");
  sample(out, "mamba_requests_waiting", "", s.waiting);
  header(out, "mamba_slots_used", "gauge", "State slots in use.");
  sample(out, "mamba_slots_used", "", s.slots_used);
  header(out, "mamba_slots_total", "gauge", "State slots in the pool.");
  sample(out, "mamba_slots_total", "", s.slots_total);
  header(out, "mamba_slot_usage_ratio", "gauge", "Fraction of state slots in use.");
  sample(out, "mamba_slot_usage_ratio", "",
         s.slots_total > 0 ? static_cast<double>(s.slots_used) / s.slots_total : 0.0);
  header(out, "mamba_prompt_tokens_total", "counter", "Prompt tokens prefilled.");
  sample(out, "mamba_prompt_tokens_total", "", static_cast<double>(s.prompt_tokens_total));
  header(out, "mamba_generation_tokens_total", "counter", "Tokens generated.");
  sample(out, "mamba_generation_tokens_total", "", static_cast<double>(s.generated_tokens_total));
  header(out, "mamba_engine_steps_total", "counter", "Batched forward steps run.");
  sample(out, "mamba_engine_steps_total", "", static_cast<double>(s.steps_total));
  header(out, "mamba_requests_finished_total", "counter", "Engine requests that finished.");
  sample(out, "mamba_requests_finished_total", "", static_cast<double>(s.requests_finished_total));
  header(out, "mamba_requests_cancelled_total", "counter",
         "Engine requests cancelled (client gone or shutdown).");
  sample(out, "mamba_requests_cancelled_total", "",
         static_cast<double>(s.requests_cancelled_total));
  header(out, "mamba_requests_rejected_total", "counter", "Requests the engine refused at submit.");
  sample(out, "mamba_requests_rejected_total", "", static_cast<double>(s.requests_rejected_total));

  header(out, "mamba_prefix_cache_queries_total", "counter",
         "Prompts looked up in the state cache.");
  sample(out, "mamba_prefix_cache_queries_total", "", static_cast<double>(s.cache_queries_total));
  header(out, "mamba_prefix_cache_hits_total", "counter", "Lookups that restored a cached prefix.");
  sample(out, "mamba_prefix_cache_hits_total", "", static_cast<double>(s.cache_hits_total));
  header(out, "mamba_prefix_cache_tokens_saved_total", "counter",
         "Prompt tokens not prefilled thanks to the state cache.");
  sample(out, "mamba_prefix_cache_tokens_saved_total", "",
         static_cast<double>(s.cache_tokens_saved_total));
  header(out, "mamba_prefix_cache_evictions_total", "counter", "Cached states evicted for room.");
  sample(out, "mamba_prefix_cache_evictions_total", "",
         static_cast<double>(s.cache_evictions_total));
  header(out, "mamba_prefix_cache_bytes", "gauge", "Bytes held by the state cache.");
  sample(out, "mamba_prefix_cache_bytes", "", static_cast<double>(s.cache_bytes));
  header(out, "mamba_prefix_cache_entries", "gauge", "States held by the state cache.");
  sample(out, "mamba_prefix_cache_entries", "", static_cast<double>(s.cache_entries));
  header(out, "mamba_prefix_cache_capacity_bytes", "gauge", "The state cache's budget (0: off).");
  sample(out, "mamba_prefix_cache_capacity_bytes", "", static_cast<double>(s.cache_capacity_bytes));

  header(out, "mamba_time_to_first_token_seconds", "histogram",
         "Request arrival to first generated token.");
  ttft_.render("mamba_time_to_first_token_seconds", out);
  header(out, "mamba_inter_token_latency_seconds", "histogram",
         "Time between consecutive tokens of one completion.");
  itl_.render("mamba_inter_token_latency_seconds", out);
  header(out, "mamba_e2e_request_latency_seconds", "histogram", "Request arrival to last token.");
  e2e_.render("mamba_e2e_request_latency_seconds", out);
  header(out, "mamba_request_queue_time_seconds", "histogram", "Time a request waited for a slot.");
  queue_.render("mamba_request_queue_time_seconds", out);
  return out;
}

}  // namespace mamba::server
