#pragma once
// JSON as Python writes it: json.dumps emits the non-standard tokens Infinity, -Infinity and NaN
// (HF Mamba-2 configs hold time_step_limit = [0.0, Infinity]), which strict parsers reject.

#include <nlohmann/json.hpp>
#include <string>

namespace mamba {

// Rewrites each bare Infinity / -Infinity / NaN token outside string literals to transformers'
// own encoding {"__float__": "Infinity"} (resp. "-Infinity", "NaN"); other text is unchanged.
std::string rewrite_nonfinite_tokens(const std::string& text);

// Parses text after rewrite_nonfinite_tokens. Throws ModelError "ORIGIN: invalid JSON: ...".
nlohmann::json parse_relaxed_json(const std::string& text, const std::string& origin);

// A number, or a {"__float__": "Infinity" | "-Infinity" | "NaN" | number text} object, as a
// double. Returns false for anything else.
bool json_to_double(const nlohmann::json& v, double& out);

}  // namespace mamba
