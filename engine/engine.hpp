#pragma once
// The continuous-batching engine: a fixed pool of state slots and one scheduler thread that, every
// step, admits waiting requests into free slots and runs one batched forward over all active work.

#include <chrono>
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
