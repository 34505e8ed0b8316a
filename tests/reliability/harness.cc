#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "ecom/auth/api_key_service.h"
#include "ecom/store/migrate.h"

extern char** environ;

namespace ecom::reliability {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The secrets every daemon of these checks runs with (test values).
constexpr const char* kResetKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr const char* kPaymentKeys = "1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr const char* kWebhookSecret = "whsec_reliability";

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

fs::path BinDir() {
  if (const char* dir = std::getenv("ECOM_BIN_DIR"); dir && *dir) return dir;
  return fs::canonical("/proc/self/exe").parent_path().parent_path() / "bin";
}

std::string PgBase() {
  const char* url = std::getenv("ECOM_TEST_PG_URL");
  return url ? url : "";
}

std::string EncodeSegment(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

// ---- HTTP -------------------------------------------------------------------

std::string Http::Header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (Lower(k) == Lower(name)) return v;
  return "";
}

std::string Http::Reason() const {
  if (j.is_object() && j.contains("reason") && j["reason"].is_string()) return j["reason"].get<std::string>();
  return "";
}

std::string Http::Describe() const {
  if (status == 0) return "no answer (" + httplib::to_string(error) + ")";
  std::string r = Reason();
  return std::to_string(status) + (r.empty() ? "" : " " + r);
}

Http Send(int port, const std::string& method, const std::string& path, const httplib::Headers& headers,
          const std::optional<json>& body, int read_timeout_s) {
  httplib::Client client("127.0.0.1", port);
  client.set_url_encode(false);
  client.set_connection_timeout(5);
  client.set_read_timeout(read_timeout_s);
  client.set_write_timeout(30);
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = headers;
  if (body) {
    req.body = body->dump();
    req.headers.emplace("Content-Type", "application/json");
  }
  Http out;
  auto res = client.send(req);
  if (!res) {
    out.error = res.error();
    return out;
  }
  out.status = res->status;
  out.body = res->body;
  out.headers = res->headers;
  out.j = json::parse(out.body, nullptr, false);
  return out;
}

std::string NewKey(const std::string& prefix) {
  static std::atomic<std::uint64_t> n{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

json CheckoutBody(const std::string& email, const std::string& token) {
  return {{"email", email},
          {"shipping_address",
           {{"name", "Ada Buyer"}, {"line1", "1 Main St"}, {"city", "Springfield"}, {"postal_code", "12345"},
            {"country", "US"}}},
          {"payment", {{"token", token}}}};
}

// ---- Daemon -------------------------------------------------------------------

Daemon::Daemon(std::string db_url, fs::path dir, std::string name)
    : db_url_(std::move(db_url)), dir_(std::move(dir)), name_(std::move(name)) {}

Daemon::~Daemon() { Stop(); }

bool Daemon::Spawn() {
  std::string ecomd = (BinDir() / "ecomd").string();
  std::vector<std::string> args = {ecomd, "--db", db_url_, "--listen", "127.0.0.1:0"};
  // Our environment without ECOM_* (ctest and scripts set some), plus the
  // settings ecomd needs; short keep-alives so stops are quick.
  std::map<std::string, std::string> vars = {{"ECOM_HTTP_KEEP_ALIVE_TIMEOUT_S", "1"},
                                             {"ECOM_AUTH_RESET_KEY", kResetKey},
                                             {"ECOM_PAYMENTS_ENCRYPTION_KEYS", kPaymentKeys},
                                             {"ECOM_PAYMENTS_WEBHOOK_SECRETS", std::string("test=") + kWebhookSecret}};
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).rfind("ECOM_", 0) != 0) envs.emplace_back(*e);
  for (const auto& [k, v] : vars) envs.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);

  ++starts_;
  log_ = dir_ / (name_ + "-" + std::to_string(starts_) + ".log");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  pid_ = pid;
  port_ = 0;
  return true;
}

