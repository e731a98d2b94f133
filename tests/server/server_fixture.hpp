#pragma once
// Shared by the HTTP tests: a random model with the GPT-NeoX tokenizer in a temp directory, a
// mamba-server process serving it, and the same model run directly through the Engine, whose
// results the server's answers must agree with.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.hpp"
#include "tests/server/server_process.hpp"
#include "tests/server/sse_reader.hpp"
#include "tests/server/test_model.hpp"

namespace mamba::server::testing {

struct DirectCompletion {
  std::string text;
  std::vector<int32_t> tokens;
  std::vector<float> logprobs;
  std::string finish;
  int completion_tokens = 0;
};

struct DirectResult {
  std::vector<DirectCompletion> completions;
  std::vector<TokenLogprob> prompt_logprobs;
};

// The model run in-process, for reference results.
class DirectEngine {
 public:
  explicit DirectEngine(const std::filesystem::path& model_dir) {
    model_ = Model::load(model_dir);
    tokenizer_ = tok::load_tokenizer(model_dir);
    EngineConfig c;
    c.slots = 4;
    engine_ = std::make_unique<Engine>(model_, tokenizer_, c);
  }
  const tok::Tokenizer& tokenizer() const { return *tokenizer_; }

  DirectResult run(std::vector<int32_t> prompt, SamplingParams params) {
    const int n = params.n;
    auto handle = engine_->submit({std::move(prompt), params});
    DirectResult r;
    r.completions.resize(n);
    Event e;
    while (handle->next(e, std::chrono::seconds(60))) {
      if (e.kind == Event::Kind::PromptLogprobs) {
        r.prompt_logprobs = e.prompt_logprobs;
        continue;
      }
      auto& c = r.completions.at(e.index);
      c.text += e.text;
      if (e.kind == Event::Kind::Token) {
        c.tokens.push_back(e.token);
        if (e.logprob) c.logprobs.push_back(e.logprob->logprob);
      } else {
        c.finish = finish_reason_name(e.finish);
        c.completion_tokens = e.completion_tokens;
      }
    }
    return r;
  }

 private:
  std::shared_ptr<const Model> model_;
  std::shared_ptr<const tok::Tokenizer> tokenizer_;
  std::unique_ptr<Engine> engine_;
};

// One server and one direct engine over the same random model for a whole test suite.
class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new mamba::testing::TempDir();
    write_random_model(dir_->path() / "model");
    server_ = new ServerProcess(dir_->path() / "model", {"--slots", "16", "--threads", "1"},
                                dir_->path() / "server.log");
    ASSERT_TRUE(server_->wait_for_health(200)) << server_->log();
    direct_ = new DirectEngine(dir_->path() / "model");
  }
  static void TearDownTestSuite() {
    delete direct_;
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << server_->log();
    }
    delete server_;
    delete dir_;
  }

  static nlohmann::json post_json(const std::string& path, const nlohmann::json& body,
                                  int expect = 200) {
    auto c = server_->client();
    auto r = c.Post(path.c_str(), body.dump(), "application/json");
    EXPECT_TRUE(r) << "no response for " << body.dump();
    if (!r) return {};
    EXPECT_EQ(r->status, expect) << r->body;
    return nlohmann::json::parse(r->body);
  }

  // A streamed response read whole and parsed strictly.
  static SseStream post_stream(const std::string& path, const nlohmann::json& body) {
    auto c = server_->client();
    auto r = c.Post(path.c_str(), body.dump(), "application/json");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
    return parse_sse_strict(r->body);
  }

  static std::string metrics() {
    auto r = server_->client().Get("/metrics");
    return r ? r->body : std::string();
  }

  static inline mamba::testing::TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
  static inline DirectEngine* direct_ = nullptr;
};

// POST whose response body is handed to `on_data` as it arrives; returning false disconnects.
inline httplib::Result post_streaming(httplib::Client& c, const std::string& path,
                                      const std::string& body,
                                      std::function<bool(const char*, size_t)> on_data) {
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.body = body;
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [on_data = std::move(on_data)](const char* d, size_t n, uint64_t,
                                                        uint64_t) { return on_data(d, n); };
  return c.send(req);
}

// Value of the sample line `series value` in Prometheus text (-1 when absent).
inline double metric_value(const std::string& text, const std::string& series) {
  size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') {
      return std::stod(text.substr(pos + series.size() + 1));
    }
    pos += series.size();
  }
  return -1;
}

}  // namespace mamba::server::testing
