// Character classes and NFC, all from utf8proc's Unicode data (no hand-written tables).
#pragma once

#include <string>
#include <string_view>

namespace mamba::tok::unicode {

// The classes the GPT-2 pre-tokenizer regex distinguishes.
enum class CharClass : unsigned char {
  kLetter,      // \p{L}
  kNumber,      // \p{N}
  kWhitespace,  // \s in Oniguruma: White_Space = Zs, Zl, Zp, U+0009..U+000D, U+0085
  kOther,
};

CharClass classify(char32_t cp);

// Rust's char::is_whitespace (the White_Space property), used for added-token lstrip/rstrip.
inline bool is_whitespace(char32_t cp) {
  return classify(cp) == CharClass::kWhitespace;
}

// Added-token single_word boundaries: alphanumeric (letters, numbers) or '_'.
bool is_word_character(char32_t cp);

// NFC of valid UTF-8. Text below U+0300 is already in NFC and is returned unchanged without calling
// utf8proc (the common, ASCII case).
std::string nfc(std::string_view valid_utf8);

}  // namespace mamba::tok::unicode
