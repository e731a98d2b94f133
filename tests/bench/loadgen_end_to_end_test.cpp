// mamba-bench against a fake streaming server whose delays are known.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "bench/loadgen/arrivals.hpp"
#include "bench/loadgen/bench_run.hpp"
#include "bench/loadgen/runner.hpp"
#include "bench/loadgen/server_api.hpp"
#include "fake_sse_server.hpp"

namespace mamba::bench {
namespace {

using testing::Behaviour;
using testing::FakeServerConfig;
using testing::FakeSseServer;

// Sleeps overshoot and threads wait for a core on a busy machine: a few ms plus a relative margin.
void expect_close_ms(double measured, double expected, const char* what) {
  EXPECT_NEAR(measured, expected, 12.0 + 0.2 * expected) << what;
}

Options options_for(const std::string& url, int output_len, std::vector<int> concurrency,
                    int num_requests) {
  Options o;
  o.url = url;
  o.output_len = output_len;
  o.input_len = 32;
  o.concurrency = std::move(concurrency);
  o.num_requests = num_requests;
  o.progress = false;
  o.timeout_s = 10;
  return o;
}

struct Captured {
  std::ostringstream tables, log;
  BenchReport run(const Options& options) {
    std::atomic<bool> abort{false};
    return run_benchmark(options, {tables, log, false}, abort);
  }
};

TEST(LoadgenEndToEnd, CompletionsTimingsMatchTheServerDelays) {
  FakeSseServer server({.first_delay_ms = 100, .gap_ms = 50});
  Options o = options_for(server.url(), 6, {2}, 4);
  o.ignore_eos = true;
  Captured out;
  const BenchReport report = out.run(o);
  ASSERT_EQ(report.runs.size(), 1u);
  ASSERT_EQ(report.runs[0].levels.size(), 1u);
  const LevelMetrics& m = report.runs[0].levels[0];
  EXPECT_EQ(report.runs[0].model, "fake-model");
  EXPECT_EQ(m.completed, 4);
  EXPECT_EQ(m.failed, 0);
  EXPECT_EQ(m.total_output_tokens, 24);
  expect_close_ms(m.ttft_ms.mean, 100, "mean TTFT");
  expect_close_ms(m.ttft_ms.p99, 100, "P99 TTFT");
  expect_close_ms(m.itl_ms.mean, 50, "mean ITL");
  expect_close_ms(m.itl_ms.median, 50, "median ITL");
  expect_close_ms(m.tpot_ms.mean, 50, "mean TPOT");
  expect_close_ms(m.e2el_ms.mean, 100 + 5 * 50, "mean E2EL");
  // Two waves of two concurrent 350 ms requests.
  expect_close_ms(m.duration_s * 1000, 700, "duration");
  EXPECT_NEAR(m.request_throughput, 4 / m.duration_s, 1e-9);

  // The prompts the server saw are the ones counted, and the request asks for a usage chunk.
  long long prompt_tokens = 0;
  for (const auto& p : server.prompts()) prompt_tokens += FakeSseServer::count_tokens(p);
  EXPECT_EQ(m.total_input_tokens, prompt_tokens);
  for (const auto& p : server.prompts()) {
    EXPECT_NEAR(FakeSseServer::count_tokens(p), 32, 1);  // tuned with /tokenize
  }
  const auto body = server.last_body();
  EXPECT_EQ(body["model"], "fake-model");
  EXPECT_EQ(body["max_tokens"], 6);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["ignore_eos"], true);
  EXPECT_NE(out.tables.str().find("Mean TTFT (ms):"), std::string::npos);
  EXPECT_NE(out.tables.str().find("Successful requests:                     4"), std::string::npos);
}

TEST(LoadgenEndToEnd, ChatRoleChunkIsNotTheFirstToken) {
  FakeSseServer server({.first_delay_ms = 80, .gap_ms = 40});
  Options o = options_for(server.url(), 4, {2}, 2);
  o.endpoint = Endpoint::Chat;
  Captured out;
  const LevelMetrics m = out.run(o).runs[0].levels[0];
  EXPECT_EQ(m.completed, 2);
  expect_close_ms(m.ttft_ms.mean, 80, "mean TTFT");
  expect_close_ms(m.itl_ms.mean, 40, "mean ITL");
  expect_close_ms(m.tpot_ms.mean, 40, "mean TPOT");
  EXPECT_TRUE(server.last_body().contains("messages"));
}

TEST(LoadgenEndToEnd, BrokenResponsesAreCountedWithTheirReason) {
  FakeSseServer server(
      {.first_delay_ms = 5,
       .gap_ms = 5,
       .behaviours = {Behaviour::Http500, Behaviour::MalformedEvent, Behaviour::CloseMidStream,
                      Behaviour::NoDone, Behaviour::ErrorEvent, Behaviour::NotStreaming,
                      Behaviour::Ok}});
  // One worker, so the same kept-alive client meets every failure and then must still succeed.
  Captured out;
  const LevelMetrics m = out.run(options_for(server.url(), 4, {1}, 7)).runs[0].levels[0];
  EXPECT_EQ(m.completed, 1);
  EXPECT_EQ(m.failed, 6);
  EXPECT_EQ(m.total_output_tokens, 4);
  std::string reasons;
  for (const auto& [reason, count] : m.failure_reasons) reasons += reason + "\n";
  EXPECT_NE(reasons.find("HTTP 500: {\"error\":{\"message\":\"engine exploded\"}}"),
            std::string::npos)
      << reasons;
  EXPECT_NE(reasons.find("malformed event: {\"choices\": [{\"text\": oops"), std::string::npos)
      << reasons;
  EXPECT_NE(reasons.find("stream broken after 2 output chunks"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("stream ended without data: [DONE]"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("error event: out of slots"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("not an event stream (Content-Type: application/json)"), std::string::npos)
      << reasons;
  EXPECT_NE(out.tables.str().find("Failure reasons:"), std::string::npos);
}

TEST(LoadgenEndToEnd, PerRequestTimeout) {
  FakeSseServer server({.first_delay_ms = 5,
                        .gap_ms = 5,
                        .stall_ms = 1000,
                        .behaviours = {Behaviour::Stall, Behaviour::Ok}});
  Options o = options_for(server.url(), 3, {1}, 2);
  o.timeout_s = 0.3;
  Captured out;
  const LevelMetrics m = out.run(o).runs[0].levels[0];
  EXPECT_EQ(m.completed, 1);
  EXPECT_EQ(m.failed, 1);
  EXPECT_EQ(m.failure_reasons.count("timed out (--timeout)"), 1u);
  EXPECT_LT(m.duration_s, 0.9);
}

TEST(LoadgenEndToEnd, MaxDurationBoundsTheRun) {
  FakeSseServer server({.stall_ms = 1200, .behaviours = {Behaviour::Stall}});
  Options o = options_for(server.url(), 3, {2, 4}, 6);
  o.max_duration_s = 0.4;
  Captured out;
  const auto start = Clock::now();
  const BenchReport report = out.run(o);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 1.0);
  ASSERT_EQ(report.runs[0].levels.size(), 1u);  // the second level never starts
  EXPECT_TRUE(report.runs[0].aborted);
  const LevelMetrics& m = report.runs[0].levels[0];
  EXPECT_EQ(m.completed, 0);
  EXPECT_EQ(m.failed, 0);   // being cut off is not the server's failure
  EXPECT_EQ(m.cut_off, 2);  // the two in flight
  EXPECT_EQ(m.not_sent, 4);
  EXPECT_NE(out.tables.str().find("Cut off when the run stopped early:      2"), std::string::npos)
      << out.tables.str();
}

TEST(LoadgenEndToEnd, UnreachableServer) {
  // A port that was free a moment ago: bound, never listened on, closed.
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
    ::close(fd);
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  Captured out;
  try {
    out.run(options_for(url, 4, {1}, 2));
    FAIL() << "no error";
  } catch (const ServerError& e) {
    EXPECT_NE(std::string(e.what()).find("--model"), std::string::npos) << e.what();
  }
  Options o = options_for(url, 4, {2}, 3);
  o.model = "m";
  const auto start = Clock::now();
  const LevelMetrics m = out.run(o).runs[0].levels[0];
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 2.0);
  EXPECT_EQ(m.completed, 0);
  EXPECT_EQ(m.failed, 3);
  ASSERT_EQ(m.failure_reasons.size(), 1u);
  EXPECT_EQ(m.failure_reasons.begin()->first.rfind("request failed: ", 0), 0u)
      << m.failure_reasons.begin()->first;
}

TEST(LoadgenEndToEnd, WithoutTokenizeOrUsageItEstimatesAndSaysSo) {
  FakeSseServer server(
      {.first_delay_ms = 5, .gap_ms = 5, .has_tokenize = false, .send_usage = false});
  Options o = options_for(server.url(), 5, {1}, 2);
  Captured out;
  const BenchReport report = out.run(o);
  const LevelMetrics& m = report.runs[0].levels[0];
  EXPECT_EQ(m.completed, 2);
  EXPECT_EQ(m.output_tokens_estimated, 2);
  EXPECT_EQ(m.total_output_tokens, 10);  // one chunk a token here
  EXPECT_EQ(m.total_input_tokens, 64);   // the estimate: --input-len per prompt
  EXPECT_NE(out.log.str().find("has no /tokenize"), std::string::npos);
  EXPECT_NE(report.prompt_source.find("estimated"), std::string::npos);
  EXPECT_NE(out.tables.str().find("came without usage"), std::string::npos);
  for (const auto& p : server.prompts()) EXPECT_NEAR(p.size(), 32 * 4, 10);
}

TEST(LoadgenEndToEnd, PoissonArrivalsAreFollowed) {
  FakeSseServer server({.first_delay_ms = 1, .gap_ms = 1});
  const ServerUrl url = parse_server_url(server.url());
  const auto prompts = make_random_prompts(12, 8, 5, nullptr);
  RequestSettings settings;
  settings.model = "fake-model";
  settings.max_tokens = 2;
  LevelCounters counters;
  std::atomic<bool> abort{false};
  const LevelRun run = run_level(url, settings, prompts, {12, 20.0, 77},
                                 Clock::now() + std::chrono::seconds(10), abort, counters);
  ASSERT_EQ(run.results.size(), 12u);
  const std::vector<double> due = arrival_times(12, 20.0, 77);
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_TRUE(run.results[i].success) << run.results[i].error;
    EXPECT_GE(run.results[i].start_s, due[i] - 0.001);
    EXPECT_LT(run.results[i].start_s, due[i] + 0.03) << "request " << i;
  }
  EXPECT_EQ(counters.succeeded.load(), 12);
  EXPECT_GT(due.back(), 0.2);  // the arrivals were spread, not all at once
}

TEST(LoadgenEndToEnd, CompareSendsTheSameWorkloadToBothServers) {
  FakeSseServer a({.first_delay_ms = 40, .gap_ms = 30, .model = "model-a"});
  FakeSseServer b({.first_delay_ms = 40, .gap_ms = 60, .model = "model-b"});
  Options o = options_for(a.url(), 4, {1, 2}, 2);
  o.compare_url = b.url();
  o.warmup = 1;
  Captured out;
  const BenchReport report = out.run(o);
  ASSERT_EQ(report.runs.size(), 2u);
  EXPECT_EQ(report.runs[0].model, "model-a");
  EXPECT_EQ(report.runs[1].model, "model-b");
  // Warmup and levels: the same texts (two workers may send a level's pair in either order).
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(a.prompts()), sorted(b.prompts()));
  EXPECT_EQ(a.prompts().front(), b.prompts().front());  // the warmup request
  EXPECT_EQ(a.requests(), 5);
  for (size_t i = 0; i < 2; ++i) {
    expect_close_ms(report.runs[0].levels[i].itl_ms.mean, 30, "A ITL");
    expect_close_ms(report.runs[1].levels[i].itl_ms.mean, 60, "B ITL");
  }
  EXPECT_NE(out.tables.str().find("B/A"), std::string::npos);
  EXPECT_NE(out.tables.str().find("Comparison, concurrency 2"), std::string::npos);
}

}  // namespace
}  // namespace mamba::bench
