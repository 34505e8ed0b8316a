// `ecom apikey create | list | revoke`.
#include <gmock/gmock.h>

#include "cli/cli_test.h"
#include "ecom/auth/api_key_service.h"

namespace ecom::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class ApiKeyCommandTest : public CliTest {
 protected:
  static std::string AScope() { return auth::KnownScopes().front(); }
};

TEST_P(ApiKeyCommandTest, CreatePrintsTheSecretOnceWithAWarning) {
  RunResult r = Ecom({"apikey", "create", "--name", "deploy", "--scope", AScope(), "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.err;
  nlohmann::json key = nlohmann::json::parse(r.out);
  EXPECT_THAT(key["id"].get<std::string>(), StartsWith("key_"));
  EXPECT_EQ(key["name"], "deploy");
  EXPECT_EQ(key["scopes"], nlohmann::json::array({AScope()}));
  EXPECT_THAT(key["secret"].get<std::string>(), StartsWith("ek_"));
  EXPECT_THAT(r.err, HasSubstr("will not be shown again"));
}

TEST_P(ApiKeyCommandTest, HumanCreateShowsTheSecret) {
  RunResult r = Ecom({"apikey", "create", "--name", "deploy", "--scope", AScope()});
  ASSERT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("secret:"));
  EXPECT_THAT(r.out, HasSubstr("ek_"));
  EXPECT_THAT(r.err, HasSubstr("will not be shown again"));
}

TEST_P(ApiKeyCommandTest, ListShowsKeysButNeverSecrets) {
  nlohmann::json created = EcomJson({"apikey", "create", "--name", "deploy", "--scope", AScope()});
  std::string secret = created["secret"];

  nlohmann::json list = EcomJson({"apikey", "list"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], created["id"]);
  EXPECT_EQ(list[0]["name"], "deploy");
  EXPECT_FALSE(list[0].contains("secret"));
  EXPECT_TRUE(list[0]["revoked_at"].is_null());

  std::string table = EcomOk({"apikey", "list"});
  EXPECT_THAT(table, HasSubstr("deploy"));
  EXPECT_THAT(table, HasSubstr("active"));
  EXPECT_THAT(table, Not(HasSubstr(secret)));
}

TEST_P(ApiKeyCommandTest, CreateTakesSeveralScopesAndAnExpiry) {
  std::vector<std::string> scopes = auth::KnownScopes();
  if (scopes.size() < 2) GTEST_SKIP() << "only one scope is known";
  nlohmann::json key = EcomJson({"apikey", "create", "--name", "ci", "--scope", scopes[0],
                                 "--scope", scopes[1], "--expires", "2099-01-31T00:00:00Z"});
  EXPECT_EQ(key["scopes"].size(), 2u);
  EXPECT_THAT(key["expires_at"].get<std::string>(), StartsWith("2099-01-31T00:00:00"));
}

TEST_P(ApiKeyCommandTest, RevokeByNameMarksTheKeyRevoked) {
  EcomOk({"apikey", "create", "--name", "deploy", "--scope", AScope()});
  EXPECT_THAT(EcomOk({"apikey", "revoke", "deploy"}), HasSubstr("revoked"));
  nlohmann::json list = EcomJson({"apikey", "list"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_TRUE(list[0]["revoked_at"].is_string());
  EXPECT_THAT(EcomOk({"apikey", "list"}), HasSubstr("revoked"));
}

TEST_P(ApiKeyCommandTest, RevokeById) {
  nlohmann::json created = EcomJson({"apikey", "create", "--name", "deploy", "--scope", AScope()});
  nlohmann::json revoked = EcomJson({"apikey", "revoke", created["id"]});
  EXPECT_EQ(revoked["id"], created["id"]);
  EXPECT_TRUE(revoked["revoked_at"].is_string());
}

TEST_P(ApiKeyCommandTest, RevokeUnknownKeyExits3) {
  RunResult r = Ecom({"apikey", "revoke", "nobody"});
  EXPECT_EQ(r.exit_code, kNotFound);
  EXPECT_THAT(r.err, HasSubstr("ecom: "));
}

TEST_P(ApiKeyCommandTest, UnknownScopeIsInvalidInput) {
  RunResult r = Ecom({"apikey", "create", "--name", "x", "--scope", "launch:missiles"});
  EXPECT_EQ(r.exit_code, kInvalidInput);
  EXPECT_THAT(r.err, HasSubstr("launch:missiles"));
  EXPECT_TRUE(EcomJson({"apikey", "list"}).empty());
}

TEST_P(ApiKeyCommandTest, BadExpiryIsAUsageError) {
  RunResult r =
      Ecom({"apikey", "create", "--name", "x", "--scope", AScope(), "--expires", "next tuesday"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("RFC 3339"));
}

TEST_P(ApiKeyCommandTest, ScopeIsRequired) {
  EXPECT_EQ(Ecom({"apikey", "create", "--name", "x"}).exit_code, kUsage);
}

ECOM_CLI_INSTANTIATE(ApiKeyCommandTest);

}  // namespace
}  // namespace ecom::cli::testing
