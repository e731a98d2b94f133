#include "engine/engine.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>

#include "engine/sequence.hpp"
#include "engine/slot_pool.hpp"
#include "engine/state_cache.hpp"

namespace mamba {

namespace {
using Clock = std::chrono::steady_clock;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();
// A prompt that shares at least this many tokens with a cached prompt beyond what it restores, and
// parts from it at least this many tokens before that prompt ends, gets a snapshot at the point
// where they part (a shared system prompt, few-shot examples), so the next prompt sharing it
// restores all of it rather than up to the last chunk boundary. Sequences with generated tokens
// are left out: a chat turn parts from the previous reply where retokenization differs, and the
// next turn restores this turn's whole prompt anyway.
constexpr size_t kMinBranchTokens = 16;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void check(bool ok, const char* param, const std::string& message) {
  if (!ok) throw SubmitError(SubmitError::Kind::Invalid, message, param);
}

void validate(const SamplingParams& p, int slots) {
  check(p.temperature >= 0.0f && std::isfinite(p.temperature), "temperature",
        "temperature must be >= 0");
  check(p.top_p > 0.0f && p.top_p <= 1.0f, "top_p", "top_p must be in (0, 1]");
  check(p.min_p >= 0.0f && p.min_p <= 1.0f, "min_p", "min_p must be in [0, 1]");
  check(p.repetition_penalty > 0.0f && std::isfinite(p.repetition_penalty), "repetition_penalty",
        "repetition_penalty must be > 0");
  check(std::isfinite(p.presence_penalty), "presence_penalty", "presence_penalty must be finite");
  check(std::isfinite(p.frequency_penalty), "frequency_penalty",
        "frequency_penalty must be finite");
  check(p.max_tokens >= 0, "max_tokens", "max_tokens must be >= 0");
  check(p.min_tokens >= 0 && p.min_tokens <= std::max(p.max_tokens, 0), "min_tokens",
        "min_tokens must be in [0, max_tokens]");
  check(p.n >= 1 && p.n <= slots, "n",
        "n must be between 1 and the number of slots (" + std::to_string(slots) + ")");
  check(p.logprobs >= -1 && p.logprobs <= 20, "logprobs", "logprobs must be in [0, 20]");
}
}  // namespace

struct Engine::Impl {
  std::shared_ptr<const Model> model;
  std::shared_ptr<const tok::Tokenizer> tokenizer;
  EngineConfig config;
  SlotPool pool;
  int vocab_rows;  // logits per row (the padded embedding)
  int real_vocab;  // ids the tokenizer can produce; logits past it are masked
  std::optional<int32_t> eos;

  std::mutex mu;  // guards waiting, stopping, draining
  std::condition_variable cv;
  std::deque<std::shared_ptr<Group>> waiting;
  bool stopping = false;
  bool draining = false;

  // Owned by the scheduler thread.
  std::vector<std::shared_ptr<Group>> prefilling;
  std::vector<std::unique_ptr<Sequence>> running;
  ForwardScratch scratch;
  std::vector<float> logits, work;
  std::vector<SeqChunk> chunks;
  std::vector<std::pair<float, int32_t>> candidates;
  std::vector<int32_t> banned;
  struct Prefill {
    std::shared_ptr<Group> group;
    size_t start, n;
  };
  std::vector<Prefill> prefills;
  std::unique_ptr<StateCache> cache;  // null when off
  std::vector<float> hit_logits;
  std::vector<int32_t> snapshot_tokens;

  mutable std::mutex stats_mu;
  EngineStats stats;
  std::thread thread;

  Impl(std::shared_ptr<const Model> m, std::shared_ptr<const tok::Tokenizer> t, EngineConfig c)
      : model(std::move(m)),
        tokenizer(std::move(t)),
        config(c),
        pool(model->state_layout(), c.slots),
        vocab_rows(model->vocab_size()),
        real_vocab(std::min(model->vocab_size(), tokenizer->vocab_size())),
        eos(tokenizer->eos_id()) {
    stats.slots_total = c.slots;
    if (config.state_cache_bytes > 0) {
      cache = std::make_unique<StateCache>(model->state_layout().floats(), vocab_rows,
                                           config.state_cache_bytes, config.state_cache_hash);
      stats.cache_capacity_bytes = config.state_cache_bytes;
    }
    thread = std::thread([this] { loop(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    cv.notify_all();
    thread.join();
    for (auto& g : waiting) finish_unstarted(*g, FinishReason::Cancelled);
    for (auto& g : prefilling) finish_unstarted(*g, FinishReason::Cancelled);
    for (auto& s : running) finish(*s, FinishReason::Cancelled, {});
  }

  bool active() const { return !prefilling.empty() || !running.empty(); }

  void loop() {
    // OpenMP's team size is a per-thread setting: it must be made on the thread that runs the
    // forward passes, not on the one that built the engine.
    if (config.threads > 0) {
#ifdef _OPENMP
      omp_set_num_threads(config.threads);
#endif
    }
    for (;;) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stopping || !waiting.empty() || active(); });
        if (stopping) return;
      }
      try {
        step();
      } catch (const std::exception& e) {
        fail_all(e.what());
      }
    }
  }

