#include "bench/loadgen/metrics.hpp"

#include <algorithm>
#include <cmath>

namespace mamba::bench {
namespace {

std::vector<double> to_ms(const std::vector<double>& seconds) {
  std::vector<double> ms;
  ms.reserve(seconds.size());
  for (double s : seconds) ms.push_back(s * 1000.0);
  return ms;
}

// vLLM's peak figures: output chunks and active requests per one-second bucket from the first
// successful request's start.
void peak_rates(const std::vector<const RequestResult*>& ok, LevelMetrics& m) {
  if (ok.empty()) return;
  double first = ok.front()->start_s, last = 0;
  for (const auto* r : ok) {
    first = std::min(first, r->start_s);
    last = std::max(last, r->start_s + r->e2el_s);
  }
  const auto buckets = static_cast<size_t>(std::ceil(last - first)) + 1;
  std::vector<double> tokens(buckets, 0), active(buckets, 0);
  for (const auto* r : ok) {
    double t = r->start_s + r->ttft_s;
    auto add_token = [&](double at) {
      const auto b = static_cast<long long>(at - first);
      if (b >= 0 && static_cast<size_t>(b) < buckets) tokens[b] += 1;
    };
    add_token(t);
    for (double gap : r->itl_s) add_token(t += gap);
    const auto from = static_cast<size_t>(r->start_s - first);
    const auto to = static_cast<size_t>(r->start_s + r->e2el_s - first);
    for (size_t b = from; b <= to && b < buckets; ++b) active[b] += 1;
  }
  m.max_output_tokens_per_s = *std::max_element(tokens.begin(), tokens.end());
  m.max_concurrent_requests = static_cast<int>(*std::max_element(active.begin(), active.end()));
}

}  // namespace

LevelMetrics compute_metrics(const std::vector<RequestResult>& results, double duration_s) {
  LevelMetrics m;
  m.duration_s = duration_s;
  std::vector<double> ttfts, tpots, itls, e2els;
  std::vector<const RequestResult*> ok;
  for (const auto& r : results) {
    if (r.cut_off) {
      ++m.cut_off;
      continue;
    }
    if (!r.success) {
      ++m.failed;
      ++m.failure_reasons[r.error];
      continue;
    }
    ok.push_back(&r);
    ++m.completed;
    m.total_input_tokens += r.prompt_tokens;
    m.total_output_tokens += r.output_tokens;
    if (!r.output_tokens_from_usage) ++m.output_tokens_estimated;
    if (r.output_tokens > 1) tpots.push_back((r.e2el_s - r.ttft_s) / (r.output_tokens - 1));
    ttfts.push_back(r.ttft_s);
    e2els.push_back(r.e2el_s);
    itls.insert(itls.end(), r.itl_s.begin(), r.itl_s.end());
  }
  if (duration_s > 0) {
    m.request_throughput = m.completed / duration_s;
    m.output_throughput = static_cast<double>(m.total_output_tokens) / duration_s;
    m.total_token_throughput =
        static_cast<double>(m.total_input_tokens + m.total_output_tokens) / duration_s;
  }
  peak_rates(ok, m);
  m.ttft_ms = summarize(to_ms(ttfts));
  m.tpot_ms = summarize(to_ms(tpots));
  m.itl_ms = summarize(to_ms(itls));
  m.e2el_ms = summarize(to_ms(e2els));
  return m;
}

}  // namespace mamba::bench
