// `ecom db migrate` and `ecom db status`.
#include <gmock/gmock.h>

#include "cli/cli_test.h"

namespace ecom::cli::testing {
namespace {

using ::testing::HasSubstr;

class DbCommandTest : public CliTest {};

TEST_P(DbCommandTest, StatusOfAnEmptyDatabaseShowsEveryVersionPending) {
  nlohmann::json status = EcomJson({"db", "status"});
  EXPECT_EQ(status["current"], 0);
  EXPECT_GE(status["latest"].get<int>(), 1);
  EXPECT_EQ(status["up_to_date"], false);
  ASSERT_FALSE(status["migrations"].empty());
  for (const auto& m : status["migrations"]) {
    EXPECT_EQ(m["status"], "pending") << m;
    EXPECT_TRUE(m["applied_at"].is_null()) << m;
  }
}

TEST_P(DbCommandTest, MigrateAppliesEveryVersionAndStatusShowsThemApplied) {
  nlohmann::json migrated = EcomJson({"db", "migrate"});
  EXPECT_EQ(migrated["current"], migrated["latest"]);
  EXPECT_FALSE(migrated["applied"].empty());

  nlohmann::json status = EcomJson({"db", "status"});
  EXPECT_EQ(status["up_to_date"], true);
  for (const auto& m : status["migrations"]) {
    EXPECT_EQ(m["status"], "applied") << m;
    EXPECT_TRUE(m["applied_at"].is_string()) << m;
  }
}

TEST_P(DbCommandTest, MigratingTwiceAppliesNothingTheSecondTime) {
  EcomOk({"db", "migrate"});
  nlohmann::json again = EcomJson({"db", "migrate"});
  EXPECT_TRUE(again["applied"].empty());
  EXPECT_THAT(EcomOk({"db", "migrate"}), HasSubstr("up to date"));
}

TEST_P(DbCommandTest, StatusTableListsVersionNameAndState) {
  EcomOk({"db", "migrate"});
  std::string out = EcomOk({"db", "status"});
  EXPECT_THAT(out, HasSubstr("VERSION"));
  EXPECT_THAT(out, HasSubstr("STATUS"));
  EXPECT_THAT(out, HasSubstr("applied"));
  EXPECT_THAT(out, HasSubstr("up to date"));
  EXPECT_EQ(out.find("\033["), std::string::npos) << "no colour when stdout is not a terminal";
}

TEST_P(DbCommandTest, FirstCommandOnAnEmptyDatabaseSetsItUp) {
  RunResult r = Ecom({"product", "list"});
  EXPECT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_EQ(EcomJson({"db", "status"})["up_to_date"], true);
}

ECOM_CLI_INSTANTIATE(DbCommandTest);

}  // namespace
}  // namespace ecom::cli::testing
