#include "engine/model/tensor.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace mamba {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32:
      return 4;
    case DType::F16:
    case DType::BF16:
      return 2;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
  }
  return "?";
}

int64_t Tensor::numel() const {
  if (empty()) return 0;
  int64_t n = 1;  // a scalar (shape []) holds one element
  for (int64_t d : shape) n *= d;
  return n;
}

float bf16_to_f32(uint16_t v) {
  const uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

uint16_t f32_to_bf16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    // Keep NaN a NaN: rounding could carry its payload into the exponent and make it infinite.
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  }
  const uint32_t lsb = (bits >> 16) & 1u;
  return static_cast<uint16_t>((bits + 0x7fffu + lsb) >> 16);
}

float f16_to_f32(uint16_t v) {
  const uint32_t sign = static_cast<uint32_t>(v & 0x8000u) << 16;
  const uint32_t exp = (v >> 10) & 0x1fu;
  const uint32_t mant = v & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {
      // Subnormal half: mant * 2^-24 is exact in float.
      const float mag = std::ldexp(static_cast<float>(mant), -24);
      std::memcpy(&bits, &mag, sizeof bits);
      bits |= sign;
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf, or NaN with its payload kept
  } else {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

std::vector<float> Tensor::to_f32() const {
  const size_t n = static_cast<size_t>(numel());
  std::vector<float> out(n);
  if (n == 0) return out;
  switch (dtype) {
    case DType::F32:
      std::memcpy(out.data(), data, n * sizeof(float));
      break;
    case DType::BF16: {
      const auto* p = static_cast<const unsigned char*>(data);
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);  // memcpy: the mapping gives no alignment promise
        out[i] = bf16_to_f32(h);
      }
      break;
    }
    case DType::F16: {
      const auto* p = static_cast<const unsigned char*>(data);
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = f16_to_f32(h);
      }
      break;
    }
  }
  return out;
}

Tensor make_f32_tensor(std::vector<int64_t> shape, std::vector<float> values) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("make_f32_tensor: negative dimension");
    n *= d;
  }
  if (static_cast<size_t>(n) != values.size()) {
    throw std::invalid_argument("make_f32_tensor: " + std::to_string(values.size()) +
                                " values for a shape of " + std::to_string(n) + " elements");
  }
  // A zero-element vector may have a null data(); keep one slot so the tensor is not "empty".
  if (values.empty()) values.reserve(1);
  auto buffer = std::make_shared<std::vector<float>>(std::move(values));
  Tensor t;
  t.dtype = DType::F32;
  t.shape = std::move(shape);
  t.data = buffer->data();
  t.owner = std::move(buffer);
  t.source = "(derived)";
  return t;
}

}  // namespace mamba
