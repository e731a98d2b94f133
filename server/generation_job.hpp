#pragma once
// The engine side of one HTTP request: the engine requests it submitted (one per prompt), their
// events read in arrival order across prompts, cancellation when the client goes away, and the
// latency metrics observed along the way.

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "engine/engine.hpp"
#include "server/metrics.hpp"

namespace mamba::server {

class GenerationJob {
 public:
  using Clock = std::chrono::steady_clock;

  GenerationJob(Engine& engine, ServerMetrics& metrics, Clock::time_point arrival);
  ~GenerationJob();  // cancels whatever has not finished
  GenerationJob(const GenerationJob&) = delete;
  GenerationJob& operator=(const GenerationJob&) = delete;

  // Submits one engine request; returns its prompt index. Throws ApiError for the engine's
  // refusals (queue full 503, prompt too long 400, invalid 400, shutting down 503) after
  // cancelling what this job already submitted. `prompt_param` names the field in errors.
  int submit(GenerationRequest request, const char* prompt_param);

  // The next event of any prompt (`prompt` says which). Returns false once every completion has
  // finished. `should_stop` is polled every few milliseconds; once it returns true everything is
  // cancelled and the engine's remaining (Cancelled) Finished events are still returned, for at
  // most two seconds.
  bool next(Event& event, int& prompt, const std::function<bool()>& should_stop);

  void cancel();
  bool cancelled() const { return cancelled_; }
  int prompt_count() const { return static_cast<int>(parts_.size()); }

 private:
  struct Part {
    std::shared_ptr<RequestHandle> handle;
    int n = 1;
    int finished = 0;
    std::vector<Clock::time_point> last_token;  // per completion, for inter-token latency
  };

  void observe(const Event& e, Part& part);

  Engine& engine_;
  ServerMetrics& metrics_;
  Clock::time_point arrival_;
  std::vector<Part> parts_;
  size_t cursor_ = 0;
  Clock::time_point last_stop_check_{};
  Clock::time_point cancel_deadline_{};
  bool first_token_seen_ = false;
  bool cancelled_ = false;
  bool e2e_recorded_ = false;
};

}  // namespace mamba::server
