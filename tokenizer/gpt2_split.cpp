#include "tokenizer/gpt2_split.hpp"

#include "tokenizer/unicode.hpp"
#include "tokenizer/utf8.hpp"

namespace mamba::tok {
namespace {

using unicode::CharClass;

struct Char {
  CharClass cls;
  std::size_t len;
};

// Text is valid UTF-8 here (repaired at the API boundary), so decoding cannot fail.
inline Char char_at(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return {unicode::classify(b), 1};
  const utf8::Step step = utf8::decode(s, i);
  return {unicode::classify(step.cp), step.len};
}

// End of the run of characters of class `cls` starting at i.
inline std::size_t run_end(std::string_view s, std::size_t i, CharClass cls) {
  while (i < s.size()) {
    const Char c = char_at(s, i);
    if (c.cls != cls) break;
    i += c.len;
  }
  return i;
}

// Contraction suffix length at s[pos] == '\'' (lowercase only, as in the regex), or 0.
inline std::size_t contraction(std::string_view s, std::size_t pos) {
  const std::string_view rest = s.substr(pos + 1);
  if (rest.empty()) return 0;
  switch (rest[0]) {
    case 's':
    case 't':
    case 'm':
    case 'd':
      return 2;
    case 'r':
      return rest.size() >= 2 && rest[1] == 'e' ? 3 : 0;
    case 'v':
      return rest.size() >= 2 && rest[1] == 'e' ? 3 : 0;
    case 'l':
      return rest.size() >= 2 && rest[1] == 'l' ? 3 : 0;
    default:
      return 0;
  }
}

}  // namespace

std::size_t gpt2_match_end(std::string_view s, std::size_t pos) {
  if (s[pos] == '\'') {
    if (const std::size_t n = contraction(s, pos)) return pos + n;
  }
  const Char first = char_at(s, pos);
  // " ?X+" alternatives: an optional single U+0020 followed by a run of one class.
  std::size_t start = pos;
  CharClass cls = first.cls;
  if (s[pos] == ' ' && pos + 1 < s.size()) {
    const Char next = char_at(s, pos + 1);
    if (next.cls != CharClass::kWhitespace) {
      start = pos + 1;
      cls = next.cls;
    }
  }
  if (cls != CharClass::kWhitespace) return run_end(s, start, cls);
  // Whitespace: \s+(?!\S) takes the run but leaves its last character when a non-space follows
  // (that character then prefixes the next word); a single whitespace before a non-space is \s+.
  const std::size_t end = run_end(s, pos, CharClass::kWhitespace);
  if (end == s.size()) return end;
  std::size_t last = end - 1;
  while ((static_cast<unsigned char>(s[last]) & 0xC0) == 0x80) --last;
  return last > pos ? last : end;
}

}  // namespace mamba::tok
