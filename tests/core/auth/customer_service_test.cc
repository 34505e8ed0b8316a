// Customer accounts on both stores: registration, profile, password change,
// erasure, the address book and the staff's list, disable and enable.
#include <gmock/gmock.h>

#include "core/auth/auth_fixture.h"

namespace ecom::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class CustomerServiceTest : public AuthTest {
 protected:
  static AddressInput Home() {
    AddressInput a;
    a.name = "Ann Example";
    a.line1 = "1 Main Street";
    a.city = "Berlin";
    a.postal_code = "10115";
    a.country = "de";
    return a;
  }

  Address AddHome(const std::string& customer_id) {
    auto a = customers_.AddAddress(customer_id, Home());
    EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().message);
    return a.ok() ? *a : Address{};
  }
};

TEST_P(CustomerServiceTest, RegisterCreatesAnActiveCustomer) {
  Customer c = Register("Ann@Example.com", kPassword, " Ann Example ");
  EXPECT_THAT(c.id, StartsWith("cus_"));
  EXPECT_EQ(c.email, "Ann@Example.com");
  EXPECT_EQ(c.name, "Ann Example");
  EXPECT_EQ(c.status, CustomerStatus::kActive);
  auto registered = Events("customer.registered");
  ASSERT_EQ(registered.size(), 1u);
  EXPECT_EQ(registered[0].aggregate_id, c.id);
}

TEST_P(CustomerServiceTest, TheStoredPasswordIsAnArgon2idHash) {
  Customer c = Register("ann@example.com");
  std::string hash = Column("SELECT password_hash FROM customers WHERE id = $1", c.id);
  EXPECT_THAT(hash, StartsWith("$argon2id$"));
  EXPECT_THAT(hash, Not(HasSubstr(kPassword)));
}

TEST_P(CustomerServiceTest, RegisteringATakenEmailInAnyCaseIsEmailTaken) {
  Register("ann@example.com");
  auto again = customers_.Register({"ANN@example.COM", "another password", "Impostor"}, kAddr);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().reason, "email_taken");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM customers"), 1);
}

TEST_P(CustomerServiceTest, AStaffEmailCannotBeRegisteredAsACustomer) {
  CreateStaff("boss@example.com", "owner");
  auto r = customers_.Register({"Boss@example.com", kPassword, "Boss"}, kAddr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "email_taken");
}

TEST_P(CustomerServiceTest, RegisterReportsEveryBadFieldAndNeverThePassword) {
  auto r = customers_.Register({"not-an-email", "short", ""}, kAddr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& f : r.error().fields) {
    fields.push_back(f.field);
    EXPECT_THAT(f.message, Not(HasSubstr("short")));
  }
  EXPECT_THAT(fields, ElementsAre("email", "name", "password"));
}

TEST_P(CustomerServiceTest, RegistrationIsThrottledPerClientAddress) {
  for (int i = 0; i < 10; ++i) Register("user" + std::to_string(i) + "@example.com");
  auto r = customers_.Register({"late@example.com", kPassword, "Late"}, kAddr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  ASSERT_TRUE(r.error().retry_after);
  EXPECT_EQ(r.error().retry_after->count(), 60);
  EXPECT_TRUE(customers_.Register({"late@example.com", kPassword, "Late"}, "192.0.2.1").ok());
}

TEST_P(CustomerServiceTest, TakenEmailAnswersCountAgainstTheAddressToo) {
  Register("ann@example.com");
  for (int i = 0; i < 9; ++i)
    EXPECT_EQ(customers_.Register({"ann@example.com", kPassword, "Ann"}, kAddr).error().reason,
              "email_taken");
  EXPECT_EQ(customers_.Register({"ann@example.com", kPassword, "Ann"}, kAddr).error().reason,
            "too_many_attempts");
}

TEST_P(CustomerServiceTest, UpdateChangesNameAndEmail) {
  Customer c = Register("ann@example.com");
  auto updated = customers_.Update(c.id, {.name = "Ann B. Example", .email = "ann.b@example.com"});
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->name, "Ann B. Example");
  EXPECT_EQ(updated->email, "ann.b@example.com");
  EXPECT_TRUE(sessions_.Login("ann.b@example.com", kPassword, kAddr).ok());
  EXPECT_EQ(sessions_.Login("ann@example.com", kPassword, kAddr).error().reason,
            "invalid_credentials");
  EXPECT_EQ(Events("customer.updated").size(), 1u);
}

