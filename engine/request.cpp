#include "engine/request.hpp"

namespace mamba {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::Length:
      return "length";
    case FinishReason::Stop:
      return "stop";
    case FinishReason::Cancelled:
      return "cancelled";
    case FinishReason::Error:
      return "error";
  }
  return "error";
}

bool RequestHandle::next(Event& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return !events_.empty() || remaining_ == 0; }))
    return false;
  if (events_.empty()) return false;
  out = std::move(events_.front());
  events_.pop_front();
  return true;
}

bool RequestHandle::done() const {
  std::lock_guard lock(mu_);
  return remaining_ == 0 && events_.empty();
}

void RequestHandle::push(Event e) {
  {
    std::lock_guard lock(mu_);
    if (e.kind == Event::Kind::Finished) --remaining_;
    events_.push_back(std::move(e));
  }
  cv_.notify_all();
}

}  // namespace mamba
