// The SQLite backend: a pool of connections to one WAL-mode file, with each
// connection's prepared statements cached by SQL text.
#include "store/sqlite/sqlite_database.h"

#include "store/connection_pool.h"
#include "store/insert_sql.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
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

  // Runs one statement that returns no rows from the statement cache, so
  // that the transaction control every unit of work runs (BEGIN, SAVEPOINT,
  // COMMIT...) is not compiled again each time. Returns the result code.
  int TryStep(std::string_view sql) {
    bool owned = false;
    sqlite3_stmt* stmt = nullptr;
    try {
      stmt = Prepare(sql, &owned);
    } catch (const DbError&) {
      return SQLITE_ERROR;
    }
    int rc = sqlite3_step(stmt);
    if (owned) sqlite3_finalize(stmt);
    else sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  void Step(std::string_view sql) {
    if (int rc = TryStep(sql); rc != SQLITE_OK) Fail(db_, rc, sql);
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

// Group commit. This process's write transactions take turns on one writer
// connection. The first opens the group's transaction (BEGIN IMMEDIATE);
// when it commits while others are queued, it hands the still-open
// transaction on instead of committing, and each later unit of work runs
// under its own savepoint, so abandoning one rolls back only its own
// changes. The unit that finds nobody queued (or the group full or old
// enough) commits, which writes the group to the log, and passes the turn
// on at once; only then does it flush the log to disk, while the next group
// already runs. No member's Commit() returns before a flush that began after
// its group's COMMIT has finished. Alone, a writer commits at once, as
// without groups.
//
// The writer connection runs with synchronous=NORMAL, so SQLite's COMMIT
// does not flush; the flush here is what makes a commit durable (with
// synchronous_full off, there is none). Log frames are written in order and
// a flush covers the whole file, so a flush that finishes for one group
// makes every earlier one durable too.
class CommitGroups {
 public:
  using Opener = std::function<std::unique_ptr<Connection>()>;
  CommitGroups(std::string path, Opener open, const DatabaseOptions& options)
      : path_(std::move(path)), open_(std::move(open)), timeout_(options.busy_timeout_ms),
        flush_(options.synchronous_full) {}

  ~CommitGroups() {
    if (log_fd_ >= 0) ::close(log_fd_);
  }

  struct Turn {
    Connection* conn;
    bool in_savepoint;  // a later member of an open group
  };

  // Waits for this thread's turn and opens its unit of work.
  Turn Enter() {
    std::unique_lock lock(mu_);
    if (broken_) throw DbError(DbError::Kind::kUnavailable, *broken_);
    ++waiting_;
    bool mine = turn_cv_.wait_for(lock, timeout_, [&] { return !busy_; });
    --waiting_;
    if (!mine) throw DbError(DbError::Kind::kBusy, "timed out waiting for this process's other writers");
    busy_ = true;
    bool joining = group_open_;
    lock.unlock();
    bool begun = false;
    try {
      if (!conn_) OpenWriter();
      conn_->Step(joining ? "SAVEPOINT ecom_unit" : "BEGIN IMMEDIATE");
      begun = true;
      if (flush_ && log_fd_ < 0) OpenLog();  // the log exists once a transaction has begun
    } catch (...) {
      if (begun) Abandon(joining);
      else Leave(/*joined=*/false);
      throw;
    }
    if (!joining) {
      lock.lock();
      group_open_ = true;
      ++group_;
      members_ = 0;
      started_ = std::chrono::steady_clock::now();
    }
    return {conn_.get(), joining};
  }

  // The unit's work stays in the group (its savepoint released): ends the
  // turn and returns once the group is durable, or throws what lost it.
  void Join() { Leave(/*joined=*/true); }

  // The unit's work is dropped: rolls back its savepoint (or, for the unit
  // that opened the group, alone in it so far, the whole transaction).
  //
  // A unit inside a group saw the earlier members' uncommitted work (a read,
  // or a unique key they took), and its caller may act on that next, on
  // another connection: so it too returns only once the group is settled.
  void Abandon(bool in_savepoint) noexcept {
    if (conn_ && sqlite3_get_autocommit(conn_->handle()) == 0) {
      bool undone = in_savepoint ? conn_->TryStep("ROLLBACK TO ecom_unit") == SQLITE_OK &&
                                       conn_->TryStep("RELEASE ecom_unit") == SQLITE_OK
                                 : conn_->TryStep("ROLLBACK") == SQLITE_OK;
      if (!undone) conn_.reset();
    }
    try {
      Leave(/*joined=*/in_savepoint);
    } catch (const DbError&) {
      // The group was lost; this unit's work was dropped anyway.
    }
  }

 private:
  static constexpr int kMaxMembers = 64;
  static constexpr std::chrono::milliseconds kMaxAge{5};
  static constexpr int kCheckpointPages = 1000;  // SQLite's own default

  struct Failure {
    DbError::Kind kind;
    std::string message;
    int waiters;
  };

  void OpenWriter() {
    conn_ = open_();
    conn_->Run("PRAGMA synchronous=NORMAL");
    sqlite3_wal_hook(conn_->handle(), &CommitGroups::OnLogWritten, this);  // replaces SQLite's own checkpoints
  }

  // Ends the caller's turn: hands the open group on to a queued writer, or
  // commits it. A `joined` caller then waits for its group to be durable.
  void Leave(bool joined) {
    std::unique_lock lock(mu_);
    std::uint64_t group = group_;
    if (joined) ++members_;
    if (group_open_ && (!conn_ || sqlite3_get_autocommit(conn_->handle()) != 0)) {
      // A unit's error made SQLite roll the whole transaction back (an I/O
      // error, a full disk): the group is lost, and no member has been told
      // it is done. Their work was sound, so they may retry.
      Lost(group, DbError(DbError::Kind::kBusy, "rolled back with its commit group after another unit failed"));
    } else if (group_open_ && (waiting_ == 0 || members_ >= kMaxMembers ||
                               std::chrono::steady_clock::now() - started_ >= kMaxAge)) {
      lock.unlock();
      std::optional<DbError> error;
      try {
        conn_->Step("COMMIT");
        if (checkpoint_due_) Checkpoint();
      } catch (const DbError& e) {
        error = e;
        if (conn_ && sqlite3_get_autocommit(conn_->handle()) == 0 &&
            conn_->TryStep("ROLLBACK") != SQLITE_OK)
          conn_.reset();
      }
      lock.lock();
      if (error) {
        Lost(group, *error);
      } else {
        group_open_ = false;
        busy_ = false;
        turn_cv_.notify_one();
        Flush(lock, group);
        if (!joined) return;
        return AwaitDurable(lock, group);
      }
    }
    busy_ = false;
    turn_cv_.notify_one();
    if (joined) AwaitDurable(lock, group);
  }

  // Under mu_, the turn already passed on: makes `group` durable. The flush
  // runs without the lock, beside the next group's work.
  void Flush(std::unique_lock<std::mutex>& lock, std::uint64_t group) {
    if (!flush_) {
      durable_ = std::max(durable_, group);
      durable_cv_.notify_all();
      return;
    }
    bool covered = durable_ >= group;  // a later group's flush finished first
    int fd = log_fd_;
    lock.unlock();
    int err = covered || ::fdatasync(fd) == 0 ? 0 : errno;
    lock.lock();
    if (err == 0) {
      durable_ = std::max(durable_, group);
    } else if (!broken_) {
      // After a failed flush the kernel may have dropped the pages it could
      // not write, and a later flush can succeed without them: nothing
      // written since can be vouched for. Refuse further writes until a
      // restart recovers the store from what is on disk.
      broken_ = "cannot flush the SQLite log " + path_ + "-wal: " + std::strerror(err) +
                "; restart to recover the store";
    }
    durable_cv_.notify_all();
  }

  void AwaitDurable(std::unique_lock<std::mutex>& lock, std::uint64_t group) {
    durable_cv_.wait(lock, [&] { return durable_ >= group || failures_.count(group) || broken_; });
    if (auto it = failures_.find(group); it != failures_.end()) {
      DbError error(it->second.kind, it->second.message);
      if (--it->second.waiters == 0) failures_.erase(it);
      throw error;
    }
    if (durable_ < group) throw DbError(DbError::Kind::kUnavailable, *broken_);
  }

  // Under mu_: the open group is over and none of it was kept.
  void Lost(std::uint64_t group, const DbError& error) {
    group_open_ = false;
    if (members_ > 0) failures_.emplace(group, Failure{error.kind(), error.what(), members_});
    durable_cv_.notify_all();
  }

  // Copies the log into the database file before the next group begins,
  // so that group can start the log afresh, as SQLite's automatic
  // checkpoint would (it needs the whole log copied when its transaction
  // begins). Passive: it never waits for readers; what they still need is
  // copied next time.
  void Checkpoint() {
    checkpoint_due_ = false;
    sqlite3_wal_checkpoint_v2(conn_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }

  // Opens the log file for flushing, and makes its directory entry durable
  // too: SQLite flushes a new log's directory only when it first flushes the
  // log itself, which synchronous=NORMAL leaves to checkpoints.
  void OpenLog() {
    std::string log = path_ + "-wal";
    int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw DbError(DbError::Kind::kUnavailable, "cannot open " + log + ": " + std::strerror(errno));
    std::string dir = std::filesystem::path(path_).parent_path().string();
    int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      ::fsync(dir_fd);
      ::close(dir_fd);
    }
    std::lock_guard lock(mu_);
    log_fd_ = fd;
  }

  // Called by SQLite in the committing thread with the log's size in pages.
  static int OnLogWritten(void* self, sqlite3*, const char*, int pages) {
    static_cast<CommitGroups*>(self)->checkpoint_due_ = pages >= kCheckpointPages;
    return SQLITE_OK;
  }

  std::string path_;
  Opener open_;
  std::chrono::milliseconds timeout_;
  bool flush_;
  std::unique_ptr<Connection> conn_;  // used only by the thread whose turn it is
  int log_fd_ = -1;                   // the log, opened by the first committer
  bool checkpoint_due_ = false;       // the log has grown past kCheckpointPages

  std::mutex mu_;
  std::condition_variable turn_cv_;
  std::condition_variable durable_cv_;
  bool busy_ = false;        // a thread has its turn
  int waiting_ = 0;          // threads queued for a turn
  bool group_open_ = false;  // the writer connection is inside the group's transaction
  std::uint64_t group_ = 0;  // the latest group opened
  std::uint64_t durable_ = 0;  // every group up to this one that was not lost is on disk
  int members_ = 0;            // units joined to the open group
  std::chrono::steady_clock::time_point started_;
  std::map<std::uint64_t, Failure> failures_;  // lost groups with members still to hear of it
  std::optional<std::string> broken_;          // set when a flush failed

};

class SqliteDatabase;

class SqliteTransaction final : public Transaction {
 public:
  // A reader on a pooled connection.
  SqliteTransaction(SqliteDatabase* owner, std::unique_ptr<Connection> conn);
  // A writer's unit of work in a commit group.
  SqliteTransaction(CommitGroups* groups, CommitGroups::Turn turn)
      : groups_(groups), conn_(turn.conn), in_savepoint_(turn.in_savepoint) {}
  ~SqliteTransaction() override;

  void Commit() override {
    if (groups_) {
      // If RELEASE fails the unit is still open, and the destructor abandons it.
      if (in_savepoint_) conn_->Step("RELEASE ecom_unit");
      open_ = false;
      groups_->Join();
      return;
    }
    conn_->Step("COMMIT");
    open_ = false;
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

  SqliteDatabase* owner_ = nullptr;       // a reader's pool
  std::unique_ptr<Connection> pooled_;    // a reader's connection
  CommitGroups* groups_ = nullptr;        // a writer's commit groups
  Connection* conn_;
  bool in_savepoint_ = false;
  bool open_ = true;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, DatabaseOptions options)
      : path_(std::move(path)),
        options_(options),
        // The first connection opens at once: a bad path fails at start-up,
        // and WAL mode is set before any reader arrives.
        pool_(options_.pool_size, [this] { return std::make_unique<Connection>(path_, options_); }),
        groups_(path_, [this] { return std::make_unique<Connection>(path_, options_); }, options_) {}

  // Readers take a pooled connection each. Writers of this process queue
  // for the one writer connection (see CommitGroups): a waiting writer wakes
  // the moment the last one is done, where SQLite's busy handler would sleep
  // and poll, and never sits on a connection readers need. Other processes
  // meet this one at SQLite's own lock and its busy timeout.
  std::unique_ptr<Transaction> Begin(TxMode mode) override {
    if (mode == TxMode::kWrite) return std::make_unique<SqliteTransaction>(&groups_, groups_.Enter());
    return std::make_unique<SqliteTransaction>(this, pool_.Acquire());
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
  CommitGroups groups_;
};

SqliteTransaction::SqliteTransaction(SqliteDatabase* owner, std::unique_ptr<Connection> conn)
    : owner_(owner), pooled_(std::move(conn)), conn_(pooled_.get()) {
  try {
    conn_->Step("BEGIN");
  } catch (...) {
    owner_->Release(std::move(pooled_));
    throw;
  }
}

SqliteTransaction::~SqliteTransaction() {
  if (groups_) {
    if (open_) groups_->Abandon(in_savepoint_);
    return;
  }
  // A reader done with, or one whose COMMIT failed: roll back. If even that
  // fails the connection is in an unknown state, so drop it.
  if (open_ && sqlite3_get_autocommit(conn_->handle()) == 0 &&
      conn_->TryStep("ROLLBACK") != SQLITE_OK) {
    pooled_.reset();
  }
  owner_->Release(std::move(pooled_));
}

}  // namespace

std::unique_ptr<Database> OpenSqlite(const std::string& path, const DatabaseOptions& options) {
  // SQLite's memory statistics take one process-wide mutex on every
  // allocation, which the writer and every reader would then queue on.
  // Nothing here reads them. This must precede SQLite's initialization (the
  // first open); afterwards the call is refused, harmlessly.
  static std::once_flag no_memory_statistics;
  std::call_once(no_memory_statistics, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  // The default store is ./var/ecom.db: make its folder on first use.
  auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) std::filesystem::create_directories(parent, ec);
  return std::make_unique<SqliteDatabase>(path, options);
}

}  // namespace ecom::store
