#pragma once
// Test-side writer for .safetensors files: well-formed ones from typed values, and raw pieces
// (header length, header text, data bytes) to build malformed ones.

#include <unistd.h>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/model/tensor.hpp"

namespace mamba::testing {

// Bytes of a file: u64 little-endian `declared_len`, then `header`, then `data`.
inline std::string safetensors_bytes(const std::string& header, const std::string& data,
                                     uint64_t declared_len) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((declared_len >> (8 * i)) & 0xff);
  return out + header + data;
}

inline std::string safetensors_bytes(const std::string& header, const std::string& data) {
  return safetensors_bytes(header, data, header.size());
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("mamba-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// IEEE half bits of a float that is exactly representable as a normal half (or zero).
inline uint16_t exact_f16_bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  const uint16_t sign = static_cast<uint16_t>((b >> 16) & 0x8000u);
  if ((b & 0x7fffffffu) == 0) return sign;
  const int exp = static_cast<int>((b >> 23) & 0xffu) - 127 + 15;
  if (exp <= 0 || exp >= 31 || (b & 0x1fffu) != 0) {
    throw std::invalid_argument("not exactly representable as a normal half");
  }
  return static_cast<uint16_t>(sign | (exp << 10) | ((b >> 13) & 0x3ffu));
}

class SafetensorsWriter {
 public:
  // Raw element bytes with any dtype name (also invalid ones, for error tests).
  SafetensorsWriter& add_raw(const std::string& name, const std::string& dtype,
                             std::vector<int64_t> shape, std::string bytes) {
    entries_.push_back({name, dtype, std::move(shape), std::move(bytes)});
    return *this;
  }

  SafetensorsWriter& add_f32(const std::string& name, std::vector<int64_t> shape,
                             const std::vector<float>& v) {
    std::string b(v.size() * 4, '\0');
    if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
    return add_raw(name, "F32", std::move(shape), std::move(b));
  }

  SafetensorsWriter& add_bf16(const std::string& name, std::vector<int64_t> shape,
                              const std::vector<float>& v) {
    std::vector<uint16_t> h(v.size());
    for (size_t i = 0; i < v.size(); ++i) h[i] = f32_to_bf16(v[i]);
    return add_u16(name, "BF16", std::move(shape), h);
  }

  SafetensorsWriter& add_f16(const std::string& name, std::vector<int64_t> shape,
                             const std::vector<float>& v) {
    std::vector<uint16_t> h(v.size());
    for (size_t i = 0; i < v.size(); ++i) h[i] = exact_f16_bits(v[i]);
    return add_u16(name, "F16", std::move(shape), h);
  }

  // Stores `v` in `dtype` ("F32", "F16" or "BF16").
  SafetensorsWriter& add(const std::string& name, const std::string& dtype,
                         std::vector<int64_t> shape, const std::vector<float>& v) {
    if (dtype == "F16") return add_f16(name, std::move(shape), v);
    if (dtype == "BF16") return add_bf16(name, std::move(shape), v);
    return add_f32(name, std::move(shape), v);
  }

  SafetensorsWriter& add_u16(const std::string& name, const std::string& dtype,
                             std::vector<int64_t> shape, const std::vector<uint16_t>& v) {
    std::string b(v.size() * 2, '\0');
    if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
    return add_raw(name, dtype, std::move(shape), std::move(b));
  }

  // Header as a writer would produce it (tensors packed in insertion order), and the data.
  nlohmann::json header() const {
    nlohmann::json h = nlohmann::json::object();
    h["__metadata__"] = {{"format", "pt"}};
    uint64_t off = 0;
    for (const auto& e : entries_) {
      h[e.name] = {
          {"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {off, off + e.bytes.size()}}};
      off += e.bytes.size();
    }
    return h;
  }

  std::string data() const {
    std::string d;
    for (const auto& e : entries_) d += e.bytes;
    return d;
  }

  // The header text padded with spaces so that the data starts 8-byte aligned, as writers do.
  static std::string padded(std::string header_text) {
    while ((8 + header_text.size()) % 8 != 0) header_text += ' ';
    return header_text;
  }

  std::string bytes() const { return safetensors_bytes(padded(header().dump()), data()); }

  void write(const std::filesystem::path& path) const { write_file(path, bytes()); }

 private:
  struct Entry {
    std::string name, dtype;
    std::vector<int64_t> shape;
    std::string bytes;
  };
  std::vector<Entry> entries_;
};

}  // namespace mamba::testing
