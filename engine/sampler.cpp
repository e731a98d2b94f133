#include "engine/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mamba {

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

int32_t argmax(std::span<const float> v) {
  return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

double log_sum_exp(std::span<const float> v, float max) {
  double s = 0.0;
  for (float x : v) s += x == kNegInf ? 0.0 : std::exp(static_cast<double>(x) - max);
  return std::log(s) + max;
}
}  // namespace

bool TokenHistory::seen(int32_t id) const {
  return generated_counts.count(id) > 0 ||
         std::binary_search(prompt_unique.begin(), prompt_unique.end(), id);
}

void apply_logit_processors(std::span<float> logits, const SamplingParams& p, const TokenHistory& h,
                            std::span<const int32_t> banned) {
  const int vocab = static_cast<int>(logits.size());
  for (const auto& [id, bias] : p.logit_bias) {
    if (id >= 0 && id < vocab) logits[id] += bias;
  }
  if (p.repetition_penalty != 1.0f) {
    auto penalise = [&](int32_t id) {
      if (id < 0 || id >= vocab) return;
      float& l = logits[id];
      l = l > 0 ? l / p.repetition_penalty : l * p.repetition_penalty;
    };
    for (int32_t id : h.prompt_unique) penalise(id);
    for (const auto& [id, count] : h.generated_counts) {
      if (!std::binary_search(h.prompt_unique.begin(), h.prompt_unique.end(), id)) penalise(id);
    }
  }
  if (p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f) {
    for (const auto& [id, count] : h.generated_counts) {
      if (id >= 0 && id < vocab) logits[id] -= p.frequency_penalty * count + p.presence_penalty;
    }
  }
  for (int32_t id : banned) {
    if (id >= 0 && id < vocab) logits[id] = kNegInf;
  }
}

int32_t sample_token(std::span<float> logits, const SamplingParams& p, std::mt19937_64& rng,
                     std::vector<std::pair<float, int32_t>>& cand) {
  if (p.temperature <= 0.0f) return argmax(logits);
  const float max = *std::max_element(logits.begin(), logits.end());
  // Candidates with their probabilities (unnormalised), most likely first when truncating.
  cand.clear();
  for (size_t i = 0; i < logits.size(); ++i) {
    if (logits[i] == kNegInf) continue;
    cand.emplace_back(std::exp((logits[i] - max) / p.temperature), static_cast<int32_t>(i));
  }
  const bool truncate =
      (p.top_k > 0 && p.top_k < static_cast<int>(cand.size())) || p.top_p < 1.0f || p.min_p > 0.0f;
  if (truncate) {
    auto by_prob = [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    };
    size_t keep = cand.size();
    if (p.top_k > 0 && p.top_k < static_cast<int>(keep)) {
      std::partial_sort(cand.begin(), cand.begin() + p.top_k, cand.end(), by_prob);
      keep = p.top_k;
    } else {
      std::sort(cand.begin(), cand.end(), by_prob);
    }
    if (p.min_p > 0.0f) {
      const float floor = p.min_p * cand[0].first;  // relative to the most likely token
      size_t k = 1;
      while (k < keep && cand[k].first >= floor) ++k;
      keep = k;
    }
    if (p.top_p < 1.0f) {
      double total = 0.0;
      for (size_t i = 0; i < keep; ++i) total += cand[i].first;
      double cum = 0.0;
      size_t k = 0;
      while (k < keep) {
        cum += cand[k].first;
        ++k;
        if (cum >= p.top_p * total) break;
      }
      keep = k;
    }
    cand.resize(keep);
  }
  double total = 0.0;
  for (const auto& c : cand) total += c.first;
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng) * total;
  double cum = 0.0;
  for (const auto& c : cand) {
    cum += c.first;
    if (u < cum) return c.second;
  }
  return cand.back().second;
}

TokenLogprob token_logprob(std::span<const float> logits, int32_t chosen, int top_n) {
  const float max = *std::max_element(logits.begin(), logits.end());
  const double lse = log_sum_exp(logits, max);
  TokenLogprob out;
  out.token = chosen;
  out.logprob = static_cast<float>(logits[chosen] - lse);
  if (top_n > 0) {
    std::vector<int32_t> idx(logits.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int32_t>(i);
    const size_t n = std::min<size_t>(top_n, idx.size());
    std::partial_sort(idx.begin(), idx.begin() + n, idx.end(), [&](int32_t a, int32_t b) {
      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
    for (size_t i = 0; i < n; ++i)
      out.top.emplace_back(idx[i], static_cast<float>(logits[idx[i]] - lse));
  }
  return out;
}

}  // namespace mamba
