#pragma once
// The request fields that /v1/completions and /v1/chat/completions share: model name, sampling,
// penalties, stops, seed and streaming options, parsed and range-checked into native values.

#include <string>
#include <vector>

#include "engine/sampling_params.hpp"
#include "server/request_fields.hpp"
#include "server/request_limits.hpp"

namespace mamba::server {

struct StreamOptions {
  bool stream = false;
  bool include_usage = false;
};

// Throws 404 model_not_found when `model` names another model than the served one.
void check_model_name(const RequestFields& f, const RequestLimits& limits);

// temperature, top_p, top_k, min_p, presence/frequency/repetition penalties, logit_bias, stop,
// stop_token_ids, seed, min_tokens, ignore_eos. max_tokens, n and logprobs are endpoint-specific.
void parse_sampling_fields(const RequestFields& f, const RequestLimits& limits,
                           SamplingParams& params);

StreamOptions parse_stream_options(const RequestFields& f);

// min_tokens may not exceed max_tokens; call after both are set.
void check_min_tokens(const SamplingParams& params);

}  // namespace mamba::server
