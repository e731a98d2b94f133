#pragma once
// One completion being generated: its slot, its sampler state and its text pipeline
// (incremental detokenizer, then stop-string matcher).

#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "engine/request.hpp"
#include "engine/sampler.hpp"
#include "engine/stop_matcher.hpp"
#include "tokenizer/tokenizer.hpp"

namespace mamba {

// A submitted request: its prompt is prefilled once, in the slot of its first completion, and the
// state is then copied to the slots of the other n - 1.
struct Group {
  GenerationRequest request;
  std::shared_ptr<RequestHandle> handle;
  std::chrono::steady_clock::time_point submitted;
  std::chrono::steady_clock::time_point admitted;
  bool first_token_seen = false;
  std::vector<int> slots;  // one per completion, reserved at admission
  size_t prefilled = 0;    // prompt tokens already run through the model
  std::vector<TokenLogprob> prompt_logprobs;
  TokenHistory prompt_history;  // prompt tokens, for the repetition penalty
  int live = 0;                 // completions not yet finished
  // State cache: prompt tokens restored from it, and the snapshots this prompt's prefill takes.
  size_t cached = 0;
  size_t branch_at = 0;      // a chunk boundary is placed here and snapshotted (0: none)
  size_t last_snapshot = 0;  // prompt position of the latest snapshot (or the restored one)
  int chunk_snapshots = 0;   // taken at prefill chunk boundaries
};

struct Sequence {
  std::shared_ptr<Group> group;
  int index = 0;  // completion index within the group
  int slot = -1;
  std::mt19937_64 rng;
  TokenHistory history;
  std::unique_ptr<tok::IncrementalDecoder> decoder;
  std::unique_ptr<StopMatcher> stops;
  std::vector<int32_t> tokens;  // generated, kept for the finish snapshot when the cache is on
  int32_t last_token = -1;      // fed to the model at the next step
  int generated = 0;
  bool finished = false;
};

}  // namespace mamba
