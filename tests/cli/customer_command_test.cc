// `ecom customer list | show | disable | enable`.
#include <gmock/gmock.h>

#include "cli/cli_test.h"
#include "ecom/auth/customer_service.h"
#include "ecom/store/database.h"

namespace ecom::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CustomerCommandTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (IsSkipped()) return;
    EcomOk({"db", "migrate"});
  }

  // Customers register through ecomd; the tests register them through core.
  std::string RegisterCustomer(const std::string& email, const std::string& name = "Ann Example") {
    auto db = store::Open(store().url());
    auto clock = SystemClock();
    auto hasher = std::make_shared<auth::PasswordHasher>(
        auth::PasswordHashOptions{.opslimit = 1, .memlimit_bytes = 8192, .max_concurrent = 1});
    auth::CustomerService customers(*db, clock, MakeIdGenerator(clock), hasher);
    auto c = customers.Register({email, "customer canary password", name}, "127.0.0.1");
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? c->id : "";
  }
};

TEST_P(CustomerCommandTest, ListShowsCustomersNewestFirst) {
  std::string ann = RegisterCustomer("ann@example.com");
  std::string bob = RegisterCustomer("bob@example.com", "Bob");
  nlohmann::json page = EcomJson({"customer", "list"});
  ASSERT_EQ(page["items"].size(), 2u);
  EXPECT_EQ(page["items"][0]["id"], bob);
  EXPECT_EQ(page["items"][1]["id"], ann);
  EXPECT_TRUE(page["next_cursor"].is_null());
  std::string table = EcomOk({"customer", "list"});
  EXPECT_THAT(table, HasSubstr("ann@example.com"));
  EXPECT_THAT(table, HasSubstr("active"));
  EXPECT_THAT(table + page.dump(), Not(HasSubstr("argon2")));
  EXPECT_THAT(table + page.dump(), Not(HasSubstr("canary")));
}

TEST_P(CustomerCommandTest, ListPagesWithACursor) {
  for (int i = 0; i < 3; ++i) RegisterCustomer("user" + std::to_string(i) + "@example.com");
  RunResult first = Ecom({"customer", "list", "--limit", "2"});
  ASSERT_EQ(first.exit_code, kOk) << first.err;
  EXPECT_THAT(first.err, HasSubstr("--cursor"));
  nlohmann::json page = EcomJson({"customer", "list", "--limit", "2"});
  ASSERT_TRUE(page["next_cursor"].is_string());
  nlohmann::json rest =
      EcomJson({"customer", "list", "--limit", "2", "--cursor", page["next_cursor"]});
  EXPECT_EQ(rest["items"].size(), 1u);
  EXPECT_EQ(EcomJson({"customer", "list", "--limit", "2", "--all"})["items"].size(), 3u);
}

TEST_P(CustomerCommandTest, ShowByEmailInAnyCase) {
  std::string ann = RegisterCustomer("ann@example.com");
  nlohmann::json shown = EcomJson({"customer", "show", "ANN@example.com"});
  EXPECT_EQ(shown["id"], ann);
  EXPECT_EQ(shown["status"], "active");
  EXPECT_THAT(EcomOk({"customer", "show", ann}), HasSubstr("ann@example.com"));
}

TEST_P(CustomerCommandTest, ShowSomeoneUnknownExits3) {
  RunResult r = Ecom({"customer", "show", "nobody@example.com"});
  EXPECT_EQ(r.exit_code, kNotFound);
  EXPECT_THAT(r.err, HasSubstr("nobody@example.com"));
}

TEST_P(CustomerCommandTest, DisableAndEnable) {
  std::string ann = RegisterCustomer("ann@example.com");
  EXPECT_THAT(EcomOk({"customer", "disable", "ann@example.com"}), HasSubstr("disabled"));
  EXPECT_EQ(EcomJson({"customer", "show", ann})["status"], "disabled");
  EXPECT_EQ(EcomJson({"customer", "list", "--status", "disabled"})["items"].size(), 1u);
  EXPECT_EQ(EcomJson({"customer", "list", "--status", "active"})["items"].size(), 0u);
  EXPECT_EQ(EcomJson({"customer", "enable", ann})["status"], "active");
}

TEST_P(CustomerCommandTest, AnUnknownStatusIsAUsageError) {
  EXPECT_EQ(Ecom({"customer", "list", "--status", "sleepy"}).exit_code, kUsage);
}

ECOM_CLI_INSTANTIATE(CustomerCommandTest);

}  // namespace
}  // namespace ecom::cli::testing
