#include "bench/loadgen/request.hpp"

#include <nlohmann/json.hpp>

#include "bench/loadgen/http_client.hpp"
#include "bench/loadgen/sse_parser.hpp"

namespace mamba::bench {
namespace {

using nlohmann::json;

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string clip(std::string_view text, size_t limit = 200) {
  std::string out(text.substr(0, limit));
  if (text.size() > limit) out += "...";
  return out;
}

// Whether a streamed chunk carries generated output. A chat delta that only announces the role and
// a closing chunk with an empty text and a finish_reason carry none; an empty text without a
// finish_reason is a token whose characters the server holds back (an unfinished UTF-8 sequence).
bool carries_output(const json& choice, Endpoint endpoint) {
  if (!choice.is_object()) return false;
  const json* text = nullptr;
  bool role_only = false;
  if (endpoint == Endpoint::Chat) {
    auto delta = choice.find("delta");
    if (delta == choice.end() || !delta->is_object()) return false;
    auto content = delta->find("content");
    if (content != delta->end()) text = &*content;
    role_only = delta->contains("role");
  } else {
    auto it = choice.find("text");
    if (it != choice.end()) text = &*it;
  }
  if (text && text->is_string() && !text->get_ref<const std::string&>().empty()) return true;
  auto finish = choice.find("finish_reason");
  const bool finished = finish != choice.end() && !finish->is_null();
  return !finished && !role_only && text != nullptr;
}

// Follows one response stream event by event and keeps the measurements.
class StreamMeasurement {
 public:
  StreamMeasurement(Endpoint endpoint, Clock::time_point sent, RequestResult& result)
      : endpoint_(endpoint), sent_(sent), result_(result) {}

  // False (with failure set) when the event makes the rest of the stream meaningless.
  bool on_event(std::string_view data, Clock::time_point now) {
    if (done_) return fail("data after [DONE]");
    if (data == "[DONE]") {
      done_ = true;
      return true;
    }
    const json chunk = json::parse(data, nullptr, false);
    if (chunk.is_discarded() || !chunk.is_object()) return fail("malformed event: " + clip(data));
    if (auto error = chunk.find("error"); error != chunk.end()) {
      const json* message =
          error->is_object() && error->contains("message") ? &(*error)["message"] : &*error;
      return fail("error event: " +
                  clip(message->is_string() ? message->get<std::string>() : message->dump()));
    }
    if (auto choices = chunk.find("choices"); choices != chunk.end()) {
      if (!choices->is_array()) return fail("malformed event: choices is not an array");
      if (!choices->empty() && carries_output((*choices)[0], endpoint_)) record_output(now);
    }
    if (auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
      if (auto n = usage->find("completion_tokens"); n != usage->end() && n->is_number_integer()) {
        result_.output_tokens = n->get<int>();
        result_.output_tokens_from_usage = true;
      }
      if (auto n = usage->find("prompt_tokens"); n != usage->end() && n->is_number_integer()) {
        prompt_tokens_ = n->get<int>();
      }
    }
    return true;
  }

  bool fail(std::string reason) {
    if (failure_.empty()) failure_ = std::move(reason);
    return false;
  }

  const std::string& failure() const { return failure_; }
  bool done() const { return done_; }
  std::optional<int> prompt_tokens() const { return prompt_tokens_; }

 private:
  void record_output(Clock::time_point now) {
    if (result_.output_chunks == 0) {
      result_.ttft_s = seconds(now - sent_);
    } else {
      result_.itl_s.push_back(seconds(now - last_output_));
    }
    last_output_ = now;
    result_.e2el_s = seconds(now - sent_);
    ++result_.output_chunks;
  }

