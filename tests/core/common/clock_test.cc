// Time formatting and id generation.
#include <gtest/gtest.h>

#include <set>

#include "ecom/common/clock.h"
#include "support/test_store.h"

namespace ecom {
namespace {

TEST(ClockTest, FormatsAndParsesRfc3339) {
  TimePoint t;
  ASSERT_TRUE(ParseTime("2026-11-27T11:13:46.123456Z", &t));
  EXPECT_EQ(FormatTime(t), "2026-11-27T11:13:46.123456Z");
  ASSERT_TRUE(ParseTime("2026-01-02T03:04:05Z", &t));
  EXPECT_EQ(FormatTime(t), "2026-01-02T03:04:05.000000Z");
  EXPECT_FALSE(ParseTime("2026-13-02T03:04:05Z", &t));
  EXPECT_FALSE(ParseTime("yesterday", &t));
}

TEST(IdGeneratorTest, IdsArePrefixedAndStrictlyIncreasingWithinAMillisecond) {
  auto clock = std::make_shared<testing::FakeClock>();
  auto ids = MakeIdGenerator(clock);
  std::string last;
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    std::string id = ids->Next("prod");
    ASSERT_EQ(id.rfind("prod_", 0), 0u);
    ASSERT_EQ(id.size(), 31u);
    ASSERT_GT(id, last);
    last = id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(IdGeneratorTest, LaterTimeSortsLater) {
  auto clock = std::make_shared<testing::FakeClock>();
  auto ids = MakeIdGenerator(clock);
  std::string first = ids->Next("x");
  clock->Advance(std::chrono::milliseconds(1));
  EXPECT_GT(ids->Next("x"), first);
}

}  // namespace
}  // namespace ecom
