// The reliability checks' harness: real ecomd processes over a fresh store
// (a temp SQLite file, or a fresh PostgreSQL schema), HTTP to them, direct
// reads of the store, and the table of figures the checks report.
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ecom/common/clock.h"
#include "ecom/store/database.h"

namespace ecom::reliability {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// One HTTP exchange. status 0: no answer (error says why).
struct Http {
  int status = 0;
  std::string body;
  json j;  // the body parsed (discarded when not JSON)
  httplib::Headers headers;
  httplib::Error error = httplib::Error::Success;

  std::string Header(const std::string& name) const;
  std::string Reason() const;  // problem+json `reason`, or ""
  // A short description for reports: "201", "409 insufficient_stock", "no answer (Read)".
  std::string Describe() const;
  // The connection was refused: the request never reached a server.
  bool Refused() const { return status == 0 && error == httplib::Error::Connection; }
};

// Sends one request on a fresh connection to 127.0.0.1:`port`.
Http Send(int port, const std::string& method, const std::string& path, const httplib::Headers& headers,
          const std::optional<json>& body = std::nullopt, int read_timeout_s = 60);

// A unique, printable Idempotency-Key.
std::string NewKey(const std::string& prefix);

// What every checkout in these checks sends.
json CheckoutBody(const std::string& email = "buyer@example.com", const std::string& token = "tok_visa");

// One ecomd child process. Its port may change when it is restarted.
class Daemon {
 public:
  Daemon(std::string db_url, std::filesystem::path dir, std::string name);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Spawns ecomd on 127.0.0.1:0; WaitReady() reads the port from its log.
  bool Spawn();
  bool WaitReady(std::chrono::seconds timeout = std::chrono::seconds(60));
  // SIGTERM and wait (SIGKILL after 20 s). Returns the exit status, -1 if killed.
  int Stop();
  // SIGKILL and reap: a crash.
  void Kill9();
  int port() const { return port_.load(); }
  pid_t pid() const { return pid_; }
  bool alive() const { return pid_ > 0; }
  const std::filesystem::path& log() const { return log_; }
  std::string LogTail(std::size_t bytes = 4000) const;
  int starts() const { return starts_; }

 private:
  std::string db_url_;
  std::filesystem::path dir_;
  std::string name_;
  pid_t pid_ = -1;
  std::atomic<int> port_{0};
  std::filesystem::path log_;
  int starts_ = 0;
};

// What a check found wrong. Thread-safe; keeps the first messages of each
// (check, store) in full and counts the rest.
class Violations {
 public:
  void Add(const std::string& check, const std::string& store, const std::string& message);
  int Count(const std::string& check, const std::string& store) const;
  int Total() const;
  void Print(FILE* out) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> kept_;
  std::map<std::pair<std::string, std::string>, int> counts_;
  // Messages with numbers and ids blotted out, counted: the kinds of violation.
  std::map<std::pair<std::string, std::string>, std::map<std::string, int>> kinds_;
};

// A row of the report.
struct Row {
  std::string check;
  std::string store;
  int rounds = 0;
  std::int64_t requests = 0;
  std::string outcomes;
  std::string figures;
  double seconds = 0;
  int violations = 0;
};

class Report {
 public:
  void Add(Row row);
  void Print(FILE* out) const;

 private:
  mutable std::mutex mu_;
  std::vector<Row> rows_;
};

// A fresh store with `replicas` ecomd processes on it, an admin API key made
// through core, and a connection pool of our own for reading invariants.
class Cluster {
 public:
  // store: "sqlite" or "postgres" (ECOM_TEST_PG_URL must be set).
  Cluster(std::string store, std::string label, int replicas);
  ~Cluster();

  // Creates the store and starts the daemons. False (with `error`) on failure.
  bool Start(std::string* error);
  // Stops the daemons and drops the store, unless `keep` (then prints where it is).
  void Finish(bool keep);

