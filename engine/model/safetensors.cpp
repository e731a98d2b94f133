#include "engine/model/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <vector>

#include "engine/model/errors.hpp"

namespace mamba {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& origin, const std::string& problem) {
  throw ModelError(origin + ": " + problem);
}

// Every dtype the format defines, so that a valid-but-unsupported one gets a different message
// from garbage. Only the float types a Mamba checkpoint uses can become a Tensor.
struct DTypeInfo {
  const char* name;
  size_t size;
  std::optional<DType> supported;
};

constexpr DTypeInfo kDTypes[] = {
    {"F32", 4, DType::F32},       {"F16", 2, DType::F16},       {"BF16", 2, DType::BF16},
    {"F64", 8, std::nullopt},     {"BOOL", 1, std::nullopt},    {"U8", 1, std::nullopt},
    {"I8", 1, std::nullopt},      {"F8_E5M2", 1, std::nullopt}, {"F8_E4M3", 1, std::nullopt},
    {"I16", 2, std::nullopt},     {"U16", 2, std::nullopt},     {"I32", 4, std::nullopt},
    {"U32", 4, std::nullopt},     {"I64", 8, std::nullopt},     {"U64", 8, std::nullopt},
    {"F8_E8M0", 1, std::nullopt}, {"C64", 8, std::nullopt},
};

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << ']';
  return s.str();
}

bool as_u64(const json& v, uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    out = static_cast<uint64_t>(v.get<int64_t>());
    return true;
  }
  return false;
}

struct Entry {
  std::string name;
  Tensor tensor;
  uint64_t begin, end;
};

Entry parse_entry(const std::string& name, const json& e, uint64_t data_size,
                  const std::string& origin) {
  const std::string what = "tensor '" + name + "'";
  if (!e.is_object()) fail(origin, what + ": header entry is not a JSON object");
  auto dt = e.find("dtype");
  if (dt == e.end() || !dt->is_string()) fail(origin, what + ": missing or non-string \"dtype\"");
  const std::string dtype = dt->get<std::string>();
  const DTypeInfo* info = nullptr;
  for (const auto& d : kDTypes)
    if (dtype == d.name) info = &d;
  if (!info) fail(origin, what + ": unknown dtype '" + dtype + "'");
  if (!info->supported) {
    fail(origin, what + ": dtype " + dtype + " is not supported for weights (F32, F16 or BF16)");
  }

  auto sh = e.find("shape");
  if (sh == e.end() || !sh->is_array()) fail(origin, what + ": missing or non-array \"shape\"");
  std::vector<int64_t> shape;
  uint64_t numel = 1;
  for (const auto& d : *sh) {
    uint64_t v;
    if (!as_u64(d, v) || v > static_cast<uint64_t>(INT64_MAX)) {
      fail(origin, what + ": shape " + sh->dump() + " is not a list of non-negative integers");
    }
    if (__builtin_mul_overflow(numel, v, &numel)) {
      fail(origin, what + ": shape " + sh->dump() + " overflows");
    }
    shape.push_back(static_cast<int64_t>(v));
  }
  uint64_t nbytes;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(info->size), &nbytes)) {
    fail(origin, what + ": shape " + sh->dump() + " overflows");
  }

  auto off = e.find("data_offsets");
  uint64_t begin = 0, end = 0;
  if (off == e.end() || !off->is_array() || off->size() != 2 || !as_u64((*off)[0], begin) ||
      !as_u64((*off)[1], end)) {
    fail(origin, what + ": \"data_offsets\" must be [begin, end] of non-negative integers");
  }
  if (begin > end) fail(origin, what + ": data_offsets " + off->dump() + " have begin > end");
  if (end > data_size) {
    fail(origin, what + ": data_offsets " + off->dump() + " run past the end of the data buffer (" +
                     std::to_string(data_size) + " bytes; truncated file?)");
  }
  if (end - begin != nbytes) {
    fail(origin, what + ": data_offsets " + off->dump() + " hold " + std::to_string(end - begin) +
                     " bytes but shape " + shape_str(shape) + " of " + dtype + " needs " +
                     std::to_string(nbytes));
  }
  Entry out{name, {}, begin, end};
  out.tensor.dtype = *info->supported;
  out.tensor.shape = std::move(shape);
  out.tensor.source = origin;
  return out;
}

}  // namespace

