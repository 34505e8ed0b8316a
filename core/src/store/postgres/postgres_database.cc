// The PostgreSQL backend over libpqxx 6.4: a small pool of connections (a
// pqxx connection is not thread-safe), each preparing statements once.
#include "store/postgres/postgres_database.h"

#include "store/connection_pool.h"
#include "store/insert_sql.h"

#include <charconv>
#include <pqxx/pqxx>
#include <pqxx/tablewriter>
#include <unordered_map>
#include <vector>

namespace ecom::store {
namespace {

[[noreturn]] void Translate(const std::exception& e) {
  if (dynamic_cast<const pqxx::unique_violation*>(&e))
    throw DbError(DbError::Kind::kUniqueViolation, e.what());
  if (dynamic_cast<const pqxx::integrity_constraint_violation*>(&e))
    throw DbError(DbError::Kind::kConstraint, e.what());
  if (dynamic_cast<const pqxx::serialization_failure*>(&e) ||
      dynamic_cast<const pqxx::deadlock_detected*>(&e))
    throw DbError(DbError::Kind::kBusy, e.what());
  if (dynamic_cast<const pqxx::broken_connection*>(&e) ||
      dynamic_cast<const pqxx::in_doubt_error*>(&e))
    throw DbError(DbError::Kind::kUnavailable, e.what());
  throw DbError(DbError::Kind::kOther, e.what());
}

// Strips the password from a URL so it can be logged.
std::string Redact(const std::string& url) {
  auto scheme = url.find("://");
  auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return url;
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + ":***" + url.substr(at);
}

struct Connection {
  explicit Connection(const std::string& url) : conn(url) {}
  pqxx::connection conn;
  std::unordered_map<std::string, std::string> prepared;  // SQL -> statement name
};

// A value as libpq text; false for SQL NULL.
bool ToText(const Value& v, std::string& out) {
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          return false;
        } else {
          if constexpr (std::is_same_v<T, std::int64_t>) {
            out = std::to_string(x);
          } else if constexpr (std::is_same_v<T, bool>) {
            out = x ? "1" : "0";
          } else if constexpr (std::is_same_v<T, double>) {
            char buf[32];
            auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
            out.assign(buf, end);
          } else {
            out = x;
          }
          return true;
        }
      },
      v);
}

// Appends a value to a line of COPY's text format, escaping the characters
// that format gives meaning to.
void AppendCopyText(std::string& line, std::string_view text) {
  for (char ch : text) {
    switch (ch) {
      case '\\': line += "\\\\"; break;
      case '\n': line += "\\n"; break;
      case '\r': line += "\\r"; break;
      case '\t': line += "\\t"; break;
      default: line += ch;
    }
  }
}

// Parameter values as libpq text, with null pointers for SQL NULL.
class Params {
 public:
  explicit Params(std::span<const Value> values) : storage_(values.size()) {
    pointers_.reserve(values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
      pointers_.push_back(ToText(values[i], storage_[i]) ? storage_[i].c_str() : nullptr);
  }
  const std::vector<const char*>& pointers() const { return pointers_; }

 private:
  std::vector<std::string> storage_;
  std::vector<const char*> pointers_;
};

class PostgresRows final : public Rows {
 public:
  explicit PostgresRows(pqxx::result result) : result_(std::move(result)) {}
  bool Next() override { return ++index_ < static_cast<long>(result_.size()); }
  bool IsNull(int c) const override { return result_[index_][c].is_null(); }
  std::int64_t Int(int c) const override {
    auto f = result_[index_][c];
    if (f.is_null()) return 0;
    std::string_view s(f.c_str(), f.size());
    if (s == "t") return 1;
    if (s == "f") return 0;
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  }
  double Double(int c) const override {
    auto f = result_[index_][c];
    return f.is_null() ? 0.0 : f.as<double>();
  }
  std::string_view View(int c) const override {
    auto f = result_[index_][c];
    return std::string_view(f.c_str(), f.size());
  }

 private:
  pqxx::result result_;
  long index_ = -1;
};

class PostgresDatabase;

class PostgresTransaction final : public Transaction {
 public:
  PostgresTransaction(PostgresDatabase* owner, std::unique_ptr<Connection> conn, TxMode mode);
  ~PostgresTransaction() override;

  void Commit() override {
    try {
      tx_->commit();
    } catch (const pqxx::failure& e) {
      Translate(e);
    }
  }
  Dialect dialect() const override { return Dialect::kPostgres; }
  // The tables grow far past what a cached plan was made for (a plan chosen
  // while a table was nearly empty scans it), and no ANALYZE runs inside the
  // transaction: our statements go unnamed, planned for their values each
  // time. The foreign-key checks keep their cached plans, which are primary
  // key lookups whatever the size.
  void PrepareForBulkWrite() override { plan_each_time_ = true; }

  // A few rows go as one multi-row INSERT; more stream through COPY, which
  // the server parses far faster than bound parameters.
  void InsertRows(std::string_view table, std::string_view columns, std::span<const Value> values) override {
    std::vector<std::string> names = SplitColumns(columns);
    std::size_t width = names.size();
    std::size_t rows = values.size() / width;
    if (rows == 0) return;
    if (rows < kCopyThreshold) {
      Run(InsertSql(table, columns, width, rows), values.first(rows * width));
      return;
    }
    try {
      // pqxx 6.4's stream_to cannot take a row whose width is known only at
      // run time; tablewriter sends lines we format ourselves.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      pqxx::tablewriter copy(*tx_, std::string(table), names.begin(), names.end());
#pragma GCC diagnostic pop
      std::string line, text;
      for (std::size_t at = 0; at + width <= values.size(); at += width) {
        line.clear();
        for (std::size_t c = 0; c < width; ++c) {
          if (c) line += '\t';
          if (ToText(values[at + c], text)) AppendCopyText(line, text);
          else line += "\\N";
        }
        copy.write_raw_line(line);
      }
      copy.complete();
    } catch (const pqxx::failure& e) {
      Translate(e);
    } catch (const std::exception& e) {
      Translate(e);
    }
  }

