// Raw card numbers in request bodies: what is flagged, what is not, and what
// the answer may say.
#include "ecom/payments/card_numbers.h"

#include <gmock/gmock.h>

namespace ecom::payments {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

const std::vector<std::string> kIdentifiers = {"token", "idempotency_key"};

std::optional<std::string> Find(const json& body) { return FindCardNumber(body, kIdentifiers); }

TEST(PassesLuhnTest, AcceptsTestCardNumbers) {
  EXPECT_TRUE(PassesLuhn("4242424242424242"));
  EXPECT_TRUE(PassesLuhn("4000056655665556"));
  EXPECT_TRUE(PassesLuhn("378282246310005"));
}

TEST(PassesLuhnTest, RejectsAWrongCheckDigitAndNonDigits) {
  EXPECT_FALSE(PassesLuhn("4242424242424241"));
  EXPECT_FALSE(PassesLuhn("4000056655665557"));
  EXPECT_FALSE(PassesLuhn("4242 4242 4242 4242"));
  EXPECT_FALSE(PassesLuhn(""));
}

TEST(LooksLikeCardNumberTest, AcceptsGroupedAndPaddedNumbers) {
  EXPECT_TRUE(LooksLikeCardNumber("4242 4242 4242 4242"));
  EXPECT_TRUE(LooksLikeCardNumber("4242-4242-4242-4242"));
  EXPECT_TRUE(LooksLikeCardNumber(" 4111 1111 1111 1111 "));
  EXPECT_TRUE(LooksLikeCardNumber("3782 822463 10005"));
}

TEST(LooksLikeCardNumberTest, OnlyThirteenToNineteenDigitsCount) {
  // 12 and 20 digit runs that pass Luhn, and the shortest and longest that do.
  EXPECT_TRUE(PassesLuhn("424242424242"));
  EXPECT_FALSE(LooksLikeCardNumber("424242424242"));
  EXPECT_TRUE(PassesLuhn("42424242424242424242"));
  EXPECT_FALSE(LooksLikeCardNumber("42424242424242424242"));
  EXPECT_TRUE(LooksLikeCardNumber("4222222222222"));
  EXPECT_TRUE(LooksLikeCardNumber("4242424242424242428"));
}

TEST(LooksLikeCardNumberTest, FreeTextAndOtherCharactersAreNeverFlagged) {
  // The whole value must be the number: text around it means it is a note,
  // not a card field, and refusing notes would be worse than missing them.
  EXPECT_FALSE(LooksLikeCardNumber("call 4242 4242 4242 4242 now"));
  EXPECT_FALSE(LooksLikeCardNumber("4242424242424242x"));
  EXPECT_FALSE(LooksLikeCardNumber("+4242424242424242"));
  EXPECT_FALSE(LooksLikeCardNumber("4242.4242.4242.4242"));
  EXPECT_FALSE(LooksLikeCardNumber("4242424242424241"));
  EXPECT_FALSE(LooksLikeCardNumber(" - - "));
}

TEST(FindCardNumberTest, FindsANestedStringAndNamesItsPath) {
  json body = {{"payment", {{"number", "4242 4242 4242 4242"}, {"exp", "12/30"}}}};
  EXPECT_THAT(Find(body), Optional(std::string("payment.number")));
}

TEST(FindCardNumberTest, PathsIncludeArrayIndexes) {
  json body = {
      {"lines",
       json::array({{{"note", "gift"}}, {{"note", "red"}}, {{"note", "4000-0566-5566-5556"}}})}};
  EXPECT_THAT(Find(body), Optional(std::string("lines[2].note")));
  EXPECT_THAT(Find(json::array({"a", "378282246310005"})), Optional(std::string("[1]")));
  EXPECT_THAT(Find(json("4242424242424242")), Optional(std::string("")));
}

TEST(FindCardNumberTest, FindsNumericValues) {
  EXPECT_THAT(Find(json::parse(R"({"card": 4242424242424242})")), Optional(std::string("card")));
  EXPECT_THAT(Find(json::parse(R"({"card": {"pan": 4242424242424242.0}})")),
              Optional(std::string("card.pan")));
  EXPECT_EQ(Find(json::parse(R"({"card": 4242424242424241, "qty": 2, "price": 12.5})")),
            std::nullopt);
}

TEST(FindCardNumberTest, ReturnsTheFirstMatchInDocumentOrder) {
  json body = {{"a", {{"x", "4242424242424242"}}}, {"b", "4000056655665556"}};
  EXPECT_THAT(Find(body), Optional(std::string("a.x")));
}

TEST(FindCardNumberTest, SkipsDeclaredIdentifierFields) {
  json body = {{"token", "4242424242424242"},
               {"idempotency_key", 4242424242424242},
               {"payment", {{"token", "4000056655665556"}}}};
  EXPECT_EQ(Find(body), std::nullopt);
  // Only the named members: the same value elsewhere is still a card number.
  body["payment"]["note"] = "4000056655665556";
  EXPECT_THAT(Find(body), Optional(std::string("payment.note")));
  EXPECT_THAT(FindCardNumber({{"token", "4242424242424242"}}, {}), Optional(std::string("token")));
}

TEST(FindCardNumberTest, ElementsOfAnIdentifierArrayAreIdentifiersToo) {
  EXPECT_EQ(Find({{"token", json::array({"4242424242424242"})}}), std::nullopt);
  EXPECT_THAT(Find({{"token", {{"pan", "4242424242424242"}}}}), Optional(std::string("token.pan")));
}

TEST(FindCardNumberTest, IgnoresShortAndLongRunsFreeTextAndOtherTypes) {
  json body = {{"phone", "4242 4242 4242"},
               {"reference", "42424242424242424242"},
               {"note", "call 4242 4242 4242 4242 now"},
               {"paid", true},
               {"coupon", nullptr},
               {"qty", 424242424242}};
  EXPECT_EQ(Find(body), std::nullopt);
}

TEST(FindCardNumberTest, AKeyThatIsACardNumberIsFlaggedWithoutQuotingIt) {
  json body = {{"payment", {{"4242424242424242", "visa"}}}};
  auto path = Find(body);
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(*path, "payment.*");
  EXPECT_THAT(*path, Not(HasSubstr("4242")));
}

TEST(FindCardNumberTest, DeepNestingDoesNotExhaustTheStack) {
  std::string text(200000, '[');
  text += "4242424242424242";
  text += std::string(200000, ']');
  auto path = Find(json::parse(text));
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(path->size(), 200000u * 3);
}

}  // namespace
}  // namespace ecom::payments
