// The storage interface every domain repository is written against: one
// Database with SQLite and PostgreSQL backends, chosen by URL.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

namespace ecom::store {

enum class Dialect { kSqlite, kPostgres };

// A bound parameter. SQL uses `$1`, `$2`, ... in both dialects; string views
// must stay valid for the duration of the call.
using Value =
    std::variant<std::nullptr_t, std::int64_t, double, std::string_view, std::string, bool, const char*>;

// A value or NULL, for optional columns.
template <typename T>
Value Nullable(const std::optional<T>& v) {
  if (!v) return nullptr;
  return Value(*v);
}

// What went wrong in the database, translated from each driver's codes so that
// services can react the same way on both stores.
class DbError : public std::runtime_error {
 public:
  enum class Kind {
    kUniqueViolation,  // SQLite CONSTRAINT_UNIQUE/PRIMARYKEY, PostgreSQL 23505
    kConstraint,       // another constraint (check, foreign key, not null)
    kBusy,             // lock wait exhausted, serialization failure: retry may help
    kUnavailable,      // cannot connect / the connection broke
    kOther,
  };
  DbError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// A forward-only cursor over a statement's result rows. Column accessors are
// valid after Next() returned true; a view is valid until the next Next().
class Rows {
 public:
  virtual ~Rows() = default;
  virtual bool Next() = 0;
  virtual bool IsNull(int column) const = 0;
  virtual std::int64_t Int(int column) const = 0;
  virtual double Double(int column) const = 0;
  virtual std::string_view View(int column) const = 0;

  std::string Text(int column) const { return std::string(View(column)); }
  bool Bool(int column) const { return Int(column) != 0; }
  std::optional<std::string> OptText(int column) const {
    if (IsNull(column)) return std::nullopt;
    return Text(column);
  }
  std::optional<std::int64_t> OptInt(int column) const {
    if (IsNull(column)) return std::nullopt;
    return Int(column);
  }
};

// A unit of work on one connection. Statements run in order; nothing is
// visible to others until Commit(). Destroying an uncommitted transaction rolls
// it back. Not thread-safe: one thread uses it at a time.
class Transaction {
 public:
  virtual ~Transaction() = default;

  std::unique_ptr<Rows> Query(std::string_view sql, std::initializer_list<Value> params = {}) {
    return DoQuery(sql, std::span<const Value>(params.begin(), params.size()));
  }
  std::unique_ptr<Rows> Query(std::string_view sql, std::span<const Value> params) {
    return DoQuery(sql, params);
  }
  // Runs a statement and returns the number of rows it changed.
  std::int64_t Exec(std::string_view sql, std::initializer_list<Value> params = {}) {
    return DoExec(sql, std::span<const Value>(params.begin(), params.size()));
  }
  std::int64_t Exec(std::string_view sql, std::span<const Value> params) {
    return DoExec(sql, params);
  }
  // Runs a statement whose count nobody reads. A store may hold it back and
  // send it with the transaction's next statement or its commit (PostgreSQL
  // does, saving a round trip each), so a failure, such as a broken
  // constraint, is thrown by the next call that waits for the store. Use
  // Exec where the caller must catch the statement's own error.
  void Send(std::string_view sql, std::initializer_list<Value> params = {}) {
    DoSend(sql, std::span<const Value>(params.begin(), params.size()));
  }
  void Send(std::string_view sql, std::span<const Value> params) { DoSend(sql, params); }

  // What a statement issued with Prefetch answered: its rows (a RETURNING
  // clause's too), and how many rows an INSERT, UPDATE or DELETE changed.
  struct Answer {
    std::unique_ptr<Rows> rows;
    std::int64_t changed = 0;
  };
  // Issues a statement whose answer is read later, with Take. A store may
  // hold it back and send it with the next statement that needs an answer
  // (PostgreSQL does), so statements prefetched one after another cost one
  // round trip together. SQLite runs a write at once, and steps a read when
  // it is taken unless a write comes first. It runs in order with the
  // transaction's other statements: a read answers with what the
  // transaction held when it was issued. Its failure, as a sent statement's,
  // is thrown by the next call that waits for the store. Returns the ticket
  // that Take redeems.
  std::size_t Prefetch(std::string_view sql, std::initializer_list<Value> params = {}) {
    return DoPrefetch(sql, std::span<const Value>(params.begin(), params.size()));
  }
  std::size_t Prefetch(std::string_view sql, std::span<const Value> params) { return DoPrefetch(sql, params); }
  // The answer to a prefetched statement, waiting for it if need be. Each
  // ticket is taken once.
  Answer Take(std::size_t ticket) { return DoTake(ticket); }

  // Inserts rows into `table`: `columns` names them, comma-separated, and
  // `values` holds the rows one after another (a multiple of the column
  // count). Each store takes the fastest road it has: SQLite steps one
  // prepared single-row INSERT per row; PostgreSQL streams a COPY.
  virtual void InsertRows(std::string_view table, std::string_view columns, std::span<const Value> values) = 0;
  // Makes every change durable (SQLite: fsynced WAL; PostgreSQL: committed).
  virtual void Commit() = 0;
  // Tunes this transaction for writing many rows: PostgreSQL plans each
  // statement afresh, since tables grow past the statistics that cached plans
  // were made with (no ANALYZE runs inside the transaction). Harmless no-op
  // where nothing needs tuning.
  virtual void PrepareForBulkWrite() {}
  virtual Dialect dialect() const = 0;

