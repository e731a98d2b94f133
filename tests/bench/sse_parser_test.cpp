#include "bench/loadgen/sse_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mamba::bench {
namespace {

std::vector<std::string> parse_in_pieces(const std::string& stream, std::vector<size_t> cuts,
                                         bool* partial = nullptr) {
  SseParser parser;
  std::vector<std::string> events;
  auto collect = [&](std::string_view data) { events.emplace_back(data); };
  size_t from = 0;
  cuts.push_back(stream.size());
  for (size_t cut : cuts) {
    parser.feed(std::string_view(stream).substr(from, cut - from), collect);
    from = cut;
  }
  if (partial) *partial = parser.has_partial_event();
  return events;
}

const std::string kStream =
    ": keep-alive comment\n\n"
    "data: {\"choices\":[{\"text\":\"a\"}]}\n\n"
    "event: message\r\nid: 7\r\ndata: {\"choices\":[{\"text\":\"b\"}]}\r\n\r\n"
    "data:no-space\r\rdata: line1\ndata: line2\n\n"
    "data: [DONE]\n\n";

const std::vector<std::string> kEvents = {"{\"choices\":[{\"text\":\"a\"}]}",
                                          "{\"choices\":[{\"text\":\"b\"}]}", "no-space",
                                          "line1\nline2", "[DONE]"};

TEST(SseParser, WholeStream) {
  EXPECT_EQ(parse_in_pieces(kStream, {}), kEvents);
}

TEST(SseParser, SplitAtEveryByte) {
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    EXPECT_EQ(parse_in_pieces(kStream, {cut}), kEvents) << "cut at " << cut;
  }
}

TEST(SseParser, SplitAtEveryPairOfBytes) {
  for (size_t a = 0; a <= kStream.size(); a += 3) {
    for (size_t b = a; b <= kStream.size(); ++b) {
      ASSERT_EQ(parse_in_pieces(kStream, {a, b}), kEvents) << "cuts at " << a << ", " << b;
    }
  }
}

TEST(SseParser, OneByteAtATime) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < kStream.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(parse_in_pieces(kStream, cuts), kEvents);
}

TEST(SseParser, CrLfSplitBetweenCrAndLfIsOneLineEnding) {
  // If the LF after a CR counted as a second line ending, the blank line would end the event early
  // and "data: b" would come out as an event of its own.
  const std::string stream = "data: a\r\ndata: b\r\n\r\n";
  EXPECT_EQ(parse_in_pieces(stream, {8}), std::vector<std::string>{"a\nb"});
}

TEST(SseParser, UnfinishedEventIsPendingNotDelivered) {
  bool partial = false;
  EXPECT_EQ(parse_in_pieces("data: a\n\ndata: {\"cho", {}, &partial),
            std::vector<std::string>{"a"});
  EXPECT_TRUE(partial);
  EXPECT_EQ(parse_in_pieces("data: a\n\ndata: b\n", {}, &partial), std::vector<std::string>{"a"});
  EXPECT_TRUE(partial);
  EXPECT_EQ(parse_in_pieces("data: a\n\n", {}, &partial), std::vector<std::string>{"a"});
  EXPECT_FALSE(partial);
}

TEST(SseParser, EventsWithoutDataAreNotDelivered) {
  EXPECT_TRUE(parse_in_pieces("event: ping\n\n: comment\n\nretry: 10\n\n", {}).empty());
}

TEST(SseParser, EmptyDataFieldIsAnEmptyEvent) {
  EXPECT_EQ(parse_in_pieces("data\n\ndata:\n\n", {}), (std::vector<std::string>{"", ""}));
}

}  // namespace
}  // namespace mamba::bench