  // ---- admission and completion ------------------------------------------------------------

  void finish_unstarted(Group& g, FinishReason why, const std::string& error = {}) {
    for (int i = 0; i < g.request.params.n; ++i) {
      Event e;
      e.kind = Event::Kind::Finished;
      e.index = i;
      e.finish = why;
      e.prompt_tokens = static_cast<int>(g.request.prompt.size());
      e.cached_tokens = static_cast<int>(g.cached);
      e.error = error;
      g.handle->push(std::move(e));
    }
    for (int s : g.slots) pool.release(s);
    g.slots.clear();
    std::lock_guard lock(stats_mu);
    (why == FinishReason::Cancelled ? stats.requests_cancelled_total
                                    : stats.requests_finished_total)++;
  }

  void finish(Sequence& s, FinishReason why, std::string matched, const std::string& error = {}) {
    Event e;
    e.kind = Event::Kind::Finished;
    e.index = s.index;
    e.finish = why;
    e.matched_stop = std::move(matched);
    e.prompt_tokens = static_cast<int>(s.group->request.prompt.size());
    e.completion_tokens = s.generated;
    e.cached_tokens = static_cast<int>(s.group->cached);
    e.queue_seconds = seconds_between(s.group->submitted, s.group->admitted);
    e.error = error;
    s.group->handle->push(std::move(e));
    s.finished = true;
    pool.release(s.slot);
    if (--s.group->live == 0) {
      std::lock_guard lock(stats_mu);
      (why == FinishReason::Cancelled ? stats.requests_cancelled_total
                                      : stats.requests_finished_total)++;
    }
  }

  void fail_all(const std::string& what) {
    for (auto& g : prefilling) finish_unstarted(*g, FinishReason::Error, what);
    prefilling.clear();
    for (auto& s : running) {
      if (!s->finished) finish(*s, FinishReason::Error, {}, what);
    }
    running.clear();
  }

  void drop_cancelled() {
    std::erase_if(prefilling, [&](const std::shared_ptr<Group>& g) {
      if (!g->handle->cancelled()) return false;
      finish_unstarted(*g, FinishReason::Cancelled);
      return true;
    });
    for (auto& s : running) {
      if (!s->group->handle->cancelled()) continue;
      snapshot_finished(*s, nullptr);  // what it consumed is still a valid prefix
      finish(*s, FinishReason::Cancelled, {});
    }
    std::erase_if(running, [](const auto& s) { return s->finished; });
  }

  void admit() {
    std::lock_guard lock(mu);
    while (!waiting.empty()) {
      std::shared_ptr<Group> g = waiting.front();
      if (g->handle->cancelled()) {
        waiting.pop_front();
        finish_unstarted(*g, FinishReason::Cancelled);
        continue;
      }
      const int need = g->request.params.n;
      if (pool.free_count() < need) break;  // FIFO: nobody overtakes the head of the queue
      waiting.pop_front();
      for (int i = 0; i < need; ++i) g->slots.push_back(pool.acquire());
      g->admitted = Clock::now();
      g->live = need;
      {
        std::lock_guard s(stats_mu);
        stats.queue_seconds_total += seconds_between(g->submitted, g->admitted);
      }
      const auto& p = g->request.params;
      if (p.max_tokens == 0 && !p.prompt_logprobs) {
        finish_unstarted(*g, FinishReason::Length);
        continue;
      }
      g->prompt_history.prompt_unique = g->request.prompt;
      auto& u = g->prompt_history.prompt_unique;
      std::sort(u.begin(), u.end());
      u.erase(std::unique(u.begin(), u.end()), u.end());
      if (cache && !p.prompt_logprobs && restore_prefix(*g)) {
        start_completions(g, hit_logits.data());  // the whole prompt was cached
        continue;
      }
      prefilling.push_back(std::move(g));
    }
  }

  // ---- one batched step ----------------------------------------------------------------------

