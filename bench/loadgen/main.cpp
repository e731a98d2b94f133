// mamba-bench: measures throughput and latency of an OpenAI-compatible streaming server.

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>

#include "bench/loadgen/bench_run.hpp"
#include "bench/loadgen/report_html.hpp"
#include "bench/loadgen/report_json.hpp"

namespace {

std::atomic<bool> g_interrupted{false};

// The first Ctrl-C ends the run and keeps the reports; a second one kills the process as usual.
void on_interrupt(int) {
  g_interrupted = true;
  std::signal(SIGINT, SIG_DFL);
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "error: cannot write " << path << "\n";
    return false;
  }
  std::cerr << "wrote " << path << "\n";
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mamba::bench;
  Options options;
  try {
    options = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const OptionsError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  if (options.help) {
    std::cout << usage_text();
    return 0;
  }
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGPIPE, SIG_IGN);

  BenchReport report;
  try {
    report = run_benchmark(options, {std::cout, std::cerr, options.progress && isatty(2) == 1},
                           g_interrupted);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  bool written = true;
  if (options.json_path) written &= write_file(*options.json_path, report_json(report).dump(2));
  if (options.html_path) written &= write_file(*options.html_path, report_html(report));

  int succeeded = 0;
  for (const auto& run : report.runs) {
    for (const auto& level : run.levels) succeeded += level.completed;
  }
  if (succeeded == 0) {
    std::cerr << "error: no request succeeded\n";
    return 1;
  }
  return written ? 0 : 1;
}
