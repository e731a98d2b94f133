#pragma once
// A checkpoint tensor as stored: row-major, little-endian, in its stored element type.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mamba {

enum class DType { F32, F16, BF16 };

size_t dtype_size(DType t);
const char* dtype_name(DType t);

struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;   // into a mapped file or into `owner`'s buffer
  std::shared_ptr<const void> owner;  // keeps the mapping or buffer alive
  std::string source;  // file it came from, for error messages

  bool empty() const { return data == nullptr; }
  int64_t numel() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  // Copies the elements into a new float buffer whatever the stored type.
  std::vector<float> to_f32() const;
};

// A tensor that owns a float buffer (for converted or derived weights).
Tensor make_f32_tensor(std::vector<int64_t> shape, std::vector<float> values);

float bf16_to_f32(uint16_t v);
uint16_t f32_to_bf16(float v);  // round to nearest even
float f16_to_f32(uint16_t v);

}  // namespace mamba
