// `ecom staff create | list | disable`.
#include <gmock/gmock.h>

#include "cli/cli_test.h"
#include "ecom/auth/session_service.h"
#include "ecom/store/database.h"

namespace ecom::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class StaffCommandTest : public CliTest {
 protected:
  static constexpr const char* kPassword = "staff canary password";

  RunOptions PasswordOnStdin(const std::string& password = kPassword) {
    RunOptions options;
    options.stdin_file = WriteFile("password.txt", password + "\n");
    return options;
  }

  RunResult CreateSam(const std::string& role = "support", std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"staff",  "create",    "--email", "sam@example.com",
                                     "--name", "Sam Staff", "--role",  role};
    args.insert(args.end(), extra.begin(), extra.end());
    return Ecom(args, PasswordOnStdin());
  }

  // Logs in through core, as ecomd will.
  Result<auth::IssuedSession> LogIn(const std::string& email, const std::string& password) {
    auto db = store::Open(store().url());
    auto clock = SystemClock();
    auto hasher = std::make_shared<auth::PasswordHasher>();
    auth::SessionService sessions(*db, clock, MakeIdGenerator(clock), hasher);
    return sessions.Login(email, password, "127.0.0.1");
  }
};

TEST_P(StaffCommandTest, CreateReadsThePasswordFromStdin) {
  RunResult r = CreateSam("catalog_manager", {"--json", "--password-stdin"});
  ASSERT_EQ(r.exit_code, kOk) << r.err;
  nlohmann::json staff = nlohmann::json::parse(r.out);
  EXPECT_THAT(staff["id"].get<std::string>(), StartsWith("stf_"));
  EXPECT_EQ(staff["role"], "catalog_manager");
  EXPECT_EQ(staff["scopes"], nlohmann::json::array({"catalog:read", "catalog:write",
                                                    "inventory:read", "inventory:write"}));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(kPassword)));

  auto session = LogIn("Sam@Example.com", kPassword);
  ASSERT_TRUE(session.ok()) << session.error().message;
  EXPECT_EQ(session->principal.id, staff["id"]);
  EXPECT_TRUE(session->principal.HasScope("catalog:write"));
}

TEST_P(StaffCommandTest, HumanCreateShowsTheRoleAndScopes) {
  RunResult r = CreateSam("owner");
  ASSERT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("role:"));
  EXPECT_THAT(r.out, HasSubstr("owner"));
  EXPECT_THAT(r.out, HasSubstr("admin"));
}

TEST_P(StaffCommandTest, ThePasswordIsNeverAFlag) {
  RunResult r = Ecom({"staff", "create", "--email", "sam@example.com", "--name", "Sam", "--role",
                      "owner", "--password", kPassword});
  EXPECT_EQ(r.exit_code, kUsage);
}

TEST_P(StaffCommandTest, NoPasswordOnStdinIsAUsageError) {
  RunResult r =
      Ecom({"staff", "create", "--email", "sam@example.com", "--name", "Sam", "--role", "owner"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("password"));
  EXPECT_TRUE(EcomJson({"staff", "list"}).empty());
}

TEST_P(StaffCommandTest, AWeakPasswordIsInvalidInputAndNotEchoed) {
  RunResult r =
      Ecom({"staff", "create", "--email", "sam@example.com", "--name", "Sam", "--role", "owner"},
           PasswordOnStdin("tiny-7x"));
  EXPECT_EQ(r.exit_code, kInvalidInput);
  EXPECT_THAT(r.err, HasSubstr("password"));
  EXPECT_THAT(r.err, Not(HasSubstr("tiny-7x")));
}

TEST_P(StaffCommandTest, AnUnknownRoleIsAUsageErrorNamingTheRoles) {
  RunResult r = CreateSam("janitor");
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("janitor"));
  EXPECT_THAT(Ecom({"staff", "create", "--help"}).out, HasSubstr("catalog_manager"));
}

TEST_P(StaffCommandTest, ATakenEmailIsAConflict) {
  ASSERT_EQ(CreateSam().exit_code, kOk);
  RunResult r = CreateSam();
  EXPECT_EQ(r.exit_code, kConflict);
  EXPECT_THAT(r.err, HasSubstr("already exists"));
}

TEST_P(StaffCommandTest, ListShowsMembersButNeverPasswords) {
  ASSERT_EQ(CreateSam().exit_code, kOk);
  nlohmann::json list = EcomJson({"staff", "list"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["email"], "sam@example.com");
  EXPECT_TRUE(list[0]["disabled_at"].is_null());
  EXPECT_FALSE(list[0].contains("password_hash"));
  std::string table = EcomOk({"staff", "list"});
  EXPECT_THAT(table, HasSubstr("sam@example.com"));
  EXPECT_THAT(table, HasSubstr("active"));
  EXPECT_THAT(table + list.dump(), Not(HasSubstr("argon2")));
}

TEST_P(StaffCommandTest, DisableByEmailStopsLogins) {
  ASSERT_EQ(CreateSam().exit_code, kOk);
  EXPECT_THAT(EcomOk({"staff", "disable", "SAM@example.com"}), HasSubstr("disabled"));
  EXPECT_THAT(EcomOk({"staff", "list"}), HasSubstr("disabled"));
  auto session = LogIn("sam@example.com", kPassword);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().reason, "account_disabled");
}

TEST_P(StaffCommandTest, DisableById) {
  nlohmann::json created = nlohmann::json::parse(CreateSam("owner", {"--json"}).out);
  nlohmann::json disabled = EcomJson({"staff", "disable", created["id"]});
  EXPECT_TRUE(disabled["disabled_at"].is_string());
}

TEST_P(StaffCommandTest, DisablingSomeoneUnknownExits3) {
  RunResult r = Ecom({"staff", "disable", "nobody@example.com"});
  EXPECT_EQ(r.exit_code, kNotFound);
  EXPECT_THAT(r.err, HasSubstr("nobody@example.com"));
}

ECOM_CLI_INSTANTIATE(StaffCommandTest);

}  // namespace
}  // namespace ecom::cli::testing