TEST_P(CustomerServiceTest, UpdatingToSomeoneElsesEmailIsEmailTaken) {
  Customer ann = Register("ann@example.com");
  Register("bob@example.com", kPassword, "Bob");
  auto r = customers_.Update(ann.id, {.email = "BOB@example.com"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "email_taken");
  // Changing only the case of one's own email is fine.
  EXPECT_TRUE(customers_.Update(ann.id, {.email = "Ann@Example.com"}).ok());
}

TEST_P(CustomerServiceTest, ChangingThePasswordRevokesEveryOtherSession) {
  Customer c = Register("ann@example.com");
  IssuedSession mine = Login("ann@example.com");
  IssuedSession phone = Login("ann@example.com");
  ASSERT_TRUE(
      customers_.ChangePassword(c.id, *mine.principal.session_id, kPassword, "a new secret phrase")
          .ok());
  EXPECT_TRUE(sessions_.Authenticate(mine.token).ok());
  EXPECT_EQ(sessions_.Authenticate(phone.token).error().reason, "invalid_token");
  EXPECT_EQ(sessions_.Login("ann@example.com", kPassword, kAddr).error().reason,
            "invalid_credentials");
  EXPECT_TRUE(sessions_.Login("ann@example.com", "a new secret phrase", kAddr).ok());
}

TEST_P(CustomerServiceTest, ChangingThePasswordNeedsTheCurrentOne) {
  Customer c = Register("ann@example.com");
  IssuedSession mine = Login("ann@example.com");
  Status s = customers_.ChangePassword(c.id, *mine.principal.session_id, "not my password",
                                       "a new secret phrase");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().reason, "wrong_password");
  EXPECT_THAT(s.error().message, Not(HasSubstr("not my password")));
  EXPECT_TRUE(sessions_.Login("ann@example.com", kPassword, kAddr).ok());
}

TEST_P(CustomerServiceTest, WrongCurrentPasswordsFeedTheLoginThrottle) {
  Customer c = Register("ann@example.com");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(
        customers_.ChangePassword(c.id, "", "guess " + std::to_string(i), "a new secret phrase")
            .error()
            .reason,
        "wrong_password");
  EXPECT_EQ(customers_.ChangePassword(c.id, "", kPassword, "a new secret phrase").error().reason,
            "too_many_attempts");
}

TEST_P(CustomerServiceTest, DeletingTheAccountErasesPersonalDataAndKeepsTheRow) {
  Customer c = Register("ann@example.com");
  AddHome(c.id);
  IssuedSession s = Login("ann@example.com");
  ASSERT_TRUE(customers_.Delete(c.id).ok());

  auto kept = customers_.Get(c.id);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->status, CustomerStatus::kDeleted);
  EXPECT_FALSE(kept->email);
  EXPECT_EQ(kept->name, "");
  EXPECT_TRUE(kept->deleted_at);
  EXPECT_EQ(Column("SELECT password_hash FROM customers WHERE id = $1", c.id), "");
  EXPECT_THAT(Dump("customers", 10), Not(HasSubstr("ann@example.com")));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM customer_addresses"), 0);
  EXPECT_EQ(sessions_.Authenticate(s.token).error().reason, "invalid_token");
  EXPECT_EQ(sessions_.Login("ann@example.com", kPassword, kAddr).error().reason,
            "invalid_credentials");
  EXPECT_EQ(Events("customer.deleted").size(), 1u);
  EXPECT_EQ(customers_.Delete(c.id).error().code, ErrorCode::kNotFound);
  // The email is free again.
  EXPECT_NE(Register("ann@example.com").id, c.id);
}

TEST_P(CustomerServiceTest, AddressesAreKeptNormalised) {
  Customer c = Register("ann@example.com");
  Address a = AddHome(c.id);
  EXPECT_THAT(a.id, StartsWith("adr_"));
  EXPECT_EQ(a.country, "DE");
  auto listed = customers_.ListAddresses(c.id);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].line1, "1 Main Street");
}

TEST_P(CustomerServiceTest, ABadAddressNamesEachField) {
  Customer c = Register("ann@example.com");
  AddressInput bad;
  bad.country = "Germany";
  auto r = customers_.AddAddress(c.id, bad);
  ASSERT_FALSE(r.ok());
  std::vector<std::string> fields;
  for (const auto& f : r.error().fields) fields.push_back(f.field);
  EXPECT_THAT(fields, ElementsAre("name", "line1", "city", "country"));
}

