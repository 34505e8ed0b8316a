// Secrets never leak: after every flow runs with canary values, no error a
// caller saw and no outbox row holds a password, a hash or a token.
#include <gmock/gmock.h>

#include "core/auth/auth_fixture.h"

namespace ecom::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class SecretsTest : public AuthTest {
 protected:
  // Remembers what an error would show its caller.
  template <typename T>
  void Seen(const Result<T>& r) {
    if (r.ok()) return;
    shown_ += r.error().reason + " " + r.error().message + "\n";
    for (const auto& f : r.error().fields) shown_ += f.field + " " + f.message + "\n";
  }

  std::string shown_;
};

TEST_P(SecretsTest, NoErrorAndNoEventCarriesASecret) {
  const std::string password = "canary-password-7f3a";
  const std::string new_password = "canary-new-password-91c2";
  const std::string weak = "tiny-7x";

  Customer c = Register("ann@example.com", password);
  Seen(customers_.Register({"ann@example.com", password, "Ann"}, kAddr));
  Seen(customers_.Register({"bob@example.com", weak, "Bob"}, kAddr));
  Seen(sessions_.Login("ann@example.com", new_password, kAddr));
  Seen(sessions_.Login("nobody@example.com", password, kAddr));
  IssuedSession s = Login("ann@example.com", password);
  Seen(sessions_.Authenticate(s.token + "0"));
  Seen(customers_.ChangePassword(c.id, *s.principal.session_id, new_password, weak));
  Seen(customers_.ChangePassword(c.id, *s.principal.session_id, new_password, new_password));
  ASSERT_TRUE(
      customers_.ChangePassword(c.id, *s.principal.session_id, password, new_password).ok());
  ASSERT_TRUE(resets_.RequestReset("ann@example.com", kAddr).ok());
  std::string reset_token =
      *DecryptResetToken(Events(kPasswordResetRequested).back().payload, TestResetKey());
  Seen(resets_.ConfirmReset(reset_token, weak));
  ASSERT_TRUE(resets_.ConfirmReset(reset_token, password).ok());
  Seen(resets_.ConfirmReset(reset_token, password));
  CreateStaff("sam@example.com", "owner", password);
  Seen(staff_.Create({"sam2@example.com", "Sam", "owner", weak}));
  IssuedSession later = Login("ann@example.com", password);
  ASSERT_TRUE(sessions_.Logout(later.token).ok());
  Seen(sessions_.Logout(later.token));
  for (int i = 0; i < 6; ++i)
    Seen(sessions_.Login("ann@example.com", weak + std::to_string(i), kAddr));

  std::string hash = Column("SELECT password_hash FROM customers WHERE id = $1", c.id);
  std::string outbox = Dump("outbox", 8);
  for (const std::string& secret : {password, new_password, weak, s.token, s.token.substr(3),
                                    later.token, reset_token, reset_token.substr(3), hash}) {
    EXPECT_THAT(shown_, Not(HasSubstr(secret)));
    EXPECT_THAT(outbox, Not(HasSubstr(secret)));
  }
  EXPECT_FALSE(shown_.empty());
}

ECOM_AUTH_INSTANTIATE(SecretsTest);

}  // namespace
}  // namespace ecom::auth
