// Secrets never leak: sign-up, login, reset, password change, logout and API
// key flows run against a real ecomd with canary passwords and tokens, then
// the daemon's log, its answers and every text column of every table are
// searched for them. Only digests may be stored.
#include <sodium.h>

#include <set>

#include "daemon_fixture.h"
#include "ecom/auth/password_reset_service.h"

namespace ecom::daemon::testing {
namespace {

using nlohmann::json;

// A recognisable secret no code would produce by chance.
std::string Canary(const std::string& kind) {
  unsigned char bytes[8];
  randombytes_buf(bytes, sizeof bytes);
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return "canary-" + kind + "-" + hex;
}

class LeakTest : public DaemonTest {
 protected:
  // Every text value in the store, one string per column value.
  std::vector<std::string> DumpStore() {
    std::vector<std::string> values;
    auto tx = db().Begin(store::TxMode::kRead);
    bool sqlite = tx->dialect() == store::Dialect::kSqlite;
    std::vector<std::string> tables;
    auto t = tx->Query(sqlite ? "SELECT name FROM sqlite_master WHERE type = 'table'"
                              : "SELECT table_name FROM information_schema.tables "
                                "WHERE table_schema = current_schema()");
    while (t->Next()) tables.push_back(t->Text(0));
    EXPECT_GT(tables.size(), 10u);
    for (const auto& table : tables) {
      std::vector<std::string> columns;
      auto c = tx->Query(sqlite ? "SELECT name FROM pragma_table_info($1)"
                                : "SELECT column_name FROM information_schema.columns "
                                  "WHERE table_schema = current_schema() AND table_name = $1",
                         {table});
      while (c->Next()) columns.push_back(c->Text(0));
      for (const auto& column : columns) {
        auto rows = tx->Query("SELECT CAST(\"" + column + "\" AS TEXT) FROM \"" + table + "\"");
        while (rows->Next())
          if (!rows->IsNull(0)) values.push_back(rows->Text(0));
      }
    }
    return values;
  }

  // The clear reset token of the latest reset event, opened with the key.
  std::string LatestResetToken() {
    auto tx = db().Begin(store::TxMode::kRead);
    auto rows = tx->Query("SELECT payload FROM outbox WHERE type = $1 ORDER BY id DESC",
                          {std::string(auth::kPasswordResetRequested)});
    if (!rows->Next()) return "";
    auto key = auth::ResetTokenKeyFromHex(kTestResetKeyHex);
    auto token = auth::DecryptResetToken(json::parse(rows->Text(0)), *key);
    EXPECT_TRUE(token.ok());
    return token.ok() ? *token : "";
  }

  // Answers that may carry a secret by design: the login that hands out a token.
  std::vector<std::string> bodies_;
  Response Keep(Response r) {
    bodies_.push_back(r.body);
    return r;
  }
};

TEST_P(LeakTest, CanaryPasswordsAndTokensAppearNowhere) {
  // Log everything the daemon can log.
  StopDaemon();
  ASSERT_TRUE(StartDaemon({"--log-level", "trace"}));

  const std::string email = "canary@example.com";
  const std::string password = Canary("password");
  const std::string wrong = Canary("wrong");
  const std::string weak = "cn-" + Canary("w").substr(7, 4);  // too short: refused
  const std::string reset_password = Canary("reset-password");
  const std::string changed_password = Canary("changed-password");
  const std::string forged_token = "es_" + std::string(64, 'c');
  std::set<std::string> secrets = {password,         wrong,        weak,      reset_password,
                                   changed_password, forged_token, admin_key_};

  ASSERT_EQ(Keep(Post("/v1/auth/register",
                      {{"email", "weak@example.com"}, {"password", weak}, {"name", "W"}}, ""))
                .status,
            400);
  ASSERT_EQ(
      Keep(Post("/v1/auth/register", {{"email", email}, {"password", password}, {"name", "C"}}, ""))
          .status,
      201);
  EXPECT_EQ(Keep(Post("/v1/auth/login", {{"email", email}, {"password", wrong}}, "")).status, 401);
  Response login = Post("/v1/auth/login", {{"email", email}, {"password", password}}, "");
  ASSERT_EQ(login.status, 200);
  std::string token = login.json["token"];
  secrets.insert(token);
  EXPECT_EQ(Keep(Get("/v1/me", token)).status, 200);
  EXPECT_EQ(Keep(Get("/v1/me", forged_token)).status, 401);

  // Reset: the token travels only sealed in the event.
  EXPECT_EQ(Keep(Post("/v1/auth/password-reset", {{"email", email}}, "")).status, 202);
  std::string reset = LatestResetToken();
  ASSERT_FALSE(reset.empty());
  secrets.insert(reset);
  EXPECT_EQ(Keep(Post("/v1/auth/password-reset/confirm",
                      {{"token", reset}, {"password", reset_password}}, ""))
                .status,
            204);
  EXPECT_EQ(Keep(Post("/v1/auth/password-reset/confirm",
                      {{"token", reset}, {"password", reset_password}}, ""))
                .status,
            400);  // used up

  Response second = Post("/v1/auth/login", {{"email", email}, {"password", reset_password}}, "");
  ASSERT_EQ(second.status, 200);
  std::string token2 = second.json["token"];
  secrets.insert(token2);
  EXPECT_EQ(Keep(Post("/v1/me/password",
                      {{"current_password", wrong}, {"new_password", changed_password}}, token2))
                .status,
            400);
  EXPECT_EQ(
      Keep(Post("/v1/me/password",
                {{"current_password", reset_password}, {"new_password", changed_password}}, token2))
          .status,
      204);
  EXPECT_EQ(Keep(Post("/v1/auth/logout", json::object(), token2)).status, 204);
  EXPECT_EQ(Keep(Get("/v1/me", token2)).status, 401);

  // API keys: in the header, and (refused) in the URL.
  EXPECT_EQ(Keep(Get("/v1/inventory/NOPE", admin_key_)).status, 404);
  EXPECT_EQ(Keep(Get("/v1/products?access_token=" + admin_key_)).status, 400);
  EXPECT_EQ(Keep(Get("/metrics")).status, 200);

  StopDaemon();  // flushes the log
  std::string log = DaemonLog();
  std::vector<std::string> stored = DumpStore();
  ASSERT_FALSE(stored.empty());
  for (const auto& secret : secrets) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "in the log: " << secret;
    for (const auto& body : bodies_)
      EXPECT_EQ(body.find(secret), std::string::npos) << "in an answer: " << secret;
    for (const auto& value : stored)
      EXPECT_EQ(value.find(secret), std::string::npos) << "in the store: " << secret;
  }
  // The digests that are stored stay out of the log too.
  auto tx = db().Begin(store::TxMode::kRead);
  auto hashes = tx->Query("SELECT password_hash FROM customers WHERE password_hash IS NOT NULL");
  while (hashes->Next()) {
    EXPECT_EQ(hashes->Text(0).rfind("$argon2id$", 0), 0u);
    EXPECT_EQ(log.find(hashes->Text(0)), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, LeakTest, ::testing::ValuesIn(TestStores()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::daemon::testing
