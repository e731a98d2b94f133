#include "server/sampling_request.hpp"

#include <limits>

#include "server/api_error.hpp"

namespace mamba::server {
namespace {

constexpr size_t kMaxStops = 64;
constexpr size_t kMaxLogitBias = 1024;

std::vector<std::string> parse_stop(const RequestFields& f) {
  const auto* v = f.get("stop");
  if (!v) return {};
  std::vector<std::string> stops;
  if (v->is_string()) {
    stops.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    if (v->size() > kMaxStops) {
      throw ApiError::invalid("'stop' may hold at most " + std::to_string(kMaxStops) + " strings.",
                              "stop");
    }
    for (const auto& s : *v) {
      if (!s.is_string())
        throw ApiError::invalid("'stop' must be a string or a list of strings.", "stop");
      stops.push_back(s.get<std::string>());
    }
  } else {
    throw ApiError::invalid("'stop' must be a string or a list of strings.", "stop");
  }
  for (const auto& s : stops) {
    if (s.empty()) throw ApiError::invalid("'stop' strings must not be empty.", "stop");
  }
  return stops;
}

std::vector<std::pair<int32_t, float>> parse_logit_bias(const RequestFields& f, int vocab_size) {
  const auto* v = f.get("logit_bias");
  if (!v) return {};
  if (!v->is_object()) {
    throw ApiError::invalid("'logit_bias' must be an object mapping token ids to biases.",
                            "logit_bias");
  }
  if (v->size() > kMaxLogitBias) {
    throw ApiError::invalid(
        "'logit_bias' may hold at most " + std::to_string(kMaxLogitBias) + " entries.",
        "logit_bias");
  }
  std::vector<std::pair<int32_t, float>> out;
  for (const auto& [key, bias] : v->items()) {
    size_t used = 0;
    long long id = -1;
    try {
      id = std::stoll(key, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (key.empty() || used != key.size() || id < 0 || id >= vocab_size) {
      throw ApiError::invalid("'logit_bias' key \"" + key + "\" is not a token id in [0, " +
                                  std::to_string(vocab_size) + ").",
                              "logit_bias");
    }
    if (!bias.is_number() || bias.get<double>() < -100.0 || bias.get<double>() > 100.0) {
      throw ApiError::invalid("'logit_bias' values must be numbers in [-100, 100].", "logit_bias");
    }
    out.emplace_back(static_cast<int32_t>(id), bias.get<float>());
  }
  return out;
}

std::vector<int32_t> parse_stop_token_ids(const RequestFields& f, int vocab_size) {
  const auto* v = f.get("stop_token_ids");
  if (!v) return {};
  if (!v->is_array() || v->size() > kMaxStops) {
    throw ApiError::invalid(
        "'stop_token_ids' must be a list of at most " + std::to_string(kMaxStops) + " token ids.",
        "stop_token_ids");
  }
  std::vector<int32_t> ids;
  for (const auto& t : *v) {
    const auto id = as_integer(t);
    if (!id || *id < 0 || *id >= vocab_size) {
      throw ApiError::invalid(
          "'stop_token_ids' entries must be token ids in [0, " + std::to_string(vocab_size) + ").",
          "stop_token_ids");
    }
    ids.push_back(static_cast<int32_t>(*id));
  }
  return ids;
}

}  // namespace

void check_model_name(const RequestFields& f, const RequestLimits& limits) {
  const auto model = f.string("model");
  if (model && !model->empty() && *model != limits.served_model_name) {
    throw ApiError(404,
                   "The model '" + *model + "' does not exist; this server serves '" +
                       limits.served_model_name + "'.",
                   "invalid_request_error", std::string("model"), std::string("model_not_found"));
  }
}

void parse_sampling_fields(const RequestFields& f, const RequestLimits& limits, SamplingParams& p) {
  if (auto v = f.number("temperature", 0.0, 2.0)) p.temperature = static_cast<float>(*v);
  if (auto v = f.number("top_p", 0.0, 1.0, /*lo_open=*/true)) p.top_p = static_cast<float>(*v);
  if (auto v = f.integer("top_k", -1, std::numeric_limits<int32_t>::max())) {
    p.top_k = static_cast<int>(*v);
  }
  if (auto v = f.number("min_p", 0.0, 1.0)) p.min_p = static_cast<float>(*v);
  if (auto v = f.number("presence_penalty", -2.0, 2.0)) p.presence_penalty = static_cast<float>(*v);
  if (auto v = f.number("frequency_penalty", -2.0, 2.0)) {
    p.frequency_penalty = static_cast<float>(*v);
  }
  if (auto v = f.number("repetition_penalty", 0.0, 10.0, /*lo_open=*/true)) {
    p.repetition_penalty = static_cast<float>(*v);
  }
  p.logit_bias = parse_logit_bias(f, limits.vocab_size);
  p.stop = parse_stop(f);
  p.stop_token_ids = parse_stop_token_ids(f, limits.vocab_size);
  if (const auto* v = f.get("seed")) {
    const auto seed = as_integer(*v);
    if (!seed) throw ApiError::invalid("'seed' must be an integer.", "seed");
    p.seed = static_cast<uint64_t>(*seed);
  }
  if (auto v = f.integer("min_tokens", 0, std::numeric_limits<int32_t>::max())) {
    p.min_tokens = static_cast<int>(*v);
  }
  if (auto v = f.boolean("ignore_eos")) p.ignore_eos = *v;
  if (const auto* v = f.get("user"); v && !v->is_string()) {
    throw ApiError::invalid("'user' must be a string.", "user");
  }
}

StreamOptions parse_stream_options(const RequestFields& f) {
  StreamOptions s;
  s.stream = f.boolean("stream").value_or(false);
  if (const auto* v = f.get("stream_options")) {
    if (!s.stream) {
      throw ApiError::invalid("'stream_options' is only allowed when 'stream' is true.",
                              "stream_options");
    }
    if (!v->is_object()) {
      throw ApiError::invalid("'stream_options' must be an object.", "stream_options");
    }
    auto it = v->find("include_usage");
    if (it != v->end() && !it->is_null()) {
      if (!it->is_boolean()) {
        throw ApiError::invalid("'stream_options.include_usage' must be a boolean.",
                                "stream_options.include_usage");
      }
      s.include_usage = it->get<bool>();
    }
  }
  return s;
}

void check_min_tokens(const SamplingParams& p) {
  if (p.min_tokens > p.max_tokens) {
    throw ApiError::invalid("'min_tokens' (" + std::to_string(p.min_tokens) +
                                ") must not exceed 'max_tokens' (" + std::to_string(p.max_tokens) +
                                ").",
                            "min_tokens");
  }
}

}  // namespace mamba::server
