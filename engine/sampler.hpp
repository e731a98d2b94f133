#pragma once
// Sampling math over one row of logits: penalties, biases, truncation (top-k, top-p, min-p),
// temperature and the draw, plus log-probabilities for responses. Plain functions over buffers.

#include <cstdint>
#include <random>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/request.hpp"
#include "engine/sampling_params.hpp"

namespace mamba {

// Tokens a sequence has seen, for the penalties.
struct TokenHistory {
  std::vector<int32_t> prompt_unique;  // sorted
  std::unordered_map<int32_t, int> generated_counts;
  bool seen(int32_t id) const;
};

// In place: logit_bias, repetition penalty (HF: over prompt and generated tokens), presence and
// frequency penalties (OpenAI: over generated tokens), and `banned` ids set to -inf.
void apply_logit_processors(std::span<float> logits, const SamplingParams& p, const TokenHistory& h,
                            std::span<const int32_t> banned);

// Picks the next token from processed logits: argmax when temperature is 0, otherwise a draw
// from softmax(logits / T) truncated by top_k, top_p and min_p. Takes exactly one uniform draw
// from `rng` when sampling, so the sequence of draws depends on this request alone.
// `scratch` is reused across calls to avoid allocating per token.
int32_t sample_token(std::span<float> logits, const SamplingParams& p, std::mt19937_64& rng,
                     std::vector<std::pair<float, int32_t>>& scratch);

// log_softmax(logits)[chosen] and the top_n most likely tokens, most likely first.
TokenLogprob token_logprob(std::span<const float> logits, int32_t chosen, int top_n);

}  // namespace mamba
