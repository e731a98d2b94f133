#pragma once
// A fixed pool of recurrent-state slots, allocated once at start-up: slot i is one StateLayout
// block. Acquiring zeroes the block (a fresh sequence starts from the zero state).

#include <cstddef>
#include <memory>
#include <vector>

#include "engine/model/state.hpp"

namespace mamba {

class SlotPool {
 public:
  SlotPool(const StateLayout& layout, int slots);

  int capacity() const { return static_cast<int>(free_.size() + used_); }
  int free_count() const { return static_cast<int>(free_.size()); }
  int used() const { return used_; }
  size_t bytes() const { return bytes_; }

  // Returns a free slot with a zeroed state, or -1 when none is free.
  int acquire();
  void release(int slot);
  float* state(int slot) { return base_ + static_cast<size_t>(slot) * stride_; }
  void copy(int from, int to);

 private:
  struct FreeDeleter {
    void operator()(float* p) const;
  };
  std::unique_ptr<float, FreeDeleter> memory_;
  float* base_ = nullptr;
  size_t stride_ = 0;  // floats per slot, rounded up to a cache line
  size_t bytes_ = 0;
  std::vector<int> free_;
  int used_ = 0;
};

}  // namespace mamba