 protected:
  std::unique_ptr<Rows> DoQuery(std::string_view sql, std::span<const Value> params) override {
    return std::make_unique<PostgresRows>(Run(sql, params));
  }
  std::int64_t DoExec(std::string_view sql, std::span<const Value> params) override {
    return static_cast<std::int64_t>(Run(sql, params).affected_rows());
  }

 private:
  pqxx::result Run(std::string_view sql, std::span<const Value> params) {
    try {
      Params p(params);
      // Past the cache's bound, statements run unprepared rather than filling
      // the server's per-connection statement cache.
      if (plan_each_time_)
        return tx_->exec_params(std::string(sql), pqxx::prepare::make_dynamic_params(p.pointers()));
      if (conn_->prepared.size() >= 512) {
        auto it = conn_->prepared.find(std::string(sql));
        if (it == conn_->prepared.end())
          return tx_->exec_params(std::string(sql), pqxx::prepare::make_dynamic_params(p.pointers()));
      }
      std::string key(sql);
      auto it = conn_->prepared.find(key);
      if (it == conn_->prepared.end()) {
        std::string name = "s" + std::to_string(conn_->prepared.size() + 1);
        conn_->conn.prepare(name, key);
        it = conn_->prepared.emplace(std::move(key), std::move(name)).first;
      }
      return tx_->exec_prepared(it->second, pqxx::prepare::make_dynamic_params(p.pointers()));
    } catch (const DbError&) {
      throw;
    } catch (const pqxx::failure& e) {
      Translate(e);
    } catch (const std::exception& e) {
      Translate(e);
    }
  }

  static constexpr std::size_t kCopyThreshold = 16;

  bool plan_each_time_ = false;

  PostgresDatabase* owner_;
  TxMode mode_;
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<pqxx::transaction_base> tx_;
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string url, DatabaseOptions options)
      : url_(std::move(url)),
        options_(options),
        writers_(options_.pool_size, [this] { return Connect(); }),
        readers_(options_.pool_size, [this] { return ConnectReader(); }) {}

  // Writers get a transaction (BEGIN ... COMMIT). Readers run each statement
  // on its own, on sessions made read-only: at READ COMMITTED every statement
  // of a transaction reads its own snapshot anyway, so the BEGIN and
  // ROLLBACK round trips bought nothing, and a write still fails there.
  std::unique_ptr<Transaction> Begin(TxMode mode) override {
    auto& pool = mode == TxMode::kRead ? readers_ : writers_;
    return std::make_unique<PostgresTransaction>(this, pool.Acquire(), mode);
  }
  Dialect dialect() const override { return Dialect::kPostgres; }
  std::string description() const override { return Redact(url_); }

  std::unique_ptr<void, void (*)(void*)> LockForMigration() override {
    // A session-level advisory lock on a connection of its own, held until the
    // returned handle is destroyed.
    auto* conn = Connect().release();
    try {
      pqxx::nontransaction tx(conn->conn);
      tx.exec("SELECT pg_advisory_lock(7301142003)");
    } catch (const pqxx::failure& e) {
      delete conn;
      Translate(e);
    }
    return {conn, [](void* p) { delete static_cast<Connection*>(p); }};
  }

  // Returns a connection to its pool; a null or broken one is dropped.
  void Release(TxMode mode, std::unique_ptr<Connection> conn) {
    bool broken = conn && !conn->conn.is_open();
    (mode == TxMode::kRead ? readers_ : writers_).Release(std::move(conn), broken);
  }

 private:
  std::unique_ptr<Connection> Connect() {
    try {
      return std::make_unique<Connection>(url_);
    } catch (const std::exception& e) {
      throw DbError(DbError::Kind::kUnavailable,
                    "cannot connect to PostgreSQL at " + Redact(url_) + ": " + e.what());
    }
  }

  std::unique_ptr<Connection> ConnectReader() {
    auto conn = Connect();
    try {
      pqxx::nontransaction tx(conn->conn);
      tx.exec("SET default_transaction_read_only = on");
    } catch (const std::exception& e) {
      Translate(e);
    }
    return conn;
  }

  std::string url_;
  DatabaseOptions options_;
  ConnectionPool<Connection> writers_;
  ConnectionPool<Connection> readers_;
};

PostgresTransaction::PostgresTransaction(PostgresDatabase* owner, std::unique_ptr<Connection> conn,
                                         TxMode mode)
    : owner_(owner), mode_(mode), conn_(std::move(conn)) {
  try {
    if (mode == TxMode::kRead) tx_ = std::make_unique<pqxx::nontransaction>(conn_->conn);
    else tx_ = std::make_unique<pqxx::work>(conn_->conn);
  } catch (const std::exception& e) {
    owner_->Release(mode_, nullptr);
    conn_.reset();
    Translate(e);
  }
}

PostgresTransaction::~PostgresTransaction() {
  try {
    tx_.reset();  // aborts if not committed
  } catch (...) {
    conn_.reset();
  }
  owner_->Release(mode_, std::move(conn_));
}

}  // namespace

std::unique_ptr<Database> OpenPostgres(const std::string& url, const DatabaseOptions& options) {
  return std::make_unique<PostgresDatabase>(url, options);
}

}  // namespace ecom::store
