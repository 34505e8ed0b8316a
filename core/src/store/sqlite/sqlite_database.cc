// The SQLite backend: a pool of connections to one WAL-mode file, with each
// connection's prepared statements cached by SQL text.
#include "store/sqlite/sqlite_database.h"

#include "store/connection_pool.h"
#include "store/insert_sql.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace ecom::store {
namespace {

DbError::Kind KindOf(int rc) {
  switch (rc & 0xFF) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return DbError::Kind::kUniqueViolation;
      return DbError::Kind::kConstraint;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return DbError::Kind::kBusy;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
      return DbError::Kind::kUnavailable;
    default:
      return DbError::Kind::kOther;
  }
}

[[noreturn]] void Fail(sqlite3* db, int rc, std::string_view what) {
  int ext = db ? sqlite3_extended_errcode(db) : rc;
  throw DbError(KindOf(ext), std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

// SQLite reads `$1` as a *named* parameter numbered by first appearance, and
// looking names up is linear per parameter. `?1` is numbered by its digits,
// so the shared `$N` SQL is rewritten once per statement and bound by index.
// ($ never appears in ecom's SQL outside parameters: values are always bound.)
std::string ToNumberedParameters(std::string_view sql) {
  std::string out(sql);
  for (std::size_t i = 0; i + 1 < out.size(); ++i)
    if (out[i] == '$' && out[i + 1] >= '0' && out[i + 1] <= '9') out[i] = '?';
  return out;
}

// One open connection and its statement cache.
class Connection {
 public:
  Connection(const std::string& path, const DatabaseOptions& options) {
    int rc = sqlite3_open_v2(path.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      throw DbError(DbError::Kind::kUnavailable, "cannot open SQLite database " + path + ": " + message);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, options.busy_timeout_ms);
    Run("PRAGMA journal_mode=WAL");
    Run(options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    Run("PRAGMA foreign_keys=ON");
    Run("PRAGMA temp_store=MEMORY");
    Run("PRAGMA cache_size=-16384");  // 16 MiB per connection
  }

  ~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  void Run(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string message = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw DbError(KindOf(sqlite3_extended_errcode(db_)), std::string(sql) + ": " + message);
    }
  }

  // Returns a reset statement for `sql`, prepared once per connection. Past
  // the cache's bound statements are not kept: *owned is set and the caller
  // finalizes the statement.
  sqlite3_stmt* Prepare(std::string_view sql, bool* owned) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) {
      *owned = false;
      return it->second;
    }
    *owned = cache_.size() >= kMaxCachedStatements;
    sqlite3_stmt* stmt = nullptr;
    std::string numbered = ToNumberedParameters(sql);
    int rc = sqlite3_prepare_v3(db_, numbered.data(), static_cast<int>(numbered.size()),
                                *owned ? 0 : SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) Fail(db_, rc, "prepare");
    if (!*owned) cache_.emplace(std::string(sql), stmt);
    return stmt;
  }

  sqlite3* handle() const { return db_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  static constexpr std::size_t kMaxCachedStatements = 512;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*, Hash, std::equal_to<>> cache_;
};

// Binds values by index. `copy` makes SQLite keep its own copy of text, for
// cursors stepped after the caller's values are gone.
void Bind(sqlite3* db, sqlite3_stmt* stmt, std::span<const Value> params, bool copy) {
  auto lifetime = copy ? SQLITE_TRANSIENT : SQLITE_STATIC;
  int count = sqlite3_bind_parameter_count(stmt);
  if (static_cast<std::size_t>(count) > params.size())
    throw DbError(DbError::Kind::kOther, "no value for parameter ?" + std::to_string(count));
  for (int index = 1; index <= count; ++index) {
    const Value& v = params[static_cast<std::size_t>(index - 1)];
    int rc = std::visit(
        [&](const auto& x) -> int {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) return sqlite3_bind_null(stmt, index);
          else if constexpr (std::is_same_v<T, std::int64_t>) return sqlite3_bind_int64(stmt, index, x);
          else if constexpr (std::is_same_v<T, bool>) return sqlite3_bind_int64(stmt, index, x ? 1 : 0);
          else if constexpr (std::is_same_v<T, double>) return sqlite3_bind_double(stmt, index, x);
          else if constexpr (std::is_same_v<T, const char*>)
            return sqlite3_bind_text(stmt, index, x, -1, lifetime);
          else return sqlite3_bind_text64(stmt, index, x.data(), x.size(), lifetime, SQLITE_UTF8);
        },
        v);
    if (rc != SQLITE_OK) Fail(db, rc, "bind");
  }
}

