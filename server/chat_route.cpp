// POST /v1/chat/completions.
#include <memory>

#include "server/chat_request.hpp"
#include "server/chat_template.hpp"
#include "server/client_connection.hpp"
#include "server/completion_output.hpp"
#include "server/generation_job.hpp"
#include "server/generation_routes.hpp"
#include "server/http_util.hpp"
#include "server/logprobs_json.hpp"
#include "server/respond_generation.hpp"
#include "server/usage_json.hpp"

namespace mamba::server {
namespace {

nlohmann::json content_logprobs(const tok::Tokenizer& tokenizer, const CompletionOutput& o) {
  nlohmann::json content = nlohmann::json::array();
  for (const auto& t : o.tokens) {
    if (t.logprob) content.push_back(chat_logprob_entry(tokenizer, *t.logprob));
  }
  return {{"content", std::move(content)}};
}

struct ChatCall {
  ServingContext& ctx;
  ChatRequest request;
  std::vector<int32_t> prompt;
  GenerationJob job;
  ClientConnection connection;
  std::string id = make_response_id("chatcmpl-");
  int64_t created = unix_time_now();

  ChatCall(ServingContext& c, ChatRequest r, const httplib::Request& req)
      : ctx(c),
        request(std::move(r)),
        job(c.engine, c.metrics, current_access_record().start),
        connection(req.local_addr, req.local_port, req.remote_addr, req.remote_port) {}

  void prepare_and_submit() {
    const std::string text =
        render_chat(ctx.chat_template, request.messages, ctx.bos_text, ctx.eos_text);
    prompt = prompt_tokens(ctx.tokenizer, text, "messages");
    auto& p = request.sampling;
    for (auto& s : chat_stop_strings(ctx.chat_template, ctx.bos_text, ctx.eos_text)) {
      if (std::find(p.stop.begin(), p.stop.end(), s) == p.stop.end()) p.stop.push_back(s);
    }
    if (!request.max_tokens_given) {
      // Like OpenAI: without a limit the answer may fill the rest of the context.
      const long room =
          static_cast<long>(ctx.limits.max_model_len) - static_cast<long>(prompt.size());
      p.max_tokens = static_cast<int>(std::max(room, 1L));
      p.min_tokens = std::min(p.min_tokens, p.max_tokens);
    }
    check_context_length(ctx.limits, prompt.size(), p.max_tokens, "messages");
    job.submit({prompt, p}, "messages");
  }

  std::function<bool()> should_stop() {
    return [this] { return connection.gone() || ctx.force_stop.load(); };
  }

  nlohmann::json envelope(const char* object, nlohmann::json choices) const {
    nlohmann::json j = {{"id", id},
                        {"object", object},
                        {"created", created},
                        {"model", ctx.limits.served_model_name},
                        {"system_fingerprint", nullptr},
                        {"choices", std::move(choices)}};
    if (request.stream.include_usage) j["usage"] = nullptr;
    return j;
  }

  void respond(httplib::Response& res) {
    std::vector<CompletionOutput> outputs(request.n);
    Event e;
    int p = 0;
    const auto stop = should_stop();
    while (job.next(e, p, stop)) {
      if (e.kind != Event::Kind::PromptLogprobs && e.index >= 0 && e.index < request.n) {
        outputs[e.index].apply(e);
      }
    }
    if (job.cancelled()) {
      if (ctx.force_stop) {
        throw ApiError::unavailable("The server shut down before the completion finished.",
                                    "shutting_down", 5);
      }
      res.status = 499;
      return;
    }
    nlohmann::json choices = nlohmann::json::array();
    int completion_tokens = 0;
    for (int i = 0; i < request.n; ++i) {
      const CompletionOutput& o = outputs[i];
      if (o.finish == FinishReason::Error) {
        throw ApiError(500, "Generation failed: " + o.error, "server_error");
      }
      completion_tokens += o.completion_tokens;
      choices.push_back(
          {{"index", i},
           {"message", {{"role", "assistant"}, {"content", o.text}}},
           {"logprobs", request.logprobs ? content_logprobs(ctx.tokenizer, o) : nlohmann::json()},
           {"finish_reason", finish_reason_text(o.finish)}});
    }
    const int prompt_count = static_cast<int>(prompt.size());
    auto& access = current_access_record();
    access.prompt_tokens = prompt_count;
    access.completion_tokens = completion_tokens;
    nlohmann::json body = envelope("chat.completion", std::move(choices));
    body["usage"] = usage_json(prompt_count, completion_tokens, outputs[0].cached_tokens);
    write_json(res, body);
  }

  nlohmann::json delta_choice(int index, nlohmann::json delta, nlohmann::json logprobs,
                              nlohmann::json finish_reason) const {
    return {{"index", index},
            {"delta", std::move(delta)},
            {"logprobs", std::move(logprobs)},
            {"finish_reason", std::move(finish_reason)}};
  }

  bool stream(httplib::DataSink& sink) {
    SseWriter out(sink);
    const char* object = "chat.completion.chunk";
    for (int i = 0; i < request.n; ++i) {
      out.event(envelope(
          object, {delta_choice(i, {{"role", "assistant"}, {"content", ""}}, nullptr, nullptr)}));
    }
    int completion_tokens = 0, cached_tokens = 0;
    Event e;
    int p = 0;
    const auto stop = should_stop();
    while (out.ok() && job.next(e, p, stop)) {
      if (e.index < 0 || e.index >= request.n) continue;
      if (e.kind == Event::Kind::Token) {
        if (e.text.empty() && !request.logprobs) continue;
        nlohmann::json logprobs = nullptr;
        if (request.logprobs && e.logprob) {
          logprobs = {{"content", {chat_logprob_entry(ctx.tokenizer, *e.logprob)}}};
        }
        out.event(envelope(
            object, {delta_choice(e.index, {{"content", e.text}}, std::move(logprobs), nullptr)}));
      } else if (e.kind == Event::Kind::Finished) {
        completion_tokens += e.completion_tokens;
        cached_tokens = e.cached_tokens;  // one prompt: the same for all n
        if (e.finish == FinishReason::Error) {
          out.event(error_json(ApiError(500, "Generation failed: " + e.error, "server_error")));
        }
        nlohmann::json delta = nlohmann::json::object();
        if (!e.text.empty()) delta["content"] = e.text;
        out.event(envelope(object, {delta_choice(e.index, std::move(delta), nullptr,
                                                 finish_reason_text(e.finish))}));
      }
    }
    const int prompt_count = static_cast<int>(prompt.size());
    auto& access = current_access_record();
    access.prompt_tokens = prompt_count;
    access.completion_tokens = completion_tokens;
    if (!out.ok() || (job.cancelled() && !ctx.force_stop)) return false;
    if (request.stream.include_usage) {
      nlohmann::json usage = envelope(object, nlohmann::json::array());
      usage["usage"] = usage_json(prompt_count, completion_tokens, cached_tokens);
      out.event(usage);
    }
    return out.done();
  }
};

}  // namespace

void handle_chat_completions(ServingContext& ctx, const httplib::Request& req,
                             httplib::Response& res) {
  ChatRequest request = parse_chat_request(parse_json_body(req), ctx.limits);
  auto active = std::make_shared<ActiveGeneration>(ctx.active_generations);
  auto call = std::make_shared<ChatCall>(ctx, std::move(request), req);
  call->prepare_and_submit();
  const bool stream = call->request.stream.stream;
  respond_generation(ctx, std::move(active), std::move(call), stream, res);
}

}  // namespace mamba::server
