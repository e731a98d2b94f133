#include "server/generation_job.hpp"

#include "server/api_error.hpp"

namespace mamba::server {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(20);

double seconds(GenerationJob::Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

GenerationJob::GenerationJob(Engine& engine, ServerMetrics& metrics, Clock::time_point arrival)
    : engine_(engine), metrics_(metrics), arrival_(arrival) {}

GenerationJob::~GenerationJob() {
  for (auto& p : parts_) {
    if (p.finished < p.n) p.handle->cancel();
  }
}

int GenerationJob::submit(GenerationRequest request, const char* prompt_param) {
  const int n = request.params.n;
  try {
    Part part;
    part.handle = engine_.submit(std::move(request));
    part.n = n;
    part.last_token.assign(n, Clock::time_point{});
    parts_.push_back(std::move(part));
  } catch (const SubmitError& e) {
    cancel();
    switch (e.kind) {
      case SubmitError::Kind::QueueFull:
        throw ApiError::unavailable(std::string("The server is overloaded: ") + e.what() + ".",
                                    "queue_full", 1);
      case SubmitError::Kind::ShuttingDown:
        throw ApiError::unavailable("The server is shutting down.", "shutting_down", 5);
      case SubmitError::Kind::PromptTooLong:
        throw ApiError::invalid(
            std::string("This model's context is too short for the request: ") + e.what() + ".",
            std::string(prompt_param), std::string("context_length_exceeded"));
      case SubmitError::Kind::Invalid:
        throw ApiError::invalid(e.what(), e.param.empty() ? std::optional<std::string>()
                                                          : std::optional<std::string>(e.param));
    }
    throw;
  }
  return static_cast<int>(parts_.size()) - 1;
}

void GenerationJob::observe(const Event& e, Part& part) {
  const auto now = Clock::now();
  if (e.kind == Event::Kind::Token) {
    if (!first_token_seen_) {
      first_token_seen_ = true;
      metrics_.observe_ttft(seconds(now - arrival_));
    }
    auto& last = part.last_token[e.index];
    if (last != Clock::time_point{}) metrics_.observe_inter_token(seconds(now - last));
    last = now;
  } else if (e.kind == Event::Kind::Finished) {
    if (e.index == 0 && e.finish != FinishReason::Cancelled)
      metrics_.observe_queue(e.queue_seconds);
  }
}

bool GenerationJob::next(Event& event, int& prompt, const std::function<bool()>& should_stop) {
  while (true) {
    const auto now = Clock::now();
    if (cancelled_) {
      // After a cancel the engine still reports every completion as finished (at its next step);
      // those events are read for a short while so the stream can say how each one ended.
      if (now > cancel_deadline_) return false;
    } else if (should_stop && now - last_stop_check_ >= kPollInterval) {
      // Checked on a clock, not only when idle, so a steady stream of events cannot hide a
      // client that went away.
      last_stop_check_ = now;
      if (should_stop()) cancel();
    }
    bool all_done = true;
    for (size_t k = 0; k < parts_.size(); ++k) {
      const size_t i = (cursor_ + k) % parts_.size();
      Part& part = parts_[i];
      if (part.finished >= part.n) continue;
      all_done = false;
      // With one prompt, block on it; with several, take whatever is ready round-robin.
      const auto wait = parts_.size() == 1 ? kPollInterval : std::chrono::milliseconds(0);
      if (part.handle->next(event, wait)) {
        if (event.kind == Event::Kind::Finished) ++part.finished;
        observe(event, part);
        cursor_ = (i + 1) % parts_.size();
        prompt = static_cast<int>(i);
        return true;
      }
    }
    if (all_done) {
      if (!e2e_recorded_ && !cancelled_) {
        e2e_recorded_ = true;
        metrics_.observe_e2e(seconds(Clock::now() - arrival_));
      }
      return false;
    }
    if (parts_.size() > 1) {
      // Nothing ready anywhere: wait briefly on one part before polling the others again.
      Part& part = parts_[cursor_];
      if (part.finished < part.n && part.handle->next(event, std::chrono::milliseconds(2))) {
        if (event.kind == Event::Kind::Finished) ++part.finished;
        observe(event, part);
        prompt = static_cast<int>(cursor_);
        cursor_ = (cursor_ + 1) % parts_.size();
        return true;
      }
      cursor_ = (cursor_ + 1) % parts_.size();
    }
  }
}

void GenerationJob::cancel() {
  if (!cancelled_) cancel_deadline_ = Clock::now() + std::chrono::seconds(2);
  cancelled_ = true;
  for (auto& p : parts_) p.handle->cancel();
}

}  // namespace mamba::server
