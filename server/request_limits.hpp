#pragma once
// What a request is validated against: the served model's name, vocabulary and context limits.

#include <string>

namespace mamba::server {

struct RequestLimits {
  std::string served_model_name;
  int vocab_size = 0;     // token ids in prompts and logit_bias must be below this
  int max_choices = 128;  // n and best_of are at most this (each completion takes one slot)
  int max_prompt_tokens = 0;
  int max_model_len = 0;  // prompt + max_tokens
};

}  // namespace mamba::server
