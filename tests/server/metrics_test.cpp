// Prometheus exposition of the server metrics.
#include <gtest/gtest.h>

#include <sstream>

#include "server/metrics.hpp"

namespace mamba::server {
namespace {

// Value of the sample line that starts with `series` followed by a space.
double sample_value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  ADD_FAILURE() << "no sample " << series;
  return -1;
}

TEST(Metrics, HistogramIsCumulative) {
  Histogram h({0.1, 1.0});
  h.observe(0.05);
  h.observe(0.1);  // upper bounds are inclusive
  h.observe(0.5);
  h.observe(7.0);
  std::string out;
  h.render("x", out);
  EXPECT_EQ(sample_value(out, "x_bucket{le=\"0.10000000000000001\"}"), 2);
  EXPECT_EQ(sample_value(out, "x_bucket{le=\"1\"}"), 3);
  EXPECT_EQ(sample_value(out, "x_bucket{le=\"+Inf\"}"), 4);
  EXPECT_DOUBLE_EQ(sample_value(out, "x_sum"), 7.65);
  EXPECT_EQ(sample_value(out, "x_count"), 4);
}

TEST(Metrics, ExpositionHasEveryFamily) {
  ServerMetrics m;
  m.count_request("/v1/completions", 200);
  m.count_request("/v1/completions", 200);
  m.count_request("/v1/completions", 400);
  m.observe_ttft(0.02);
  m.observe_inter_token(0.01);
  m.observe_e2e(0.5);
  m.observe_queue(0.0);
  m.stream_started();
  EngineStats s;
  s.running = 3;
  s.waiting = 2;
  s.slots_total = 8;
  s.slots_used = 3;
  s.prompt_tokens_total = 100;
  s.generated_tokens_total = 40;
  const std::string text = m.render(s);
  EXPECT_EQ(sample_value(text, "mamba_requests_total{endpoint=\"/v1/completions\",status=\"200\"}"),
            2);
  EXPECT_EQ(sample_value(text, "mamba_requests_total{endpoint=\"/v1/completions\",status=\"400\"}"),
            1);
  EXPECT_EQ(sample_value(text, "mamba_requests_running"), 3);
  EXPECT_EQ(sample_value(text, "mamba_requests_waiting"), 2);
  EXPECT_EQ(sample_value(text, "mamba_slots_used"), 3);
  EXPECT_EQ(sample_value(text, "mamba_slots_total"), 8);
  EXPECT_DOUBLE_EQ(sample_value(text, "mamba_slot_usage_ratio"), 0.375);
  EXPECT_EQ(sample_value(text, "mamba_prompt_tokens_total"), 100);
  EXPECT_EQ(sample_value(text, "mamba_generation_tokens_total"), 40);
  EXPECT_EQ(sample_value(text, "mamba_streams_active"), 1);
  for (const char* h : {"mamba_time_to_first_token_seconds", "mamba_inter_token_latency_seconds",
                        "mamba_e2e_request_latency_seconds", "mamba_request_queue_time_seconds"}) {
    EXPECT_EQ(sample_value(text, std::string(h) + "_count"), 1) << h;
    EXPECT_NE(text.find(std::string("# TYPE ") + h + " histogram\n"), std::string::npos) << h;
  }
  // Every non-comment line is "name{labels} value" or "name value".
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    EXPECT_NO_THROW(std::stod(line.substr(space + 1))) << line;
  }
}

TEST(Metrics, WhileLoadingEngineGaugesAreZero) {
  ServerMetrics m;
  const std::string text = m.render(std::nullopt);
  EXPECT_EQ(sample_value(text, "mamba_slots_total"), 0);
  EXPECT_EQ(sample_value(text, "mamba_slot_usage_ratio"), 0);
}

}  // namespace
}  // namespace mamba::server
