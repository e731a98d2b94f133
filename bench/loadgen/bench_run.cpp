#include "bench/loadgen/bench_run.hpp"

#include <ctime>
#include <numeric>

#include "bench/loadgen/progress.hpp"
#include "bench/loadgen/report_terminal.hpp"
#include "bench/loadgen/runner.hpp"
#include "bench/loadgen/server_api.hpp"

namespace mamba::bench {
namespace {

std::string local_time_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string model_for(const Options& options, const ServerUrl& url) {
  if (options.model) return *options.model;
  try {
    return fetch_model_name(url, options.api_key, options.timeout_s);
  } catch (const ServerError& e) {
    throw ServerError(std::string(e.what()) + "\n(pass --model NAME if the server has no " +
                      "/v1/models)");
  }
}

// All prompts of the run, made once so that a --compare run sends exactly the same ones.
std::vector<Prompt> prepare_prompts(const Options& options, const ServerUrl& url,
                                    const std::string& model, size_t count, RunOutput& output,
                                    std::string& source) {
  std::vector<std::string> dataset;
  if (options.dataset) dataset = load_dataset(*options.dataset);
  TokenCounter counter(url, options.api_key, options.timeout_s, model);
  TokenCountFn count_tokens;
  std::string lengths;
  if (counter.available()) {
    count_tokens = [&counter](const std::string& text) { return counter.count(text); };
    lengths = "token lengths counted by " + url.origin + url.path("/tokenize");
  } else {
    lengths = "token lengths estimated at ~" + std::to_string(kCharsPerTokenEstimate) +
              " characters per token (the server has no /tokenize)";
    output.log << "note: " << url.origin << " has no /tokenize; prompt lengths are estimated at ~"
               << kCharsPerTokenEstimate << " characters per token\n";
  }
  output.log << "preparing " << count << " prompts...\n" << std::flush;
  if (options.dataset) {
    source = "dataset " + *options.dataset + " (" + std::to_string(dataset.size()) + " prompts), " +
             lengths;
    return make_dataset_prompts(dataset, count, count_tokens);
  }
  auto prompts = make_random_prompts(count, options.input_len, options.seed, count_tokens);
  source = "random words from seed " + std::to_string(options.seed) + ", target " +
           std::to_string(options.input_len) + " tokens each, " + lengths;
  if (count_tokens && !prompts.empty()) {
    const double mean = std::accumulate(prompts.begin(), prompts.end(), 0.0,
                                        [](double s, const Prompt& p) { return s + p.tokens; }) /
                        static_cast<double>(prompts.size());
    char buf[64];
    std::snprintf(buf, sizeof buf, " (mean %.1f)", mean);
    source += buf;
  }
  return prompts;
}

ServerRun run_server(const Options& options, const ServerUrl& url, const std::string& model,
                     const std::vector<Prompt>& prompts, RunOutput& output,
                     const std::atomic<bool>& abort) {
  ServerRun run{url.text, model, {}, false};
  RequestSettings settings{
      options.endpoint,    model,           options.output_len, options.ignore_eos,
      options.temperature, options.api_key, options.timeout_s};
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(options.max_duration_s));
  output.log << "benchmarking " << url.text << " (model " << model << ")\n" << std::flush;
  size_t offset = 0;
  auto slice = [&](size_t n) {
    std::vector<Prompt> part(prompts.begin() + offset, prompts.begin() + offset + n);
    offset += n;
    return part;
  };
  if (options.warmup > 0) {
    LevelCounters counters;
    const int concurrency = std::min(options.warmup, options.concurrency.front());
    LevelRun warm;
    {
      ProgressLine progress(output.log, "warmup", counters, output.show_progress);
      warm = run_level(url, settings, slice(options.warmup), {concurrency, 0.0, options.seed},
                       deadline, abort, counters);
    }
    output.log << "warmup: " << counters.succeeded << "/" << options.warmup << " succeeded\n";
  }
  for (size_t i = 0; i < options.concurrency.size(); ++i) {
    const int concurrency = options.concurrency[i];
    const int n = requests_for_level(options, concurrency);
    LevelCounters counters;
    LevelRun level_run;
    {
      ProgressLine progress(output.log, "concurrency " + std::to_string(concurrency), counters,
                            output.show_progress);
      level_run =
          run_level(url, settings, slice(n), {concurrency, options.request_rate, options.seed + i},
                    deadline, abort, counters);
    }
    LevelMetrics metrics = compute_metrics(level_run.results, level_run.duration_s);
    metrics.max_concurrency = concurrency;
    metrics.request_rate = options.request_rate;
    metrics.num_prompts = n;
    metrics.not_sent = static_cast<int>(level_run.not_sent);
    print_level(output.tables, metrics);
    output.tables << std::flush;
    run.levels.push_back(std::move(metrics));
    if (abort.load() || Clock::now() >= deadline) {
      run.aborted = true;
      output.log << "stopped early against " << url.text << ": "
                 << (abort.load() ? "interrupted" : "--max-duration reached") << "\n";
      break;
    }
  }
  return run;
}

}  // namespace

BenchReport run_benchmark(const Options& options, RunOutput output,
                          const std::atomic<bool>& abort) {
  std::vector<ServerUrl> urls = {parse_server_url(options.url)};
  if (options.compare_url) urls.push_back(parse_server_url(*options.compare_url));
  std::vector<std::string> models;
  for (const auto& url : urls) models.push_back(model_for(options, url));

  BenchReport report;
  report.options = options;
  report.started_at = local_time_now();
  size_t count = static_cast<size_t>(options.warmup);
  for (int c : options.concurrency) count += static_cast<size_t>(requests_for_level(options, c));
  const std::vector<Prompt> prompts =
      prepare_prompts(options, urls[0], models[0], count, output, report.prompt_source);

  for (size_t u = 0; u < urls.size() && !abort.load(); ++u) {
    report.runs.push_back(run_server(options, urls[u], models[u], prompts, output, abort));
  }
  if (report.runs.size() == 2) print_comparison(output.tables, report.runs[0], report.runs[1]);
  return report;
}

}  // namespace mamba::bench
