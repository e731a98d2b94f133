// A multi-turn chat through the engine (no HTTP), with the recurrent-state prefix cache off and
// then on: every turn resends the whole conversation ("User: ...\nAssistant: ...") plus a new user
// message, as a chat client does. Prints time to first token per turn, the cached prompt tokens
// and the cache counters, and checks that both runs generate the same replies.
//   mamba-prefix-cache-bench [--model DIR | --random mamba1|mamba2 --tokenizer tokenizer.json]
//                            [--turns 10] [--user-words 50] [--reply-tokens 150]
//                            [--cache-mb 1024] [--threads 0] [--dtype f32|bf16] [--repeat 1]
//                            [--before-last-from N]
// With --repeat N each chat runs N times (a fresh engine each time) and every turn keeps its
// fastest time to first token, which filters out other load on a shared machine. --cache-mb 0
// runs both chats cold: a control for run-to-run determinism.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench/random_model.hpp"
#include "engine/engine.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace mamba;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string model_dir;
  std::string random_arch;  // mamba1 | mamba2: a random-weight model of the mamba-130m shape
  std::string tokenizer_file = "tests/fixtures/tokenizer/gpt-neox-20b.tokenizer.json";
  int turns = 10;
  int user_words = 50;  // about 60 tokens with the template: a turn adds about 200 tokens
  int reply_tokens = 150;
  size_t cache_mb = 1024;
  int threads = 0;
  DType dtype = DType::F32;
  int repeat = 1;
  long before_last_from = -1;  // EngineConfig::state_cache_before_last_from; -1: its default
};

struct Turn {
  size_t prompt_tokens = 0;
  double ttft_ms = 0;
  int cached = 0;
  std::string reply;
  std::vector<TokenLogprob> logprobs;  // of each reply token, with the runner-up
};

constexpr const char* kWords[] = {
    "the",   "cat",    "sat",   "on",    "a",     "warm",  "mat",    "and",   "we",    "talked",
    "about", "how",    "small", "boats", "cross", "the",   "sea",    "when",  "wind",  "is",
    "calm",  "please", "tell",  "me",    "more",  "about", "this",   "old",   "town",  "its",
    "river", "bridge", "and",   "the",   "shop",  "where", "they",   "sell",  "bread", "every",
    "day",   "before", "noon",  "why",   "do",    "birds", "fly",    "south", "in",    "winter",
    "what",  "would",  "you",   "do",    "if",    "it",    "rained", "all",   "week",  "long"};

// Deterministic user messages of common words, the same for every run.
std::string user_message(std::mt19937& rng, int words) {
  std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
  std::string s;
  for (int i = 0; i < words; ++i) {
    if (i > 0) s += (i % 12 == 11) ? ". " : " ";
    s += kWords[pick(rng)];
  }
  return s + "?";
}

