// Password reset on both stores: the encrypted event, the single-use
// expiring token, and the same answer for unknown emails.
#include <gmock/gmock.h>

#include "core/auth/auth_fixture.h"

namespace ecom::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

class PasswordResetTest : public AuthTest {
 protected:
  void SetUp() override { ann_ = Register("ann@example.com"); }

  // Requests a reset for Ann and reads the token back out of the event, as
  // the notifications relay will.
  std::string RequestAndDecrypt() {
    EXPECT_TRUE(resets_.RequestReset("ann@example.com", kAddr).ok());
    auto events = Events(kPasswordResetRequested);
    EXPECT_FALSE(events.empty());
    if (events.empty()) return "";
    auto token = DecryptResetToken(events.back().payload, TestResetKey());
    EXPECT_TRUE(token.ok());
    return token.ok() ? *token : "";
  }

  Customer ann_;
};

TEST_P(PasswordResetTest, TheEventCarriesTheTokenEncrypted) {
  std::string token = RequestAndDecrypt();
  EXPECT_THAT(token, MatchesRegex("er_[0-9a-f]{64}"));
  auto e = Events(kPasswordResetRequested).back();
  EXPECT_EQ(e.aggregate_id, ann_.id);
  EXPECT_EQ(e.payload["customer_id"], ann_.id);
  EXPECT_EQ(e.payload["email"], "ann@example.com");
  EXPECT_EQ(e.payload["expires_at"], FormatTime(clock_->Now() + std::chrono::hours(1)));
  EXPECT_TRUE(e.payload["encrypted_token"].is_string());
}

TEST_P(PasswordResetTest, TheClearTokenIsNowhereInTheStore) {
  std::string token = RequestAndDecrypt();
  ASSERT_FALSE(token.empty());
  std::string outbox = Dump("outbox", 8);
  EXPECT_THAT(outbox, Not(HasSubstr(token)));
  EXPECT_THAT(outbox, Not(HasSubstr(token.substr(3))));
  std::string resets = Dump("password_resets", 6);
  EXPECT_THAT(resets, Not(HasSubstr(token)));
  EXPECT_THAT(resets, Not(HasSubstr(token.substr(3))));
}

TEST_P(PasswordResetTest, AnotherKeyCannotDecryptTheToken) {
  ASSERT_TRUE(resets_.RequestReset("ann@example.com", kAddr).ok());
  nlohmann::json payload = Events(kPasswordResetRequested).back().payload;
  ResetTokenKey other = TestResetKey();
  other[0] ^= 1;
  EXPECT_EQ(DecryptResetToken(payload, other).error().reason, "undecryptable");
  payload["encrypted_token"] = "bm90IGEgYm94";
  EXPECT_EQ(DecryptResetToken(payload, TestResetKey()).error().reason, "undecryptable");
  EXPECT_EQ(DecryptResetToken(nlohmann::json::object(), TestResetKey()).error().reason,
            "undecryptable");
}

