// POST /v1/completions.
#include <algorithm>
#include <memory>
#include <numeric>

#include "server/client_connection.hpp"
#include "server/completion_output.hpp"
#include "server/completion_request.hpp"
#include "server/generation_job.hpp"
#include "server/generation_routes.hpp"
#include "server/http_util.hpp"
#include "server/logprobs_json.hpp"
#include "server/respond_generation.hpp"
#include "server/usage_json.hpp"

namespace mamba::server {
namespace {

struct PreparedPrompt {
  std::vector<int32_t> tokens;
  std::string echo_text;  // the prompt as echoed back: the client's text, or the decoded ids
};

// The echoed prompt's tokens: the first has no logprob (nothing predicts it).
void add_prompt_logprobs(LegacyLogprobs& out, const tok::Tokenizer& tokenizer,
                         const PreparedPrompt& prompt, const std::vector<TokenLogprob>& logprobs) {
  const auto offsets = token_char_offsets(tokenizer, prompt.tokens);
  for (size_t i = 0; i < prompt.tokens.size(); ++i) {
    std::optional<TokenLogprob> lp;
    if (i > 0 && i - 1 < logprobs.size()) lp = logprobs[i - 1];
    out.add(tokenizer, prompt.tokens[i], lp, offsets[i]);
  }
}

void add_completion_logprobs(LegacyLogprobs& out, const tok::Tokenizer& tokenizer,
                             const CompletionOutput& c, size_t base_offset) {
  for (const auto& t : c.tokens)
    out.add(tokenizer, t.token, t.logprob, base_offset + t.char_offset);
}

// The `n` completions with the highest cumulative logprob, best first (best_of).
std::vector<size_t> select_best(const std::vector<CompletionOutput>& outputs, int n) {
  std::vector<size_t> order(outputs.size());
  std::iota(order.begin(), order.end(), 0);
  if (static_cast<int>(outputs.size()) > n) {
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return outputs[a].cumulative_logprob > outputs[b].cumulative_logprob;
    });
    order.resize(n);
  }
  return order;
}

std::vector<PreparedPrompt> prepare_prompts(const ServingContext& ctx, const CompletionRequest& r) {
  std::vector<PreparedPrompt> out;
  for (const auto& p : r.prompts) {
    PreparedPrompt pp;
    if (p.text) {
      pp.tokens = prompt_tokens(ctx.tokenizer, *p.text, "prompt");
      pp.echo_text = *p.text;
    } else {
      pp.tokens = start_if_empty(ctx.tokenizer, p.tokens, "prompt");
      if (r.echo) pp.echo_text = ctx.tokenizer.decode(pp.tokens);
    }
    check_context_length(ctx.limits, pp.tokens.size(), r.sampling.max_tokens, "prompt");
    out.push_back(std::move(pp));
  }
  return out;
}

struct CompletionCall {
  ServingContext& ctx;
  CompletionRequest request;
  std::vector<PreparedPrompt> prompts;
  GenerationJob job;
  ClientConnection connection;
  std::string id = make_response_id("cmpl-");
  int64_t created = unix_time_now();
  int prompt_token_count = 0;

  CompletionCall(ServingContext& c, CompletionRequest r, std::vector<PreparedPrompt> p,
                 const httplib::Request& req)
      : ctx(c),
        request(std::move(r)),
        prompts(std::move(p)),
        job(c.engine, c.metrics, current_access_record().start),
        connection(req.local_addr, req.local_port, req.remote_addr, req.remote_port) {
    for (const auto& pp : prompts) prompt_token_count += static_cast<int>(pp.tokens.size());
  }

  void submit() {
    SamplingParams params = request.sampling;
    params.n = request.best_of;
    // best_of ranks by cumulative logprob, so the engine must report each chosen token's.
    if (request.best_of > request.n) params.logprobs = std::max(params.logprobs, 0);
    for (const auto& p : prompts) job.submit({p.tokens, params}, "prompt");
  }

  std::function<bool()> should_stop() {
    return [this] { return connection.gone() || ctx.force_stop.load(); };
  }

  nlohmann::json envelope(nlohmann::json choices) const {
    nlohmann::json j = {{"id", id},
                        {"object", "text_completion"},
                        {"created", created},
                        {"model", ctx.limits.served_model_name},
                        {"choices", std::move(choices)}};
    if (request.stream.include_usage) j["usage"] = nullptr;
    return j;
  }

