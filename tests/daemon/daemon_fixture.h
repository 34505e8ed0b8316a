// A real ecomd for API tests: started as a child process on port 0 over a
// fresh store (a temp SQLite file, or a fresh PostgreSQL schema when
// ECOM_TEST_PG_URL is set), with API keys made through core beforehand.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ecom/auth/api_key_service.h"
#include "ecom/auth/customer_service.h"
#include "ecom/auth/password_hasher.h"
#include "ecom/auth/session_service.h"
#include "ecom/auth/staff_service.h"
#include "ecom/common/clock.h"
#include "ecom/inventory/inventory_service.h"
#include "ecom/store/database.h"

namespace ecom::daemon::testing {

// One HTTP exchange, read back.
struct Response {
  int status = 0;  // 0: no response (connection failed)
  std::string body;
  httplib::Headers headers;
  nlohmann::json json;  // the body parsed, or discarded when it is not JSON

  std::string Header(const std::string& name) const;
};

// A request to send: method, path, optional JSON or raw body, headers.
struct Request {
  std::string method = "GET";
  std::string path = "/";
  std::string token = "";  // sent as Authorization: Bearer <token> when not empty
  std::optional<nlohmann::json> json = std::nullopt;
  std::optional<std::string> raw_body = std::nullopt;
  std::string content_type = "application/json";
  httplib::Headers headers = {};
};

// The auth.reset_key every test daemon runs with.
// The payment encryption key ring ecomd is started with in tests (PostgreSQL
// stores need one configured), and the test gateway's webhook secret.
inline constexpr const char* kTestPaymentKeys =
    "1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
inline constexpr const char* kTestWebhookSecret = "whsec_test_secret";
inline constexpr const char* kTestResetKeyHex =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

// build/bin/ecomd: $ECOM_BIN_DIR/ecomd, else where this build put it.
std::string EcomdPath();
// A file of the source tree: $ECOM_SOURCE_DIR/<relative>, else this checkout's.
std::string SourcePath(const std::string& relative);

// The stores API tests run on: "sqlite" always, "postgres" when
// ECOM_TEST_PG_URL names a server (skipped otherwise).
std::vector<std::string> TestStores();

// Where ecomd is and what it logs.
struct DaemonProcess {
  pid_t pid = -1;
  int port = 0;
  std::filesystem::path log;
};

// A customer or staff member made for a test, and a session of theirs.
struct Account {
  std::string id;  // cus_... or stf_...
  std::string email;
  std::string password;
  std::string token;  // es_...
};

class DaemonTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts ecomd with `args` after --db/--listen; returns false (with a test
  // failure naming its log) if it does not report a port in time.
  bool StartDaemon(const std::vector<std::string>& extra_args = {},
                   const std::map<std::string, std::string>& env = {});
  // SIGTERM, then waits; returns the exit status (-1 if it had to be killed).
  int StopDaemon();
  std::string DaemonLog() const;
  pid_t daemon_pid() const { return daemon_.pid; }
  // Waits for ecomd to exit on its own; its exit status, or -1 if it was
  // killed by a signal or did not exit within `timeout`.
  int WaitForExit(std::chrono::milliseconds timeout);

  Response Send(const Request& request);
  Response Get(const std::string& path, const std::string& token = "");
  Response Post(const std::string& path, const nlohmann::json& body, const std::string& token);
  // A POST with an Idempotency-Key header: `key`, or a fresh one when empty.
  Response PostOnce(const std::string& path, const nlohmann::json& body, const std::string& token,
                    const std::string& key = "", const httplib::Headers& headers = {});
  Response Put(const std::string& path, const nlohmann::json& body, const std::string& token);
  Response Patch(const std::string& path, const nlohmann::json& body, const std::string& token,
                 const std::string& if_match = "");
  Response Delete(const std::string& path, const std::string& token);

  // A product body: active, one variant with `sku` at `price` minor units.
  static nlohmann::json ProductBody(const std::string& title, const std::string& sku,
                                    std::int64_t price,
                                    nlohmann::json extra = nlohmann::json::object());
  // Creates a product through the API (as admin) and returns its JSON.
  nlohmann::json CreateProduct(const nlohmann::json& body);

  std::string NewKey(const std::vector<std::string>& scopes);

  // Accounts made through core on the daemon's store (cheap: the fixture
  // hashes with libsodium's minimum cost; ecomd verifies any cost), each
  // with a fresh session. Emails are unique per call.
  Account NewCustomer(const std::string& name = "Test Customer");
  Account NewStaff(const std::string& role);
  // A session of `account` opened at `when` through core (with a clock fixed
  // there): a past `when` gives a session that has already lapsed.
  std::string SessionAt(const Account& account, TimePoint when);
  // Opens another session of `account` now.
  std::string LogIn(const Account& account);
  auth::SessionService& sessions() { return *sessions_; }

  store::Database& db() { return *db_; }
  inventory::InventoryService& inventory() { return *inventory_; }
  auth::ApiKeyService& api_keys() { return *api_keys_; }
  const std::string& db_url() const { return db_url_; }
  int port() const { return daemon_.port; }
  std::filesystem::path dir() const { return dir_; }

  // Keys made before the daemon starts.
  std::string admin_key_;
  std::string catalog_read_key_;
  std::string catalog_write_key_;
  std::string inventory_read_key_;
  std::string inventory_write_key_;
  std::string orders_key_;  // a valid key with no catalog or inventory scope

 private:
  std::filesystem::path dir_;
  std::string db_url_;
  std::string pg_schema_;  // the schema made for this test, on PostgreSQL
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<IdGenerator> ids_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<auth::ApiKeyService> api_keys_;
  std::unique_ptr<inventory::InventoryService> inventory_;
  std::shared_ptr<auth::PasswordHasher> hasher_;
  std::unique_ptr<auth::SessionService> sessions_;
  std::unique_ptr<auth::CustomerService> customers_;
  std::unique_ptr<auth::StaffService> staff_;
  DaemonProcess daemon_;
};

// "/v1/variants/" + a SKU with each segment percent-encoded, `/` kept.
std::string EncodePath(const std::string& s);

}  // namespace ecom::daemon::testing
