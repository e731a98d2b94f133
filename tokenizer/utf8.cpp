#include "tokenizer/utf8.hpp"

namespace mamba::tok::utf8 {
namespace {

// Sequence length announced by a lead byte, 0 for bytes that cannot start a sequence (continuation
// bytes, the overlong leads C0/C1, and F5..FF).
std::size_t sequence_length(unsigned char b) {
  if (b < 0x80) return 1;
  if (b < 0xC2) return 0;
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 3;
  if (b < 0xF5) return 4;
  return 0;
}

// Allowed range of the second byte; it is narrower than 80..BF after E0, ED, F0 and F4 because
// those leads would otherwise allow overlong forms, surrogates or code points past U+10FFFF.
bool second_byte_ok(unsigned char lead, unsigned char b) {
  switch (lead) {
    case 0xE0:
      return b >= 0xA0 && b <= 0xBF;
    case 0xED:
      return b >= 0x80 && b <= 0x9F;
    case 0xF0:
      return b >= 0x90 && b <= 0xBF;
    case 0xF4:
      return b >= 0x80 && b <= 0x8F;
    default:
      return b >= 0x80 && b <= 0xBF;
  }
}

bool continuation(unsigned char b) {
  return (b & 0xC0) == 0x80;
}

}  // namespace

Step decode(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  const std::size_t need = sequence_length(lead);
  if (need == 1) return {lead, 1, true};
  if (need == 0) return {0, 1, false};
  std::size_t got = 1;
  while (got < need && i + got < s.size()) {
    const auto b = static_cast<unsigned char>(s[i + got]);
    if (got == 1 ? !second_byte_ok(lead, b) : !continuation(b)) break;
    ++got;
  }
  if (got < need) return {0, got, false};
  char32_t cp = lead & (0x7F >> need);
  for (std::size_t k = 1; k < need; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return {cp, need, true};
}

bool is_valid(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const Step step = decode(s, i);
    if (!step.valid) return false;
    i += step.len;
  }
  return true;
}

std::string repair(std::string_view s, Utf8Repair policy) {
  std::string out;
  out.reserve(s.size() + 8);
  std::size_t i = 0;
  while (i < s.size()) {
    const Step step = decode(s, i);
    if (step.valid) {
      out.append(s.substr(i, step.len));
      i += step.len;
    } else {
      out.append(kReplacement);
      i += policy == Utf8Repair::kMaximalSubpart ? step.len : 1;
    }
  }
  return out;
}

std::size_t incomplete_tail(std::string_view s) {
  const std::size_t n = s.size();
  for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto b = static_cast<unsigned char>(s[n - back]);
    if (continuation(b)) continue;
    // s[n - back] is the last non-continuation byte: the tail is unfinished if it is a lead whose
    // sequence is longer than what follows and everything that follows fits the sequence.
    const std::size_t need = sequence_length(b);
    if (need <= back) return 0;
    const Step step = decode(s, n - back);
    return step.len == back ? back : 0;
  }
  return 0;
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace mamba::tok::utf8
