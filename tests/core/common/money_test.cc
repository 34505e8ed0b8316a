// Money parsing and formatting in each currency's exponent.
#include <gtest/gtest.h>

#include "ecom/common/money.h"

namespace ecom {
namespace {

TEST(MoneyTest, ExponentsFollowIso4217) {
  EXPECT_EQ(CurrencyExponent("USD"), 2);
  EXPECT_EQ(CurrencyExponent("JPY"), 0);
  EXPECT_EQ(CurrencyExponent("KWD"), 3);
  EXPECT_EQ(CurrencyExponent("XYZ"), std::nullopt);
  EXPECT_EQ(CurrencyExponent("usd"), std::nullopt);
}

TEST(MoneyTest, ParsesDecimalsIntoMinorUnits) {
  EXPECT_EQ(*ParseDecimalAmount("25", 2), 2500);
  EXPECT_EQ(*ParseDecimalAmount("25.5", 2), 2550);
  EXPECT_EQ(*ParseDecimalAmount("19.99", 2), 1999);
  EXPECT_EQ(*ParseDecimalAmount("0.001", 3), 1);
  EXPECT_EQ(*ParseDecimalAmount("1500", 0), 1500);
  EXPECT_EQ(*ParseDecimalAmount("64.950", 2), 6495);
}

TEST(MoneyTest, RefusesWhatWouldNeedRounding) {
  auto r = ParseDecimalAmount("19.999", 2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("more than 2 decimal places"), std::string::npos);
}

TEST(MoneyTest, RefusesNonNumbersNegativesAndOverflow) {
  EXPECT_FALSE(ParseDecimalAmount("abc", 2).ok());
  EXPECT_FALSE(ParseDecimalAmount("", 2).ok());
  EXPECT_FALSE(ParseDecimalAmount(".", 2).ok());
  EXPECT_FALSE(ParseDecimalAmount("1.2.3", 2).ok());
  EXPECT_FALSE(ParseDecimalAmount("-5", 2).ok());
  EXPECT_EQ(*ParseDecimalAmount("-5", 2, /*allow_negative=*/true), -500);
  EXPECT_FALSE(ParseDecimalAmount("99999999999999999999", 2).ok());
}

TEST(MoneyTest, FormatsWithTheExponent) {
  EXPECT_EQ(FormatDecimalAmount(2500, 2), "25.00");
  EXPECT_EQ(FormatDecimalAmount(5, 2), "0.05");
  EXPECT_EQ(FormatDecimalAmount(1500, 0), "1500");
  EXPECT_EQ(FormatDecimalAmount(-1234, 3), "-1.234");
}

}  // namespace
}  // namespace ecom
