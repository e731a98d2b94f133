#include "bench/loadgen/report_json.hpp"

namespace mamba::bench {
namespace {

using nlohmann::json;

json rate_json(double rate) {
  return rate > 0 ? json(rate) : json("inf");
}

const char* backend_name(Endpoint endpoint) {
  return endpoint == Endpoint::Chat ? "openai-chat" : "openai";
}

}  // namespace

json level_json(const LevelMetrics& level, const ServerRun& run, const Options& options) {
  json j = {
      {"backend", backend_name(options.endpoint)},
      {"base_url", run.url},
      {"model_id", run.model},
      {"num_prompts", level.num_prompts},
      {"request_rate", rate_json(level.request_rate)},
      {"max_concurrency", level.max_concurrency},
      {"cut_off", level.cut_off},
      {"not_sent", level.not_sent},
      {"output_tokens_estimated", level.output_tokens_estimated},
  };
  for (const auto& f : headline_figures()) j[f.key] = f.value(level);
  for (const auto& f : latency_figures()) j[f.key] = f.value(level);
  for (const char* key : {"completed", "failed", "total_input_tokens", "total_output_tokens",
                          "max_concurrent_requests"}) {
    j[key] = static_cast<long long>(j[key].get<double>());
  }
  j["failure_reasons"] = json::object();
  for (const auto& [reason, count] : level.failure_reasons) j["failure_reasons"][reason] = count;
  return j;
}

json report_json(const BenchReport& report) {
  const Options& o = report.options;
  json j = {
      {"tool", "mamba-bench"},
      {"date", report.started_at},
      {"backend", backend_name(o.endpoint)},
      {"endpoint", o.endpoint == Endpoint::Chat ? "/v1/chat/completions" : "/v1/completions"},
      {"input_len", o.input_len},
      {"output_len", o.output_len},
      {"dataset", o.dataset ? json(*o.dataset) : json(nullptr)},
      {"seed", o.seed},
      {"ignore_eos", o.ignore_eos},
      {"temperature", o.temperature},
      {"request_rate", rate_json(o.request_rate)},
      {"warmup", o.warmup},
      {"prompt_source", report.prompt_source},
      {"runs", json::array()},
  };
  for (const auto& run : report.runs) {
    json r = {{"base_url", run.url}, {"model_id", run.model}, {"aborted", run.aborted}};
    r["levels"] = json::array();
    for (const auto& level : run.levels) r["levels"].push_back(level_json(level, run, o));
    j["runs"].push_back(std::move(r));
  }
  if (report.runs.size() == 2) {
    // B/A per level and figure; null where A's figure is zero.
    json comparison = json::array();
    const auto& a = report.runs[0];
    const auto& b = report.runs[1];
    for (size_t i = 0; i < std::min(a.levels.size(), b.levels.size()); ++i) {
      json ratios = json::object();
      for (const auto* figures : {&headline_figures(), &latency_figures()}) {
        for (const auto& f : *figures) {
          const double va = f.value(a.levels[i]), vb = f.value(b.levels[i]);
          ratios[f.key] = va != 0 ? json(vb / va) : json(nullptr);
        }
      }
      comparison.push_back({{"max_concurrency", a.levels[i].max_concurrency},
                            {"a", a.url},
                            {"b", b.url},
                            {"ratio_b_over_a", std::move(ratios)}});
    }
    j["comparison"] = std::move(comparison);
  }
  return j;
}

}  // namespace mamba::bench
