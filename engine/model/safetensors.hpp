#pragma once
// Reader for one .safetensors file (docs/mamba-reference.md §9): an 8-byte little-endian header
// length, a JSON header, then the data buffer. Everything the header claims is checked against the
// bytes actually there before a tensor is handed out.

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "engine/model/tensor.hpp"

namespace mamba {

// Largest header accepted, as in the reference implementation.
inline constexpr uint64_t kMaxSafetensorsHeader = 100ull * 1000 * 1000;

// Memory-maps `file` read-only and returns its tensors; they keep the mapping alive through
// Tensor::owner. Throws ModelError "FILE: problem" on anything malformed.
std::map<std::string, Tensor> read_safetensors(const std::filesystem::path& file);

// Validates and indexes a safetensors image already in memory. `owner` keeps `bytes` alive;
// `origin` names the file in errors and becomes Tensor::source.
std::map<std::string, Tensor> parse_safetensors(const void* bytes, size_t size,
                                                std::shared_ptr<const void> owner,
                                                const std::string& origin);

}  // namespace mamba