std::map<std::string, Tensor> parse_safetensors(const void* bytes, size_t size,
                                                std::shared_ptr<const void> owner,
                                                const std::string& origin) {
  const auto* base = static_cast<const unsigned char*>(bytes);
  if (size < 8) {
    fail(origin,
         "truncated: " + std::to_string(size) + " bytes, too short for the 8-byte header length");
  }
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | base[i];  // little-endian
  if (header_len > kMaxSafetensorsHeader) {
    fail(origin, "header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
  }
  if (header_len > size - 8) {
    fail(origin, "truncated: header length " + std::to_string(header_len) +
                     " runs past the end of the file (" + std::to_string(size) + " bytes)");
  }

  json header;
  try {
    header = json::parse(base + 8, base + 8 + header_len);
  } catch (const json::exception& e) {
    fail(origin, std::string("invalid header JSON: ") + e.what());
  }
  if (!header.is_object()) fail(origin, "header is not a JSON object");

  const unsigned char* data = base + 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;

  std::vector<Entry> entries;
  for (const auto& [name, e] : header.items()) {
    if (name == "__metadata__") {
      if (!e.is_object() && !e.is_null()) fail(origin, "\"__metadata__\" is not a JSON object");
      continue;
    }
    entries.push_back(parse_entry(name, e, data_size, origin));
  }

  // The format forbids aliasing: sort by start and check each non-empty range against the
  // previous one.
  std::vector<const Entry*> order;
  for (const auto& e : entries)
    if (e.end > e.begin) order.push_back(&e);
  std::sort(order.begin(), order.end(),
            [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < order.size(); ++i) {
    const Entry& a = *order[i - 1];
    const Entry& b = *order[i];
    if (b.begin < a.end) {
      fail(origin, "tensor '" + b.name + "' bytes [" + std::to_string(b.begin) + ", " +
                       std::to_string(b.end) + ") overlap tensor '" + a.name + "' [" +
                       std::to_string(a.begin) + ", " + std::to_string(a.end) + ")");
    }
  }

  std::map<std::string, Tensor> out;
  for (auto& e : entries) {
    Tensor& t = e.tensor;
    const unsigned char* p = data + e.begin;
    const size_t esize = dtype_size(t.dtype);
    if (reinterpret_cast<uintptr_t>(p) % esize != 0) {
      // Writers pad the header so this never happens in practice; a misaligned tensor is copied
      // so that kernels may read it as an array of its element type.
      const size_t n = e.end - e.begin;
      auto buf = std::make_shared<std::vector<uint64_t>>((n + 7) / 8 + 1);
      std::memcpy(buf->data(), p, n);
      t.data = buf->data();
      t.owner = std::move(buf);
    } else {
      t.data = p;
      t.owner = owner;
    }
    out.emplace(e.name, std::move(t));
  }
  return out;
}

std::map<std::string, Tensor> read_safetensors(const std::filesystem::path& file) {
  const std::string origin = file.string();
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(origin, std::string("cannot open: ") + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    fail(origin, std::string("cannot stat: ") + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(origin, "not a regular file");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    return parse_safetensors("", size, nullptr, origin);  // reports the truncation
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);  // the mapping stays valid without the descriptor
  if (map == MAP_FAILED) fail(origin, std::string("cannot mmap: ") + std::strerror(err));
  std::shared_ptr<const void> owner(
      map, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  return parse_safetensors(map, size, owner, origin);
}

}  // namespace mamba
