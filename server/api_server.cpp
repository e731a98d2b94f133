#include "server/api_server.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>

#include "server/generation_routes.hpp"
#include "server/http_util.hpp"
#include "server/request_fields.hpp"

namespace mamba::server {

// cpp-httplib's server with a listen backlog fit for bursts of clients: the library listens with a
// backlog of 5, which makes a burst of 64 connections wait for SYN retransmits.
class ApiServer::Listener : public httplib::Server {
 public:
  void widen_backlog() { ::listen(svr_sock_, SOMAXCONN); }
};

namespace {

using Clock = std::chrono::steady_clock;

// The endpoint label of a request in /metrics: known routes only, to bound the label values.
std::string endpoint_label(const std::string& path) {
  static const char* known[] = {
      "/v1/completions", "/v1/chat/completions", "/v1/models", "/health", "/metrics",
      "/tokenize",       "/detokenize"};
  for (const char* k : known) {
    if (path == k) return k;
  }
  if (path.rfind("/v1/models/", 0) == 0) return "/v1/models";
  return "other";
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

ApiServer::ApiServer(ServerOptions options)
    : options_(std::move(options)),
      chat_template_(chat_template_from_json(options_.chat_template)),
      http_(std::make_unique<Listener>()),
      started_at_(unix_time_now()) {
  served_model_name_ = options_.served_model_name;
  if (served_model_name_.empty()) {
    served_model_name_ =
        std::filesystem::path(options_.model).lexically_normal().filename().string();
    if (served_model_name_.empty()) {
      served_model_name_ = std::filesystem::path(options_.model)
                               .lexically_normal()
                               .parent_path()
                               .filename()
                               .string();
    }
  }
  install_routes();
}

ApiServer::~ApiServer() {
  if (loader_.joinable()) loader_.join();
}

void ApiServer::bind() {
  const int http_threads = options_.http_threads > 0 ? options_.http_threads
                                                     : options_.slots + options_.max_waiting + 32;
  http_->new_task_queue = [http_threads] { return new httplib::ThreadPool(http_threads); };
  http_->set_payload_max_length(options_.max_body_bytes);
  // SO_REUSEADDR only: the library's default also sets SO_REUSEPORT, which lets a second server
  // bind a port already in use and silently share its traffic.
  http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  http_->set_keep_alive_timeout(5);
  http_->set_read_timeout(30);
  http_->set_write_timeout(30);
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
    if (port_ < 0) throw std::runtime_error("cannot bind " + options_.host + " on any port");
  } else {
    if (!http_->bind_to_port(options_.host, options_.port)) {
      throw std::runtime_error("cannot bind " + options_.host + ":" +
                               std::to_string(options_.port) + " (in use, or not an address here)");
    }
    port_ = options_.port;
  }
  http_->widen_backlog();
  spdlog::info("listening on http://{}:{} ({} HTTP threads); serving model name \"{}\"",
               options_.host, port_, http_threads, served_model_name_);
}

void ApiServer::start_loading(std::function<void()> on_failure) {
  loader_ = std::thread([this, on_failure = std::move(on_failure)] {
    try {
      loaded_ = load_model(options_);
      const auto& tok = *loaded_.tokenizer;
      RequestLimits limits;
      limits.served_model_name = served_model_name_;
      limits.vocab_size = loaded_.model->vocab_size();
      limits.max_choices = options_.slots;
      limits.max_prompt_tokens = options_.max_prompt_tokens;
      limits.max_model_len = options_.max_model_len;
      serving_ = std::make_unique<ServingContext>(
          ServingContext{*loaded_.engine, tok, limits, chat_template_,
                         tok.bos_id() ? tok.piece(*tok.bos_id()) : std::string(),
                         tok.eos_id() ? tok.piece(*tok.eos_id()) : std::string(), metrics_,
                         force_stop_, active_generations_});
      State expected = State::Loading;
      if (state_.compare_exchange_strong(expected, State::Ready)) {
        spdlog::info("ready: chat template \"{}\"", chat_template_.name);
      } else {
        loaded_.engine->drain();  // shutdown began while loading
      }
    } catch (const std::exception& e) {
      spdlog::critical("cannot load the model: {}", e.what());
      state_ = State::Failed;
      load_failed_ = true;
      if (on_failure) on_failure();
    }
  });
}

void ApiServer::serve() {
  http_->listen_after_bind();
}

void ApiServer::shutdown() {
  std::lock_guard lock(shutdown_mu_);
  const State before = state_.exchange(State::Draining);
  if (before == State::Ready) loaded_.engine->drain();
  const auto deadline = Clock::now() + std::chrono::milliseconds(
                                           static_cast<int64_t>(options_.shutdown_timeout * 1000));
  if (active_generations_ > 0) {
    spdlog::info("shutting down: waiting up to {:.0f} s for {} running request(s)",
                 options_.shutdown_timeout, active_generations_.load());
  }
  while (active_generations_ > 0 && Clock::now() < deadline && !force_stop_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (active_generations_ > 0) {
    spdlog::warn("shutting down: ending {} request(s) still running", active_generations_.load());
    force_stop_ = true;
    const auto grace = Clock::now() + std::chrono::seconds(3);
    while (active_generations_ > 0 && Clock::now() < grace) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  spdlog::info("shutting down: stopping the listener");
  http_->stop();
}

void ApiServer::check_auth(const httplib::Request& req) const {
  if (options_.api_key.empty()) return;
  const std::string header = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (header.rfind(prefix, 0) == 0 &&
      constant_time_equal(header.substr(prefix.size()), options_.api_key)) {
    return;
  }
  throw ApiError(
      401,
      header.empty() ? "Missing API key: send 'Authorization: Bearer <key>'." : "Invalid API key.",
      "invalid_request_error", std::nullopt, std::string("invalid_api_key"));
}

ServingContext& ApiServer::serving() {
  switch (state_.load()) {
    case State::Ready:
      return *serving_;
    case State::Loading:
      throw ApiError::unavailable("The model is still loading; retry shortly.", "model_loading", 5);
    case State::Failed:
      throw ApiError::unavailable("The model failed to load.", "model_load_failed", 60);
    case State::Draining:
      throw ApiError::unavailable("The server is shutting down.", "shutting_down", 5);
  }
  throw ApiError::unavailable("The server is not ready.", "not_ready", 5);
}

httplib::Server::Handler ApiServer::api_route(
    std::function<void(const httplib::Request&, httplib::Response&)> fn, bool needs_auth) {
  return [this, fn = std::move(fn), needs_auth](const httplib::Request& req,
                                                httplib::Response& res) {
    try {
      if (needs_auth) check_auth(req);
      fn(req, res);
    } catch (const ApiError& e) {
      write_error(res, e);
    } catch (const std::exception& e) {
      spdlog::error("{} {}: {}", req.method, req.path, e.what());
      write_error(res, ApiError(500, std::string("Internal error: ") + e.what(), "server_error"));
    }
  };
}

void ApiServer::install_routes() {
  auto& s = *http_;
  s.set_default_headers({{"Access-Control-Allow-Origin", options_.cors_allow_origin}});
  s.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    current_access_record() = AccessRecord{Clock::now(), 0, 0};
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Statuses the library sets itself (404 unknown route, 413 body too large, 400 unreadable
  // request) get an OpenAI-shaped body too.
  s.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req,
                                                              httplib::Response& res) {
    if (!res.body.empty() || res.is_chunked_content_provider_) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (res.status == 404) {
      write_error(res, ApiError(404, "Unknown route: " + req.method + " " + req.path + ".",
                                "invalid_request_error", std::nullopt, std::string("not_found")));
    } else if (res.status == 413) {
      write_error(
          res, ApiError(413, "The request body is larger than this server accepts.",
                        "invalid_request_error", std::nullopt, std::string("request_too_large")));
    } else {
      write_error(res, ApiError(res.status, "The request could not be processed.",
                                "invalid_request_error"));
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_logger(
      [this](const httplib::Request& req, const httplib::Response& res) { log_access(req, res); });
  s.Options(".*", [this](const httplib::Request& req, httplib::Response& res) {
    res.status = 204;
    res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    const std::string asked = req.get_header_value("Access-Control-Request-Headers");
    res.set_header("Access-Control-Allow-Headers",
                   asked.empty() ? "Authorization, Content-Type" : asked);
    res.set_header("Access-Control-Max-Age", "86400");
  });

  s.Get("/health", [this](const httplib::Request&, httplib::Response& res) { handle_health(res); });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::optional<EngineStats> stats;
    if (state_ == State::Ready || state_ == State::Draining) {
      if (serving_) stats = serving_->engine.stats();
    }
    res.set_content(metrics_.render(stats), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/v1/models",
        api_route([this](const auto& req, auto& res) { handle_models(req, res); }, true));
  s.Get("/v1/models/(.+)",
        api_route(
            [this](const httplib::Request& req, httplib::Response& res) {
              if (req.matches[1] != served_model_name_) {
                throw ApiError(
                    404, "The model '" + std::string(req.matches[1]) + "' does not exist.",
                    "invalid_request_error", std::string("model"), std::string("model_not_found"));
              }
              handle_models(req, res);
              auto list = nlohmann::json::parse(res.body);
              write_json(res, list["data"][0]);
            },
            true));
  s.Post("/v1/completions",
         api_route([this](const auto& req, auto& res) { handle_completions(serving(), req, res); },
                   true));
  s.Post("/v1/chat/completions",
         api_route(
             [this](const auto& req, auto& res) { handle_chat_completions(serving(), req, res); },
             true));
  s.Post("/tokenize",
         api_route([this](const auto& req, auto& res) { handle_tokenize(req, res); }, true));
  s.Post("/detokenize",
         api_route([this](const auto& req, auto& res) { handle_detokenize(req, res); }, true));
}

void ApiServer::handle_health(httplib::Response& res) const {
  switch (state_.load()) {
    case State::Ready:
      write_json(res, {{"status", "ok"}});
      return;
    case State::Loading:
      res.set_header("Retry-After", "5");
      write_json(res, {{"status", "loading"}}, 503);
      return;
    case State::Failed:
      write_json(res, {{"status", "error"}}, 503);
      return;
    case State::Draining:
      res.set_header("Retry-After", "5");
      write_json(res, {{"status", "draining"}}, 503);
      return;
  }
}

void ApiServer::handle_models(const httplib::Request&, httplib::Response& res) const {
  nlohmann::json model = {{"id", served_model_name_},
                          {"object", "model"},
                          {"created", started_at_},
                          {"owned_by", "mamba-serve"},
                          {"max_model_len", options_.max_model_len}};
  write_json(res, {{"object", "list"}, {"data", {model}}});
}

void ApiServer::handle_tokenize(const httplib::Request& req, httplib::Response& res) {
  ServingContext& ctx = serving();
  const nlohmann::json body = parse_json_body(req);
  RequestFields f(body);
  const auto prompt = f.string("prompt");
  if (!prompt) throw ApiError::invalid("'prompt' is required.", std::string("prompt"));
  tok::EncodeOptions opts;
  opts.add_special_tokens = f.boolean("add_special_tokens").value_or(true);
  std::vector<int32_t> ids;
  try {
    ids = ctx.tokenizer.encode(*prompt, opts);
  } catch (const tok::TokenizerError& e) {
    throw ApiError::invalid(std::string("Cannot tokenize 'prompt': ") + e.what(),
                            std::string("prompt"));
  }
  write_json(res,
             {{"tokens", ids}, {"count", ids.size()}, {"max_model_len", ctx.limits.max_model_len}});
}

void ApiServer::handle_detokenize(const httplib::Request& req, httplib::Response& res) {
  ServingContext& ctx = serving();
  const nlohmann::json body = parse_json_body(req);
  RequestFields f(body);
  const auto* tokens = f.get("tokens");
  if (!tokens || !tokens->is_array()) {
    throw ApiError::invalid("'tokens' must be a list of token ids.", std::string("tokens"));
  }
  std::vector<int32_t> ids;
  for (const auto& t : *tokens) {
    const auto id = as_integer(t);
    if (!id || *id < 0 || *id >= ctx.limits.vocab_size) {
      throw ApiError::invalid(
          "'tokens' must hold token ids in [0, " + std::to_string(ctx.limits.vocab_size) + ").",
          std::string("tokens"));
    }
    ids.push_back(static_cast<int32_t>(*id));
  }
  write_json(res, {{"prompt", ctx.tokenizer.decode(ids)}});
}

void ApiServer::log_access(const httplib::Request& req, const httplib::Response& res) {
  AccessRecord& rec = current_access_record();
  const double ms =
      rec.start == Clock::time_point{}
          ? 0.0
          : std::chrono::duration<double, std::milli>(Clock::now() - rec.start).count();
  metrics_.count_request(endpoint_label(req.path), res.status);
  spdlog::info("{} {} {} prompt_tokens={} completion_tokens={} {:.1f}ms", req.method, req.path,
               res.status, rec.prompt_tokens, rec.completion_tokens, ms);
  rec = AccessRecord{};
}

}  // namespace mamba::server
