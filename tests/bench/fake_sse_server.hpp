#pragma once
// A small OpenAI-style streaming server for the mamba-bench tests: every output chunk comes after a
// known delay, and requests can be made to fail in the ways real servers fail.

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace mamba::bench::testing {

enum class Behaviour {
  Ok,
  Http500,
  MalformedEvent,  // a broken JSON event after the first token
  CloseMidStream,  // the connection drops after two tokens
  NoDone,          // tokens and usage, but no data: [DONE]
  ErrorEvent,      // data: {"error": {...}} after the first token
  NotStreaming,    // a plain JSON answer
  Stall,           // the first token comes after stall_ms
};

struct FakeServerConfig {
  int first_delay_ms = 100;  // request received -> first output chunk
  int gap_ms = 50;           // between output chunks
  int stall_ms = 3000;
  bool has_tokenize = true;
  bool send_usage = true;
  std::string model = "fake-model";
  std::vector<Behaviour> behaviours = {Behaviour::Ok};  // request k gets behaviours[k % size]
};

class FakeSseServer {
 public:
  explicit FakeSseServer(FakeServerConfig config) : config_(std::move(config)) {
    server_.set_tcp_nodelay(true);
    server_.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(
          nlohmann::json{{"object", "list"}, {"data", {{{"id", config_.model}}}}}.dump(),
          "application/json");
    });
    server_.Post("/tokenize", [this](const httplib::Request& req, httplib::Response& res) {
      if (!config_.has_tokenize) {
        res.status = 404;
        return;
      }
      // One token per word plus one per 5 characters: not linear in words, like a real tokenizer.
      const std::string prompt = nlohmann::json::parse(req.body)["prompt"];
      res.set_content(nlohmann::json{{"count", count_tokens(prompt)}}.dump(), "application/json");
    });
    server_.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      stream(req, res, false);
    });
    server_.Post(
        "/v1/chat/completions",
        [this](const httplib::Request& req, httplib::Response& res) { stream(req, res, true); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  ~FakeSseServer() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }
  std::vector<std::string> prompts() {
    std::lock_guard lock(mutex_);
    return prompts_;
  }
  nlohmann::json last_body() {
    std::lock_guard lock(mutex_);
    return last_body_;
  }

  static int count_tokens(const std::string& text) {
    std::istringstream in(text);
    std::string word;
    int words = 0;
    while (in >> word) ++words;
    return words + static_cast<int>(text.size() / 5);
  }

 private:
  void stream(const httplib::Request& req, httplib::Response& res, bool chat) {
    const auto body = nlohmann::json::parse(req.body);
    const int k = requests_.fetch_add(1);
    const Behaviour behaviour = config_.behaviours[k % config_.behaviours.size()];
    const std::string prompt = chat ? body["messages"][0]["content"].get<std::string>()
                                    : body["prompt"].get<std::string>();
    {
      std::lock_guard lock(mutex_);
      prompts_.push_back(prompt);
      last_body_ = body;
    }
    if (behaviour == Behaviour::Http500) {
      res.status = 500;
      res.set_content(R"({"error":{"message":"engine exploded"}})", "application/json");
      return;
    }
    if (behaviour == Behaviour::NotStreaming) {
      res.set_content(R"({"choices":[{"text":"hi"}]})", "application/json");
      return;
    }
    const int tokens = body["max_tokens"];
    const int prompt_tokens = count_tokens(prompt);
    auto step = std::make_shared<int>(0);
    const FakeServerConfig config = config_;
    res.set_chunked_content_provider("text/event-stream", [=](size_t, httplib::DataSink& sink) {
      auto send = [&](const std::string& data) {
        const std::string event = "data: " + data + "\n\n";
        return sink.write(event.data(), event.size());
      };
      auto content = [&](int i) {
        nlohmann::json choice = {{"index", 0}, {"finish_reason", nullptr}};
        if (i == tokens - 1) choice["finish_reason"] = "length";
        const std::string text = " tok" + std::to_string(i);
        if (chat) {
          choice["delta"] = {{"content", text}};
        } else {
          choice["text"] = text;
        }
        return nlohmann::json{{"object", "text_completion"}, {"choices", {choice}}}.dump();
      };
      const int i = (*step)++;
      if (i == 0 && chat) {
        // The role announcement carries no token; it must not count as the first one.
        return send(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})");
      }
      const int token = chat ? i - 1 : i;
      if (token < tokens) {
        int delay = token == 0 ? config.first_delay_ms : config.gap_ms;
        if (token == 0 && behaviour == Behaviour::Stall) delay = config.stall_ms;
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        if (token == 1 && behaviour == Behaviour::MalformedEvent) {
          return send("{\"choices\": [{\"text\": oops");
        }
        if (token == 1 && behaviour == Behaviour::ErrorEvent) {
          return send(R"({"error":{"message":"out of slots","type":"server_error"}})");
        }
        if (token == 2 && behaviour == Behaviour::CloseMidStream) return false;
        return send(content(token));
      }
      if (config.send_usage) {
        send(nlohmann::json{{"choices", nlohmann::json::array()},
                            {"usage",
                             {{"prompt_tokens", prompt_tokens},
                              {"completion_tokens", tokens},
                              {"total_tokens", prompt_tokens + tokens}}}}
                 .dump());
      }
      if (behaviour != Behaviour::NoDone) send("[DONE]");
      sink.done();
      return true;
    });
  }

  FakeServerConfig config_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::vector<std::string> prompts_;
  nlohmann::json last_body_;
};

}  // namespace mamba::bench::testing