  void step() {
    drop_cancelled();
    admit();
    chunks.clear();
    prefills.clear();
    for (auto& s : running) {
      chunks.push_back({std::span<const int32_t>(&s->last_token, 1), pool.state(s->slot), 0});
    }
    int budget = config.prefill_budget;
    for (auto& g : prefilling) {
      if (budget <= 0) break;
      const auto& prompt = g->request.prompt;
      size_t n = std::min<size_t>(prompt.size() - g->prefilled, budget);
      if (g->branch_at > g->prefilled) n = std::min(n, g->branch_at - g->prefilled);
      const size_t before_last = prompt.size() - 1;
      if (cache && config.state_cache_before_last_from > 0 &&
          prompt.size() >= config.state_cache_before_last_from && before_last > g->prefilled) {
        n = std::min(n, before_last - g->prefilled);
      }
      const bool last = g->prefilled + n == prompt.size();
      const int from = g->request.params.prompt_logprobs
                           ? 0
                           : (last ? static_cast<int>(n) - 1 : static_cast<int>(n));
      chunks.push_back({std::span(prompt).subspan(g->prefilled, n), pool.state(g->slots[0]), from});
      prefills.push_back({g, g->prefilled, n});
      budget -= static_cast<int>(n);
    }
    if (chunks.empty()) {
      publish_occupancy();
      return;
    }

    const auto t0 = Clock::now();
    const size_t rows = Model::logits_rows(chunks);
    if (logits.size() < rows * vocab_rows) logits.resize(rows * vocab_rows);
    model->forward(chunks, logits.data(), scratch);
    for (size_t r = 0; r < rows; ++r) {
      float* row = logits.data() + r * vocab_rows;
      std::fill(row + real_vocab, row + vocab_rows, kNegInf);
    }

    size_t row = 0;
    size_t generated = 0, prompt_tokens = 0;
    const size_t decoding = running.size();
    for (size_t i = 0; i < decoding; ++i) {
      sample_and_emit(*running[i], logits.data() + row * vocab_rows);
      ++row;
      ++generated;
    }
    for (const Prefill& pf : prefills) {
      Group& g = *pf.group;
      const auto& prompt = g.request.prompt;
      const auto& p = g.request.params;
      const bool last = pf.start + pf.n == prompt.size();
      if (p.prompt_logprobs) {
        for (size_t j = 0; j < pf.n; ++j) {
          const size_t next = pf.start + j + 1;
          if (next < prompt.size()) {
            g.prompt_logprobs.push_back(token_logprob(
                std::span<const float>(logits.data() + (row + j) * vocab_rows, real_vocab),
                prompt[next], std::max(p.logprobs, 0)));
          }
        }
        row += pf.n;
      } else if (last) {
        row += 1;
      }
      g.prefilled += pf.n;
      prompt_tokens += pf.n;
      if (!last) {
        snapshot_boundary(g);
        continue;
      }
      const float* last_row = logits.data() + (row - 1) * vocab_rows;
      if (cache) cache_insert(prompt, pool.state(g.slots[0]), last_row);
      {
        std::lock_guard lock(stats_mu);
        stats.prefills_total++;
      }
      generated += start_completions(pf.group, last_row);
    }
    std::erase_if(prefilling,
                  [](const auto& g) { return g->prefilled == g->request.prompt.size(); });
    std::erase_if(running, [](const auto& s) { return s->finished; });

    const auto t1 = Clock::now();
    publish_occupancy();
    std::lock_guard lock(stats_mu);
    stats.steps_total++;
    stats.step_seconds_total += seconds_between(t0, t1);
    stats.generated_tokens_total += generated;
    stats.prompt_tokens_total += prompt_tokens;
  }

  void publish_occupancy() {
    int seqs = static_cast<int>(running.size());
    for (const auto& g : prefilling) seqs += g->request.params.n;
    std::lock_guard lock(stats_mu);
    stats.running = seqs;
    stats.slots_used = pool.used();
  }

  // ---- state cache ---------------------------------------------------------------------------

  // Restores the longest cached prefix of g's prompt into its first slot. True when the whole
  // prompt was cached together with its next-token logits (copied to hit_logits): nothing is left
  // to prefill. Otherwise prefill resumes after the restored prefix.
  bool restore_prefix(Group& g) {
    const auto& prompt = g.request.prompt;
    const StateCache::Hit hit = cache->restore(prompt, pool.state(g.slots[0]));
    {
      std::lock_guard lock(stats_mu);
      stats.cache_queries_total++;
      stats.cache_hits_total += hit.length > 0;
      stats.cache_tokens_saved_total += hit.length;
    }
    g.cached = hit.length;
    g.prefilled = hit.length;
    g.last_snapshot = hit.length;
    if (hit.logits) {
      hit_logits.assign(hit.logits, hit.logits + vocab_rows);
      return true;
    }
    const StateCache::Overlap o = cache->longest_overlap(prompt);
    const size_t at = std::min(o.length, prompt.size() - 1);
    if (at >= g.cached + kMinBranchTokens && o.entry_length >= at + kMinBranchTokens) {
      g.branch_at = at;
    }
    return false;
  }

