#pragma once
// A generation request and the events that flow back from the engine, token by token, through a
// thread-safe channel (RequestHandle).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/sampling_params.hpp"

namespace mamba {

struct GenerationRequest {
  std::vector<int32_t> prompt;
  SamplingParams params;
};

// Why submit() refused a request.
class SubmitError : public std::runtime_error {
 public:
  enum class Kind { QueueFull, PromptTooLong, Invalid, ShuttingDown };
  SubmitError(Kind kind, const std::string& message, std::string param = {})
      : std::runtime_error(message), kind(kind), param(std::move(param)) {}
  Kind kind;
  std::string param;  // the offending parameter, when there is one
};

enum class FinishReason { Length, Stop, Cancelled, Error };
const char* finish_reason_name(FinishReason r);  // "length", "stop", "cancelled", "error"

struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0.0f;
  std::vector<std::pair<int32_t, float>> top;  // the top-N alternatives, most likely first
};

struct Event {
  enum class Kind {
    PromptLogprobs,  // once, before any token, when asked: one entry per prompt token after the
                     // first
    Token,           // one generated token of completion `index`
    Finished,        // completion `index` ended
  };
  Kind kind = Kind::Token;
  int index = 0;  // which of the n completions
  int32_t token = -1;
  // Text that became final with this token: complete UTF-8 only, with stop strings and anything
  // after them removed. It may be empty (a character still incomplete, or text held back because
  // it could be the start of a stop string); the concatenation over a completion is its text.
  std::string text;
  std::optional<TokenLogprob> logprob;
  std::vector<TokenLogprob> prompt_logprobs;
  FinishReason finish = FinishReason::Length;
  std::string matched_stop;   // the stop string or token that ended it (Finished, Stop)
  int prompt_tokens = 0;      // Finished: usage
  int completion_tokens = 0;  // Finished: tokens of this completion
  int cached_tokens = 0;      // Finished: prompt tokens served from the state cache
  double queue_seconds = 0;   // Finished: submit -> admitted into a slot
  std::string error;          // Finished with Error
};

// The consumer's end of a request: events in order; cancel() frees the slots at the next step.
class RequestHandle {
 public:
  explicit RequestHandle(int n) : remaining_(n) {}

  // Blocks until an event is available or `timeout` passes; false on timeout or when all n
  // completions have finished and every event was taken.
  bool next(Event& out, std::chrono::milliseconds timeout = std::chrono::hours(24));
  bool done() const;
  void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

  // Engine side.
  void push(Event e);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  int remaining_;  // completions not yet finished
  std::atomic<bool> cancelled_{false};
};

}  // namespace mamba
