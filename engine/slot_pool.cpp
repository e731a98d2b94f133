#include "engine/slot_pool.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace mamba {

void SlotPool::FreeDeleter::operator()(float* p) const {
  std::free(p);
}

SlotPool::SlotPool(const StateLayout& layout, int slots) {
  constexpr size_t kAlign = 64;
  stride_ = (layout.floats() * sizeof(float) + kAlign - 1) / kAlign * kAlign / sizeof(float);
  bytes_ = stride_ * sizeof(float) * static_cast<size_t>(slots);
  memory_.reset(static_cast<float*>(std::aligned_alloc(kAlign, bytes_ > 0 ? bytes_ : kAlign)));
  if (!memory_) throw std::bad_alloc();
  base_ = memory_.get();
  std::memset(base_, 0, bytes_);  // touch every page now, not on the first request
  for (int i = slots - 1; i >= 0; --i) free_.push_back(i);
}

int SlotPool::acquire() {
  if (free_.empty()) return -1;
  const int s = free_.back();
  free_.pop_back();
  ++used_;
  std::memset(state(s), 0, stride_ * sizeof(float));
  return s;
}

void SlotPool::release(int slot) {
  free_.push_back(slot);
  --used_;
}

void SlotPool::copy(int from, int to) {
  std::memcpy(state(to), state(from), stride_ * sizeof(float));
}

}  // namespace mamba
