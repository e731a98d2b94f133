// GPT-2's reversible byte <-> character map (ByteLevel pre-tokenizer and decoder): printable bytes
// 0x21..0x7E, 0xA1..0xAC, 0xAE..0xFF stand for themselves; the other 68 bytes, in increasing order,
// map to U+0100, U+0101, ... (space -> U+0120 'Ġ', '\n' -> U+010A 'Ċ').
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mamba::tok::byte_level {

char32_t byte_to_char(std::uint8_t b);

// The bytes a vocabulary string stands for, or nullopt when one of its characters is not in the map
// (HF's decoder then uses the string's own UTF-8 bytes).
std::optional<std::string> chars_to_bytes(std::string_view token_utf8);

// The vocabulary string for raw bytes (each byte mapped to its character, UTF-8 encoded).
std::string bytes_to_chars(std::string_view bytes);

}  // namespace mamba::tok::byte_level
