#include "core/duration.h"

#include <gtest/gtest.h>

namespace medic {
namespace {

TEST(ParseDuration, AcceptsEveryUnitAndCombinations) {
  EXPECT_EQ(parseDuration("500ms"), Millis(500));
  EXPECT_EQ(parseDuration("10s"), Millis(10'000));
  EXPECT_EQ(parseDuration("1.5s"), Millis(1'500));
  EXPECT_EQ(parseDuration("5m"), Millis(300'000));
  EXPECT_EQ(parseDuration("1h30m"), Millis(5'400'000));
  EXPECT_EQ(parseDuration("2d"), Millis(172'800'000));
  EXPECT_EQ(parseDuration("0s"), Millis(0));
}

TEST(ParseDuration, RejectsWhatIsNotADuration) {
  EXPECT_FALSE(parseDuration(""));
  EXPECT_FALSE(parseDuration("10"));       // no unit: never guessed
  EXPECT_FALSE(parseDuration("ten s"));
  EXPECT_FALSE(parseDuration("-5s"));
  EXPECT_FALSE(parseDuration("10 s"));
  EXPECT_FALSE(parseDuration("5s1m"));     // units out of order
  EXPECT_FALSE(parseDuration("1w"));
}

TEST(FormatDuration, RoundTrips) {
  for (const char* text : {"500ms", "1.5s", "10s", "10m", "2h", "3d"}) {
    auto d = parseDuration(text);
    ASSERT_TRUE(d) << text;
    EXPECT_EQ(formatDuration(*d), text);
  }
}

}  // namespace
}  // namespace medic
