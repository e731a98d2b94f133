#include "engine/model/checkpoint.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "engine/model/errors.hpp"
#include "engine/model/safetensors.hpp"

namespace mamba {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

[[noreturn]] void fail(const fs::path& file, const std::string& problem) {
  throw ModelError(file.string() + ": " + problem);
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(file, "cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) fail(file, "read error");
  return s.str();
}

// Shard names come from a file we do not control: keep them inside the model directory.
bool plain_file_name(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos && name != "." && name != "..";
}

// Every shard named in the index, each checked to hold the tensors the index puts there, no
// tensor stored twice.
std::map<std::string, Tensor> read_sharded(const fs::path& model_dir, const fs::path& index_path) {
  std::map<std::string, Tensor> out;
  std::error_code ec;
  json index;
  try {
    index = json::parse(read_text(index_path));
  } catch (const json::exception& e) {
    fail(index_path, std::string("invalid JSON: ") + e.what());
  }
  auto wm = index.is_object() ? index.find("weight_map") : index.end();
  if (wm == index.end() || !wm->is_object()) {
    fail(index_path, "missing \"weight_map\" object");
  }
  std::map<std::string, std::vector<std::string>> by_shard;
  for (const auto& [name, shard] : wm->items()) {
    if (!shard.is_string() || !plain_file_name(shard.get<std::string>())) {
      fail(index_path, "weight_map entry for '" + name + "' is not a file name: " + shard.dump());
    }
    by_shard[shard.get<std::string>()].push_back(name);
  }
  if (by_shard.empty()) fail(index_path, "weight_map is empty");
  for (const auto& [shard, listed] : by_shard) {
    const fs::path shard_path = model_dir / shard;
    if (!fs::exists(shard_path, ec)) {
      fail(index_path, "shard " + shard + " named in weight_map does not exist");
    }
    auto tensors = read_safetensors(shard_path);
    for (const auto& name : listed) {
      if (!tensors.count(name)) {
        fail(shard_path, "tensor '" + name + "' listed in " + kIndexFile + " is missing");
      }
    }
    for (auto& [name, t] : tensors) {
      auto [it, inserted] = out.emplace(name, std::move(t));
      if (!inserted) {
        fail(shard_path, "tensor '" + name + "' is also stored in " + it->second.source);
      }
    }
  }
  return out;
}

}  // namespace

Checkpoint Checkpoint::open(const fs::path& model_dir) {
  Checkpoint ck;
  ck.dir_ = model_dir;
  std::error_code ec;
  if (!fs::is_directory(model_dir, ec)) fail(model_dir, "not a model directory");

  const fs::path index_path = model_dir / kIndexFile;
  const fs::path single_path = model_dir / kSingleFile;
  // As transformers does: a single file wins over an index.
  if (fs::exists(single_path, ec)) {
    ck.tensors_ = read_safetensors(single_path);
  } else if (fs::exists(index_path, ec)) {
    ck.tensors_ = read_sharded(model_dir, index_path);
  } else {
    std::string hint;
    if (fs::exists(model_dir / "pytorch_model.bin", ec)) {
      hint = " (pytorch_model.bin is not supported; convert it to safetensors)";
    }
    fail(model_dir,
         std::string("no checkpoint: expected ") + kSingleFile + " or " + kIndexFile + hint);
  }
  return ck;
}

const Tensor* Checkpoint::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

const Tensor& Checkpoint::require(const std::string& name) const {
  if (const Tensor* t = find(name)) return *t;
  throw ModelError("missing tensor " + name + " in " + dir_.string());
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [name, t] : tensors_) out.push_back(name);
  return out;
}

size_t Checkpoint::total_bytes() const {
  size_t total = 0;
  for (const auto& [name, t] : tensors_) total += t.nbytes();
  return total;
}

}  // namespace mamba
