#pragma once
// The named tensors of a model directory: model.safetensors, or shards listed in
// model.safetensors.index.json. Files are memory-mapped; every header is validated against the
// file size before any tensor is handed out.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/tensor.hpp"

namespace mamba {

class Checkpoint {
 public:
  // Throws ModelError (naming the file) if no checkpoint is found or any file is malformed.
  static Checkpoint open(const std::filesystem::path& model_dir);

  const Tensor* find(const std::string& name) const;
  // Throws ModelError "missing tensor NAME in DIR" when absent.
  const Tensor& require(const std::string& name) const;
  std::vector<std::string> names() const;
  size_t total_bytes() const;

 private:
  std::map<std::string, Tensor> tensors_;
  std::filesystem::path dir_;
};

}  // namespace mamba
