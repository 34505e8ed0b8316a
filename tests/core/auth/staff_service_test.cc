// Staff accounts and roles on both stores, and the principals they and API
// keys become.
#include <gmock/gmock.h>

#include <algorithm>

#include "core/auth/auth_fixture.h"
#include "ecom/auth/roles.h"

namespace ecom::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(StaffRolesTest, EveryRoleGrantsOnlyKnownScopes) {
  ASSERT_FALSE(StaffRoles().empty());
  for (const auto& role : StaffRoles()) {
    EXPECT_FALSE(role.scopes.empty()) << role.name;
    for (const auto& scope : role.scopes)
      EXPECT_NE(std::find(KnownScopes().begin(), KnownScopes().end(), scope), KnownScopes().end())
          << role.name << ": " << scope;
  }
}

TEST(StaffRolesTest, TheOwnerHoldsEveryScope) {
  Principal owner{.kind = PrincipalKind::kStaff,
                  .id = "stf_1",
                  .role = "owner",
                  .scopes = FindStaffRole("owner")->scopes};
  for (const auto& scope : KnownScopes()) EXPECT_TRUE(owner.HasScope(scope)) << scope;
}

TEST(StaffRolesTest, OtherRolesHoldTheirScopesOnly) {
  Principal support{.kind = PrincipalKind::kStaff, .scopes = FindStaffRole("support")->scopes};
  EXPECT_TRUE(support.HasScope("customers:read"));
  EXPECT_TRUE(support.HasScope("orders:write"));
  EXPECT_FALSE(support.HasScope("catalog:write"));
  EXPECT_FALSE(support.HasScope("payments:refund"));
  EXPECT_FALSE(support.HasScope("admin"));
  Principal catalog{.kind = PrincipalKind::kStaff,
                    .scopes = FindStaffRole("catalog_manager")->scopes};
  EXPECT_TRUE(catalog.HasScope("catalog:write"));
  EXPECT_TRUE(catalog.HasScope("inventory:read"));
  EXPECT_FALSE(catalog.HasScope("orders:read"));
  EXPECT_FALSE(FindStaffRole("janitor"));
}

TEST(PrincipalTest, AnApiKeyBecomesAPrincipalWithItsScopes) {
  ApiKey key;
  key.id = "key_1";
  key.scopes = {"orders:write"};
  key.expires_at = "2099-01-01T00:00:00.000000Z";
  Principal p = PrincipalFor(key);
  EXPECT_EQ(p.kind, PrincipalKind::kApiKey);
  EXPECT_EQ(p.id, "key_1");
  EXPECT_FALSE(p.session_id);
  EXPECT_EQ(p.expires_at, key.expires_at);
  EXPECT_EQ(p.actor().id, "apikey:key_1");
  // The same scope rule as the key itself.
  for (const auto& scope : KnownScopes())
    EXPECT_EQ(p.HasScope(scope), key.HasScope(scope)) << scope;
}

class StaffServiceTest : public AuthTest {};

TEST_P(StaffServiceTest, CreateListAndFind) {
  StaffMember s = CreateStaff("Sam@Example.com", "support");
  EXPECT_THAT(s.id, StartsWith("stf_"));
  EXPECT_EQ(s.role, "support");
  EXPECT_EQ(s.scopes, FindStaffRole("support")->scopes);
  auto all = staff_.List();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].email, "Sam@Example.com");
  EXPECT_EQ(staff_.Find("sam@example.com")->id, s.id);
  EXPECT_EQ(staff_.Find(s.id)->id, s.id);
  EXPECT_EQ(staff_.Find("nobody@example.com").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Events("staff.created").size(), 1u);
}

TEST_P(StaffServiceTest, AnUnknownRoleNamesTheKnownOnes) {
  auto r = staff_.Create({"sam@example.com", "Sam", "janitor", kPassword});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  ASSERT_EQ(r.error().fields.size(), 1u);
  EXPECT_EQ(r.error().fields[0].field, "role");
  EXPECT_THAT(r.error().fields[0].message, HasSubstr("owner"));
}

TEST_P(StaffServiceTest, EmailsAreUniqueAcrossStaffAndCustomers) {
  CreateStaff("sam@example.com", "owner");
  Register("ann@example.com");
  EXPECT_EQ(staff_.Create({"SAM@example.com", "Sam", "support", kPassword}).error().reason,
            "email_taken");
  EXPECT_EQ(staff_.Create({"ann@example.com", "Ann", "support", kPassword}).error().reason,
            "email_taken");
}

TEST_P(StaffServiceTest, StaffLogInAndHoldTheirRolesScopes) {
  StaffMember s = CreateStaff("sam@example.com", "catalog_manager");
  IssuedSession session = Login("sam@example.com");
  EXPECT_EQ(session.principal.kind, PrincipalKind::kStaff);
  EXPECT_EQ(session.principal.id, s.id);
  auto p = sessions_.Authenticate(session.token);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, PrincipalKind::kStaff);
  EXPECT_EQ(p->role, "catalog_manager");
  EXPECT_TRUE(p->HasScope("catalog:write"));
  EXPECT_FALSE(p->HasScope("orders:read"));
  EXPECT_EQ(p->actor().id, "staff:" + s.id);
}

TEST_P(StaffServiceTest, ADisabledMemberCannotLogInAndTheirSessionsStop) {
  StaffMember s = CreateStaff("sam@example.com", "owner");
  IssuedSession session = Login("sam@example.com");
  auto disabled = staff_.Disable("sam@example.com");
  ASSERT_TRUE(disabled.ok());
  EXPECT_TRUE(disabled->disabled_at);
  EXPECT_EQ(sessions_.Authenticate(session.token).error().reason, "invalid_token");
  EXPECT_EQ(sessions_.Login("sam@example.com", kPassword, kAddr).error().reason,
            "account_disabled");
  // Disabling again keeps the first time.
  clock_->Advance(std::chrono::minutes(1));
  EXPECT_EQ(staff_.Disable(s.id)->disabled_at, disabled->disabled_at);
  EXPECT_EQ(Events("staff.disabled").size(), 1u);
}

TEST_P(StaffServiceTest, StaffPasswordsFollowTheRules) {
  auto r = staff_.Create({"sam@example.com", "Sam", "owner", "short"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().fields[0].field, "password");
}

ECOM_AUTH_INSTANTIATE(StaffServiceTest);

}  // namespace
}  // namespace ecom::auth
