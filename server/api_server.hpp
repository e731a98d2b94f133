#pragma once
// The HTTP server: listens before the model is loaded (so /health can say 503 while loading),
// routes the OpenAI endpoints and the operational ones, enforces auth, CORS and body limits,
// writes the access log, and drains gracefully on shutdown.

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include <httplib.h>

#include "server/chat_template.hpp"
#include "server/metrics.hpp"
#include "server/model_loader.hpp"
#include "server/server_options.hpp"
#include "server/serving_context.hpp"

namespace mamba::server {

class ApiServer {
 public:
  // Throws std::invalid_argument for a bad chat template.
  explicit ApiServer(ServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds host:port (port 0 picks a free one); throws std::runtime_error when it cannot.
  void bind();
  int port() const { return port_; }

  // Loads the model on a background thread; `on_failure` runs there if loading fails.
  void start_loading(std::function<void()> on_failure);

  // Serves until shutdown() completes.
  void serve();

  // Stops taking new work (503), lets running requests finish for up to shutdown_timeout
  // seconds, ends the rest, then stops the listener. Call from any thread but a request's.
  void shutdown();
  // Ends running streams now (a second signal).
  void force_stop() { force_stop_ = true; }

  bool load_failed() const { return load_failed_; }
  bool stopping() const { return state_ == State::Draining; }

 private:
  enum class State { Loading, Ready, Failed, Draining };
  class Listener;

  void install_routes();
  // Wraps a route: auth (unless open), readiness, ApiError -> OpenAI error response.
  httplib::Server::Handler api_route(
      std::function<void(const httplib::Request&, httplib::Response&)> fn, bool needs_model);
  void check_auth(const httplib::Request& req) const;
  ServingContext& serving();  // throws 503 while loading/draining

  void handle_health(httplib::Response& res) const;
  void handle_models(const httplib::Request& req, httplib::Response& res) const;
  void handle_tokenize(const httplib::Request& req, httplib::Response& res);
  void handle_detokenize(const httplib::Request& req, httplib::Response& res);
  void log_access(const httplib::Request& req, const httplib::Response& res);

  ServerOptions options_;
  ChatTemplate chat_template_;
  std::string served_model_name_;
  std::unique_ptr<Listener> http_;
  int port_ = 0;
  int64_t started_at_ = 0;

  ServerMetrics metrics_;
  std::atomic<State> state_{State::Loading};
  std::atomic<bool> force_stop_{false};
  std::atomic<bool> load_failed_{false};
  std::atomic<int> active_generations_{0};
  LoadedModel loaded_;
  std::unique_ptr<ServingContext> serving_;  // set once, before state_ becomes Ready
  std::thread loader_;
  std::mutex shutdown_mu_;
};

}  // namespace mamba::server
