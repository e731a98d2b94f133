#pragma once
// A loaded Mamba-1 or Mamba-2 model and its one forward pass over a ragged batch: every chunk is a
// run of consecutive tokens of one sequence, continuing that sequence's state in place. Prefill,
// chunked prefill, batched decode and their mixtures are all this one call.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "engine/model/config.hpp"
#include "engine/model/state.hpp"
#include "engine/model/weights.hpp"

namespace mamba {

struct SeqChunk {
  std::span<const int32_t> tokens;
  float* state = nullptr;  // StateLayout block of the sequence; zeros for a fresh sequence
  int logits_from = 0;     // positions [logits_from, tokens.size()) get logits
};

// Scratch buffers of a forward pass, grown on demand and kept, so a steady serving loop allocates
// nothing per step.
class ForwardScratch {
 public:
  std::vector<float> resid, normed, proj, conv, dbc, dt, y, out, head_in;
  std::vector<size_t> offsets;  // first row of each chunk in the step
};

class Model {
 public:
  static std::unique_ptr<Model> load(const std::filesystem::path& dir,
                                     const LoadProgress& progress = {});
  explicit Model(ModelWeights weights);
  ~Model();

  const ModelConfig& config() const { return config_; }
  const StateLayout& state_layout() const { return layout_; }
  int vocab_size() const { return config_.vocab_size; }
  size_t weight_bytes() const;  // bytes the prepared weights occupy in memory
  size_t parameter_count() const;

  // Writes vocab_size() logits per requested position, chunk by chunk, into `logits`.
  void forward(std::span<const SeqChunk> chunks, float* logits, ForwardScratch& scratch) const;
  // Number of logits rows forward() writes for these chunks.
  static size_t logits_rows(std::span<const SeqChunk> chunks);

  struct Layer;
  struct Linear;

 private:
  void mixer_mamba1(const Layer& L, std::span<const SeqChunk> chunks, int layer, int T,
                    ForwardScratch& s) const;
  void mixer_mamba2(const Layer& L, std::span<const SeqChunk> chunks, int layer, int T,
                    ForwardScratch& s) const;

  ModelConfig config_;
  StateLayout layout_;
  std::vector<Layer> layers_;
  std::unique_ptr<Linear> lm_head_;
  Tensor embedding_;
  std::vector<float> norm_f_;
  size_t parameter_count_ = 0;
};

}  // namespace mamba
