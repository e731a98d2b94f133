#include "bench/loadgen/options.hpp"

#include <gtest/gtest.h>

namespace mamba::bench {
namespace {

TEST(Options, ParsesTheIssueCommandLine) {
  const Options o = parse_options({"--url",
                                   "http://127.0.0.1:8080",
                                   "--endpoint",
                                   "chat",
                                   "--concurrency",
                                   "1,4,16,64",
                                   "--request-rate",
                                   "2.5",
                                   "--num-requests",
                                   "50",
                                   "--input-len",
                                   "256",
                                   "--output-len",
                                   "64",
                                   "--ignore-eos",
                                   "--seed",
                                   "7",
                                   "--warmup",
                                   "3",
                                   "--json",
                                   "out.json",
                                   "--html",
                                   "out.html",
                                   "--compare",
                                   "http://127.0.0.1:9090",
                                   "--model",
                                   "m",
                                   "--api-key",
                                   "k",
                                   "--timeout",
                                   "30",
                                   "--max-duration",
                                   "600"});
  EXPECT_EQ(o.url, "http://127.0.0.1:8080");
  EXPECT_EQ(o.endpoint, Endpoint::Chat);
  EXPECT_EQ(o.concurrency, (std::vector<int>{1, 4, 16, 64}));
  EXPECT_DOUBLE_EQ(o.request_rate, 2.5);
  EXPECT_EQ(o.num_requests, 50);
  EXPECT_EQ(o.input_len, 256);
  EXPECT_EQ(o.output_len, 64);
  EXPECT_TRUE(o.ignore_eos);
  EXPECT_EQ(o.seed, 7u);
  EXPECT_EQ(o.warmup, 3);
  EXPECT_EQ(o.json_path, "out.json");
  EXPECT_EQ(o.html_path, "out.html");
  EXPECT_EQ(o.compare_url, "http://127.0.0.1:9090");
  EXPECT_EQ(o.model, "m");
  EXPECT_EQ(o.api_key, "k");
  EXPECT_DOUBLE_EQ(o.timeout_s, 30);
  EXPECT_DOUBLE_EQ(o.max_duration_s, 600);
  EXPECT_EQ(requests_for_level(o, 64), 50);
}

TEST(Options, Defaults) {
  const Options o = parse_options({"--url", "http://h:1"});
  EXPECT_EQ(o.endpoint, Endpoint::Completions);
  EXPECT_EQ(o.request_rate, 0.0);
  EXPECT_FALSE(o.num_requests);
  EXPECT_EQ(requests_for_level(o, 1), 16);
  EXPECT_EQ(requests_for_level(o, 64), 256);
  EXPECT_EQ(parse_options({"--url", "http://h:1", "--request-rate", "inf"}).request_rate, 0.0);
}

TEST(Options, BadInputIsAClearError) {
  auto message = [](std::vector<std::string> args) {
    try {
      parse_options(args);
    } catch (const OptionsError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({}).find("--url is required"), std::string::npos);
  EXPECT_NE(message({"--url"}).find("missing value"), std::string::npos);
  EXPECT_NE(message({"--url", "u", "--concurrency", "1,x"}).find("--concurrency"),
            std::string::npos);
  EXPECT_NE(message({"--url", "u", "--concurrency", "0"}).find("--concurrency"), std::string::npos);
  EXPECT_NE(message({"--url", "u", "--request-rate", "-1"}).find("--request-rate"),
            std::string::npos);
  EXPECT_NE(message({"--url", "u", "--request-rate", "fast"}).find("--request-rate"),
            std::string::npos);
  EXPECT_NE(message({"--url", "u", "--endpoint", "embed"}).find("--endpoint"), std::string::npos);
  EXPECT_NE(message({"--url", "u", "--output-len", "12abc"}).find("--output-len"),
            std::string::npos);
  EXPECT_NE(message({"--url", "u", "--frobnicate"}).find("unknown option"), std::string::npos);
  EXPECT_TRUE(parse_options({"--help"}).help);
}

}  // namespace
}  // namespace mamba::bench
