#include "bench/loadgen/report_html.hpp"

#include <cstdio>
#include <sstream>

#include "bench/loadgen/svg_chart.hpp"

namespace mamba::bench {
namespace {

const char* kColors[] = {"#1f77b4", "#d62728"};

std::string format_value(double v, bool integer) {
  char buf[64];
  std::snprintf(buf, sizeof buf, integer ? "%.0f" : "%.2f", v);
  return buf;
}

std::string run_name(const ServerRun& run, size_t index, size_t runs) {
  if (runs == 1) return run.model;
  return std::string(index == 0 ? "A: " : "B: ") + run.model;
}

std::vector<std::string> level_labels(const BenchReport& report) {
  std::vector<std::string> labels;
  if (!report.runs.empty()) {
    for (const auto& level : report.runs[0].levels) {
      labels.push_back(std::to_string(level.max_concurrency));
    }
  }
  return labels;
}

std::string throughput_chart(const BenchReport& report, const std::string& title,
                             const std::string& unit, double (*value)(const LevelMetrics&)) {
  std::vector<ChartSeries> series;
  for (size_t r = 0; r < report.runs.size(); ++r) {
    ChartSeries s{run_name(report.runs[r], r, report.runs.size()), kColors[r % 2], false, {}};
    for (const auto& level : report.runs[r].levels) s.values.push_back(value(level));
    series.push_back(std::move(s));
  }
  return svg_line_chart(title, unit, level_labels(report), series);
}

std::string latency_chart(const BenchReport& report, const std::string& name,
                          Summary LevelMetrics::*metric) {
  std::vector<ChartSeries> series;
  for (size_t r = 0; r < report.runs.size(); ++r) {
    const std::string who = run_name(report.runs[r], r, report.runs.size());
    ChartSeries median{who + " median", kColors[r % 2], false, {}};
    ChartSeries p99{who + " P99", kColors[r % 2], true, {}};
    for (const auto& level : report.runs[r].levels) {
      median.values.push_back((level.*metric).median);
      p99.values.push_back((level.*metric).p99);
    }
    series.push_back(std::move(median));
    series.push_back(std::move(p99));
  }
  return svg_line_chart(name + " median and P99", name + " (ms)", level_labels(report), series);
}

void figures_table(std::ostringstream& html, const ServerRun& run) {
  html << "<table><tr><th>concurrency</th>";
  for (const auto& level : run.levels) html << "<th>" << level.max_concurrency << "</th>";
  html << "</tr>\n";
  auto row = [&](const Figure& f) {
    html << "<tr><td>" << escape_html(f.label) << "</td>";
    for (const auto& level : run.levels) {
      html << "<td>" << format_value(f.value(level), f.integer) << "</td>";
    }
    html << "</tr>\n";
  };
  for (const auto& f : headline_figures()) row(f);
  for (const auto& f : latency_figures()) {
    if (f.key.rfind("std_", 0) != 0) row(f);
  }
  html << "</table>\n";
  for (const auto& level : run.levels) {
    if (level.failure_reasons.empty()) continue;
    html << "<p>Failures at concurrency " << level.max_concurrency << ":</p><ul>";
    for (const auto& [reason, count] : level.failure_reasons) {
      html << "<li>" << count << " &times; <code>" << escape_html(reason) << "</code></li>";
    }
    html << "</ul>\n";
  }
}

void comparison_table(std::ostringstream& html, const ServerRun& a, const ServerRun& b) {
  const size_t levels = std::min(a.levels.size(), b.levels.size());
  html << "<h2>Comparison (B / A)</h2>\n<table><tr><th>concurrency</th>";
  for (size_t i = 0; i < levels; ++i) html << "<th>" << a.levels[i].max_concurrency << "</th>";
  html << "</tr>\n";
  for (const auto* figures : {&headline_figures(), &latency_figures()}) {
    for (const auto& f : *figures) {
      if (f.key.rfind("std_", 0) == 0) continue;
      html << "<tr><td>" << escape_html(f.label) << "</td>";
      for (size_t i = 0; i < levels; ++i) {
        const double va = f.value(a.levels[i]), vb = f.value(b.levels[i]);
        if (va == 0) {
          html << "<td>-</td>";
          continue;
        }
        const double ratio = vb / va;
        const bool better = f.higher_is_better ? ratio > 1.0 : ratio < 1.0;
        html << "<td class=\""
             << (ratio == 1.0 ? ""
                 : better     ? "better"
                              : "worse")
             << "\">" << format_value(ratio, false) << "&times;</td>";
      }
      html << "</tr>\n";
    }
  }
  html << "</table>\n<p>Green: B is better on that figure; red: B is worse.</p>\n";
}

}  // namespace

std::string report_html(const BenchReport& report) {
  const Options& o = report.options;
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
       << "<title>mamba-bench report</title>\n<style>\n"
       << "body{font-family:sans-serif;margin:24px;color:#222}"
       << "table{border-collapse:collapse;margin:8px 0 16px}"
       << "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
       << "td:first-child{text-align:left}.better{background:#dfd}.worse{background:#fdd}"
       << ".charts{display:flex;flex-wrap:wrap;gap:12px}\n</style></head><body>\n";
  html << "<h1>mamba-bench report</h1>\n<p>" << escape_html(report.started_at) << " &middot; "
       << (o.endpoint == Endpoint::Chat ? "/v1/chat/completions" : "/v1/completions")
       << " &middot; request rate " << escape_html(rate_text(o.request_rate))
       << " &middot; output length " << o.output_len << (o.ignore_eos ? " (ignore_eos)" : "")
       << " &middot; seed " << o.seed << "</p>\n<p>Prompts: " << escape_html(report.prompt_source)
       << "</p>\n<ul>";
  for (size_t r = 0; r < report.runs.size(); ++r) {
    const auto& run = report.runs[r];
    html << "<li>" << escape_html(run_name(run, r, report.runs.size())) << " at <code>"
         << escape_html(run.url) << "</code>"
         << (run.aborted ? " (stopped early: time limit or interrupt)" : "") << "</li>";
  }
  html << "</ul>\n<div class=\"charts\">\n";
  html << throughput_chart(report, "Output token throughput", "tok/s",
                           [](const LevelMetrics& m) { return m.output_throughput; });
  html << throughput_chart(report, "Request throughput", "req/s",
                           [](const LevelMetrics& m) { return m.request_throughput; });
  html << latency_chart(report, "TTFT", &LevelMetrics::ttft_ms);
  html << latency_chart(report, "TPOT", &LevelMetrics::tpot_ms);
  html << latency_chart(report, "ITL", &LevelMetrics::itl_ms);
  html << latency_chart(report, "E2EL", &LevelMetrics::e2el_ms);
  html << "</div>\n";
  for (size_t r = 0; r < report.runs.size(); ++r) {
    html << "<h2>" << escape_html(run_name(report.runs[r], r, report.runs.size())) << " &middot; "
         << escape_html(report.runs[r].url) << "</h2>\n";
    figures_table(html, report.runs[r]);
  }
  if (report.runs.size() == 2) comparison_table(html, report.runs[0], report.runs[1]);
  html << "<p>TTFT: send to first output chunk. TPOT: (E2EL - TTFT) / (output tokens - 1). "
       << "ITL: gaps between output chunks. E2EL: send to last output chunk. Definitions of "
       << "vLLM's <code>bench serve</code>.</p>\n</body></html>\n";
  return html.str();
}

}  // namespace mamba::bench