  Endpoint endpoint_;
  Clock::time_point sent_;
  RequestResult& result_;
  Clock::time_point last_output_;
  std::string failure_;
  std::optional<int> prompt_tokens_;
  bool done_ = false;
};

}  // namespace

std::string request_body(const RequestSettings& settings, const std::string& prompt) {
  json body = {
      {"model", settings.model},
      {"max_tokens", settings.max_tokens},
      {"temperature", settings.temperature},
      {"stream", true},
      {"stream_options", {{"include_usage", true}}},
      {"ignore_eos", settings.ignore_eos},
  };
  if (settings.endpoint == Endpoint::Chat) {
    body["messages"] = json::array({{{"role", "user"}, {"content", prompt}}});
  } else {
    body["prompt"] = prompt;
  }
  return body.dump();
}

RequestClient::RequestClient(const ServerUrl& url, RequestSettings settings)
    : url_(url),
      settings_(std::move(settings)),
      path_(url.path(settings_.endpoint == Endpoint::Chat ? "/v1/chat/completions"
                                                          : "/v1/completions")),
      client_(make_client(url, settings_.timeout_s)) {}

RequestClient::~RequestClient() = default;

void RequestClient::interrupt() {
  client_->stop();
}

RequestResult RequestClient::send(const Prompt& prompt, Clock::time_point level_start,
                                  const std::atomic<bool>& stop,
                                  std::atomic<long long>* live_chunks) {
  RequestResult result;
  httplib::Request req;
  req.method = "POST";
  req.path = path_;
  req.headers = request_headers(settings_.api_key);
  req.headers.emplace("Content-Type", "application/json");
  req.headers.emplace("Accept", "text/event-stream");
  req.body = request_body(settings_, prompt.text);

  int status = 0;
  std::string content_type;
  std::string error_body;
  bool cut_off = false;  // broken off because the run stopped, not because of the server
  SseParser parser;
  const auto timeout = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(settings_.timeout_s));
  const Clock::time_point sent = Clock::now();
  StreamMeasurement stream(settings_.endpoint, sent, result);

  req.response_handler = [&](const httplib::Response& res) {
    status = res.status;
    content_type = res.get_header_value("Content-Type");
    return true;
  };
  req.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
    const Clock::time_point now = Clock::now();
    if (status != 200) {
      if (error_body.size() < 1024) error_body.append(data, std::min<size_t>(length, 1024));
      return true;
    }
    if (stop.load()) {
      cut_off = true;
      return false;
    }
    if (now - sent > timeout) return stream.fail("timed out (--timeout)");
    bool keep_going = true;
    const size_t chunks_before = result.output_chunks;
    parser.feed(std::string_view(data, length), [&](std::string_view event) {
      if (keep_going) keep_going = stream.on_event(event, now);
    });
    if (live_chunks) *live_chunks += static_cast<long long>(result.output_chunks - chunks_before);
    return keep_going;
  };

  result.start_s = seconds(sent - level_start);
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  const bool ok = client_->send(req, res, error);

  // A request the run itself broke off says nothing about the server: it is set apart.
  cut_off = cut_off || (stream.failure().empty() && stop.load() && (status == 200 || status == 0) &&
                        !(ok && stream.done()));
  if (cut_off) {
    result.cut_off = true;
    result.error = "cut off: the run stopped early";
  } else if (!stream.failure().empty()) {
    result.error = stream.failure();
  } else if (!ok && Clock::now() - sent >= timeout * 0.99) {
    result.error = "timed out (--timeout)";
  } else if (!ok) {
    result.error = status == 200 ? "stream broken after " + std::to_string(result.output_chunks) +
                                       " output chunks: " + describe_error(error)
                                 : "request failed: " + describe_error(error);
  } else if (status != 200) {
    result.error = "HTTP " + std::to_string(status) + ": " + clip(error_body);
  } else if (content_type.rfind("text/event-stream", 0) != 0) {
    result.error = "not an event stream (Content-Type: " + content_type + ")";
  } else if (!stream.done()) {
    result.error = parser.has_partial_event() ? "stream cut in the middle of an event"
                                              : "stream ended without data: [DONE]";
  } else if (result.output_chunks == 0) {
    result.error = "no output chunk received";
  }
  result.success = result.error.empty();
  result.prompt_tokens = stream.prompt_tokens().value_or(prompt.tokens);
  if (!result.output_tokens_from_usage)
    result.output_tokens = static_cast<int>(result.output_chunks);
  return result;
}

}  // namespace mamba::bench