  const std::string& store() const { return store_; }
  const std::string& url() const { return url_; }
  store::Database& db() { return *db_; }
  int replicas() const { return static_cast<int>(daemons_.size()); }
  Daemon& daemon(int i) { return *daemons_[static_cast<std::size_t>(i)]; }
  // The port of replica i % replicas.
  int port(int i) { return daemons_[static_cast<std::size_t>(i % replicas())]->port(); }
  const std::string& admin_key() const { return admin_key_; }
  std::string DaemonLogs() const;
  std::string where() const;  // the store and logs, for reproduction

  // Admin calls (through replica `via`). Return false with `error` filled.
  bool CreateProduct(const std::string& sku, std::int64_t price, const std::string& policy, int via,
                     std::string* error);
  bool Receive(const std::string& sku, std::int64_t units, int via, std::string* error) {
    return Adjust(sku, units, "received", via, error);
  }
  bool Adjust(const std::string& sku, std::int64_t delta, const std::string& reason, int via, std::string* error);

  // A guest cart with `lines` (sku, quantity) on replica `via`.
  struct Cart {
    std::string id;
    std::string token;
  };
  std::optional<Cart> NewGuestCart(const std::vector<std::pair<std::string, std::int64_t>>& lines, int via,
                                   std::string* error);
  Http Checkout(const Cart& cart, const std::string& key, const json& body, int via);

 private:
  std::string store_;
  std::string label_;
  int replicas_wanted_;
  std::filesystem::path dir_;
  std::string url_;
  std::string pg_schema_;
  std::unique_ptr<store::Database> db_;
  std::vector<std::unique_ptr<Daemon>> daemons_;
  std::string admin_key_;
};

// ---- invariants read from the store -------------------------------------

// Per variant, read in ONE statement (one snapshot on both stores).
struct VariantFigures {
  std::string variant_id;
  std::string sku;
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;
  bool backorder = false;
  std::int64_t ledger_sum = 0;
  std::int64_t ledger_rows = 0;
  std::int64_t reservation_sum = 0;
};
std::vector<VariantFigures> ReadVariants(store::Database& db);

// Checks every variant: on_hand == SUM(ledger), reserved == SUM(reservations),
// reserved >= 0, and for deny-policy variants on_hand >= 0 and available
// (on_hand - reserved) >= 0. Returns one message per broken rule.
std::vector<std::string> StockViolations(const std::vector<VariantFigures>& variants);

// Reservations held only by orders that still wait to ship (pending or
// confirmed, stock_state reserved), and each such order holds exactly its
// lines less what was restocked; orders past that hold nothing.
std::vector<std::string> ReservationOwnerViolations(store::Database& db);

// No order has more than one captured charge at the test gateway.
std::vector<std::string> DoubleCaptureViolations(store::Database& db);

std::int64_t QueryInt(store::Database& db, const std::string& sql, std::initializer_list<store::Value> params = {});

// ---- the run --------------------------------------------------------------

struct Options {
  int rounds = 2;
  std::vector<std::string> only;    // empty: all checks
  std::vector<std::string> stores;  // sqlite, postgres
  std::uint64_t seed = 0;
  bool keep = false;  // keep stores and logs even when all is well
};

struct Context {
  Options options;
  Violations violations;
  Report report;
  std::mutex rng_mu;
  std::mt19937_64 rng;

  std::uint64_t Random(std::uint64_t n);  // uniform in [0, n)
};

// The replicas each store runs: one ecomd on SQLite, three on PostgreSQL.
int ReplicasFor(const std::string& store);

// Starts `cluster` for `check`; if it cannot start, records the violation and
// a "setup failed" report row, tears the cluster down and returns false.
bool StartOrReport(Context& ctx, Cluster& cluster, const std::string& check, const std::string& store,
                   Clock::time_point started);

// "1.2 s" style formatting helpers.
std::string Fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));
double Seconds(Clock::time_point since);

}  // namespace ecom::reliability
