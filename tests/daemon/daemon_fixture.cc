// Starts and stops a real ecomd for the API tests, and speaks HTTP to it.
#include "daemon_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "ecom/store/migrate.h"

extern char** environ;

namespace ecom::daemon::testing {
namespace {

using namespace std::chrono_literals;

std::string PgBaseUrl() {
  const char* url = std::getenv("ECOM_TEST_PG_URL");
  return url ? url : "";
}

// The URL of `base` with `schema` first on the search path (libpq's
// `options` parameter), so each test has tables of its own.
std::string WithSearchPath(const std::string& base, const std::string& schema) {
  return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string Response::Header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (Lower(k) == Lower(name)) return v;
  return "";
}

std::string EcomdPath() {
  const char* dir = std::getenv("ECOM_BIN_DIR");
  return std::string(dir && *dir ? dir : ECOM_TEST_BIN_DIR) + "/ecomd";
}

std::string SourcePath(const std::string& relative) {
  const char* dir = std::getenv("ECOM_SOURCE_DIR");
  return std::string(dir && *dir ? dir : ECOM_TEST_SOURCE_DIR) + "/" + relative;
}

std::vector<std::string> TestStores() { return {"sqlite", "postgres"}; }

std::string EncodePath(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

void DaemonTest::SetUp() {
  clock_ = SystemClock();
  ids_ = MakeIdGenerator(clock_);

  std::string templ = (std::filesystem::temp_directory_path() / "ecomd-test-XXXXXX").string();
  ASSERT_NE(mkdtemp(templ.data()), nullptr);
  dir_ = templ;

  if (GetParam() == "postgres") {
    std::string base = PgBaseUrl();
    if (base.empty()) GTEST_SKIP() << "set ECOM_TEST_PG_URL to run the API tests on PostgreSQL";
    // A fresh schema per test rather than recreating `public`: tests may run
    // in parallel (ctest -j) against one server.
    pg_schema_ = Lower(ids_->Next("ecomd_test"));
    auto admin = store::Open(base, {.pool_size = 1});
    auto tx = admin->Begin(store::TxMode::kWrite);
    tx->Exec("DROP SCHEMA IF EXISTS " + pg_schema_ + " CASCADE");
    tx->Exec("CREATE SCHEMA " + pg_schema_);
    tx->Commit();
    db_url_ = WithSearchPath(base, pg_schema_);
  } else {
    db_url_ = "sqlite://" + (dir_ / "ecom.db").string();
  }

  db_ = store::Open(db_url_, {.pool_size = 2});
  store::Migrate(*db_, *clock_);
  api_keys_ = std::make_unique<auth::ApiKeyService>(*db_, clock_, ids_);
  inventory_ = std::make_unique<inventory::InventoryService>(*db_, clock_, ids_);
  hasher_ = std::make_shared<auth::PasswordHasher>(
      auth::PasswordHashOptions{.opslimit = 1, .memlimit_bytes = 8192, .max_concurrent = 2});
  // The fixture makes many accounts from one address; the throttles under
  // test are the daemon's.
  auth::AuthOptions lenient;
  lenient.register_per_address.max_failures = 1'000'000;
  lenient.login_per_address.max_failures = 1'000'000;
  sessions_ = std::make_unique<auth::SessionService>(*db_, clock_, ids_, hasher_, lenient);
  customers_ = std::make_unique<auth::CustomerService>(*db_, clock_, ids_, hasher_, lenient);
  staff_ = std::make_unique<auth::StaffService>(*db_, clock_, ids_, hasher_);

  admin_key_ = NewKey({"admin"});
  catalog_read_key_ = NewKey({"catalog:read"});
  catalog_write_key_ = NewKey({"catalog:write"});
  inventory_read_key_ = NewKey({"inventory:read"});
  inventory_write_key_ = NewKey({"inventory:write"});
  orders_key_ = NewKey({"orders:read"});

  ASSERT_TRUE(StartDaemon());
}

void DaemonTest::TearDown() {
  if (daemon_.pid > 0) {
    EXPECT_EQ(StopDaemon(), 0) << "ecomd did not stop cleanly:\n" << DaemonLog();
  }
  if (HasFailure() && !daemon_.log.empty())
    std::cerr << "--- ecomd log ---\n" << DaemonLog() << "---\n";
  staff_.reset();
  customers_.reset();
  sessions_.reset();
  inventory_.reset();
  api_keys_.reset();
  db_.reset();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
  if (!pg_schema_.empty()) {
    auto admin = store::Open(PgBaseUrl(), {.pool_size = 1});
    auto tx = admin->Begin(store::TxMode::kWrite);
    tx->Exec("DROP SCHEMA IF EXISTS " + pg_schema_ + " CASCADE");
    tx->Commit();
  }
}

bool DaemonTest::StartDaemon(const std::vector<std::string>& extra_args,
                             const std::map<std::string, std::string>& env) {
  std::vector<std::string> args = {EcomdPath(), "--db", db_url_, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());

  // The child's environment: ours without ECOM_* (ctest sets a few the daemon
  // would warn about), plus short keep-alives so stops are quick.
  std::map<std::string, std::string> vars = {{"ECOM_HTTP_KEEP_ALIVE_TIMEOUT_S", "1"},
                                             {"ECOM_HTTP_THREADS", "16"},
                                             {"ECOM_AUTH_RESET_KEY", kTestResetKeyHex},
                                             {"ECOM_PAYMENTS_ENCRYPTION_KEYS", kTestPaymentKeys},
                                             {"ECOM_PAYMENTS_WEBHOOK_SECRETS",
                                              std::string("test=") + kTestWebhookSecret}};
  for (const auto& [k, v] : env) vars[k] = v;
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).rfind("ECOM_", 0) != 0) envs.emplace_back(*e);
  for (const auto& [k, v] : vars) envs.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);

