#include "tokenizer/byte_level.hpp"

#include <array>

#include "tokenizer/utf8.hpp"

namespace mamba::tok::byte_level {
namespace {

bool stands_for_itself(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Maps {
  std::array<char32_t, 256> to_char{};
  std::array<std::int16_t, 0x200>
      to_byte{};  // indexed by code point; every mapped char is < U+0144
};

const Maps& maps() {
  static const Maps m = [] {
    Maps maps;
    maps.to_byte.fill(-1);
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      maps.to_char[b] = stands_for_itself(b) ? static_cast<char32_t>(b) : next++;
      maps.to_byte[maps.to_char[b]] = static_cast<std::int16_t>(b);
    }
    return maps;
  }();
  return m;
}

}  // namespace

char32_t byte_to_char(std::uint8_t b) {
  return maps().to_char[b];
}

std::optional<std::string> chars_to_bytes(std::string_view token) {
  const Maps& m = maps();
  std::string out;
  out.reserve(token.size());
  std::size_t i = 0;
  while (i < token.size()) {
    const utf8::Step step = utf8::decode(token, i);
    if (!step.valid || step.cp >= m.to_byte.size() || m.to_byte[step.cp] < 0) return std::nullopt;
    out.push_back(static_cast<char>(m.to_byte[step.cp]));
    i += step.len;
  }
  return out;
}

std::string bytes_to_chars(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) utf8::append(out, byte_to_char(static_cast<std::uint8_t>(c)));
  return out;
}

}  // namespace mamba::tok::byte_level