TEST_P(PasswordResetTest, AnUnknownEmailGetsTheSameAnswerAndNoEvent) {
  Status known = resets_.RequestReset("ann@example.com", kAddr);
  Status unknown = resets_.RequestReset("nobody@example.com", kAddr);
  EXPECT_TRUE(known.ok());
  EXPECT_TRUE(unknown.ok());
  EXPECT_EQ(Events(kPasswordResetRequested).size(), 1u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM password_resets"), 1);
}

TEST_P(PasswordResetTest, ConfirmSetsThePasswordAndRevokesEverySession) {
  IssuedSession s = Login("ann@example.com");
  std::string token = RequestAndDecrypt();
  ASSERT_TRUE(resets_.ConfirmReset(token, "a brand new phrase").ok());
  EXPECT_EQ(sessions_.Authenticate(s.token).error().reason, "invalid_token");
  EXPECT_EQ(sessions_.Login("ann@example.com", kPassword, kAddr).error().reason,
            "invalid_credentials");
  EXPECT_TRUE(sessions_.Login("ann@example.com", "a brand new phrase", kAddr).ok());
}

TEST_P(PasswordResetTest, ATokenWorksOnce) {
  std::string token = RequestAndDecrypt();
  ASSERT_TRUE(resets_.ConfirmReset(token, "a brand new phrase").ok());
  Status again = resets_.ConfirmReset(token, "yet another phrase");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(again.error().reason, "invalid_reset_token");
  EXPECT_TRUE(sessions_.Login("ann@example.com", "a brand new phrase", kAddr).ok());
}

TEST_P(PasswordResetTest, ATokenExpiresAfterAnHour) {
  std::string token = RequestAndDecrypt();
  clock_->Advance(std::chrono::hours(1));
  EXPECT_EQ(resets_.ConfirmReset(token, "a brand new phrase").error().reason,
            "invalid_reset_token");
  EXPECT_TRUE(sessions_.Login("ann@example.com", kPassword, kAddr).ok());
}

TEST_P(PasswordResetTest, UsingOneTokenUsesUpTheOthers) {
  std::string first = RequestAndDecrypt();
  std::string second = RequestAndDecrypt();
  ASSERT_TRUE(resets_.ConfirmReset(second, "a brand new phrase").ok());
  EXPECT_EQ(resets_.ConfirmReset(first, "yet another phrase").error().reason,
            "invalid_reset_token");
}

TEST_P(PasswordResetTest, GarbageTokensAndWeakPasswordsAreRefused) {
  EXPECT_EQ(resets_.ConfirmReset("er_nope", "a brand new phrase").error().reason,
            "invalid_reset_token");
  EXPECT_EQ(resets_.ConfirmReset("er_" + std::string(64, 'a'), "a brand new phrase").error().reason,
            "invalid_reset_token");
  std::string token = RequestAndDecrypt();
  Status weak = resets_.ConfirmReset(token, "short");
  EXPECT_EQ(weak.error().reason, "invalid_input");
  EXPECT_TRUE(resets_.ConfirmReset(token, "a brand new phrase").ok());  // still unused
}

TEST_P(PasswordResetTest, AResetClearsTheLoginLock) {
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(sessions_.Login("ann@example.com", "wrong password", "192.0.2.1").ok());
  EXPECT_EQ(sessions_.Login("ann@example.com", kPassword, "192.0.2.2").error().reason,
            "too_many_attempts");
  ASSERT_TRUE(resets_.ConfirmReset(RequestAndDecrypt(), "a brand new phrase").ok());
  EXPECT_TRUE(sessions_.Login("ann@example.com", "a brand new phrase", "192.0.2.2").ok());
}

TEST_P(PasswordResetTest, ADisabledAccountGetsNoResetMail) {
  ASSERT_TRUE(customers_.Disable(ann_.id).ok());
  EXPECT_TRUE(resets_.RequestReset("ann@example.com", kAddr).ok());
  EXPECT_TRUE(Events(kPasswordResetRequested).empty());
}

TEST_P(PasswordResetTest, RequestsAreThrottledPerEmailAlikeForUnknownOnes) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(resets_.RequestReset("ann@example.com", "192.0.2." + std::to_string(i)).ok());
    EXPECT_TRUE(resets_.RequestReset("nobody@example.com", "198.51.100." + std::to_string(i)).ok());
  }
  Status known = resets_.RequestReset("ann@example.com", "192.0.2.9");
  Status unknown = resets_.RequestReset("nobody@example.com", "198.51.100.9");
  ASSERT_FALSE(known.ok());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(known.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(known.error().reason, unknown.error().reason);
  EXPECT_EQ(known.error().message, unknown.error().message);
  EXPECT_EQ(known.error().retry_after, unknown.error().retry_after);
  EXPECT_EQ(Events(kPasswordResetRequested).size(), 3u);
}

TEST_P(PasswordResetTest, RequestsAreThrottledPerClientAddress) {
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(resets_.RequestReset("user" + std::to_string(i) + "@example.com", kAddr).ok());
  Status s = resets_.RequestReset("ann@example.com", kAddr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().reason, "too_many_attempts");
  EXPECT_TRUE(s.error().retry_after);
}

TEST(ResetTokenKeyTest, ReadsSixtyFourHexDigits) {
  auto key = ResetTokenKeyFromHex(std::string(62, '0') + "ff");
  ASSERT_TRUE(key);
  EXPECT_EQ((*key)[31], 0xff);
  EXPECT_FALSE(ResetTokenKeyFromHex(std::string(63, '0')));
  EXPECT_FALSE(ResetTokenKeyFromHex(std::string(64, 'g')));
}

ECOM_AUTH_INSTANTIATE(PasswordResetTest);

}  // namespace
}  // namespace ecom::auth