std::vector<Turn> chat(const std::shared_ptr<const Model>& model,
                       const std::shared_ptr<const tok::Tokenizer>& tokenizer, const Options& o,
                       size_t cache_bytes, EngineStats& stats_out) {
  EngineConfig config;
  config.slots = 4;
  config.max_prompt_tokens = 16384;
  config.max_total_tokens = 32768;
  config.threads = o.threads;
  config.state_cache_bytes = cache_bytes;
  if (o.before_last_from >= 0) config.state_cache_before_last_from = o.before_last_from;
  Engine engine(model, tokenizer, config);
  SamplingParams params;
  params.temperature = 0.0f;
  params.max_tokens = o.reply_tokens;
  // Every reply has the same length, on or off, and no end-of-sequence token inside it (a chat
  // client would not send one back): the end of text is suppressed until max_tokens.
  params.min_tokens = o.reply_tokens;
  params.logprobs = 2;
  if (!o.random_arch.empty()) {
    // A random model's replies are byte soup that retokenizes into other tokens, unlike a trained
    // model's text. Steer them onto whole-word tokens (" the", " cat", ...) so that, as with a
    // real model, the reply comes back in the next prompt as the tokens that were generated.
    for (const char* w : kWords) {
      const auto ids = tokenizer->encode(std::string(" ") + w, {});
      const bool seen = std::any_of(params.logit_bias.begin(), params.logit_bias.end(),
                                    [&](const auto& b) { return b.first == ids[0]; });
      if (ids.size() == 1 && !seen) params.logit_bias.emplace_back(ids[0], 1000.0f);
    }
  }
  {
    // Warm-up: touch the weights and scratch buffers; shares no prefix with the chat.
    SamplingParams p = params;
    p.max_tokens = 2;
    p.min_tokens = 0;
    auto h = engine.submit({tokenizer->encode("Warm up the engine with some text.", {}), p});
    Event e;
    while (h->next(e)) {
    }
  }
  const EngineStats base = engine.stats();  // the chat's counters exclude the warm-up
  std::mt19937 rng(1);
  std::string history;
  std::vector<Turn> turns;
  for (int t = 0; t < o.turns; ++t) {
    const std::string prompt =
        history + "User: " + user_message(rng, o.user_words) + "\nAssistant:";
    GenerationRequest r{tokenizer->encode(prompt, {}), params};
    Turn turn;
    turn.prompt_tokens = r.prompt.size();
    const auto t0 = Clock::now();
    auto h = engine.submit(std::move(r));
    Event e;
    bool first = true;
    while (h->next(e)) {
      if (e.kind == Event::Kind::Token) {
        if (first)
          turn.ttft_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        first = false;
        turn.reply += e.text;
        if (e.logprob) turn.logprobs.push_back(*e.logprob);
      } else if (e.kind == Event::Kind::Finished) {
        turn.cached = e.cached_tokens;
      }
    }
    history = prompt + turn.reply + "\n";
    turns.push_back(std::move(turn));
  }
  stats_out = engine.stats();
  stats_out.cache_queries_total -= base.cache_queries_total;
  stats_out.cache_hits_total -= base.cache_hits_total;
  stats_out.cache_tokens_saved_total -= base.cache_tokens_saved_total;
  stats_out.prompt_tokens_total -= base.prompt_tokens_total;
  return turns;
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", a.c_str());
      return false;
    }
    const std::string v = argv[++i];
    try {
      if (a == "--model")
        o.model_dir = v;
      else if (a == "--random")
        o.random_arch = v;
      else if (a == "--tokenizer")
        o.tokenizer_file = v;
      else if (a == "--turns")
        o.turns = std::stoi(v);
      else if (a == "--user-words")
        o.user_words = std::stoi(v);
      else if (a == "--reply-tokens")
        o.reply_tokens = std::stoi(v);
      else if (a == "--cache-mb")
        o.cache_mb = std::stoul(v);
      else if (a == "--threads")
        o.threads = std::stoi(v);
      else if (a == "--dtype")
        o.dtype = bench::parse_dtype(v);
      else if (a == "--repeat")
        o.repeat = std::stoi(v);
      else if (a == "--before-last-from")
        o.before_last_from = std::stol(v);
      else {
        std::fprintf(stderr, "unknown option %s\n", a.c_str());
        return false;
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "bad value for %s: %s\n", a.c_str(), v.c_str());
      return false;
    }
  }
  if (o.model_dir.empty() == o.random_arch.empty()) {
    std::fprintf(stderr, "give one of --model DIR or --random mamba1|mamba2\n");
    return false;
  }
  if (!o.random_arch.empty() && o.random_arch != "mamba1" && o.random_arch != "mamba2") {
    std::fprintf(stderr, "--random takes mamba1 or mamba2\n");
    return false;
  }
  return o.turns > 0 && o.user_words > 0 && o.reply_tokens > 0 && o.repeat > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) return 2;
  std::shared_ptr<const Model> model;
  std::shared_ptr<const tok::Tokenizer> tokenizer;
  std::string label;
  try {
    if (!o.model_dir.empty()) {
      model = Model::load(o.model_dir);
      tokenizer = tok::load_tokenizer(o.model_dir);
      label = o.model_dir;
    } else {
      const Arch arch = o.random_arch == "mamba2" ? Arch::Mamba2 : Arch::Mamba1;
      model = std::make_shared<const Model>(
          bench::random_weights(bench::mamba_130m_config(arch), o.dtype));
      tokenizer = tok::load_hf_tokenizer_json(o.tokenizer_file);
      label =
          "random " + o.random_arch + "-130m shape, " + (o.dtype == DType::F32 ? "F32" : "BF16");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  std::printf("model: %s (%.1f M parameters; state %.2f MiB per sequence)\n", label.c_str(),
              model->parameter_count() / 1e6, model->state_layout().bytes() / 1048576.0);
  std::printf(
      "chat: %d turns, %d words per user message, %d reply tokens, cache %zu MiB, best of %d\n\n",
      o.turns, o.user_words, o.reply_tokens, o.cache_mb, o.repeat);
  std::fflush(stdout);

  EngineStats off_stats, on_stats;
  std::vector<Turn> off, on;
  bool same = true;
  try {
    off = chat(model, tokenizer, o, 0, off_stats);
    on = chat(model, tokenizer, o, o.cache_mb << 20, on_stats);
    for (int k = 1; k < o.repeat; ++k) {
      const auto off_k = chat(model, tokenizer, o, 0, off_stats);
      const auto on_k = chat(model, tokenizer, o, o.cache_mb << 20, on_stats);
      for (size_t t = 0; t < off.size(); ++t) {
        off[t].ttft_ms = std::min(off[t].ttft_ms, off_k[t].ttft_ms);
        on[t].ttft_ms = std::min(on[t].ttft_ms, on_k[t].ttft_ms);
        same = same && off_k[t].reply == off[t].reply && on_k[t].reply == on[t].reply;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }

  std::printf("| turn | prompt tokens | TTFT off ms | TTFT on ms | cached tokens | speed-up |\n");
  std::printf("|-----:|--------------:|------------:|-----------:|--------------:|---------:|\n");
  double off_late = 0, on_late = 0;
  int late = 0;
  for (size_t t = 0; t < off.size(); ++t) {
    std::printf("| %4zu | %13zu | %11.1f | %10.1f | %13d | %7.1fx |\n", t + 1, on[t].prompt_tokens,
                off[t].ttft_ms, on[t].ttft_ms, on[t].cached, off[t].ttft_ms / on[t].ttft_ms);
    same = same && off[t].reply == on[t].reply && off[t].prompt_tokens == on[t].prompt_tokens;
    if (t >= off.size() / 2) {
      off_late += off[t].ttft_ms;
      on_late += on[t].ttft_ms;
      ++late;
    }
  }
  const auto& s = on_stats;
  std::printf("\nlater turns (%d..%zu): mean TTFT off %.1f ms, on %.1f ms: %.1fx lower\n",
              static_cast<int>(off.size() - late + 1), off.size(), off_late / late, on_late / late,
              off_late / on_late);
  std::printf(
      "cache: %llu queries, %llu hits (%.0f%%), %llu prompt tokens saved of %llu (%.0f%%), "
      "%llu entries, %.1f MiB, %llu evictions\n",
      static_cast<unsigned long long>(s.cache_queries_total),
      static_cast<unsigned long long>(s.cache_hits_total),
      s.cache_queries_total ? 100.0 * s.cache_hits_total / s.cache_queries_total : 0.0,
      static_cast<unsigned long long>(s.cache_tokens_saved_total),
      static_cast<unsigned long long>(s.cache_tokens_saved_total + s.prompt_tokens_total),
      100.0 * s.cache_tokens_saved_total /
          std::max<double>(1.0, s.cache_tokens_saved_total + s.prompt_tokens_total),
      static_cast<unsigned long long>(s.cache_entries), s.cache_bytes / 1048576.0,
      static_cast<unsigned long long>(s.cache_evictions_total));
  std::printf("replies identical with the cache on and off: %s\n", same ? "yes" : "NO");
  // Where the replies part, show how close the greedy choice was: a near-tie that float rounding
  // of a differently chunked prefill can tip either way.
  for (size_t t = 0; t < off.size(); ++t) {
    const auto& a = off[t].logprobs;
    const auto& b = on[t].logprobs;
    size_t k = 0;
    while (k < a.size() && k < b.size() && a[k].token == b[k].token) ++k;
    if (k == a.size() && k == b.size()) continue;
    auto describe = [](const TokenLogprob& lp) {
      std::string d = std::to_string(lp.token) + " (" + std::to_string(lp.logprob) + ")";
      if (lp.top.size() > 1 || (lp.top.size() == 1 && lp.top[0].first != lp.token)) {
        const auto& alt = lp.top[0].first == lp.token ? lp.top[1] : lp.top[0];
        d += " over " + std::to_string(alt.first) + " (" + std::to_string(alt.second) + ")";
      }
      return d;
    };
    std::printf("first difference: turn %zu, reply token %zu: off %s, on %s\n", t + 1, k,
                k < a.size() ? describe(a[k]).c_str() : "-",
                k < b.size() ? describe(b[k]).c_str() : "-");
    break;
  }
  return same ? 0 : 1;
}
