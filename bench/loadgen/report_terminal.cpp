#include "bench/loadgen/report_terminal.hpp"

#include <cstdio>
#include <string>

namespace mamba::bench {
namespace {

std::string centered(const std::string& title, char fill, size_t width = 50) {
  const std::string padded = " " + title + " ";
  if (padded.size() >= width) return padded;
  const size_t left = (width - padded.size()) / 2;
  return std::string(left, fill) + padded + std::string(width - padded.size() - left, fill);
}

std::string format_value(double value, bool integer) {
  char buf[64];
  if (integer) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(value));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f", value);
  }
  return buf;
}

void row(std::ostream& out, const Figure& figure, const LevelMetrics& level) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%-40s %-10s\n", (figure.label + ":").c_str(),
                format_value(figure.value(level), figure.integer).c_str());
  out << buf;
}

const Figure* find_latency(const std::string& key) {
  for (const auto& f : latency_figures()) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

std::string clip(const std::string& text, size_t width) {
  return text.size() <= width ? text : text.substr(0, width - 3) + "...";
}

}  // namespace

void print_level(std::ostream& out, const LevelMetrics& level) {
  out << centered("Serving Benchmark Result", '=') << "\n";
  char buf[128];
  std::snprintf(buf, sizeof buf, "%-40s %-10d\n",
                "Maximum request concurrency:", level.max_concurrency);
  out << buf;
  std::snprintf(buf, sizeof buf, "%-40s %-10s\n",
                "Request rate:", rate_text(level.request_rate).c_str());
  out << buf;
  for (const auto& figure : headline_figures()) row(out, figure, level);
  if (level.cut_off > 0 || level.not_sent > 0) {
    std::snprintf(buf, sizeof buf, "%-40s %-10d\n",
                  "Cut off when the run stopped early:", level.cut_off);
    out << buf;
    std::snprintf(buf, sizeof buf, "%-40s %-10d\n",
                  "Not sent (run stopped early):", level.not_sent);
    out << buf;
  }
  const struct {
    const char* title;
    const char* key;
  } sections[] = {{"Time to First Token", "ttft"},
                  {"Time per Output Token (excl. 1st token)", "tpot"},
                  {"Inter-token Latency", "itl"},
                  {"End-to-end Latency", "e2el"}};
  for (const auto& section : sections) {
    out << centered(section.title, '-') << "\n";
    for (const char* stat : {"mean", "median", "p99"}) {
      row(out, *find_latency(std::string(stat) + "_" + section.key + "_ms"), level);
    }
  }
  out << std::string(50, '=') << "\n";
  if (!level.failure_reasons.empty()) {
    out << "Failure reasons:\n";
    for (const auto& [reason, count] : level.failure_reasons) {
      out << "  " << count << " x " << clip(reason, 160) << "\n";
    }
  }
  if (level.output_tokens_estimated > 0) {
    out << "Note: " << level.output_tokens_estimated
        << " successful requests came without usage; their output tokens are counted as chunks.\n";
  }
}

void print_comparison(std::ostream& out, const ServerRun& a, const ServerRun& b) {
  out << "\nA = " << a.url << " (" << a.model << ")\nB = " << b.url << " (" << b.model << ")\n";
  std::vector<const Figure*> figures;
  for (const auto& f : headline_figures()) figures.push_back(&f);
  for (const auto& f : latency_figures()) {
    if (f.key.rfind("mean_", 0) == 0 || f.key.rfind("median_", 0) == 0 ||
        f.key.rfind("p99_", 0) == 0) {
      figures.push_back(&f);
    }
  }
  const size_t levels = std::min(a.levels.size(), b.levels.size());
  for (size_t i = 0; i < levels; ++i) {
    const LevelMetrics& la = a.levels[i];
    const LevelMetrics& lb = b.levels[i];
    out << centered("Comparison, concurrency " + std::to_string(la.max_concurrency), '=', 78)
        << "\n";
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-40s %12s %12s %10s\n", "", "A", "B", "B/A");
    out << buf;
    for (const Figure* f : figures) {
      const double va = f->value(la), vb = f->value(lb);
      std::string ratio = "-";
      if (va != 0) {
        char r[32];
        std::snprintf(r, sizeof r, "%.2fx", vb / va);
        ratio = r;
      }
      std::snprintf(buf, sizeof buf, "%-40s %12s %12s %10s\n", (f->label + ":").c_str(),
                    format_value(va, f->integer).c_str(), format_value(vb, f->integer).c_str(),
                    ratio.c_str());
      out << buf;
    }
    out << std::string(78, '=') << "\n";
  }
  out << "Ratios are B/A: above 1 is better for B on throughputs, worse on latencies.\n";
}

}  // namespace mamba::bench
