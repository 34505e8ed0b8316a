// Configuration: defaults, file, environment and flags, in that order.
#include <gtest/gtest.h>

#include <fstream>

#include "ecom/common/config.h"
#include "support/test_store.h"

namespace ecom {
namespace {

TEST(ConfigTest, DefaultsNeedNoFile) {
  auto loaded = LoadConfig({});
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->config.database_url, "sqlite://var/ecom.db");
  EXPECT_EQ(loaded->config.http_listen, "127.0.0.1:8080");
  EXPECT_EQ(loaded->config.shop_currency, "USD");
}

TEST(ConfigTest, EnvironmentOverridesFileAndFlagsOverrideBoth) {
  testing::TempDir dir;
  auto file = (dir.path() / "ecom.yaml").string();
  std::ofstream(file) << "database:\n  url: sqlite:///from/file.db\nhttp:\n  listen: 0.0.0.0:9000\nshop:\n  currency: EUR\n";
  ConfigSources sources;
  sources.file = file;
  sources.env = {{"ECOM_HTTP_LISTEN", "127.0.0.1:9100"}, {"PATH", "/bin"}};
  sources.overrides = {{"shop.currency", "JPY"}};
  auto loaded = LoadConfig(sources);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->config.database_url, "sqlite:///from/file.db");
  EXPECT_EQ(loaded->config.http_listen, "127.0.0.1:9100");
  EXPECT_EQ(loaded->config.shop_currency, "JPY");
}

TEST(ConfigTest, UnknownFileKeysAreErrorsAllReportedAtOnce) {
  testing::TempDir dir;
  auto file = (dir.path() / "ecom.yaml").string();
  std::ofstream(file) << "database:\n  urll: x\nshop:\n  currency: XYZ\nhttp:\n  threads: many\n";
  auto loaded = LoadConfig({.file = file});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().fields.size(), 3u);
  EXPECT_NE(loaded.error().message.find("database.urll"), std::string::npos);
  EXPECT_NE(loaded.error().message.find("XYZ"), std::string::npos);
}

TEST(ConfigTest, UnknownEnvironmentVariablesOnlyWarn) {
  auto loaded = LoadConfig({.env = {{"ECOM_SERVICE_HOST", "10.0.0.1"}}});
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->warnings.size(), 1u);
  EXPECT_NE(loaded->warnings[0].find("ECOM_SERVICE_HOST"), std::string::npos);
}

TEST(ConfigTest, EnvNamesFollowTheDottedKey) { EXPECT_EQ(EnvNameFor("database.url"), "ECOM_DATABASE_URL"); }

}  // namespace
}  // namespace ecom