  // Published at once, so the stats agree with the Finished event that follows a snapshot.
  void cache_insert(std::span<const int32_t> tokens, const float* state, const float* logits,
                    bool prompt = true) {
    cache->insert(tokens, state, logits, prompt);
    std::lock_guard lock(stats_mu);
    stats.cache_bytes = cache->bytes();
    stats.cache_entries = cache->entries();
    stats.cache_evictions_total = cache->evictions();
  }

  // A prefill chunk ended inside the prompt: snapshot the branch point and the position before
  // the last token (state_cache_before_last_from), and otherwise a few boundaries spread
  // geometrically (each at least twice as far in as the previous), so one long prompt cannot fill
  // the cache with its own chunks.
  void snapshot_boundary(Group& g) {
    if (!cache) return;
    const bool branch = g.prefilled == g.branch_at || g.prefilled + 1 == g.request.prompt.size();
    const bool spread = g.chunk_snapshots < config.state_cache_chunk_snapshots &&
                        g.prefilled >= 2 * g.last_snapshot;
    if (!branch && !spread) return;
    cache_insert(std::span(g.request.prompt).first(g.prefilled), pool.state(g.slots[0]), nullptr);
    if (!branch) g.chunk_snapshots++;
    g.last_snapshot = g.prefilled;
  }

  // A completion ends: its state covers the prompt and every generated token but the last (never
  // fed to the model); `next_logits` are the logits that last token was sampled from, if known.
  // The next chat turn repeats this conversation, so it restores from here.
  void snapshot_finished(const Sequence& s, const float* next_logits) {
    if (!cache || s.tokens.empty()) return;
    const auto& prompt = s.group->request.prompt;
    snapshot_tokens.assign(prompt.begin(), prompt.end());
    snapshot_tokens.insert(snapshot_tokens.end(), s.tokens.begin(), s.tokens.end() - 1);
    cache_insert(snapshot_tokens, pool.state(s.slot), next_logits, /*prompt=*/false);
  }

  // The prompt of `g` is done: copy its state to the other completions' slots and sample each
  // completion's first token from the last prompt position's logits.
  size_t start_completions(const std::shared_ptr<Group>& group, const float* last_row) {
    Group& g = *group;
    const auto& p = g.request.params;
    if (p.prompt_logprobs) {
      Event e;
      e.kind = Event::Kind::PromptLogprobs;
      e.prompt_logprobs = std::move(g.prompt_logprobs);
      g.handle->push(std::move(e));
    }
    if (p.max_tokens == 0) {
      finish_unstarted(g, FinishReason::Length);
      return 0;
    }
    const uint64_t seed = p.seed ? *p.seed : std::random_device{}() * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < p.n; ++i) {
      if (i > 0) pool.copy(g.slots[0], g.slots[i]);
      auto s = std::make_unique<Sequence>();
      s->group = group;
      s->index = i;
      s->slot = g.slots[i];
      // Completion i of a seeded request draws from its own stream, whatever else is running.
      s->rng.seed(seed + 0x632BE59BD9B4E019ull * static_cast<uint64_t>(i));
      s->history.prompt_unique = g.prompt_history.prompt_unique;
      s->decoder = std::make_unique<tok::IncrementalDecoder>(*tokenizer, true, true);
      s->stops = std::make_unique<StopMatcher>(p.stop);
      if (cache) s->tokens.reserve(std::min(p.max_tokens, 4096));
      sample_and_emit(*s, last_row);
      if (!s->finished) running.push_back(std::move(s));
    }
    g.slots.clear();  // the sequences own them now
    return p.n;
  }

  void sample_and_emit(Sequence& s, const float* row) {
    Group& g = *s.group;
    const auto& p = g.request.params;
    work.assign(row, row + vocab_rows);
    banned.clear();
    if (s.generated < p.min_tokens) {
      if (eos) banned.push_back(*eos);
      banned.insert(banned.end(), p.stop_token_ids.begin(), p.stop_token_ids.end());
    }
    apply_logit_processors(work, p, s.history, banned);
    const int32_t token = sample_token(work, p, s.rng, candidates);

    Event e;
    e.kind = Event::Kind::Token;
    e.index = s.index;
    e.token = token;
    if (p.logprobs >= 0) {
      e.logprob = token_logprob(std::span<const float>(row, real_vocab), token, p.logprobs);
    }
    s.generated++;
    if (cache) s.tokens.push_back(token);
    s.history.generated_counts[token]++;
    s.last_token = token;
    if (!g.first_token_seen) {
      g.first_token_seen = true;
      std::lock_guard lock(stats_mu);
      stats.ttft_seconds_total += seconds_between(g.submitted, Clock::now());
      stats.ttft_count++;
    }

    const bool eos_stop = eos && token == *eos && !p.ignore_eos;
    const bool id_stop = std::find(p.stop_token_ids.begin(), p.stop_token_ids.end(), token) !=
                         p.stop_token_ids.end();
    std::optional<FinishReason> why;
    std::string matched;
    if (eos_stop || id_stop) {
      // The stop token's own text is not part of the completion.
      e.text = s.stops->push(s.decoder->flush());
      e.text += s.stops->flush();
      why = FinishReason::Stop;
      matched = tokenizer->piece(token);
    } else {
      e.text = s.stops->push(s.decoder->push(token));
      if (!s.stops->stopped() && s.generated >= p.max_tokens) {
        e.text += s.stops->push(s.decoder->flush());
        if (!s.stops->stopped()) e.text += s.stops->flush();
        why = FinishReason::Length;
      }
      if (s.stops->stopped()) {
        why = FinishReason::Stop;
        matched = s.stops->matched();
      }
    }
    g.handle->push(std::move(e));
    if (why) {
      snapshot_finished(s, row);
      finish(s, *why, std::move(matched));
    }
  }
};

