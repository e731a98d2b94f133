#include "tokenizer/unicode.hpp"

#include <utf8proc.h>

#include <array>
#include <cstdlib>
#include <memory>

#include "tokenizer/tokenizer.hpp"

namespace mamba::tok::unicode {
namespace {

CharClass classify_slow(char32_t cp) {
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
      return CharClass::kLetter;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return CharClass::kNumber;
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
      return CharClass::kWhitespace;
    default:
      break;
  }
  // White_Space also holds these controls (tab, line feed, vertical tab, form feed, carriage
  // return, next line), which have category Cc.
  if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x85) return CharClass::kWhitespace;
  return CharClass::kOther;
}

// Filled once from utf8proc, so the hot ASCII path is a table load.
const std::array<CharClass, 128>& ascii_classes() {
  static const std::array<CharClass, 128> table = [] {
    std::array<CharClass, 128> t{};
    for (char32_t c = 0; c < 128; ++c) t[c] = classify_slow(c);
    return t;
  }();
  return table;
}

}  // namespace

CharClass classify(char32_t cp) {
  if (cp < 128) return ascii_classes()[cp];
  return classify_slow(cp);
}

bool is_word_character(char32_t cp) {
  const CharClass c = classify(cp);
  return c == CharClass::kLetter || c == CharClass::kNumber || cp == U'_';
}

namespace {

std::string nfc_utf8proc(std::string_view s) {
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
      &out, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) {
    throw TokenizerError(std::string("NFC normalization failed: ") + utf8proc_errmsg(n));
  }
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

bool is_ascii(char c) {
  return static_cast<unsigned char>(c) < 0x80;
}

}  // namespace

// Only stretches around code points >= U+0300 can change (everything below is NFC-stable), and
// an ASCII character is a boundary: it never combines with what precedes it, so the text may be
// normalized piecewise between ASCII characters. Only the pieces that need it go to utf8proc.
std::string nfc(std::string_view s) {
  std::string out;
  std::size_t done = 0;  // s[0, done) is already in `out` (or is pending verbatim)
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0xCC || (b & 0xC0) == 0x80) {  // not the lead byte of a code point >= U+0300
      ++i;
      continue;
    }
    // The piece runs from the last ASCII character before i up to the next ASCII character.
    std::size_t begin = i;
    while (begin > done && !is_ascii(s[begin])) --begin;
    std::size_t end = i + 1;
    while (end < s.size() && !is_ascii(s[end])) ++end;
    if (out.empty()) out.reserve(s.size() + 16);
    out.append(s.substr(done, begin - done));
    out.append(nfc_utf8proc(s.substr(begin, end - begin)));
    done = end;
    i = end;
  }
  if (done == 0) return std::string(s);
  out.append(s.substr(done));
  return out;
}

}  // namespace mamba::tok::unicode
