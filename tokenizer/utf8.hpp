// UTF-8 decoding, validation and repair (the encoding rules only; character properties come from
// utf8proc, see unicode.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "tokenizer/tokenizer.hpp"

namespace mamba::tok::utf8 {

// One step of decoding at s[i]: a valid character (cp, len), or an invalid maximal subpart of
// length len >= 1 (the longest prefix of a valid sequence, or one byte), as in Unicode §3.9 and
// WHATWG / Rust from_utf8_lossy.
struct Step {
  char32_t cp;
  std::size_t len;
  bool valid;
};
Step decode(std::string_view s, std::size_t i);

bool is_valid(std::string_view s);

// Replaces invalid sequences by U+FFFD according to the policy.
std::string repair(std::string_view s, Utf8Repair policy);

// Length of the trailing bytes that are a proper prefix of a valid sequence and so may still be
// completed by bytes that come later (0..3).
std::size_t incomplete_tail(std::string_view s);

void append(std::string& out, char32_t cp);

inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

}  // namespace mamba::tok::utf8
