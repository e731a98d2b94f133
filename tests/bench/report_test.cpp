// The JSON and HTML reports of a real (fake-server) run are produced, parse, and carry the keys and
// charts they promise.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/loadgen/bench_run.hpp"
#include "bench/loadgen/report_html.hpp"
#include "bench/loadgen/report_json.hpp"
#include "bench/loadgen/svg_chart.hpp"
#include "fake_sse_server.hpp"

namespace mamba::bench {
namespace {

using testing::Behaviour;
using testing::FakeSseServer;

BenchReport quick_run(FakeSseServer& a, FakeSseServer* b) {
  Options o;
  o.url = a.url();
  if (b) o.compare_url = b->url();
  o.concurrency = {1, 3};
  o.num_requests = 3;
  o.input_len = 16;
  o.output_len = 4;
  o.progress = false;
  std::ostringstream tables, log;
  std::atomic<bool> abort{false};
  return run_benchmark(o, {tables, log, false}, abort);
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Reports, JsonHasTheKeysOfVllmSaveResult) {
  FakeSseServer server({.first_delay_ms = 5,
                        .gap_ms = 5,
                        .behaviours = {Behaviour::Ok, Behaviour::Ok, Behaviour::Http500}});
  const BenchReport report = quick_run(server, nullptr);
  const auto parsed = nlohmann::json::parse(report_json(report).dump(2));
  ASSERT_EQ(parsed["runs"].size(), 1u);
  const auto& levels = parsed["runs"][0]["levels"];
  ASSERT_EQ(levels.size(), 2u);
  for (const char* key :
       {"duration", "completed", "failed", "total_input_tokens", "total_output_tokens",
        "request_throughput", "output_throughput", "max_output_tokens_per_s",
        "total_token_throughput", "max_concurrency", "request_rate", "num_prompts", "model_id"}) {
    EXPECT_TRUE(levels[0].contains(key)) << key;
  }
  for (const char* stat : {"mean_", "median_", "std_", "p99_"}) {
    for (const char* metric : {"ttft_ms", "tpot_ms", "itl_ms", "e2el_ms"}) {
      const std::string key = std::string(stat) + metric;
      EXPECT_TRUE(levels[1].contains(key)) << key;
      EXPECT_TRUE(levels[1][key].is_number()) << key;
    }
  }
  EXPECT_EQ(levels[0]["max_concurrency"], 1);
  EXPECT_EQ(levels[1]["max_concurrency"], 3);
  EXPECT_EQ(levels[0]["request_rate"], "inf");
  // Requests 0,1 ok, 2 fails (level 1); 3,4 ok, 5 fails (level 2).
  EXPECT_EQ(levels[0]["completed"], 2);
  EXPECT_EQ(levels[0]["failed"], 1);
  EXPECT_EQ(levels[0]["total_output_tokens"], 8);
  EXPECT_TRUE(levels[0]["completed"].is_number_integer());
  EXPECT_EQ(levels[0]["failure_reasons"].size(), 1u);
  EXPECT_EQ(parsed["output_len"], 4);
  EXPECT_FALSE(parsed.contains("comparison"));
}

TEST(Reports, HtmlIsSelfContainedWithCharts) {
  FakeSseServer a({.first_delay_ms = 5, .gap_ms = 5, .model = "model-<a>"});
  FakeSseServer b({.first_delay_ms = 5, .gap_ms = 10, .model = "model-b"});
  const BenchReport report = quick_run(a, &b);
  const std::string html = report_html(report);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_EQ(occurrences(html, "<svg"), 6u);  // two throughput and four latency charts
  EXPECT_EQ(occurrences(html, "<svg"), occurrences(html, "</svg>"));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http-equiv"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);             // nothing loaded from elsewhere
  EXPECT_NE(html.find("model-&lt;a&gt;"), std::string::npos);  // names are escaped
  EXPECT_EQ(html.find("model-<a>"), std::string::npos);
  EXPECT_NE(html.find("Comparison (B / A)"), std::string::npos);
  EXPECT_NE(html.find("<polyline"), std::string::npos);

  const auto json = nlohmann::json::parse(report_json(report).dump());
  ASSERT_EQ(json["runs"].size(), 2u);
  ASSERT_EQ(json["comparison"].size(), 2u);
  EXPECT_GT(json["comparison"][0]["ratio_b_over_a"]["mean_itl_ms"].get<double>(), 1.3);
}

TEST(Reports, ChartScalesToTheLargestValue) {
  const std::string svg =
      svg_line_chart("t", "ms", {"1", "4"}, {{"s", "#000", false, {10.0, 120.0}}});
  EXPECT_NE(svg.find(">125<"), std::string::npos);  // ticks 0, 25, ..., 125 cover 120
  EXPECT_EQ(svg.find(">150<"), std::string::npos);
  EXPECT_EQ(escape_html("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

}  // namespace
}  // namespace mamba::bench
