// Logging in and out, tokens, sliding expiry and the login throttle, on both
// stores.
#include <gmock/gmock.h>

#include "core/auth/auth_fixture.h"

namespace ecom::auth {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

class SessionServiceTest : public AuthTest {
 protected:
  void SetUp() override { ann_ = Register("ann@example.com"); }

  Error LoginError(const std::string& email, const std::string& password,
                   const std::string& addr = kAddr) {
    auto r = sessions_.Login(email, password, addr);
    EXPECT_FALSE(r.ok());
    return r.ok() ? Error{} : r.error();
  }

  void FailLogins(int n, const std::string& email = "ann@example.com",
                  const std::string& addr = kAddr) {
    for (int i = 0; i < n; ++i)
      EXPECT_EQ(LoginError(email, "wrong password", addr).reason, "invalid_credentials")
          << "attempt " << i + 1;
  }

  std::string SessionColumn(const std::string& column, const std::string& id) {
    return Column("SELECT " + column + " FROM sessions WHERE id = $1", id);
  }

  Customer ann_;
};

TEST_P(SessionServiceTest, LoginAnswersATokenForTheCustomer) {
  IssuedSession s = Login("ann@example.com");
  EXPECT_THAT(s.token, MatchesRegex("es_[0-9a-f]{64}"));
  EXPECT_EQ(s.principal.kind, PrincipalKind::kCustomer);
  EXPECT_EQ(s.principal.id, ann_.id);
  EXPECT_TRUE(s.principal.scopes.empty());
  EXPECT_EQ(s.expires_at, FormatTime(clock_->Now() + std::chrono::days(30)));
  EXPECT_EQ(s.principal.actor().id, "customer:" + ann_.id);
}

TEST_P(SessionServiceTest, LoginIgnoresTheEmailsCase) {
  EXPECT_EQ(Login("  ANN@Example.COM ").principal.id, ann_.id);
}

TEST_P(SessionServiceTest, OnlyTheTokensDigestIsStored) {
  IssuedSession s = Login("ann@example.com");
  std::string stored =
      Column("SELECT token_hash FROM sessions WHERE id = $1", *s.principal.session_id);
  EXPECT_THAT(stored, MatchesRegex("[0-9a-f]{64}"));
  EXPECT_THAT(Dump("sessions", 8), Not(HasSubstr(s.token)));
  EXPECT_THAT(Dump("sessions", 8), Not(HasSubstr(s.token.substr(3))));
}

TEST_P(SessionServiceTest, WrongPasswordAndUnknownEmailGiveTheSameError) {
  Error wrong = LoginError("ann@example.com", "wrong password");
  Error unknown = LoginError("nobody@example.com", kPassword);
  EXPECT_EQ(wrong.code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(wrong.reason, "invalid_credentials");
  EXPECT_EQ(wrong.code, unknown.code);
  EXPECT_EQ(wrong.reason, unknown.reason);
  EXPECT_EQ(wrong.message, unknown.message);
  EXPECT_THAT(wrong.message, Not(HasSubstr("ann@example.com")));
}

TEST_P(SessionServiceTest, AuthenticateReturnsThePrincipal) {
  IssuedSession s = Login("ann@example.com");
  auto p = sessions_.Authenticate(s.token);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->kind, PrincipalKind::kCustomer);
  EXPECT_EQ(p->id, ann_.id);
  EXPECT_EQ(p->session_id, s.principal.session_id);
}

TEST_P(SessionServiceTest, GarbageAndUnknownTokensAreInvalid) {
  for (std::string token : {std::string(""), std::string("es_123"), "ek_" + std::string(64, 'a'),
                            "es_" + std::string(64, 'A'), "es_" + std::string(64, 'a')}) {
    auto p = sessions_.Authenticate(token);
    ASSERT_FALSE(p.ok()) << token;
    EXPECT_EQ(p.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(p.error().reason, "invalid_token");
  }
}

TEST_P(SessionServiceTest, ASessionExpiresAfterItsTtlWithoutUse) {
  IssuedSession s = Login("ann@example.com");
  clock_->Advance(std::chrono::days(30));
  EXPECT_EQ(sessions_.Authenticate(s.token).error().reason, "invalid_token");
}

TEST_P(SessionServiceTest, UseSlidesTheExpiryForward) {
  IssuedSession s = Login("ann@example.com");
  clock_->Advance(std::chrono::days(20));
  auto p = sessions_.Authenticate(s.token);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p->expires_at, FormatTime(clock_->Now() + std::chrono::days(30)));
  clock_->Advance(std::chrono::days(20));  // 40 days after login, 20 after last use
  EXPECT_TRUE(sessions_.Authenticate(s.token).ok());
}

TEST_P(SessionServiceTest, UseIsWrittenAtMostOnceAMinute) {
  IssuedSession s = Login("ann@example.com");
  const std::string id = *s.principal.session_id;
  clock_->Advance(minutes(2));
  ASSERT_TRUE(sessions_.Authenticate(s.token).ok());
  std::string used = SessionColumn("last_used_at", id);
  std::string expires = SessionColumn("expires_at", id);
  EXPECT_EQ(used, FormatTime(clock_->Now()));

  clock_->Advance(seconds(59));
  ASSERT_TRUE(sessions_.Authenticate(s.token).ok());
  EXPECT_EQ(SessionColumn("last_used_at", id), used);  // not written again
  EXPECT_EQ(SessionColumn("expires_at", id), expires);

  clock_->Advance(seconds(1));
  ASSERT_TRUE(sessions_.Authenticate(s.token).ok());
  EXPECT_EQ(SessionColumn("last_used_at", id), FormatTime(clock_->Now()));
  EXPECT_GT(SessionColumn("expires_at", id), expires);
}

TEST_P(SessionServiceTest, LogoutRevokesTheSession) {
  IssuedSession s = Login("ann@example.com");
  IssuedSession other = Login("ann@example.com");
  ASSERT_TRUE(sessions_.Logout(s.token).ok());
  EXPECT_EQ(sessions_.Authenticate(s.token).error().reason, "invalid_token");
  EXPECT_EQ(sessions_.Logout(s.token).error().reason, "invalid_token");
  EXPECT_TRUE(sessions_.Authenticate(other.token).ok());
}

TEST_P(SessionServiceTest, FiveFailuresLockTheAccountWithGrowingRetryAfter) {
  FailLogins(5);
  Error locked = LoginError("ann@example.com", kPassword);  // even the right password waits
  EXPECT_EQ(locked.code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(locked.reason, "too_many_attempts");
  ASSERT_TRUE(locked.retry_after);
  EXPECT_EQ(locked.retry_after->count(), 30);

  clock_->Advance(seconds(10));
  EXPECT_EQ(LoginError("ann@example.com", kPassword).retry_after->count(), 20);

  clock_->Advance(seconds(20));
  FailLogins(1);  // the sixth failure locks for twice as long
  EXPECT_EQ(LoginError("ann@example.com", kPassword).retry_after->count(), 60);
  clock_->Advance(seconds(60));
  FailLogins(1);
  EXPECT_EQ(LoginError("ann@example.com", kPassword).retry_after->count(), 120);
}

TEST_P(SessionServiceTest, LockoutsDoubleUpToACap) {
  // Each refusal is waited out, and the next wrong password locks again.
  std::vector<std::int64_t> waits;
  while (waits.size() < 9) {
    auto r = sessions_.Login("ann@example.com", "wrong password", kAddr);
    ASSERT_FALSE(r.ok());
    if (!r.error().retry_after) continue;
    waits.push_back(r.error().retry_after->count());
    clock_->Advance(*r.error().retry_after);
  }
  EXPECT_EQ(waits, (std::vector<std::int64_t>{30, 60, 120, 240, 480, 960, 1920, 3600, 3600}));
}

TEST_P(SessionServiceTest, ASuccessResetsTheAccountsCount) {
  FailLogins(4);
  Login("ann@example.com");
  FailLogins(4);
  EXPECT_TRUE(sessions_.Login("ann@example.com", kPassword, kAddr).ok());
}

TEST_P(SessionServiceTest, FailuresAreForgottenAfterAQuietWindow) {
  FailLogins(4);
  clock_->Advance(minutes(15));
  FailLogins(4);
  EXPECT_TRUE(sessions_.Login("ann@example.com", kPassword, kAddr).ok());
}

TEST_P(SessionServiceTest, UnknownEmailsAreThrottledExactlyLikeKnownOnes) {
  FailLogins(5, "ann@example.com", "198.51.100.1");
  FailLogins(5, "nobody@example.com", "198.51.100.2");
  Error known = LoginError("ann@example.com", kPassword, "198.51.100.3");
  Error unknown = LoginError("nobody@example.com", kPassword, "198.51.100.4");
  EXPECT_EQ(known.code, unknown.code);
  EXPECT_EQ(known.reason, unknown.reason);
  EXPECT_EQ(known.message, unknown.message);
  EXPECT_EQ(known.retry_after, unknown.retry_after);
}

TEST_P(SessionServiceTest, AnOverlongEmailIsThrottledToo) {
  const std::string junk = std::string(5000, 'x') + "@example.com";
  FailLogins(5, junk);
  EXPECT_EQ(LoginError(junk, kPassword).reason, "too_many_attempts");
}

TEST_P(SessionServiceTest, TheClientAddressIsThrottledAcrossAccounts) {
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(LoginError("user" + std::to_string(i) + "@example.com", "wrong password").reason,
              "invalid_credentials");
  Error locked = LoginError("ann@example.com", kPassword);
  EXPECT_EQ(locked.reason, "too_many_attempts");
  EXPECT_TRUE(sessions_.Login("ann@example.com", kPassword, "192.0.2.99").ok());  // another address
}

TEST_P(SessionServiceTest, TheThrottleIsSharedThroughTheStore) {
  FailLogins(5);
  // Another replica: its own services over the same store.
  auto replica_db = store_.OpenMigrated(2);
  SessionService replica(*replica_db, clock_, ids_, hasher_, options_);
  auto r = replica.Login("ann@example.com", kPassword, kAddr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "too_many_attempts");
}

TEST_P(SessionServiceTest, ADisabledCustomerCannotLogInAndTheirSessionsStop) {
  IssuedSession s = Login("ann@example.com");
  ASSERT_TRUE(customers_.Disable(ann_.id).ok());
  Error refused = LoginError("ann@example.com", kPassword);
  EXPECT_EQ(refused.code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(refused.reason, "account_disabled");
  // Only the right password learns that the account is disabled.
  EXPECT_EQ(LoginError("ann@example.com", "wrong password").reason, "invalid_credentials");
  EXPECT_EQ(sessions_.Authenticate(s.token).error().reason, "invalid_token");

  ASSERT_TRUE(customers_.Enable(ann_.id).ok());
  EXPECT_TRUE(sessions_.Authenticate(s.token).ok());
  Login("ann@example.com");
}

TEST_P(SessionServiceTest, LoginRehashesWhenTheParametersRise) {
  std::string before = Column("SELECT password_hash FROM customers WHERE id = $1", ann_.id);
  EXPECT_THAT(before, HasSubstr("t=1"));
  auto stronger = std::make_shared<PasswordHasher>(
      PasswordHashOptions{.opslimit = 2, .memlimit_bytes = 16384, .max_concurrent = 2});
  SessionService upgraded(*db_, clock_, ids_, stronger, options_);

  ASSERT_TRUE(upgraded.Login("ann@example.com", kPassword, kAddr).ok());
  std::string after = Column("SELECT password_hash FROM customers WHERE id = $1", ann_.id);
  EXPECT_NE(after, before);
  EXPECT_THAT(after, HasSubstr("m=16,t=2"));
  EXPECT_FALSE(stronger->NeedsRehash(after));
  ASSERT_TRUE(upgraded.Login("ann@example.com", kPassword, kAddr).ok());
  EXPECT_EQ(Column("SELECT password_hash FROM customers WHERE id = $1", ann_.id), after);
}

TEST_P(SessionServiceTest, AFailedLoginDoesNotRehash) {
  std::string before = Column("SELECT password_hash FROM customers WHERE id = $1", ann_.id);
  auto stronger = std::make_shared<PasswordHasher>(
      PasswordHashOptions{.opslimit = 2, .memlimit_bytes = 16384, .max_concurrent = 2});
  SessionService upgraded(*db_, clock_, ids_, stronger, options_);
  EXPECT_FALSE(upgraded.Login("ann@example.com", "wrong password", kAddr).ok());
  EXPECT_EQ(Column("SELECT password_hash FROM customers WHERE id = $1", ann_.id), before);
}

TEST_P(SessionServiceTest, LoginRecordsTheTimeOnTheAccount) {
  Login("ann@example.com");
  EXPECT_EQ(*customers_.Get(ann_.id)->last_login_at, FormatTime(clock_->Now()));
}

TEST_P(SessionServiceTest, PurgeRemovesLapsedSessionsAndQuietCounters) {
  Login("ann@example.com");
  FailLogins(2, "nobody@example.com");
  clock_->Advance(std::chrono::days(32));
  IssuedSession fresh = Login("ann@example.com");
  auto removed = sessions_.PurgeExpired();
  ASSERT_TRUE(removed.ok());
  EXPECT_GT(*removed, 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sessions"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM auth_throttle"), 0);
  EXPECT_TRUE(sessions_.Authenticate(fresh.token).ok());
}

ECOM_AUTH_INSTANTIATE(SessionServiceTest);

}  // namespace
}  // namespace ecom::auth
