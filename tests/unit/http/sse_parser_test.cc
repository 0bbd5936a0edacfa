// Reading server-sent events as the daemon writes them, and as any conforming server may.
#include "http/sse_parser.h"

#include <gtest/gtest.h>

#include <vector>

namespace medic::http {
namespace {

std::vector<SseEvent> parse(const std::vector<std::string>& lines) {
  SseParser p;
  std::vector<SseEvent> out;
  for (const auto& l : lines) {
    if (auto e = p.feedLine(l)) out.push_back(*e);
  }
  return out;
}

TEST(SseParser, AnEventEndsAtABlankLineWithItsIdAndData) {
  auto events = parse({"id: 41", "data: {\"type\":\"recovered\"}", "", "id: 42", "data: {}", ""});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "{\"type\":\"recovered\"}");
  EXPECT_EQ(events[0].id, 41);
  EXPECT_EQ(events[1].id, 42);
}

TEST(SseParser, DataLinesJoinAndCrLfEndingsAndCommentsAreHandled) {
  auto events = parse({": keep-alive\r", "data: a\r", "data:b\r", "data\r", "\r"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a\nb\n");
  EXPECT_FALSE(events[0].id.has_value());
}

TEST(SseParser, BlankLinesWithoutDataAndUnknownFieldsGiveNothing) {
  EXPECT_TRUE(parse({"", "", ": comment", "", "event: ping", "retry: 5", ""}).empty());
  // An id alone does not make an event, and does not leak into the next one.
  auto events = parse({"id: 7", "", "data: x", ""});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].id.has_value());
}

TEST(SseParser, ABadIdIsDroppedNotGuessed) {
  auto events = parse({"id: 12abc", "data: x", "", "identity: 3", "data: y", ""});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[0].id.has_value());
  EXPECT_FALSE(events[1].id.has_value()) << "'identity:' is another field, not an id";
}

}  // namespace
}  // namespace medic::http
