// `ecom` as a whole: help, usage errors, exit codes and where the database URL
// comes from. These do not depend on the store backend, so they run on SQLite.
#include <gmock/gmock.h>

#include <filesystem>

#include "cli/cli_test.h"

namespace ecom::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class UsageTest : public CliTest {};

TEST_P(UsageTest, HelpListsEveryNounAndTheExitCodes) {
  RunResult r = EcomRaw({"--help"});
  EXPECT_EQ(r.exit_code, kOk);
  for (const char* noun : {"db", "catalog", "product", "stock", "apikey", "staff", "customer"})
    EXPECT_THAT(r.out, HasSubstr(noun));
  EXPECT_THAT(r.out, HasSubstr("Exit codes"));
  EXPECT_THAT(r.out, HasSubstr("65"));
  EXPECT_THAT(r.out, HasSubstr("ECOM_DATABASE_URL"));
}

TEST_P(UsageTest, VerbHelpShowsItsFlagsAndTheGlobalOnes) {
  RunResult r = EcomRaw({"stock", "adjust", "--help"});
  EXPECT_EQ(r.exit_code, kOk);
  EXPECT_THAT(r.out, HasSubstr("--reason"));
  EXPECT_THAT(r.out, HasSubstr("--db"));
  EXPECT_THAT(r.out, HasSubstr("--json"));
  EXPECT_THAT(r.out, HasSubstr("--actor"));
}

TEST_P(UsageTest, NounWithoutVerbShowsItsVerbsAndExits2) {
  RunResult r = EcomRaw({"stock"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("adjust"));
  EXPECT_THAT(r.err, HasSubstr("history"));
}

TEST_P(UsageTest, NoArgumentsShowsHelpAndExits2) {
  RunResult r = EcomRaw({});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("catalog"));
}

TEST_P(UsageTest, UnknownVerbIsAUsageError) {
  RunResult r = Ecom({"stock", "teleport", "SKU-1"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("ecom: 'teleport' is not an ecom stock command"));
  EXPECT_THAT(r.err, HasSubstr("ecom stock --help"));
}

TEST_P(UsageTest, UnknownFlagIsAUsageError) {
  RunResult r = Ecom({"product", "list", "--colour", "red"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("--colour"));
}

TEST_P(UsageTest, MissingPositionalIsAUsageError) {
  RunResult r = Ecom({"stock", "show"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("SKU"));
}

TEST_P(UsageTest, VersionFlagPrintsTheVersion) {
  RunResult r = EcomRaw({"--version"});
  EXPECT_EQ(r.exit_code, kOk);
  EXPECT_THAT(r.out, HasSubstr("ecom "));
}

TEST_P(UsageTest, UnsupportedDatabaseUrlIsAUsageErrorNamingTheUrl) {
  RunResult r = EcomRaw({"db", "status", "--db", "mysql://localhost/shop"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("ecom: "));
  EXPECT_THAT(r.err, HasSubstr("mysql://localhost/shop"));
}

TEST_P(UsageTest, UnreachablePostgresFailsWithExit1AndSaysSo) {
  RunResult r =
      EcomRaw({"db", "status", "--db", "postgresql://ecom@127.0.0.1:1/nowhere?connect_timeout=2"});
  EXPECT_EQ(r.exit_code, kFailure);
  EXPECT_THAT(r.err, HasSubstr("ecom: "));
  EXPECT_THAT(r.err, HasSubstr("127.0.0.1"));
}

TEST_P(UsageTest, UnopenableSqliteFileFailsWithExit1) {
  // A missing folder is made on first use; a regular file in the way is not.
  std::string blocker = WriteFile("not-a-dir", "");
  RunResult r = EcomRaw({"db", "status", "--db", "sqlite://" + blocker + "/x.db"});
  EXPECT_EQ(r.exit_code, kFailure);
  EXPECT_THAT(r.err, HasSubstr("ecom: "));
  EXPECT_THAT(r.err, HasSubstr("x.db"));
}

TEST_P(UsageTest, TheDefaultStoreFolderIsMadeOnFirstUse) {
  RunResult r = EcomRaw({"db", "migrate", "--db", "sqlite://" + (dir() / "var" / "ecom.db").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir() / "var" / "ecom.db"));
}

TEST_P(UsageTest, ConfigFileWithUnknownKeyIsAUsageErrorNamingTheKey) {
  std::string config = WriteFile("ecom.yaml", "database:\n  url: sqlite://a.db\n  colour: blue\n");
  RunResult r = EcomRaw({"db", "status", "--config", config});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("database.colour"));
}

TEST_P(UsageTest, MissingConfigFileIsAUsageError) {
  RunResult r = EcomRaw({"db", "status", "--config", (dir() / "absent.yaml").string()});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("absent.yaml"));
}

TEST_P(UsageTest, BadEnvironmentValueIsAUsageError) {
  RunOptions options;
  options.env["ECOM_SHOP_CURRENCY"] = "DOUBLOONS";
  RunResult r = Ecom({"db", "status"}, options);
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("DOUBLOONS"));
}

TEST_P(UsageTest, UnknownEcomVariableOnlyWarns) {
  RunOptions options;
  options.env["ECOM_SERVICE_HOST"] = "10.0.0.1";
  RunResult r = Ecom({"db", "status"}, options);
  EXPECT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_THAT(r.err, HasSubstr("ECOM_SERVICE_HOST"));
}

// The database URL: default < config file < ECOM_DATABASE_URL < --db.
TEST_P(UsageTest, DatabaseUrlComesFromFlagThenEnvironmentThenConfigFile) {
  namespace fs = std::filesystem;
  std::string config = WriteFile("ecom.yaml", "database:\n  url: sqlite://from-file.db\n");

  EXPECT_EQ(EcomRaw({"db", "migrate", "--config", config}).exit_code, kOk);
  EXPECT_TRUE(fs::exists(dir() / "from-file.db"));

  RunOptions env;
  env.env["ECOM_DATABASE_URL"] = "sqlite://from-env.db";
  EXPECT_EQ(EcomRaw({"db", "migrate", "--config", config}, env).exit_code, kOk);
  EXPECT_TRUE(fs::exists(dir() / "from-env.db"));

  EXPECT_EQ(EcomRaw({"db", "migrate", "--config", config, "--db", "sqlite://from-flag.db"}, env)
                .exit_code,
            kOk);
  EXPECT_TRUE(fs::exists(dir() / "from-flag.db"));
}

TEST_P(UsageTest, GlobalFlagsMayComeBeforeTheNoun) {
  RunResult r = EcomRaw({"--db", store().url(), "--json", "db", "status"});
  EXPECT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"migrations\""));
}

TEST_P(UsageTest, ErrorsGoToStderrWithTheEcomPrefix) {
  RunResult r = Ecom({"stock", "show", "NO-SUCH-SKU"});
  EXPECT_EQ(r.exit_code, kNotFound);
  EXPECT_THAT(r.err, HasSubstr("ecom: "));
  EXPECT_THAT(r.out, Not(HasSubstr("ecom: ")));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, UsageTest, ::testing::Values(Backend::kSqlite), BackendName);

}  // namespace
}  // namespace ecom::cli::testing
