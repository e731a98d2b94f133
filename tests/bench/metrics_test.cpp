#include "bench/loadgen/metrics.hpp"

#include <gtest/gtest.h>

namespace mamba::bench {
namespace {

RequestResult ok(double start, double ttft, std::vector<double> itl, int prompt_tokens,
                 int output_tokens) {
  RequestResult r;
  r.success = true;
  r.start_s = start;
  r.ttft_s = ttft;
  r.itl_s = std::move(itl);
  r.e2el_s = ttft;
  for (double gap : r.itl_s) r.e2el_s += gap;
  r.prompt_tokens = prompt_tokens;
  r.output_tokens = output_tokens;
  r.output_tokens_from_usage = true;
  r.output_chunks = r.itl_s.size() + 1;
  return r;
}

RequestResult failed(const std::string& why) {
  RequestResult r;
  r.error = why;
  r.prompt_tokens = 1000;
  return r;
}

TEST(Metrics, FiguresFollowVllmDefinitions) {
  std::vector<RequestResult> results = {
      ok(0.0, 0.1, {0.05, 0.05, 0.05}, 10, 4),  // TPOT (0.25 - 0.1) / 3 = 0.05
      ok(0.5, 0.2, {0.1}, 20, 2),               // TPOT 0.1
      ok(1.0, 0.3, {}, 30, 1),                  // one token: no TPOT
      failed("HTTP 500: boom"),
      failed("HTTP 500: boom"),
      failed("stream ended without data: [DONE]"),
  };
  const LevelMetrics m = compute_metrics(results, 2.0);
  EXPECT_EQ(m.completed, 3);
  EXPECT_EQ(m.failed, 3);
  EXPECT_EQ(m.total_input_tokens, 60);  // failed requests' prompts do not count
  EXPECT_EQ(m.total_output_tokens, 7);
  EXPECT_DOUBLE_EQ(m.request_throughput, 1.5);
  EXPECT_DOUBLE_EQ(m.output_throughput, 3.5);
  EXPECT_DOUBLE_EQ(m.total_token_throughput, 33.5);
  EXPECT_NEAR(m.ttft_ms.mean, 200.0, 1e-9);
  EXPECT_NEAR(m.ttft_ms.median, 200.0, 1e-9);
  EXPECT_NEAR(m.tpot_ms.mean, 75.0, 1e-9);
  EXPECT_NEAR(m.itl_ms.mean, 62.5, 1e-9);  // all gaps pooled: 50, 50, 50, 100
  EXPECT_NEAR(m.itl_ms.median, 50.0, 1e-9);
  EXPECT_NEAR(m.e2el_ms.mean, (250.0 + 300.0 + 300.0) / 3, 1e-9);
  EXPECT_EQ(m.failure_reasons.at("HTTP 500: boom"), 2);
  EXPECT_EQ(m.failure_reasons.at("stream ended without data: [DONE]"), 1);
  EXPECT_EQ(m.output_tokens_estimated, 0);
}

TEST(Metrics, PeakCountsOutputChunksPerSecond) {
  // Request A: chunks at 0.1, 0.3, 0.5, 0.7 and 1.2 s; request B: chunks at 0.9 and 1.1 s.
  std::vector<RequestResult> results = {ok(0.0, 0.1, {0.2, 0.2, 0.2, 0.5}, 1, 5),
                                        ok(0.8, 0.1, {0.2}, 1, 2)};
  const LevelMetrics m = compute_metrics(results, 1.3);
  EXPECT_DOUBLE_EQ(m.max_output_tokens_per_s, 5.0);  // second 0: 0.1 0.3 0.5 0.7 0.9
  EXPECT_EQ(m.max_concurrent_requests, 2);
}

TEST(Metrics, NothingSucceeded) {
  const LevelMetrics m = compute_metrics({failed("x")}, 1.0);
  EXPECT_EQ(m.completed, 0);
  EXPECT_EQ(m.failed, 1);
  EXPECT_EQ(m.output_throughput, 0.0);
  EXPECT_EQ(m.ttft_ms.p99, 0.0);
  EXPECT_EQ(m.max_output_tokens_per_s, 0.0);
}

}  // namespace
}  // namespace mamba::bench
