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

TEST(ConfigTest, ListsComeAsYamlSequencesOrCommaSeparatedText) {
  testing::TempDir dir;
  auto file = (dir.path() / "ecom.yaml").string();
  std::ofstream(file) << "http:\n  cors_origins: [https://a.example, https://b.example]\n"
                         "  trusted_proxies:\n    - 10.0.0.0/8\n";
  auto loaded = LoadConfig({.file = file});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->config.http_cors_origins,
            (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_EQ(loaded->config.http_trusted_proxies, (std::vector<std::string>{"10.0.0.0/8"}));

  auto env = LoadConfig({.env = {{"ECOM_HTTP_TRUSTED_PROXIES", "10.0.0.0/8, ::1/128"}}});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->config.http_trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1/128"}));
  EXPECT_FALSE(LoadConfig({.overrides = {{"http.cors_origins", "shop.example"}}}).ok());
}

TEST(ConfigTest, WebhookSecretsComeAsAMappingOrAsPairs) {
  testing::TempDir dir;
  auto file = (dir.path() / "ecom.yaml").string();
  std::ofstream(file) << "payments:\n  webhook_secrets:\n    test: whsec_file\n";
  auto loaded = LoadConfig({.file = file});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->config.payments_webhook_secrets.at("test"), "whsec_file");

  auto env = LoadConfig({.env = {{"ECOM_PAYMENTS_WEBHOOK_SECRETS", "test=one,other=two"}}});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->config.payments_webhook_secrets.size(), 2u);
  EXPECT_EQ(env->config.payments_webhook_secrets.at("other"), "two");
  auto bad = LoadConfig({.overrides = {{"payments.webhook_secrets", "whsec_secret_without_name"}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.find("whsec_secret_without_name"), std::string::npos);
}

TEST(ConfigTest, TheResetKeyMustBe64HexDigitsAndIsNeverEchoed) {
  std::string key(64, 'a');
  auto good = LoadConfig({.env = {{"ECOM_AUTH_RESET_KEY", key}}});
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->config.auth_reset_key, key);
  std::string bad_key = std::string(63, 'a') + "g";
  auto bad = LoadConfig({.env = {{"ECOM_AUTH_RESET_KEY", bad_key}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.find(bad_key), std::string::npos);
}

TEST(ConfigTest, TlsCertificateAndKeyGoTogether) {
  EXPECT_FALSE(LoadConfig({.overrides = {{"http.tls_cert", "/etc/ecom/cert.pem"}}}).ok());
  auto both = LoadConfig({.overrides = {{"http.tls_cert", "/etc/ecom/cert.pem"},
                                        {"http.tls_key", "/etc/ecom/key.pem"}}});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->config.http_tls_key, "/etc/ecom/key.pem");
}

TEST(ConfigTest, EnvNamesFollowTheDottedKey) { EXPECT_EQ(EnvNameFor("database.url"), "ECOM_DATABASE_URL"); }

}  // namespace
}  // namespace ecom
