#pragma once
// What a request asks of the sampler and the stop conditions. Plain values, validated by the
// server at the edge; the engine checks them again and refuses what it cannot honour.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mamba {

struct SamplingParams {
  float temperature = 1.0f;  // 0 selects greedy decoding
  int top_k = 0;             // 0 or less: off
  float top_p = 1.0f;
  float min_p = 0.0f;
  float repetition_penalty = 1.0f;  // vLLM/HF style, over prompt and generated tokens
  float presence_penalty = 0.0f;    // OpenAI style, over generated tokens
  float frequency_penalty = 0.0f;
  std::vector<std::pair<int32_t, float>> logit_bias;
  int max_tokens = 16;
  int min_tokens = 0;  // eos and stop token ids are suppressed until this many are generated
  bool ignore_eos = false;
  std::vector<int32_t> stop_token_ids;
  std::vector<std::string> stop;  // matched on the detokenized text; not returned
  int logprobs = -1;              // -1: none; N >= 0: the chosen token's logprob and the top N
  bool prompt_logprobs = false;   // logprobs of the prompt tokens (top `logprobs` alternatives)
  int n = 1;                      // completions sharing one prompt prefill
  std::optional<uint64_t> seed;   // per-request RNG; random when absent
};

}  // namespace mamba