TEST_P(CustomerServiceTest, AnotherCustomersAddressIsNotFound) {
  Customer ann = Register("ann@example.com");
  Customer bob = Register("bob@example.com", kPassword, "Bob");
  Address home = AddHome(ann.id);

  EXPECT_EQ(customers_.GetAddress(bob.id, home.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(customers_.ReplaceAddress(bob.id, home.id, Home()).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(customers_.DeleteAddress(bob.id, home.id).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(customers_.ListAddresses(bob.id)->empty());
  // The same answer as for an address that does not exist at all.
  EXPECT_EQ(customers_.GetAddress(bob.id, home.id).error().message,
            customers_.GetAddress(bob.id, "adr_nothing").error().message);
  EXPECT_TRUE(customers_.GetAddress(ann.id, home.id).ok());
}

TEST_P(CustomerServiceTest, ReplaceAndDeleteAnAddress) {
  Customer c = Register("ann@example.com");
  Address home = AddHome(c.id);
  AddressInput moved = Home();
  moved.line1 = "2 Side Street";
  clock_->Advance(std::chrono::seconds(5));
  auto replaced = customers_.ReplaceAddress(c.id, home.id, moved);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->line1, "2 Side Street");
  EXPECT_EQ(replaced->created_at, home.created_at);
  EXPECT_GT(replaced->updated_at, home.updated_at);
  ASSERT_TRUE(customers_.DeleteAddress(c.id, home.id).ok());
  EXPECT_EQ(customers_.GetAddress(c.id, home.id).error().code, ErrorCode::kNotFound);
}

TEST_P(CustomerServiceTest, AnAddressBookHasALimit) {
  Customer c = Register("ann@example.com");
  for (int i = 0; i < 50; ++i) AddHome(c.id);
  auto r = customers_.AddAddress(c.id, Home());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(r.error().reason, "too_many_addresses");
}

TEST_P(CustomerServiceTest, ListPagesNewestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Register("user" + std::to_string(i) + "@example.com").id);
    clock_->Advance(std::chrono::milliseconds(1));
  }
  auto first = customers_.List({.limit = 2});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].id, ids[4]);
  EXPECT_EQ(first->items[1].id, ids[3]);
  ASSERT_TRUE(first->next_cursor);
  auto second = customers_.List({.limit = 2, .cursor = *first->next_cursor});
  EXPECT_EQ(second->items[0].id, ids[2]);
  auto last = customers_.List({.limit = 2, .cursor = *second->next_cursor});
  ASSERT_EQ(last->items.size(), 1u);
  EXPECT_FALSE(last->next_cursor);
  EXPECT_EQ(customers_.List({.cursor = "garbage"}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(customers_.List({.limit = 0}).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(CustomerServiceTest, ListFiltersByStatus) {
  Register("ann@example.com");
  Customer bob = Register("bob@example.com", kPassword, "Bob");
  ASSERT_TRUE(customers_.Disable(bob.id).ok());
  auto disabled = customers_.List({.status = CustomerStatus::kDisabled});
  ASSERT_EQ(disabled->items.size(), 1u);
  EXPECT_EQ(disabled->items[0].id, bob.id);
}

TEST_P(CustomerServiceTest, FindByIdOrEmailInAnyCase) {
  Customer c = Register("ann@example.com");
  EXPECT_EQ(customers_.Find(c.id)->id, c.id);
  EXPECT_EQ(customers_.Find("ANN@EXAMPLE.COM")->id, c.id);
  EXPECT_EQ(customers_.Find("nobody@example.com").error().code, ErrorCode::kNotFound);
}

TEST_P(CustomerServiceTest, DisableAndEnableEmitEventsOnlyOnChange) {
  Customer c = Register("ann@example.com");
  EXPECT_EQ(customers_.Disable("ann@example.com")->status, CustomerStatus::kDisabled);
  EXPECT_EQ(customers_.Disable(c.id)->status, CustomerStatus::kDisabled);
  EXPECT_EQ(Events("customer.disabled").size(), 1u);
  EXPECT_EQ(customers_.Enable(c.id)->status, CustomerStatus::kActive);
  EXPECT_EQ(Events("customer.enabled").size(), 1u);
}

TEST_P(CustomerServiceTest, ADeletedAccountCannotBeEnabled) {
  Customer c = Register("ann@example.com");
  ASSERT_TRUE(customers_.Delete(c.id).ok());
  EXPECT_EQ(customers_.Enable(c.id).error().reason, "account_deleted");
}

ECOM_AUTH_INSTANTIATE(CustomerServiceTest);

}  // namespace
}  // namespace ecom::auth