  // The next number of a counter a migration made with {sequence NAME START}.
  // SQLite hands them out in commit order without gaps; PostgreSQL never
  // waits for other transactions, and a rolled-back transaction's number is
  // skipped.
  std::int64_t NextInSequence(std::string_view name);

 protected:
  virtual std::unique_ptr<Rows> DoQuery(std::string_view sql, std::span<const Value> params) = 0;
  virtual std::int64_t DoExec(std::string_view sql, std::span<const Value> params) = 0;
  virtual void DoSend(std::string_view sql, std::span<const Value> params) { DoExec(sql, params); }
  virtual std::size_t DoPrefetch(std::string_view sql, std::span<const Value> params) = 0;
  virtual Answer DoTake(std::size_t ticket) = 0;
};

enum class TxMode {
  kRead,   // reads only; may run beside writers
  kWrite,  // takes the write lock at BEGIN (SQLite BEGIN IMMEDIATE)
};

struct DatabaseOptions {
  int pool_size = 8;                 // connections kept per process
  int busy_timeout_ms = 30000;       // SQLite: how long a writer waits for the lock
  bool synchronous_full = true;      // SQLite: fsync each commit (power-loss safe)
  int checkpoint_pages = 10000;      // SQLite: log size that triggers copying it back
};

// When Database::Write returns after keeping a unit's changes.
enum class Durability {
  kDurable,  // once they are durable
  // Once they are committed: visible to others, and never durable later than
  // anything committed after them (each store keeps one log in commit order),
  // so the next durable write makes them durable too. For a step whose
  // outcome nobody outside hears of before a durable write that follows it
  // (see docs/architecture.md, "The checkout path"). SQLite answers it
  // without waiting for its flush; PostgreSQL commits as for kDurable.
  kOrdered,
};

// A database: a pool of connections to one store. Thread-safe; Begin() blocks
// while every pooled connection is in use.
class Database {
 public:
  virtual ~Database() = default;
  virtual std::unique_ptr<Transaction> Begin(TxMode mode) = 0;
  // Runs `work` as one unit of work in a write transaction: if it returns
  // true its changes are kept, and Write returns once they are durable (or,
  // with kOrdered, committed); if it returns false or throws they are
  // dropped, and what it threw is rethrown. Throws DbError if the store could
  // not keep them. `work` must not commit, nor start another write. SQLite
  // runs it on its writer thread, back to back with other units (see
  // docs/architecture.md); the default runs it here on a transaction from
  // Begin().
  void Write(const std::function<bool(Transaction&)>& work, Durability durability = Durability::kDurable) {
    DoWrite(work, durability);
  }
  virtual Dialect dialect() const = 0;
  // Where it points, with any password removed; safe to log.
  virtual std::string description() const = 0;

  // After a bulk write: folds the write-ahead log back into the database so
  // readers do not search a large log (SQLite: a passive checkpoint, which
  // never waits; once the log is fully copied readers skip it). A no-op where
  // the store manages this itself.
  virtual void CheckpointLog() {}

  // Takes an exclusive, cross-process lock for schema migration, held until
  // the returned object is destroyed (PostgreSQL: an advisory lock; SQLite:
  // the write lock of the transaction used to migrate is enough, so this is
  // a no-op there).
  virtual std::unique_ptr<void, void (*)(void*)> LockForMigration() = 0;

 protected:
  virtual void DoWrite(const std::function<bool(Transaction&)>& work, Durability) {
    auto tx = Begin(TxMode::kWrite);
    if (work(*tx)) tx->Commit();
  }
};

// Opens a store by URL: `sqlite:///abs/path.db`, `sqlite://rel/path.db`, a bare
// file path (SQLite), or `postgresql://...` / `postgres://...`. Throws DbError
// (kUnavailable) if it cannot be opened, std::invalid_argument for a bad URL.
std::unique_ptr<Database> Open(std::string_view url, const DatabaseOptions& options = {});

// Runs `work(tx)` in a write transaction and commits, retrying the whole unit
// a few times when the store reports kBusy (a PostgreSQL serialization failure
// or deadlock). `work` returns a Result-like value; on error it is returned
// without committing.
template <typename Work>
auto InWriteTransaction(Database& db, Work&& work, Durability durability = Durability::kDurable)
    -> decltype(work(std::declval<Transaction&>())) {
  for (int attempt = 0;; ++attempt) {
    try {
      std::optional<decltype(work(std::declval<Transaction&>()))> result;
      db.Write(
          [&](Transaction& tx) {
            result.emplace(work(tx));
            return result->ok();
          },
          durability);
      return std::move(*result);
    } catch (const DbError& e) {
      if (e.kind() != DbError::Kind::kBusy || attempt >= 4) throw;
    }
  }
}

}  // namespace ecom::store
