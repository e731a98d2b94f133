// The GPT-2 pre-tokenizer regex, matched by hand over code points:
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// The alternatives cover every character, so the matches tile the text.
#pragma once

#include <cstddef>
#include <string_view>

namespace mamba::tok {

// End (byte offset) of the regex match that starts at `pos` in valid UTF-8 `text`; pos < size.
std::size_t gpt2_match_end(std::string_view text, std::size_t pos);

}  // namespace mamba::tok
