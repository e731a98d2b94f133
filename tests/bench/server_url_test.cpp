#include "bench/loadgen/server_url.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace mamba::bench {
namespace {

TEST(ServerUrl, SplitsOriginAndPrefix) {
  ServerUrl u = parse_server_url("http://127.0.0.1:8080");
  EXPECT_EQ(u.origin, "http://127.0.0.1:8080");
  EXPECT_EQ(u.path("/v1/completions"), "/v1/completions");
  u = parse_server_url("http://127.0.0.1:8080/v1/");
  EXPECT_EQ(u.path("/v1/completions"), "/v1/completions");
  u = parse_server_url("https://example.com/proxy/v1");
  EXPECT_EQ(u.origin, "https://example.com");
  EXPECT_EQ(u.path("/tokenize"), "/proxy/tokenize");
}

TEST(ServerUrl, RejectsWhatItCannotUse) {
  EXPECT_THROW(parse_server_url("127.0.0.1:8080"), std::invalid_argument);
  EXPECT_THROW(parse_server_url("ftp://h:21"), std::invalid_argument);
  EXPECT_THROW(parse_server_url("http://:80"), std::invalid_argument);
  EXPECT_THROW(parse_server_url("http://h:99999"), std::invalid_argument);
  EXPECT_THROW(parse_server_url("http://h:8x"), std::invalid_argument);
  EXPECT_THROW(parse_server_url("http://h:80/?q=1"), std::invalid_argument);
}

}  // namespace
}  // namespace mamba::bench