class SqliteRows final : public Rows {
 public:
  SqliteRows(sqlite3* db, sqlite3_stmt* stmt, bool owned) : db_(db), stmt_(stmt), owned_(owned) {}
  ~SqliteRows() override {
    if (owned_) {
      sqlite3_finalize(stmt_);
      return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  bool Next() override {
    if (done_) return false;
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    done_ = true;
    if (rc == SQLITE_DONE) return false;
    Fail(db_, rc, "step");
  }
  bool IsNull(int c) const override { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::int64_t Int(int c) const override { return sqlite3_column_int64(stmt_, c); }
  double Double(int c) const override { return sqlite3_column_double(stmt_, c); }
  std::string_view View(int c) const override {
    const unsigned char* text = sqlite3_column_text(stmt_, c);
    int n = sqlite3_column_bytes(stmt_, c);
    return text ? std::string_view(reinterpret_cast<const char*>(text), n) : std::string_view();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool owned_;
  bool done_ = false;
};

class SqliteDatabase;

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteDatabase* owner, std::unique_ptr<Connection> conn, TxMode mode,
                    std::unique_lock<std::timed_mutex> writer);
  ~SqliteTransaction() override;

  void Commit() override {
    conn_->Run("COMMIT");
    open_ = false;
    if (writer_.owns_lock()) writer_.unlock();
  }
  Dialect dialect() const override { return Dialect::kSqlite; }

  // One prepared single-row INSERT stepped per row: SQLite runs in-process,
  // so a row costs a bind and a step, and no SQL text is built per batch.
  void InsertRows(std::string_view table, std::string_view columns, std::span<const Value> values) override {
    std::size_t width = SplitColumns(columns).size();
    bool owned = false;
    sqlite3_stmt* stmt = conn_->Prepare(InsertSql(table, columns, width, 1), &owned);
    SqliteRows guard(conn_->handle(), stmt, owned);  // resets or finalizes it
    for (std::size_t at = 0; at + width <= values.size(); at += width) {
      Bind(conn_->handle(), stmt, values.subspan(at, width), /*copy=*/false);
      int rc = sqlite3_step(stmt);
      if (rc != SQLITE_DONE) Fail(conn_->handle(), rc, "insert into " + std::string(table));
      sqlite3_reset(stmt);
    }
  }

 protected:
  std::unique_ptr<Rows> DoQuery(std::string_view sql, std::span<const Value> params) override {
    return Prepared(sql, params, /*copy=*/true);
  }
  std::int64_t DoExec(std::string_view sql, std::span<const Value> params) override {
    {
      // Stepped to the end right here, while the caller's values live.
      auto rows = Prepared(sql, params, /*copy=*/false);
      while (rows->Next()) {
      }
    }
    return sqlite3_changes64(conn_->handle());
  }

 private:
  std::unique_ptr<SqliteRows> Prepared(std::string_view sql, std::span<const Value> params, bool copy) {
    bool owned = false;
    sqlite3_stmt* stmt = conn_->Prepare(sql, &owned);
    auto rows = std::make_unique<SqliteRows>(conn_->handle(), stmt, owned);
    Bind(conn_->handle(), stmt, params, copy);
    return rows;
  }

 public:

 private:
  SqliteDatabase* owner_;
  std::unique_ptr<Connection> conn_;
  bool open_ = true;
  // This process's turn to write (see SqliteDatabase::Begin); declared last
  // so that it is released after the connection has rolled back.
  std::unique_lock<std::timed_mutex> writer_;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, DatabaseOptions options)
      : path_(std::move(path)),
        options_(options),
        // The first connection opens at once: a bad path fails at start-up,
        // and WAL mode is set before any reader arrives.
        pool_(options_.pool_size, [this] { return std::make_unique<Connection>(path_, options_); }) {}

  // Writers of this process queue on a mutex before they take a connection
  // and SQLite's write lock: waiting there wakes the next writer the moment
  // the last one commits, where SQLite's busy handler would sleep and poll
  // (costing up to 100 ms a wait under load), and waiting writers do not sit
  // on pooled connections that readers need. Other processes still meet at
  // SQLite's own lock and its busy timeout.
  std::unique_ptr<Transaction> Begin(TxMode mode) override {
    std::unique_lock<std::timed_mutex> writer;
    if (mode == TxMode::kWrite) {
      writer = std::unique_lock<std::timed_mutex>(writer_, std::defer_lock);
      if (!writer.try_lock_for(std::chrono::milliseconds(options_.busy_timeout_ms)))
        throw DbError(DbError::Kind::kBusy, "timed out waiting for this process's other writers");
    }
    return std::make_unique<SqliteTransaction>(this, pool_.Acquire(), mode, std::move(writer));
  }
  Dialect dialect() const override { return Dialect::kSqlite; }
  std::string description() const override { return "sqlite://" + path_; }
  std::unique_ptr<void, void (*)(void*)> LockForMigration() override {
    return {nullptr, [](void*) {}};
  }

  void CheckpointLog() override {
    auto conn = pool_.Acquire();
    try {
      conn->Run("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (const DbError&) {
      // The store is busy: automatic checkpoints fold the log back later.
    }
    pool_.Release(std::move(conn));
  }

  // Returns a connection to the pool; a null one was dropped as broken.
  void Release(std::unique_ptr<Connection> conn) { pool_.Release(std::move(conn)); }

 private:
  std::string path_;
  DatabaseOptions options_;
  ConnectionPool<Connection> pool_;
  std::timed_mutex writer_;
};

SqliteTransaction::SqliteTransaction(SqliteDatabase* owner, std::unique_ptr<Connection> conn, TxMode mode,
                                     std::unique_lock<std::timed_mutex> writer)
    : owner_(owner), conn_(std::move(conn)), writer_(std::move(writer)) {
  try {
    conn_->Run(mode == TxMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
  } catch (...) {
    owner_->Release(std::move(conn_));
    throw;
  }
}

SqliteTransaction::~SqliteTransaction() {
  if (open_) {
    // A failed COMMIT or an abandoned unit of work: roll back. If even that
    // fails the connection is in an unknown state, so drop it.
    if (sqlite3_get_autocommit(conn_->handle()) == 0 &&
        sqlite3_exec(conn_->handle(), "ROLLBACK", nullptr, nullptr, nullptr) != SQLITE_OK) {
      conn_.reset();
    }
  }
  owner_->Release(std::move(conn_));
}

}  // namespace

std::unique_ptr<Database> OpenSqlite(const std::string& path, const DatabaseOptions& options) {
  // The default store is ./var/ecom.db: make its folder on first use.
  auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) std::filesystem::create_directories(parent, ec);
  return std::make_unique<SqliteDatabase>(path, options);
}

}  // namespace ecom::store