Engine::Engine(std::shared_ptr<const Model> model, std::shared_ptr<const tok::Tokenizer> tokenizer,
               EngineConfig config)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(tokenizer), config)) {}

Engine::~Engine() = default;

std::shared_ptr<RequestHandle> Engine::submit(GenerationRequest request) {
  Impl& m = *impl_;
  auto reject = [&](SubmitError::Kind kind, const std::string& msg, const std::string& param = {}) {
    {
      std::lock_guard lock(m.stats_mu);
      m.stats.requests_rejected_total++;
    }
    throw SubmitError(kind, msg, param);
  };
  const auto& prompt = request.prompt;
  try {
    validate(request.params, m.config.slots);
  } catch (const SubmitError& e) {
    reject(e.kind, e.what(), e.param);
  }
  if (prompt.empty())
    reject(SubmitError::Kind::Invalid, "the prompt must hold at least one token", "prompt");
  for (int32_t id : prompt) {
    if (id < 0 || id >= m.real_vocab) {
      reject(SubmitError::Kind::Invalid,
             "token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                 std::to_string(m.real_vocab) + ")",
             "prompt");
    }
  }
  const size_t limit = std::min<size_t>(m.config.max_prompt_tokens, m.config.max_total_tokens);
  if (prompt.size() > limit || prompt.size() + static_cast<size_t>(request.params.max_tokens) >
                                   static_cast<size_t>(m.config.max_total_tokens)) {
    reject(SubmitError::Kind::PromptTooLong,
           "this model's maximum context length is " + std::to_string(m.config.max_total_tokens) +
               " tokens; the request asks for " + std::to_string(prompt.size()) +
               " prompt tokens and " + std::to_string(request.params.max_tokens) +
               " completion tokens",
           "prompt");
  }
  auto g = std::make_shared<Group>();
  g->handle = std::make_shared<RequestHandle>(request.params.n);
  g->request = std::move(request);
  g->submitted = Clock::now();
  {
    std::lock_guard lock(m.mu);
    if (m.draining || m.stopping)
      reject(SubmitError::Kind::ShuttingDown, "the server is shutting down");
    if (static_cast<int>(m.waiting.size()) >= m.config.max_waiting) {
      reject(SubmitError::Kind::QueueFull, "the request queue is full; retry later");
    }
    m.waiting.push_back(g);
  }
  m.cv.notify_all();
  return g->handle;
}

EngineStats Engine::stats() const {
  EngineStats s;
  {
    std::lock_guard lock(impl_->stats_mu);
    s = impl_->stats;
  }
  std::lock_guard lock(impl_->mu);
  s.waiting = static_cast<int>(impl_->waiting.size());
  return s;
}

const EngineConfig& Engine::config() const {
  return impl_->config;
}
const Model& Engine::model() const {
  return *impl_->model;
}
const tok::Tokenizer& Engine::tokenizer() const {
  return *impl_->tokenizer;
}
size_t Engine::slot_pool_bytes() const {
  return impl_->pool.bytes();
}

void Engine::drain() {
  std::lock_guard lock(impl_->mu);
  impl_->draining = true;
}

}  // namespace mamba
