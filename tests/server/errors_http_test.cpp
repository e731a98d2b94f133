// Every error status of the API, each from a real request to the binary, in OpenAI's shape.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "tests/server/server_fixture.hpp"

namespace mamba::server::testing {
namespace {

using nlohmann::json;

// Checks the OpenAI error shape and returns the "error" object.
json expect_error(const httplib::Result& r, int status, const std::string& type) {
  EXPECT_TRUE(r);
  if (!r) return {};
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  const json body = json::parse(r->body);
  const json& e = body.at("error");
  EXPECT_TRUE(e.at("message").is_string());
  EXPECT_FALSE(e.at("message").get<std::string>().empty());
  EXPECT_EQ(e.at("type"), type);
  EXPECT_TRUE(e.at("param").is_null() || e.at("param").is_string());
  EXPECT_TRUE(e.at("code").is_null() || e.at("code").is_string());
  return e;
}

// A server with a key, a small body limit, one slot and a queue of one.
class LimitedServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new mamba::testing::TempDir();
    write_random_model(dir_->path() / "model");
    server_ = new ServerProcess(
        dir_->path() / "model",
        {"--api-key", "sekret", "--max-body-bytes", "4096", "--slots", "1", "--max-waiting", "1",
         "--max-prompt-tokens", "64", "--max-model-len", "128", "--served-model-name", "tiny"},
        dir_->path() / "server.log");
    ASSERT_TRUE(server_->wait_for_health(200)) << server_->log();
  }
  static void TearDownTestSuite() {
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << server_->log();
    }
    delete server_;
    delete dir_;
  }
  static httplib::Client client(bool with_key = true) {
    auto c = server_->client();
    if (with_key) c.set_bearer_token_auth("sekret");
    return c;
  }
  static httplib::Result post(const std::string& path, const std::string& body,
                              bool with_key = true) {
    return client(with_key).Post(path.c_str(), body, "application/json");
  }
  static inline mamba::testing::TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
};

TEST_F(LimitedServerTest, ApiKeyRequiredButHealthAndMetricsOpen) {
  const std::string body = json{{"prompt", "hi"}, {"max_tokens", 1}}.dump();
  auto e = expect_error(post("/v1/completions", body, false), 401, "invalid_request_error");
  EXPECT_EQ(e["code"], "invalid_api_key");
  auto wrong = server_->client();
  wrong.set_bearer_token_auth("nope");
  expect_error(wrong.Post("/v1/completions", body, "application/json"), 401,
               "invalid_request_error");
  expect_error(client(false).Get("/v1/models"), 401, "invalid_request_error");
  expect_error(post("/tokenize", R"({"prompt":"x"})", false), 401, "invalid_request_error");
  auto ok = post("/v1/completions", body);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  auto health = client(false).Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto metrics = client(false).Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_GE(metric_value(metrics->body,
                         "mamba_requests_total{endpoint=\"/v1/completions\",status=\"401\"}"),
            2);
}

TEST_F(LimitedServerTest, BodyOverTheLimitIs413) {
  const std::string big = json{{"prompt", std::string(8000, 'a')}}.dump();
  auto e = expect_error(post("/v1/completions", big), 413, "invalid_request_error");
  EXPECT_EQ(e["code"], "request_too_large");
}

TEST_F(LimitedServerTest, InvalidRequestsAre400WithParam) {
  auto e = expect_error(post("/v1/completions", "{not json"), 400, "invalid_request_error");
  EXPECT_TRUE(e["param"].is_null());
  e = expect_error(post("/v1/completions", R"({"prompt":"x","temperature":3})"), 400,
                   "invalid_request_error");
  EXPECT_EQ(e["param"], "temperature");
  e = expect_error(post("/v1/completions", R"({"prompt":"x","suffix":"y"})"), 400,
                   "invalid_request_error");
  EXPECT_EQ(e["param"], "suffix");
  e = expect_error(post("/v1/completions", R"({"prompt":"x","logit_bias":{"99999999":1}})"), 400,
                   "invalid_request_error");
  EXPECT_EQ(e["param"], "logit_bias");
  e = expect_error(post("/v1/chat/completions", R"({"messages":[]})"), 400,
                   "invalid_request_error");
  EXPECT_EQ(e["param"], "messages");
  e = expect_error(post("/v1/completions", R"({"prompt":"x","n":2})"), 400,
                   "invalid_request_error");
  EXPECT_EQ(e["param"], "n");  // more completions than slots could never run
  e = expect_error(post("/detokenize", R"({"tokens":[-5]})"), 400, "invalid_request_error");
  EXPECT_EQ(e["param"], "tokens");
}

