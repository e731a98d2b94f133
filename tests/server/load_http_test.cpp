// The server under load and at its edges of life: 64 concurrent streams, clients that leave
// mid-stream, curl -N seeing events one by one, and graceful shutdown with streams in flight.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "tests/server/server_fixture.hpp"

namespace mamba::server::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Completion text and token count of a completions stream, with strict framing.
struct StreamSummary {
  std::string text;
  std::string finish;
  int completion_tokens = -1;
};
StreamSummary summarize(const SseStream& s) {
  StreamSummary out;
  for (const auto& e : s.events()) {
    for (const auto& c : e["choices"]) {
      out.text += c["text"].get<std::string>();
      if (!c["finish_reason"].is_null()) out.finish = c["finish_reason"];
    }
    if (e.contains("usage") && e["usage"].is_object())
      out.completion_tokens = e["usage"]["completion_tokens"];
  }
  return out;
}

TEST_F(ServerTest, SixtyFourConcurrentStreamsAllComplete) {
  constexpr int kClients = 64;
  std::vector<std::string> bodies(kClients);
  std::vector<std::string> errors(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto c = server_->client();
      const json body = {{"prompt", "Client " + std::to_string(i) + " says"},
                         {"max_tokens", 24},
                         {"ignore_eos", true},
                         {"seed", i},
                         {"stream", true},
                         {"stream_options", {{"include_usage", true}}}};
      auto r = c.Post("/v1/completions", body.dump(), "application/json");
      if (!r) {
        errors[i] = "no response: " + httplib::to_string(r.error());
      } else if (r->status != 200) {
        errors[i] = "HTTP " + std::to_string(r->status) + ": " + r->body;
      } else {
        bodies[i] = r->body;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(errors[i].empty()) << "client " << i << ": " << errors[i];
    StreamSummary s;
    ASSERT_NO_THROW(s = summarize(parse_sse_strict(bodies[i]))) << bodies[i];
    EXPECT_EQ(s.completion_tokens, 24) << "client " << i;
    EXPECT_EQ(s.finish, "length") << "client " << i;
  }
  // Same seed, one at a time: the same text as under load.
  for (int i : {0, 17, 63}) {
    const json r =
        post_json("/v1/completions", {{"prompt", "Client " + std::to_string(i) + " says"},
                                      {"max_tokens", 24},
                                      {"ignore_eos", true},
                                      {"seed", i}});
    EXPECT_EQ(summarize(parse_sse_strict(bodies[i])).text, r["choices"][0]["text"])
        << "client " << i;
  }
}

TEST_F(ServerTest, DisconnectedClientsFreeTheirSlots) {
  const double cancelled_before = metric_value(metrics(), "mamba_requests_cancelled_total");
  constexpr int kClients = 8;
  std::vector<std::thread> threads;
  std::atomic<int> left{0};
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto c = server_->client();
      int chunks = 0;
      post_streaming(c, "/v1/completions",
                     json{{"prompt", "Long " + std::to_string(i)},
                          {"max_tokens", 15000},
                          {"ignore_eos", true},
                          {"stream", true}}
                         .dump(),
                     [&](const char*, size_t) { return ++chunks < 3; });
      ++left;
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(left, kClients);
  // Within a few engine steps every slot is free again and the cancellations are counted.
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  std::string m;
  while (Clock::now() < deadline) {
    m = metrics();
    if (metric_value(m, "mamba_slots_used") == 0 && metric_value(m, "mamba_streams_active") == 0 &&
        metric_value(m, "mamba_requests_cancelled_total") >= cancelled_before + kClients) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(metric_value(m, "mamba_slots_used"), 0) << m;
  EXPECT_EQ(metric_value(m, "mamba_requests_running"), 0);
  EXPECT_EQ(metric_value(m, "mamba_streams_active"), 0);
  EXPECT_GE(metric_value(m, "mamba_requests_cancelled_total"), cancelled_before + kClients);
  // Metrics the issue names are all exposed.
  for (const char* name :
       {"mamba_requests_total{endpoint=\"/v1/completions\",status=\"200\"}",
        "mamba_requests_waiting", "mamba_prompt_tokens_total", "mamba_generation_tokens_total",
        "mamba_time_to_first_token_seconds_count", "mamba_inter_token_latency_seconds_count",
        "mamba_e2e_request_latency_seconds_count", "mamba_request_queue_time_seconds_count"}) {
    EXPECT_GE(metric_value(m, name), 0) << name;
  }
}

// curl -N prints events as they come: the first arrives long before the last.
TEST_F(ServerTest, CurlSeesEventsOneByOne) {
  if (std::system("curl --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "curl not installed";
  const std::string cmd =
      "curl -sN -H 'Content-Type: application/json' -d '" +
      json{{"prompt", "Stream"}, {"max_tokens", 6000}, {"ignore_eos", true}, {"stream", true}}
          .dump() +
      "' http://127.0.0.1:" + std::to_string(server_->port()) + "/v1/completions";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  const auto t0 = Clock::now();
  std::vector<double> at;
  std::string body;
  char line[65536];
  while (fgets(line, sizeof line, p)) {
    body += line;
    if (std::strncmp(line, "data: ", 6) == 0) {
      at.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
  }
  EXPECT_EQ(pclose(p), 0);
  const SseStream s = parse_sse_strict(body);
  ASSERT_GE(at.size(), 100u);
  EXPECT_EQ(summarize(s).finish, "length");
  // Generating 6000 tokens takes a while; the first event must not wait for the end.
  EXPECT_LT(at.front(), 0.5 * at.back())
      << "first event at " << at.front() << " s, last at " << at.back();
}

class ShutdownTest : public ::testing::Test {
 protected:
  void SetUp() override { write_random_model(dir_.path() / "model"); }
  mamba::testing::TempDir dir_;
};

// SIGTERM: new work is refused with 503, running streams finish in full, the process exits 0.
TEST_F(ShutdownTest, GracefulWithStreamsInFlight) {
  // A generous timeout: this checks that streams finish, not how fast a shared machine is.
  ServerProcess server(dir_.path() / "model", {"--threads", "1", "--shutdown-timeout", "300"},
                       dir_.path() / "server.log");
  ASSERT_TRUE(server.wait_for_health(200)) << server.log();
  constexpr int kStreams = 4;
  constexpr int kTokens = 800;
  std::vector<std::string> bodies(kStreams);
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kStreams; ++i) {
    threads.emplace_back([&, i] {
      auto c = server.client();
      bool first = true;
      post_streaming(c, "/v1/completions",
                     json{{"prompt", "Shutdown " + std::to_string(i)},
                          {"max_tokens", kTokens},
                          {"ignore_eos", true},
                          {"stream", true},
                          {"stream_options", {{"include_usage", true}}}}
                         .dump(),
                     [&](const char* d, size_t n) {
                       if (first) ++started, first = false;
                       bodies[i].append(d, n);
                       return true;
                     });
    });
  }
  while (started < kStreams) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  server.signal(SIGTERM);
  // Draining: health and new requests say 503 while the streams go on.
  bool saw_draining = false;
  for (int i = 0; i < 200 && !saw_draining; ++i) {
    auto c = server.client();
    auto h = c.Get("/health");
    if (h && h->status == 503) {
      saw_draining = true;
      EXPECT_EQ(json::parse(h->body)["status"], "draining");
      auto r = c.Post("/v1/completions", R"({"prompt":"late"})", "application/json");
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 503);
      EXPECT_EQ(json::parse(r->body)["error"]["code"], "shutting_down");
      EXPECT_FALSE(r->get_header_value("Retry-After").empty());
    }
  }
  EXPECT_TRUE(saw_draining);
  for (auto& t : threads) t.join();
  EXPECT_EQ(server.wait_exit(std::chrono::seconds(300)), 0) << server.log();
  for (int i = 0; i < kStreams; ++i) {
    StreamSummary s;
    ASSERT_NO_THROW(s = summarize(parse_sse_strict(bodies[i]))) << "stream " << i;
    EXPECT_EQ(s.completion_tokens, kTokens) << "stream " << i;
    EXPECT_EQ(s.finish, "length");
  }
}

// Streams that outlast --shutdown-timeout are ended (finish_reason "abort", then [DONE]).
TEST_F(ShutdownTest, TimeoutEndsLongStreams) {
  ServerProcess server(dir_.path() / "model", {"--shutdown-timeout", "0.2", "--threads", "1"},
                       dir_.path() / "server.log");
  ASSERT_TRUE(server.wait_for_health(200)) << server.log();
  std::string body;
  std::atomic<bool> started{false};
  std::thread t([&] {
    auto c = server.client();
    post_streaming(
        c, "/v1/completions",
        json{{"prompt", "Forever"}, {"max_tokens", 16000}, {"ignore_eos", true}, {"stream", true}}
            .dump(),
        [&](const char* d, size_t n) {
          started = true;
          body.append(d, n);
          return true;
        });
  });
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const auto t0 = Clock::now();
  server.signal(SIGTERM);
  t.join();
  EXPECT_EQ(server.wait_exit(std::chrono::seconds(30)), 0) << server.log();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 10.0);
  StreamSummary s;
  ASSERT_NO_THROW(s = summarize(parse_sse_strict(body)));
  EXPECT_EQ(s.finish, "abort");
}

}  // namespace
}  // namespace mamba::server::testing
