#pragma once
// The continuous-batching engine: a fixed pool of state slots and one scheduler thread that, every
// step, admits waiting requests into free slots and runs one batched forward over all active work.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/engine_stats.hpp"
#include "engine/model/model.hpp"
#include "engine/request.hpp"
#include "tokenizer/tokenizer.hpp"

namespace mamba {

struct EngineConfig {
  int slots = 16;                // sequences that run at once (each n>1 completion takes one)
  int max_waiting = 256;         // bounded queue; submit() fails with QueueFull past it
  int max_prompt_tokens = 8192;  // longer prompts are refused up front (PromptTooLong)
  int max_total_tokens = 16384;  // prompt + max_tokens limit (the server's max_model_len)
  int prefill_budget = 512;      // prompt tokens per step, so a long prompt never stalls decoding
  int threads = 0;               // compute threads; 0 = all cores
  // Recurrent-state prefix cache (engine/STATE_CACHE.md): bytes of state snapshots kept, 0 = off.
  size_t state_cache_bytes = size_t{256} << 20;
  // Snapshots taken at prefill chunk boundaries of one prompt, at most (spread geometrically).
  int state_cache_chunk_snapshots = 4;
  // Prompts of at least this many tokens are also snapshotted one token before their end (their
  // last token then runs in the next step, which costs one step of latency; 0: never). A chat
  // turn's next prompt often retokenizes this prompt's last token differently (the end of
  // "Assistant:" merging with the reply's first characters) and then still restores all but that
  // token instead of falling back to a chunk boundary.
  size_t state_cache_before_last_from = 256;
  // The prefix hash of the state cache; null = the default. A test hook (to force collisions):
  // hits are verified token by token, so no hash can make the cache serve a wrong state.
  uint64_t (*state_cache_hash)(uint64_t previous, int32_t token) = nullptr;
};

class Engine {
 public:
  Engine(std::shared_ptr<const Model> model, std::shared_ptr<const tok::Tokenizer> tokenizer,
         EngineConfig config);
  ~Engine();  // stops the scheduler; pending requests finish with Cancelled
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Thread-safe. Throws SubmitError (QueueFull, PromptTooLong, Invalid, ShuttingDown).
  std::shared_ptr<RequestHandle> submit(GenerationRequest request);

  EngineStats stats() const;  // a consistent snapshot, thread-safe
  const EngineConfig& config() const;
  const Model& model() const;
  const tok::Tokenizer& tokenizer() const;
  size_t slot_pool_bytes() const;

  // Stops admitting new requests (submit throws ShuttingDown); running ones go on.
  void drain();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mamba