bool Daemon::WaitReady(std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline && pid_ > 0) {
    std::ifstream in(log_);
    std::string line;
    while (std::getline(in, line)) {
      auto j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("msg", "") == "listening" && j.contains("port")) {
        port_ = j["port"].get<int>();
        return true;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

int Daemon::Stop() {
  if (pid_ <= 0) return -1;
  pid_t pid = pid_;
  kill(pid, SIGTERM);
  auto deadline = Clock::now() + 20s;
  int status = 0;
  while (Clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(10ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  pid_ = -1;
  return -1;
}

void Daemon::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string Daemon::LogTail(std::size_t bytes) const {
  std::ifstream in(log_);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

// ---- Violations and report -------------------------------------------------------

void Violations::Add(const std::string& check, const std::string& store, const std::string& message) {
  std::lock_guard lock(mu_);
  auto k = std::make_pair(check, store);
  if (++counts_[k] <= 15) kept_[k].push_back(message);
  // The kind: ids (ord_..., cart ids) and numbers replaced, JSON bodies cut.
  std::string kind;
  std::string m = message.substr(0, message.find('{'));
  for (std::size_t i = 0; i < m.size() && kind.size() < 160; ++i) {
    unsigned char c = static_cast<unsigned char>(m[i]);
    if (std::isdigit(c)) {
      while (i + 1 < m.size() && std::isdigit(static_cast<unsigned char>(m[i + 1]))) ++i;
      kind += "N";
    } else if (std::isalpha(c) && i + 4 < m.size() && m.compare(i, 4, "ord_") == 0) {
      while (i + 1 < m.size() && std::isalnum(static_cast<unsigned char>(m[i + 1]))) ++i;
      kind += "ord_*";
    } else {
      kind += static_cast<char>(c);
    }
  }
  ++kinds_[k][kind];
}

int Violations::Count(const std::string& check, const std::string& store) const {
  std::lock_guard lock(mu_);
  auto it = counts_.find({check, store});
  return it == counts_.end() ? 0 : it->second;
}

int Violations::Total() const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& [k, c] : counts_) n += c;
  return n;
}

void Violations::Print(FILE* out) const {
  std::lock_guard lock(mu_);
  for (const auto& [k, msgs] : kept_) {
    std::fprintf(out, "\nVIOLATIONS in %s on %s (%d):\n", k.first.c_str(), k.second.c_str(), counts_.at(k));
    for (const auto& m : msgs) std::fprintf(out, "  - %s\n", m.c_str());
    if (counts_.at(k) > static_cast<int>(msgs.size()))
      std::fprintf(out, "  - ... and %d more\n", counts_.at(k) - static_cast<int>(msgs.size()));
    std::fprintf(out, "  by kind:\n");
    for (const auto& [kind, n] : kinds_.at(k)) std::fprintf(out, "  %6d x %s\n", n, kind.c_str());
  }
}

void Report::Add(Row row) {
  std::lock_guard lock(mu_);
  rows_.push_back(std::move(row));
}

void Report::Print(FILE* out) const {
  std::lock_guard lock(mu_);
  std::fprintf(out, "\n| check | store | rounds | requests | outcomes | invariant figures | s | result |\n");
  std::fprintf(out, "|---|---|---|---|---|---|---|---|\n");
  for (const auto& r : rows_)
    std::fprintf(out, "| %s | %s | %d | %lld | %s | %s | %.1f | %s |\n", r.check.c_str(), r.store.c_str(), r.rounds,
                 static_cast<long long>(r.requests), r.outcomes.c_str(), r.figures.c_str(), r.seconds,
                 r.violations == 0 ? "ok" : Fmt("%d VIOLATIONS", r.violations).c_str());
}

// ---- Cluster ---------------------------------------------------------------------

int ReplicasFor(const std::string& store) { return store == "postgres" ? 3 : 1; }

bool StartOrReport(Context& ctx, Cluster& cluster, const std::string& check, const std::string& store,
                   Clock::time_point started) {
  std::string error;
  if (cluster.Start(&error)) return true;
  ctx.violations.Add(check, store, "setup: " + error);
  ctx.report.Add({check, store, 0, 0, "-", "setup failed", Seconds(started), ctx.violations.Count(check, store)});
  cluster.Finish(ctx.options.keep);
  return false;
}

Cluster::Cluster(std::string store, std::string label, int replicas)
    : store_(std::move(store)), label_(std::move(label)), replicas_wanted_(replicas) {}

Cluster::~Cluster() { Finish(false); }

bool Cluster::Start(std::string* error) {
  std::string templ = (fs::temp_directory_path() / ("ecom-rel-" + label_ + "-XXXXXX")).string();
  if (!mkdtemp(templ.data())) {
    *error = "mkdtemp failed";
    return false;
  }
  dir_ = templ;
  try {
    if (store_ == "postgres") {
      std::string base = PgBase();
      if (base.empty()) {
        *error = "ECOM_TEST_PG_URL is not set";
        return false;
      }
      static std::atomic<int> n{0};
      pg_schema_ = Lower("rel_" + label_ + "_" + std::to_string(::getpid()) + "_" + std::to_string(++n) + "_" +
                         std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000));
      auto admin = store::Open(base, {.pool_size = 1});
      auto tx = admin->Begin(store::TxMode::kWrite);
      tx->Exec("DROP SCHEMA IF EXISTS " + pg_schema_ + " CASCADE");
      tx->Exec("CREATE SCHEMA " + pg_schema_);
      tx->Commit();
      url_ = base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + pg_schema_;
    } else {
      url_ = "sqlite://" + (dir_ / "ecom.db").string();
    }
    db_ = store::Open(url_, {.pool_size = 4});
    auto clock = SystemClock();
    auto ids = MakeIdGenerator(clock);
    store::Migrate(*db_, *clock);
    auth::ApiKeyService keys(*db_, clock, ids);
    auto key = keys.Create("reliability-admin", {"admin"}, std::nullopt);
    if (!key.ok()) {
      *error = "cannot create the admin key: " + key.error().message;
      return false;
    }
    admin_key_ = key->secret;
  } catch (const std::exception& e) {
    *error = std::string("cannot prepare the store: ") + e.what();
    return false;
  }
  for (int i = 0; i < replicas_wanted_; ++i)
    daemons_.push_back(std::make_unique<Daemon>(url_, dir_, "ecomd" + std::to_string(i)));
  for (auto& d : daemons_)
    if (!d->Spawn()) {
      *error = "cannot spawn " + (BinDir() / "ecomd").string();
      return false;
    }
  for (auto& d : daemons_)
    if (!d->WaitReady()) {
      *error = "ecomd did not report a port; its log:\n" + d->LogTail();
      return false;
    }
  return true;
}

void Cluster::Finish(bool keep) {
  for (auto& d : daemons_) d->Stop();
  if (keep) {
    if (!dir_.empty()) std::fprintf(stderr, "kept for inspection: %s\n", where().c_str());
    dir_.clear();
    pg_schema_.clear();
    db_.reset();
    daemons_.clear();
    return;
  }
  daemons_.clear();
  db_.reset();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
  if (!pg_schema_.empty()) {
    try {
      auto admin = store::Open(PgBase(), {.pool_size = 1});
      auto tx = admin->Begin(store::TxMode::kWrite);
      tx->Exec("DROP SCHEMA IF EXISTS " + pg_schema_ + " CASCADE");
      tx->Commit();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "could not drop schema %s: %s\n", pg_schema_.c_str(), e.what());
    }
    pg_schema_.clear();
  }
}

std::string Cluster::DaemonLogs() const {
  std::string out;
  for (const auto& d : daemons_) out += d->log().string() + " ";
  return out;
}

std::string Cluster::where() const {
  std::string s = "store " + url_ + "; daemon logs in " + dir_.string();
  return s;
}

bool Cluster::CreateProduct(const std::string& sku, std::int64_t price, const std::string& policy, int via,
                            std::string* error) {
  json variant = {{"sku", sku}, {"price", price}};
  if (!policy.empty()) variant["inventory_policy"] = policy;
  json body = {{"title", "Product " + sku}, {"status", "active"}, {"variants", json::array({variant})}};
  for (int attempt = 0; attempt < 5; ++attempt) {
    Http r = Send(port(via + attempt), "POST", "/v1/products", {{"Authorization", "Bearer " + admin_key_}}, body);
    if (r.status == 201) return true;
    if (r.status != 0 && r.status < 500) {
      *error = "POST /v1/products " + sku + ": " + r.Describe() + " " + r.body;
      return false;
    }
    std::this_thread::sleep_for(200ms);
  }
  *error = "POST /v1/products " + sku + ": no answer";
  return false;
}

bool Cluster::Adjust(const std::string& sku, std::int64_t delta, const std::string& reason, int via,
                     std::string* error) {
  std::string key = NewKey("adjust");
  for (int attempt = 0; attempt < 5; ++attempt) {
    Http r = Send(port(via + attempt), "POST", "/v1/inventory/" + EncodeSegment(sku) + "/adjustments",
                  {{"Authorization", "Bearer " + admin_key_}, {"Idempotency-Key", key}},
                  json{{"delta", delta}, {"reason", reason}});
    if (r.status == 201) return true;
    if (r.status != 0 && r.status < 500) {
      *error = "adjust " + sku + ": " + r.Describe() + " " + r.body;
      return false;
    }
    std::this_thread::sleep_for(200ms);
  }
  *error = "adjust " + sku + ": no answer";
  return false;
}

std::optional<Cluster::Cart> Cluster::NewGuestCart(const std::vector<std::pair<std::string, std::int64_t>>& lines,
                                                   int via, std::string* error) {
  Http r = Send(port(via), "POST", "/v1/carts", {}, json::object());
  if (r.status != 201 || !r.j.is_object() || !r.j.contains("token")) {
    *error = "POST /v1/carts: " + r.Describe() + " " + r.body;
    return std::nullopt;
  }
  Cart cart{r.j["cart"]["id"].get<std::string>(), r.j["token"].get<std::string>()};
  for (const auto& [sku, quantity] : lines) {
    Http a = Send(port(via), "POST", "/v1/carts/" + cart.id + "/items", {{"X-Cart-Token", cart.token}},
                  json{{"sku", sku}, {"quantity", quantity}});
    if (a.status != 201) {
      *error = "add " + sku + " to cart: " + a.Describe() + " " + a.body;
      return std::nullopt;
    }
  }
  return cart;
}

Http Cluster::Checkout(const Cart& cart, const std::string& key, const json& body, int via) {
  return Send(port(via), "POST", "/v1/carts/" + cart.id + "/checkout",
              {{"X-Cart-Token", cart.token}, {"Idempotency-Key", key}}, body);
}

// ---- invariants --------------------------------------------------------------------

std::vector<VariantFigures> ReadVariants(store::Database& db) {
  std::vector<VariantFigures> out;
  auto tx = db.Begin(store::TxMode::kRead);
  auto rows = tx->Query(
      "SELECT l.variant_id, COALESCE(v.sku, ''), l.on_hand, l.reserved, l.allow_backorder, "
      "(SELECT COALESCE(SUM(s.delta), 0) FROM stock_ledger s WHERE s.variant_id = l.variant_id), "
      "(SELECT COUNT(*) FROM stock_ledger s WHERE s.variant_id = l.variant_id), "
      "(SELECT COALESCE(SUM(r.quantity), 0) FROM reservations r WHERE r.variant_id = l.variant_id) "
      "FROM inventory_levels l JOIN variants v ON v.id = l.variant_id ORDER BY l.variant_id");
  while (rows->Next()) {
    VariantFigures f;
    f.variant_id = rows->Text(0);
    f.sku = rows->Text(1);
    f.on_hand = rows->Int(2);
    f.reserved = rows->Int(3);
    f.backorder = rows->Int(4) != 0;
    f.ledger_sum = rows->Int(5);
    f.ledger_rows = rows->Int(6);
    f.reservation_sum = rows->Int(7);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<std::string> StockViolations(const std::vector<VariantFigures>& variants) {
  std::vector<std::string> out;
  for (const auto& v : variants) {
    std::string name = v.sku + " (" + v.variant_id + ")";
    if (v.on_hand != v.ledger_sum)
      out.push_back(Fmt("%s: on_hand %lld != SUM(ledger delta) %lld over %lld rows", name.c_str(),
                        (long long)v.on_hand, (long long)v.ledger_sum, (long long)v.ledger_rows));
    if (v.reserved != v.reservation_sum)
      out.push_back(Fmt("%s: reserved %lld != SUM(reservations) %lld", name.c_str(), (long long)v.reserved,
                        (long long)v.reservation_sum));
    if (v.reserved < 0) out.push_back(Fmt("%s: reserved %lld < 0", name.c_str(), (long long)v.reserved));
    if (!v.backorder && v.on_hand < 0)
      out.push_back(Fmt("%s: deny policy, on_hand %lld < 0", name.c_str(), (long long)v.on_hand));
    if (!v.backorder && v.on_hand - v.reserved < 0)
      out.push_back(Fmt("%s: deny policy, available %lld < 0 (on_hand %lld, reserved %lld)", name.c_str(),
                        (long long)(v.on_hand - v.reserved), (long long)v.on_hand, (long long)v.reserved));
  }
  return out;
}

std::vector<std::string> ReservationOwnerViolations(store::Database& db) {
  std::vector<std::string> out;
  auto tx = db.Begin(store::TxMode::kRead);
  // Reservations whose order is gone, or no longer waiting to ship.
  auto rows = tx->Query(
      "SELECT r.order_id, r.variant_id, r.quantity, COALESCE(o.status, '(no order)'), COALESCE(o.stock_state, '') "
      "FROM reservations r LEFT JOIN orders o ON o.id = r.order_id "
      "WHERE o.id IS NULL OR o.status NOT IN ('pending', 'confirmed') OR o.stock_state <> 'reserved' "
      "ORDER BY r.order_id LIMIT 20");
  while (rows->Next())
    out.push_back(Fmt("reservation of %lld x %s held by order %s whose status is %s (stock_state %s)",
                      (long long)rows->Int(2), rows->Text(1).c_str(), rows->Text(0).c_str(), rows->Text(3).c_str(),
                      rows->Text(4).c_str()));
  // Per order line: what is held equals what was ordered less what was
  // restocked, while the order holds stock; nothing once it does not.
  rows = tx->Query(
      "SELECT o.id, o.status, o.stock_state, l.variant_id, l.quantity - l.restocked_quantity, "
      "COALESCE((SELECT SUM(r.quantity) FROM reservations r WHERE r.order_id = o.id AND r.variant_id = l.variant_id), 0) "
      "FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE l.tracked = 1 "
      "ORDER BY o.id");
  int reported = 0;
  while (rows->Next()) {
    std::string state = rows->Text(2);
    std::int64_t owed = state == "reserved" ? rows->Int(4) : 0;
    std::int64_t held = rows->Int(5);
    if (owed != held && reported++ < 20)
      out.push_back(Fmt("order %s (%s, stock_state %s) holds %lld of %s, should hold %lld", rows->Text(0).c_str(),
                        rows->Text(1).c_str(), state.c_str(), (long long)held, rows->Text(3).c_str(),
                        (long long)owed));
  }
  rows = tx->Query(
      "SELECT id, status, stock_state FROM orders WHERE (status = 'cancelled' AND stock_state <> 'released') "
      "OR (status IN ('fulfilled', 'shipped', 'delivered') AND stock_state = 'reserved') LIMIT 20");
  while (rows->Next())
    out.push_back(Fmt("order %s is %s with stock_state %s", rows->Text(0).c_str(), rows->Text(1).c_str(),
                      rows->Text(2).c_str()));
  return out;
}

std::vector<std::string> DoubleCaptureViolations(store::Database& db) {
  std::vector<std::string> out;
  auto tx = db.Begin(store::TxMode::kRead);
  auto rows = tx->Query(
      "SELECT order_id, COUNT(*) FROM test_gateway_charges WHERE state = 'captured' GROUP BY order_id "
      "HAVING COUNT(*) > 1 LIMIT 20");
  while (rows->Next())
    out.push_back(Fmt("order %s has %lld captured charges at the gateway", rows->Text(0).c_str(),
                      (long long)rows->Int(1)));
  return out;
}

std::int64_t QueryInt(store::Database& db, const std::string& sql, std::initializer_list<store::Value> params) {
  auto tx = db.Begin(store::TxMode::kRead);
  auto rows = tx->Query(sql, params);
  if (!rows->Next() || rows->IsNull(0)) return 0;
  return rows->Int(0);
}

// ---- misc ----------------------------------------------------------------------------

std::uint64_t Context::Random(std::uint64_t n) {
  std::lock_guard lock(rng_mu);
  return n == 0 ? 0 : rng() % n;
}

std::string Fmt(const char* format, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  return buf;
}

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

}  // namespace ecom::reliability