TEST_F(LimitedServerTest, ContextLengthExceeded) {
  std::string long_prompt;
  for (int i = 0; i < 100; ++i) long_prompt += " word";
  auto e = expect_error(post("/v1/completions", json{{"prompt", long_prompt}}.dump()), 400,
                        "invalid_request_error");
  EXPECT_EQ(e["code"], "context_length_exceeded");
  EXPECT_EQ(e["param"], "prompt");
  // Within the prompt limit, but prompt + max_tokens is over max_model_len.
  e = expect_error(post("/v1/completions", json{{"prompt", "hi"}, {"max_tokens", 200}}.dump()), 400,
                   "invalid_request_error");
  EXPECT_EQ(e["code"], "context_length_exceeded");
  e = expect_error(post("/v1/chat/completions",
                        json{{"messages", {{{"role", "user"}, {"content", long_prompt}}}}}.dump()),
                   400, "invalid_request_error");
  EXPECT_EQ(e["code"], "context_length_exceeded");
  EXPECT_EQ(e["param"], "messages");
}

TEST_F(LimitedServerTest, OtherModelAndUnknownRouteAre404) {
  auto e = expect_error(post("/v1/completions", R"({"model":"gpt-4","prompt":"x"})"), 404,
                        "invalid_request_error");
  EXPECT_EQ(e["code"], "model_not_found");
  EXPECT_EQ(e["param"], "model");
  e = expect_error(post("/v1/chat/completions",
                        R"({"model":"gpt-4","messages":[{"role":"user","content":"x"}]})"),
                   404, "invalid_request_error");
  EXPECT_EQ(e["code"], "model_not_found");
  expect_error(client().Get("/v1/models/gpt-4"), 404, "invalid_request_error");
  auto ok = client().Get("/v1/models/tiny");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  e = expect_error(post("/v1/nothing", "{}"), 404, "invalid_request_error");
  EXPECT_EQ(e["code"], "not_found");
}

TEST_F(LimitedServerTest, CorsPreflight) {
  auto c = client(false);
  httplib::Headers h = {{"Origin", "http://example.com"},
                        {"Access-Control-Request-Method", "POST"},
                        {"Access-Control-Request-Headers", "authorization, content-type"}};
  auto r = c.Options("/v1/chat/completions", h);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(r->get_header_value("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Headers"), "authorization, content-type");
  auto g = c.Get("/health");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->get_header_value("Access-Control-Allow-Origin"), "*");
}

// The one slot and the one queue place are taken by long streams: the next request is told to
// come back (503 + Retry-After). Closing the streams frees the slot again.
TEST_F(LimitedServerTest, QueueFullIs503ThenTheSlotIsFreedByDisconnect) {
  std::atomic<int> started{0};
  std::atomic<bool> release{false};
  auto hold = [&](const char* prompt) {
    auto c = client();
    post_streaming(
        c, "/v1/completions",
        json{{"prompt", prompt}, {"max_tokens", 120}, {"ignore_eos", true}, {"stream", true}}
            .dump(),
        [&](const char*, size_t) {
          ++started;
          while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
          return false;  // disconnect
        });
  };
  std::thread running(hold, "one");
  while (started < 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::thread queued(hold, "two");
  // The queued request has no events yet; wait until the engine counts it as waiting.
  for (int i = 0; i < 200; ++i) {
    auto m = client(false).Get("/metrics");
    if (m && metric_value(m->body, "mamba_requests_waiting") == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto r = post("/v1/completions", json{{"prompt", "hi"}, {"max_tokens", 2}}.dump());
  auto e = expect_error(r, 503, "server_error");
  EXPECT_EQ(e["code"], "queue_full");
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
  release = true;
  running.join();
  queued.join();
  // The disconnected streams' slot comes back: requests succeed again.
  bool ok = false;
  for (int i = 0; i < 100 && !ok; ++i) {
    auto again = post("/v1/completions", json{{"prompt", "hi"}, {"max_tokens", 2}}.dump());
    ok = again && again->status == 200;
    if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(ok);
}

// While the model loads, /health and the API answer 503 (loading is held up here on a FIFO the
// tokenizer loader reads), then 200 once it is in.
TEST(LoadingServerTest, Answers503WhileLoading) {
  mamba::testing::TempDir dir;
  write_random_model(dir.path() / "model");
  const auto fifo = dir.path() / "model" / "special_tokens_map.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  ServerProcess server(dir.path() / "model", {}, dir.path() / "server.log");
  ASSERT_TRUE(server.wait_for_health(503)) << server.log();
  auto c = server.client();
  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(json::parse(h->body)["status"], "loading");
  auto r = c.Post("/v1/completions", R"({"prompt":"x"})", "application/json");
  auto e = expect_error(r, 503, "server_error");
  EXPECT_EQ(e["code"], "model_loading");
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
  {
    std::ofstream(fifo) << "{}";  // lets the loader finish
  }
  ASSERT_TRUE(server.wait_for_health(200)) << server.log();
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace mamba::server::testing
