#pragma once
#include <stdexcept>
#include <string>

namespace mamba {

// Anything wrong with a model directory: config, checkpoint files, tensor names or shapes.
// The message always names the file and the problem.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace mamba
