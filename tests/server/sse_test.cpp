// SSE framing of the server and the strict reader the integration tests rely on.
#include <gtest/gtest.h>

#include "server/sse.hpp"
#include "tests/server/sse_reader.hpp"

namespace mamba::server {
namespace {

TEST(Sse, EventFraming) {
  EXPECT_EQ(sse_event({{"a", "x\ny"}}), "data: {\"a\":\"x\\ny\"}\n\n");
  EXPECT_EQ(sse_done(), "data: [DONE]\n\n");
  // Invalid UTF-8 never makes serialization throw.
  EXPECT_NO_THROW(sse_event({{"t", std::string("\xe2\x82")}}));
}

TEST(Sse, StrictReaderAcceptsServerOutput) {
  const auto s =
      testing::parse_sse_strict(sse_event({{"i", 1}}) + sse_event({{"i", 2}}) + sse_done());
  ASSERT_EQ(s.payloads.size(), 3u);
  EXPECT_EQ(s.events()[1]["i"], 2);
}

TEST(Sse, StrictReaderRejectsBadFraming) {
  EXPECT_THROW(testing::parse_sse_strict("data: {}\n\n"), std::runtime_error);  // no [DONE]
  EXPECT_THROW(testing::parse_sse_strict("data: {}\ndata: [DONE]\n\n"), std::runtime_error);
  EXPECT_THROW(testing::parse_sse_strict("event: x\n\ndata: [DONE]\n\n"), std::runtime_error);
  EXPECT_THROW(testing::parse_sse_strict("data: [DONE]\n\ndata: {}\n\n"), std::runtime_error);
  EXPECT_THROW(testing::parse_sse_strict("data: {bad\n\ndata: [DONE]\n\n"), std::exception);
}

}  // namespace
}  // namespace mamba::server