  daemon_.log =
      dir_ / ("ecomd-" +
              std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + ".log");
  int fd = ::open(daemon_.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  if (fd < 0) {
    ADD_FAILURE() << "cannot create " << daemon_.log;
    return false;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  ::close(fd);
  daemon_.pid = pid;
  daemon_.port = 0;

  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(daemon_.log);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("msg", "") == "listening") {
        daemon_.port = j.at("port").get<int>();
        return true;
      }
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      daemon_.pid = -1;
      ADD_FAILURE() << "ecomd exited (status " << status << ") before listening:\n" << DaemonLog();
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
  ADD_FAILURE() << "ecomd did not report a port within 30 s:\n" << DaemonLog();
  StopDaemon();
  return false;
}

int DaemonTest::StopDaemon() {
  if (daemon_.pid <= 0) return -1;
  kill(daemon_.pid, SIGTERM);
  return WaitForExit(20s);
}

int DaemonTest::WaitForExit(std::chrono::milliseconds timeout) {
  if (daemon_.pid <= 0) return -1;
  pid_t pid = daemon_.pid;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      daemon_.pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(10ms);
  }
  daemon_.pid = -1;
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

std::string DaemonTest::DaemonLog() const {
  std::ifstream in(daemon_.log);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Response DaemonTest::Send(const Request& request) {
  httplib::Client client("127.0.0.1", daemon_.port);
  client.set_url_encode(false);  // paths are sent exactly as the test wrote them
  client.set_connection_timeout(5);
  client.set_read_timeout(30);
  client.set_write_timeout(30);

  httplib::Request req;
  req.method = request.method;
  req.path = request.path;
  req.headers = request.headers;
  if (!request.token.empty()) req.headers.emplace("Authorization", "Bearer " + request.token);
  if (request.json) {
    req.body = request.json->dump();
    req.headers.emplace("Content-Type", request.content_type);
  } else if (request.raw_body) {
    req.body = *request.raw_body;
    if (!request.content_type.empty()) req.headers.emplace("Content-Type", request.content_type);
  }
  Response out;
  auto res = client.send(req);
  if (!res) return out;
  out.status = res->status;
  out.body = res->body;
  out.headers = res->headers;
  out.json = nlohmann::json::parse(out.body, nullptr, false);
  return out;
}

Response DaemonTest::Get(const std::string& path, const std::string& token) {
  return Send({.method = "GET", .path = path, .token = token});
}

Response DaemonTest::Post(const std::string& path, const nlohmann::json& body,
                          const std::string& token) {
  return Send({.method = "POST", .path = path, .token = token, .json = body});
}

Response DaemonTest::PostOnce(const std::string& path, const nlohmann::json& body,
                              const std::string& token, const std::string& key,
                              const httplib::Headers& headers) {
  static std::atomic<std::uint64_t> counter{0};
  Request r{.method = "POST", .path = path, .token = token, .json = body, .headers = headers};
  r.headers.emplace("Idempotency-Key",
                    key.empty() ? "test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) : key);
  return Send(r);
}

Response DaemonTest::Put(const std::string& path, const nlohmann::json& body,
                         const std::string& token) {
  return Send({.method = "PUT", .path = path, .token = token, .json = body});
}

Response DaemonTest::Patch(const std::string& path, const nlohmann::json& body,
                           const std::string& token, const std::string& if_match) {
  Request r{.method = "PATCH", .path = path, .token = token, .json = body};
  if (!if_match.empty()) r.headers.emplace("If-Match", if_match);
  return Send(r);
}

Response DaemonTest::Delete(const std::string& path, const std::string& token) {
  return Send({.method = "DELETE", .path = path, .token = token});
}

nlohmann::json DaemonTest::ProductBody(const std::string& title, const std::string& sku,
                                       std::int64_t price, nlohmann::json extra) {
  nlohmann::json body = {
      {"title", title}, {"status", "active"}, {"variants", {{{"sku", sku}, {"price", price}}}}};
  for (auto& [k, v] : extra.items()) body[k] = v;
  return body;
}

nlohmann::json DaemonTest::CreateProduct(const nlohmann::json& body) {
  Response r = Post("/v1/products", body, admin_key_);
  EXPECT_EQ(r.status, 201) << r.body << "\n" << body.dump();
  return r.json;
}

std::string DaemonTest::NewKey(const std::vector<std::string>& scopes) {
  static int n = 0;
  auto key = api_keys_->Create("test-key-" + std::to_string(++n), scopes, std::nullopt);
  EXPECT_TRUE(key.ok()) << (key.ok() ? "" : key.error().message);
  return key.ok() ? key->secret : "";
}

namespace {

// A fixed "now", for sessions opened in the past.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint now) : now_(now) {}
  TimePoint Now() const override { return now_; }

 private:
  TimePoint now_;
};

std::string UniqueEmail(const std::string& kind) {
  static std::atomic<int> n{0};
  return kind + "-" + std::to_string(getpid()) + "-" + std::to_string(++n) + "@example.com";
}

}  // namespace

Account DaemonTest::NewCustomer(const std::string& name) {
  Account account{.email = UniqueEmail("customer"), .password = "correct horse battery"};
  // 127.0.0.2: the fixture's registrations do not count against the
  // address the tests themselves register from.
  auto customer = customers_->Register({account.email, account.password, name}, "127.0.0.2");
  EXPECT_TRUE(customer.ok()) << (customer.ok() ? "" : customer.error().message);
  if (customer.ok()) account.id = customer->id;
  account.token = LogIn(account);
  return account;
}

Account DaemonTest::NewStaff(const std::string& role) {
  Account account{.email = UniqueEmail("staff-" + role), .password = "staff password 123"};
  auto member = staff_->Create({account.email, "Staff " + role, role, account.password});
  EXPECT_TRUE(member.ok()) << (member.ok() ? "" : member.error().message);
  if (member.ok()) account.id = member->id;
  account.token = LogIn(account);
  return account;
}

std::string DaemonTest::LogIn(const Account& account) {
  auto session = sessions_->Login(account.email, account.password, "127.0.0.2");
  EXPECT_TRUE(session.ok()) << (session.ok() ? "" : session.error().message);
  return session.ok() ? session->token : "";
}

std::string DaemonTest::SessionAt(const Account& account, TimePoint when) {
  auth::SessionService past(*db_, std::make_shared<FixedClock>(when), ids_, hasher_);
  auto session = past.Login(account.email, account.password, "127.0.0.2");
  EXPECT_TRUE(session.ok()) << (session.ok() ? "" : session.error().message);
  return session.ok() ? session->token : "";
}

}  // namespace ecom::daemon::testing
