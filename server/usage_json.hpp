#pragma once
// The OpenAI `usage` object of completions and chat completions.

#include <nlohmann/json.hpp>

namespace mamba::server {

// `cached_tokens`: prompt tokens served from the engine's prefix state cache.
nlohmann::json usage_json(int prompt_tokens, int completion_tokens, int cached_tokens);

}  // namespace mamba::server