  // The whole response at once.
  void respond(httplib::Response& res) {
    const int best_of = request.best_of;
    std::vector<std::vector<CompletionOutput>> outputs(prompts.size(),
                                                       std::vector<CompletionOutput>(best_of));
    std::vector<std::vector<TokenLogprob>> prompt_logprobs(prompts.size());
    Event e;
    int p = 0;
    const auto stop = should_stop();
    while (job.next(e, p, stop)) {
      if (e.kind == Event::Kind::PromptLogprobs) {
        prompt_logprobs[p] = std::move(e.prompt_logprobs);
      } else if (e.index >= 0 && e.index < best_of) {
        outputs[p][e.index].apply(e);
      }
    }
    if (job.cancelled()) {
      if (ctx.force_stop) {
        throw ApiError::unavailable("The server shut down before the completion finished.",
                                    "shutting_down", 5);
      }
      res.status = 499;  // the client closed the connection; nobody reads this
      return;
    }
    nlohmann::json choices = nlohmann::json::array();
    int completion_tokens = 0, cached_tokens = 0;
    for (size_t pi = 0; pi < prompts.size(); ++pi) {
      cached_tokens += outputs[pi][0].cached_tokens;  // the same for all n of a prompt
      for (const auto& o : outputs[pi]) {
        if (o.finish == FinishReason::Error) {
          throw ApiError(500, "Generation failed: " + o.error, "server_error");
        }
        completion_tokens += o.completion_tokens;
      }
      const auto chosen = select_best(outputs[pi], request.n);
      for (size_t j = 0; j < chosen.size(); ++j) {
        const CompletionOutput& o = outputs[pi][chosen[j]];
        const std::string& echo = request.echo ? prompts[pi].echo_text : std::string();
        nlohmann::json logprobs = nullptr;
        if (request.logprobs >= 0) {
          LegacyLogprobs lp;
          if (request.echo)
            add_prompt_logprobs(lp, ctx.tokenizer, prompts[pi], prompt_logprobs[pi]);
          add_completion_logprobs(lp, ctx.tokenizer, o, utf8_length(echo));
          logprobs = lp.json();
        }
        choices.push_back({{"index", pi * request.n + j},
                           {"text", echo + o.text},
                           {"logprobs", std::move(logprobs)},
                           {"finish_reason", finish_reason_text(o.finish)}});
      }
    }
    auto& access = current_access_record();
    access.prompt_tokens = prompt_token_count;
    access.completion_tokens = completion_tokens;
    nlohmann::json body = envelope(std::move(choices));
    body["usage"] = usage_json(prompt_token_count, completion_tokens, cached_tokens);
    write_json(res, body);
  }

  nlohmann::json text_choice(size_t index, const std::string& text, nlohmann::json logprobs,
                             nlohmann::json finish_reason) const {
    return {{"index", index},
            {"text", text},
            {"logprobs", std::move(logprobs)},
            {"finish_reason", std::move(finish_reason)}};
  }

  // Events as they come; false when the client went away.
  bool stream(httplib::DataSink& sink) {
    SseWriter out(sink);
    const int n = request.n;
    std::vector<size_t> chars(prompts.size() * n, 0);  // characters sent per choice
    const bool echo_logprobs = request.echo && request.logprobs >= 0;
    if (request.echo && !echo_logprobs) {
      for (size_t pi = 0; pi < prompts.size(); ++pi) {
        for (int i = 0; i < n; ++i) {
          out.event(envelope({text_choice(pi * n + i, prompts[pi].echo_text, nullptr, nullptr)}));
          chars[pi * n + i] = utf8_length(prompts[pi].echo_text);
        }
      }
    }
    int completion_tokens = 0, cached_tokens = 0;
    Event e;
    int p = 0;
    const auto stop = should_stop();
    while (out.ok() && job.next(e, p, stop)) {
      if (e.kind == Event::Kind::PromptLogprobs) {
        if (!echo_logprobs) continue;
        LegacyLogprobs lp;
        add_prompt_logprobs(lp, ctx.tokenizer, prompts[p], e.prompt_logprobs);
        for (int i = 0; i < n; ++i) {
          out.event(envelope({text_choice(p * n + i, prompts[p].echo_text, lp.json(), nullptr)}));
          chars[p * n + i] = utf8_length(prompts[p].echo_text);
        }
        continue;
      }
      const size_t choice = static_cast<size_t>(p) * n + e.index;
      if (e.index < 0 || e.index >= n) continue;
      if (e.kind == Event::Kind::Token) {
        if (e.text.empty() && request.logprobs < 0) continue;  // nothing to say yet
        nlohmann::json logprobs = nullptr;
        if (request.logprobs >= 0) {
          LegacyLogprobs lp;
          lp.add(ctx.tokenizer, e.token, e.logprob, chars[choice]);
          logprobs = lp.json();
        }
        chars[choice] += utf8_length(e.text);
        out.event(envelope({text_choice(choice, e.text, std::move(logprobs), nullptr)}));
      } else if (e.kind == Event::Kind::Finished) {
        completion_tokens += e.completion_tokens;
        if (e.index == 0) cached_tokens += e.cached_tokens;  // the same for all n of a prompt
        if (e.finish == FinishReason::Error) {
          out.event(error_json(ApiError(500, "Generation failed: " + e.error, "server_error")));
        }
        out.event(envelope({text_choice(choice, e.text, nullptr, finish_reason_text(e.finish))}));
      }
    }
    auto& access = current_access_record();
    access.prompt_tokens = prompt_token_count;
    access.completion_tokens = completion_tokens;
    if (!out.ok() || (job.cancelled() && !ctx.force_stop)) return false;
    if (request.stream.include_usage) {
      nlohmann::json usage = envelope(nlohmann::json::array());
      usage["usage"] = usage_json(prompt_token_count, completion_tokens, cached_tokens);
      out.event(usage);
    }
    return out.done();
  }
};

}  // namespace

void handle_completions(ServingContext& ctx, const httplib::Request& req, httplib::Response& res) {
  CompletionRequest request = parse_completion_request(parse_json_body(req), ctx.limits);
  auto prompts = prepare_prompts(ctx, request);
  auto active = std::make_shared<ActiveGeneration>(ctx.active_generations);
  auto call = std::make_shared<CompletionCall>(ctx, std::move(request), std::move(prompts), req);
  call->submit();
  const bool stream = call->request.stream.stream;
  respond_generation(ctx, std::move(active), std::move(call), stream, res);
}

}  // namespace mamba::server
