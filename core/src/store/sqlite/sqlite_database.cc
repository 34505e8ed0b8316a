// The SQLite backend: a pool of connections to one WAL-mode file, with each
// connection's prepared statements cached by SQL text.
#include "store/sqlite/sqlite_database.h"

#include "store/connection_pool.h"
#include "store/insert_sql.h"

#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <charconv>
#include <cstdlib>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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

// A statement's rows, kept after it ran. Each value is kept as SQLite gave
// it to a cursor: its type, its integer and floating-point readings, and its
// text (an integer's formatted as SQLite formats it), so every accessor
// answers as a live cursor's would. All text shares one buffer: keeping a
// row costs no allocation per value.
class KeptRows final : public Rows {
 public:
  // Keeps the rest of `stmt`'s rows, stepping it to the end.
  KeptRows(sqlite3* db, sqlite3_stmt* stmt) : columns_(static_cast<std::size_t>(sqlite3_column_count(stmt))) {
    cells_.reserve(columns_ * 4);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      for (std::size_t c = 0; c < columns_; ++c) {
        int i = static_cast<int>(c);
        Cell cell{sqlite3_column_type(stmt, i), 0, 0.0, text_.size(), 0};
        if (cell.type == SQLITE_INTEGER) {
          cell.integer = sqlite3_column_int64(stmt, i);
          cell.real = static_cast<double>(cell.integer);
          char digits[24];
          auto [end, ec] = std::to_chars(digits, digits + sizeof digits, cell.integer);
          text_.append(digits, end);
        } else if (cell.type != SQLITE_NULL) {
          // Read as numbers first: reading a value as text first may change
          // how SQLite reads it afterwards.
          cell.integer = sqlite3_column_int64(stmt, i);
          cell.real = sqlite3_column_double(stmt, i);
          const unsigned char* text = sqlite3_column_text(stmt, i);
          if (text) text_.append(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
        }
        cell.size = text_.size() - cell.at;
        cells_.push_back(cell);
      }
    }
    if (rc != SQLITE_DONE) Fail(db, rc, "step");
  }

  bool Next() override {
    std::size_t next = started_ ? at_ + columns_ : 0;
    if (columns_ == 0 || next >= cells_.size()) return false;
    at_ = next;
    started_ = true;
    return true;
  }
  bool IsNull(int c) const override { return At(c).type == SQLITE_NULL; }
  std::int64_t Int(int c) const override { return At(c).integer; }
  double Double(int c) const override { return At(c).real; }
  std::string_view View(int c) const override {
    const Cell& cell = At(c);
    return std::string_view(text_).substr(cell.at, cell.size);
  }

 private:
  struct Cell {
    int type;
    std::int64_t integer;
    double real;
    std::size_t at, size;  // its text, in text_
  };
  const Cell& At(int c) const { return cells_[at_ + static_cast<std::size_t>(c)]; }

  std::size_t columns_;
  std::vector<Cell> cells_;  // row after row
  std::string text_;
  std::size_t at_ = 0;
  bool started_ = false;
};

// Set while a thread runs a unit of work's function.
thread_local bool t_in_unit = false;

// A one-shot wake-up between two threads, over a POSIX semaphore. Its
// waiter sleeps in the kernel at once: std::binary_semaphore first spins
// and calls sched_yield, which with dozens of waiting request threads on
// two cores took CPU from the writer thread it was waiting for. The owner
// may destroy it as soon as acquire() returns.
class Signal {
 public:
  Signal() { sem_init(&sem_, 0, 0); }
  ~Signal() { sem_destroy(&sem_); }
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;

  void release() { sem_post(&sem_); }
  void acquire() {
    while (sem_wait(&sem_) != 0) {
    }
  }
  // False if not released within `timeout`.
  bool try_acquire_for(std::chrono::milliseconds timeout) {
    timespec deadline{};
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    auto ns = deadline.tv_nsec + std::chrono::nanoseconds(timeout).count();
    deadline.tv_sec += static_cast<time_t>(ns / 1'000'000'000);
    deadline.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    while (sem_clockwait(&sem_, CLOCK_MONOTONIC, &deadline) != 0)
      if (errno == ETIMEDOUT) return false;
    return true;
  }

 private:
  sem_t sem_;
};

// Group commit. This process's writes run on one writer connection, driven
// by one writer thread, in the order they arrive. A unit of work is either
// a function the writer thread runs (Database::Write) or a caller that
// borrows the connection for its turn (Begin(kWrite)). The first unit of a
// group opens its transaction (BEGIN IMMEDIATE); each later one runs under
// its own savepoint, so dropping it rolls back only its own changes. The
// writer keeps adding units while more are queued, up to 64 or 5 ms, then
// commits the group, which writes it to the log, and starts on the next at
// once. A flusher thread flushes the log to disk meanwhile and only then
// answers the group's members: no unit is told its work is kept before a
// flush that began after its group's COMMIT has finished. A writer alone
// commits and flushes at once, as without groups. A unit that asked only
// for its changes to be ordered (Durability::kOrdered) is answered at its
// group's COMMIT: the log keeps commit order, so the flush that makes any
// later unit durable makes it durable too.
//
// Running units back to back on one thread is the point: a turn passed
// between request threads costs a wake-up and a cold cache per unit, and
// the turn sits idle until the woken thread is scheduled.
//
// The writer connection runs with synchronous=NORMAL, so SQLite's COMMIT
// does not flush; the flush here is what makes a commit durable (with
// synchronous_full off, there is none). Log frames are written in order and
// a flush covers the whole file, so one flush makes every group committed
// before it began durable.
class CommitGroups {
 public:
  using Opener = std::function<std::unique_ptr<Connection>()>;
  using Work = std::function<bool(Transaction&)>;

  // A unit of work, from the moment it queues until it is settled: kept and
  // durable, dropped, or lost with its group.
  struct Unit {
    const Work* work = nullptr;     // the work to run; null for a borrower
    bool here = false;              // runs in its caller's thread, as a group of its own
    Connection* conn = nullptr;     // lent to a borrower for its turn
    bool in_savepoint = false;      // a later member of an open group
    bool keep = false;              // the unit asked for its changes to be kept
    bool durable = true;            // settled after the flush, not at COMMIT
    std::exception_ptr thrown;      // what the work, or opening its turn, threw
    std::optional<DbError> lost;    // kept changes the store then lost
    Signal turn;      // a borrower's turn has come, or cannot
    Signal returned;  // a borrower is done with its turn
    Signal settled;
  };

  CommitGroups(std::string path, Opener open, const DatabaseOptions& options)
      : path_(std::move(path)), open_(std::move(open)), timeout_(options.busy_timeout_ms),
        flush_(options.synchronous_full), checkpoint_pages_(options.checkpoint_pages) {
    writer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sqlite-writer");
      WriterLoop();
    });
    if (flush_)
      flusher_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "sqlite-flusher");
        FlusherLoop();
      });
  }

  ~CommitGroups() {
    {
      std::lock_guard lock(mu_);
      stop_writer_ = true;
    }
    work_cv_.notify_one();
    writer_.join();  // runs what is queued first
    {
      std::lock_guard lock(mu_);
      stop_flusher_ = true;
    }
    flush_cv_.notify_one();
    if (flusher_.joinable()) flusher_.join();
    conn_.reset();
    if (log_fd_ >= 0) ::close(log_fd_);
  }

  // Runs `work` as one unit of work and returns once it is settled;
  // rethrows what it threw, or the error that lost it.
  void Run(const Work& work, Durability durability) {
    Unit unit;
    unit.work = &work;
    unit.durable = durability == Durability::kDurable;
    if (Submit(unit)) {
      std::vector<Unit*> members;
      if (Open(unit, members)) Close(unit, Execute(unit), members);
      Finish(members);
    } else {
      Await(unit, unit.settled);
    }
    if (unit.thrown) std::rethrow_exception(unit.thrown);
    if (unit.lost) throw *unit.lost;
  }

  // Waits for a borrower's turn; the writer connection is then the caller's
  // until it calls Return().
  std::unique_ptr<Unit> Borrow() {
    auto unit = std::make_unique<Unit>();
    if (Submit(*unit)) {
      unit->here = true;
      std::vector<Unit*> members;
      if (!Open(*unit, members)) {
        Finish(members);
        std::rethrow_exception(unit->thrown);
      }
      return unit;
    }
    Await(*unit, unit->turn);
    if (unit->thrown) std::rethrow_exception(unit->thrown);
    return unit;
  }

  // Ends a borrower's turn, keeping its changes or dropping them, and waits
  // for its group to settle. Kept changes that were lost throw; dropped ones
  // never do.
  void Return(Unit& unit, bool keep) {
    if (unit.here) {
      std::vector<Unit*> members;
      Close(unit, keep, members);
      Finish(members);
    } else {
      unit.keep = keep;
      unit.returned.release();
      unit.settled.acquire();
    }
    if (!keep) return;
    if (unit.thrown) std::rethrow_exception(unit.thrown);
    if (unit.lost) throw *unit.lost;
  }

 private:
  static constexpr std::size_t kMaxMembers = 64;
  static constexpr std::chrono::milliseconds kMaxAge{5};

  // Queues `unit` for the writer thread, or, when the writer connection is
  // free and nobody queues for it, gives it to the caller: returns true
  // then, and the caller runs its unit as a group of its own, with no
  // thread to wake.
  bool Submit(Unit& unit) {
    // A write inside a write would wait for itself.
    if (t_in_unit)
      throw DbError(DbError::Kind::kOther, "a write was started inside another write's unit of work");
    std::lock_guard lock(mu_);
    if (broken_) throw DbError(DbError::Kind::kUnavailable, *broken_);
    if (!writing_ && queue_.empty()) {
      writing_ = true;
      return true;
    }
    queue_.push_back(&unit);
    if (writer_idle_) work_cv_.notify_one();
    return false;
  }

  // Waits for `signal`. A unit still queued after the busy timeout leaves
  // the queue and fails as busy; one already under way is waited for.
  void Await(Unit& unit, Signal& signal) {
    if (signal.try_acquire_for(timeout_)) return;
    {
      std::lock_guard lock(mu_);
      if (auto it = std::find(queue_.begin(), queue_.end(), &unit); it != queue_.end()) {
        queue_.erase(it);
        throw DbError(DbError::Kind::kBusy, "timed out waiting for this process's other writers");
      }
    }
    signal.acquire();
  }

  void WriterLoop() {
    std::vector<Unit*> members;
    std::unique_lock lock(mu_);
    for (;;) {
      writer_idle_ = true;
      work_cv_.wait(lock, [&] { return !writing_ && (stop_writer_ || !queue_.empty()); });
      writer_idle_ = false;
      if (queue_.empty()) return;
      writing_ = true;
      RunGroup(lock, members);
      writing_ = false;
    }
  }

  // Under mu_, with units queued: runs one group and commits it.
  void RunGroup(std::unique_lock<std::mutex>& lock, std::vector<Unit*>& members) {
    auto started = std::chrono::steady_clock::now();
    while (!queue_.empty()) {
      if (!members.empty() &&
          (members.size() >= kMaxMembers || std::chrono::steady_clock::now() - started >= kMaxAge))
        break;
      Unit* unit = queue_.front();
      queue_.pop_front();
      if (broken_) {
        unit->thrown = std::make_exception_ptr(DbError(DbError::Kind::kUnavailable, *broken_));
        Refuse(*unit);
        continue;
      }
      lock.unlock();
      if (members.empty()) started = std::chrono::steady_clock::now();
      if (Open(*unit, members)) Close(*unit, unit->work ? Execute(*unit) : Lend(*unit), members);
      lock.lock();
    }
    if (members.empty()) return;
    lock.unlock();
    Commit(members, /*here=*/false);
    lock.lock();
  }

  // Opens a unit: the group's transaction for the first member, a
  // savepoint for a later one. On failure the unit is refused, and the
  // caller must not go on with it.
  bool Open(Unit& unit, std::vector<Unit*>& members);
  // Runs a unit's work; true if it asks to keep its changes.
  bool Execute(Unit& unit);
  // Lends the connection to a borrower until it returns it.
  bool Lend(Unit& unit) {
    unit.turn.release();
    unit.returned.acquire();
    return unit.keep;
  }
  // Keeps a unit's changes in the group or rolls back only its own; a unit
  // that saw a group joins its members, one alone is settled.
  void Close(Unit& unit, bool keep, std::vector<Unit*>& members);
  // Rolls back a unit's changes: its savepoint, or the transaction it opened.
  void Undo(const Unit& unit);
  static DbError GroupLost() {
    return DbError(DbError::Kind::kBusy, "rolled back with its commit group after another unit failed");
  }

  // The end of a caller's own group: commits it if any of it was kept,
  // and gives up the writer connection.
  void Finish(std::vector<Unit*>& members) {
    if (!members.empty()) Commit(members, /*here=*/true);
    else GiveBack();
  }

  // Ends a caller's hold on the writer connection; the writer thread takes
  // over whatever queued meanwhile.
  void GiveBack() {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (writer_idle_ && (!queue_.empty() || stop_writer_)) work_cv_.notify_one();
  }

  // Commits the open group. The writer thread passes its members to the
  // flusher and goes on; a caller running its own group (`here`) gives the
  // connection back and flushes in its own thread.
  void Commit(std::vector<Unit*>& members, bool here) {
    try {
      conn_->Step("COMMIT");
    } catch (const DbError& e) {
      if (!GroupGone() && conn_->TryStep("ROLLBACK") != SQLITE_OK) conn_.reset();
      if (here) GiveBack();
      Lose(members, e);
      return;
    }
    if (here) {
      if (checkpoint_due_) Checkpoint();
      int fd = log_fd_;
      GiveBack();
      SettleCommitted(members);
      if (!members.empty()) FlushAndSettle(fd, members);
      members.clear();
      return;
    }
    SettleCommitted(members);
    if (!members.empty()) {
      {
        std::lock_guard lock(mu_);
        flushing_.insert(flushing_.end(), members.begin(), members.end());
      }
      flush_cv_.notify_one();
    }
    members.clear();
    if (checkpoint_due_) Checkpoint();
  }

  // After a COMMIT: answers the members that need no flush (all of them when
  // commits are not flushed) and leaves in `members` those that wait for one.
  void SettleCommitted(std::vector<Unit*>& members) {
    auto waiting = members.begin();
    for (Unit* member : members) {
      if (flush_ && member->durable) *waiting++ = member;
      else Settle(*member);
    }
    members.erase(waiting, members.end());
  }

  // Flushes the log and answers `members`.
  void FlushAndSettle(int fd, const std::vector<Unit*>& members) {
    std::optional<DbError> lost;
    if (::fdatasync(fd) != 0) {
      int err = errno;
      std::lock_guard failed(mu_);
      // After a failed flush the kernel may have dropped the pages it could
      // not write, and a later flush can succeed without them: nothing
      // written since can be vouched for. Refuse further writes until a
      // restart recovers the store from what is on disk.
      if (!broken_)
        broken_ = "cannot flush the SQLite log " + path_ + "-wal: " + std::strerror(err) +
                  "; restart to recover the store";
      lost.emplace(DbError::Kind::kUnavailable, *broken_);
    }
    for (Unit* member : members) {
      if (lost && member->keep && !member->thrown) member->lost = lost;
      Settle(*member);
    }
  }

  // Flushes the log for every group the writer thread committed so far,
  // then answers their members.
  void FlusherLoop() {
    std::vector<Unit*> batch;
    std::unique_lock lock(mu_);
    for (;;) {
      flush_cv_.wait(lock, [&] { return stop_flusher_ || !flushing_.empty(); });
      if (flushing_.empty()) return;
      batch.swap(flushing_);
      int fd = log_fd_;
      lock.unlock();
      FlushAndSettle(fd, batch);
      batch.clear();
      lock.lock();
    }
  }

  // The open group is over and none of it was kept: its kept members hear
  // why (their work was sound, so a retry may succeed), the others get
  // their own outcome.
  void Lose(std::vector<Unit*>& members, const DbError& error) {
    for (Unit* member : members) {
      if (member->keep && !member->thrown) member->lost = error;
      Settle(*member);
    }
    members.clear();
  }

  // Last touch of a unit: its owner may be gone the moment this returns.
  static void Settle(Unit& unit) { unit.settled.release(); }
  // A unit that never got its turn.
  static void Refuse(Unit& unit) {
    if (unit.work) unit.settled.release();
    else unit.turn.release();
  }

  bool GroupGone() const { return !conn_ || sqlite3_get_autocommit(conn_->handle()) != 0; }

  void OpenWriter() {
    conn_ = open_();
    conn_->Run("PRAGMA synchronous=NORMAL");
    sqlite3_wal_hook(conn_->handle(), &CommitGroups::OnLogWritten, this);  // replaces SQLite's own checkpoints
  }

  // Copies the log into the database file after a commit once it has
  // grown past checkpoint_pages, so the next group can start the log
  // afresh, as SQLite's automatic checkpoint would (it needs the whole log
  // copied when its transaction begins). Passive: it never waits for
  // readers; what they still need is copied next time. The default, ten
  // times SQLite's, copies a page that many groups changed once, and
  // flushes the database file a tenth as often.
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
    auto* groups = static_cast<CommitGroups*>(self);
    groups->checkpoint_due_ = pages >= groups->checkpoint_pages_;
    return SQLITE_OK;
  }

  std::string path_;
  Opener open_;
  std::chrono::milliseconds timeout_;
  bool flush_;
  std::unique_ptr<Connection> conn_;  // used by the thread that holds it (writing_)
  int log_fd_ = -1;                   // the log, opened with the first transaction
  int checkpoint_pages_;              // the log size that calls for a checkpoint
  bool checkpoint_due_ = false;       // the log has grown past it

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable flush_cv_;
  std::deque<Unit*> queue_;                // units waiting for the writer
  std::vector<Unit*> flushing_;            // committed units waiting for a flush
  bool writing_ = false;                   // a thread holds the writer connection
  bool writer_idle_ = false;               // the writer thread waits for work
  bool stop_writer_ = false;
  bool stop_flusher_ = false;
  std::optional<std::string> broken_;      // set when a flush failed
  std::thread writer_;
  std::thread flusher_;
};

class SqliteDatabase;

class SqliteTransaction final : public Transaction {
 public:
  // A reader on a pooled connection.
  SqliteTransaction(SqliteDatabase* owner, std::unique_ptr<Connection> conn);
  // A borrower's turn on the writer connection.
  SqliteTransaction(CommitGroups* groups, std::unique_ptr<CommitGroups::Unit> unit)
      : groups_(groups), unit_(std::move(unit)), conn_(unit_->conn) {}
  // A unit of work the writer thread runs: it commits the unit itself.
  explicit SqliteTransaction(Connection* writer) : conn_(writer), open_(false) {}
  ~SqliteTransaction() override;

  void Commit() override {
    Settle(nullptr, /*writes=*/true);
    if (unit_) {
      open_ = false;
      groups_->Return(*unit_, /*keep=*/true);
      return;
    }
    if (!pooled_) throw DbError(DbError::Kind::kOther, "a unit of work run by Database::Write is committed by it");
    conn_->Step("COMMIT");
    open_ = false;
  }
  Dialect dialect() const override { return Dialect::kSqlite; }

  // One prepared single-row INSERT stepped per row: SQLite runs in-process,
  // so a row costs a bind and a step, and no SQL text is built per batch.
  void InsertRows(std::string_view table, std::string_view columns, std::span<const Value> values) override {
    Settle(nullptr, /*writes=*/true);
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
  // In-process, nothing is gained by waiting. A write runs now, and its
  // answer is kept until taken. A read is bound now and stepped when taken,
  // as a cursor, unless a write comes first (or its statement is wanted
  // again): then its rows are kept (Settle). Either way it reads what the
  // transaction held when it was issued.
  std::size_t DoPrefetch(std::string_view sql, std::span<const Value> params) override {
    bool owned = false;
    sqlite3_stmt* stmt = conn_->Prepare(sql, &owned);
    bool reads = sqlite3_stmt_readonly(stmt);
    Settle(stmt, !reads);
    auto rows = std::make_unique<SqliteRows>(conn_->handle(), stmt, owned);
    Answer answer;
    if (reads) {
      Bind(conn_->handle(), stmt, params, /*copy=*/true);
      answer.rows = std::move(rows);
      unread_.push_back({stmt, answers_.size()});
    } else {
      Bind(conn_->handle(), stmt, params, /*copy=*/false);
      answer.rows = std::make_unique<KeptRows>(conn_->handle(), stmt);
      answer.changed = sqlite3_changes64(conn_->handle());
    }
    answers_.push_back(std::move(answer));
    return answers_.size() - 1;
  }
  Answer DoTake(std::size_t ticket) override {
    if (ticket >= answers_.size() || !answers_[ticket].rows)
      throw DbError(DbError::Kind::kOther, "no prefetched statement " + std::to_string(ticket) + " to take");
    std::erase_if(unread_, [&](const Unread& u) { return u.ticket == ticket; });
    return std::move(answers_[ticket]);
  }

 private:
  std::unique_ptr<SqliteRows> Prepared(std::string_view sql, std::span<const Value> params, bool copy) {
    bool owned = false;
    sqlite3_stmt* stmt = conn_->Prepare(sql, &owned);
    Settle(stmt, !sqlite3_stmt_readonly(stmt));
    auto rows = std::make_unique<SqliteRows>(conn_->handle(), stmt, owned);
    Bind(conn_->handle(), stmt, params, copy);
    return rows;
  }

  // A prefetched read not yet stepped, and where its answer goes.
  struct Unread {
    sqlite3_stmt* stmt;
    std::size_t ticket;
  };
  // Before a statement runs: keeps the rows of every prefetched read that
  // it could change (`writes`) or whose statement it is (`next`, a cached
  // statement is reset for its next use).
  void Settle(sqlite3_stmt* next, bool writes) {
    std::erase_if(unread_, [&](const Unread& u) {
      if (!writes && u.stmt != next) return false;
      Answer& answer = answers_[u.ticket];
      answer.rows = std::make_unique<KeptRows>(conn_->handle(), u.stmt);  // the cursor it replaces resets it
      return true;
    });
  }

  SqliteDatabase* owner_ = nullptr;           // a reader's pool
  std::unique_ptr<Connection> pooled_;        // a reader's connection
  std::vector<Answer> answers_;               // prefetched, by ticket
  std::vector<Unread> unread_;                // prefetched reads not yet stepped
  CommitGroups* groups_ = nullptr;            // a borrower's commit groups
  std::unique_ptr<CommitGroups::Unit> unit_;  // a borrower's turn
  Connection* conn_;
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
  // for the one writer connection (see CommitGroups), where SQLite's busy
  // handler would sleep and poll, and never sit on a connection readers
  // need. Other processes meet this one at SQLite's own lock and its busy
  // timeout.
  std::unique_ptr<Transaction> Begin(TxMode mode) override {
    if (mode == TxMode::kWrite) return std::make_unique<SqliteTransaction>(&groups_, groups_.Borrow());
    return std::make_unique<SqliteTransaction>(this, pool_.Acquire());
  }
  void DoWrite(const std::function<bool(Transaction&)>& work, Durability durability) override {
    groups_.Run(work, durability);
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
  unread_.clear();
  answers_.clear();  // resets the statements of answers never taken
  if (unit_) {
    if (open_) groups_->Return(*unit_, /*keep=*/false);
    return;
  }
  if (!owner_) return;  // a unit of work the writer thread settles
  // A reader done with, or one whose COMMIT failed: roll back. If even that
  // fails the connection is in an unknown state, so drop it.
  if (open_ && sqlite3_get_autocommit(conn_->handle()) == 0 &&
      conn_->TryStep("ROLLBACK") != SQLITE_OK) {
    pooled_.reset();
  }
  owner_->Release(std::move(pooled_));
}

bool CommitGroups::Open(Unit& unit, std::vector<Unit*>& members) {
  bool first = members.empty();
  unit.in_savepoint = !first;
  bool begun = false;
  try {
    if (!conn_) OpenWriter();
    conn_->Step(first ? "BEGIN IMMEDIATE" : "SAVEPOINT ecom_unit");
    begun = true;
    if (flush_ && log_fd_ < 0) OpenLog();  // the log exists once a transaction has begun
    unit.conn = conn_.get();
    return true;
  } catch (...) {
    unit.thrown = std::current_exception();
  }
  if (begun) Undo(unit);
  Refuse(unit);
  if (!first && GroupGone()) Lose(members, GroupLost());
  return false;
}

bool CommitGroups::Execute(Unit& unit) {
  SqliteTransaction tx(conn_.get());
  t_in_unit = true;
  bool keep = false;
  try {
    keep = (*unit.work)(tx);
  } catch (...) {
    unit.thrown = std::current_exception();
  }
  t_in_unit = false;
  return keep;
}

void CommitGroups::Close(Unit& unit, bool keep, std::vector<Unit*>& members) {
  if (!GroupGone()) {
    if (keep && unit.in_savepoint) {
      try {
        conn_->Step("RELEASE ecom_unit");
      } catch (...) {
        unit.thrown = std::current_exception();
        keep = false;
      }
    }
    if (!keep) Undo(unit);
  }
  unit.keep = keep;
  if (!unit.in_savepoint && !keep) {
    Settle(unit);  // alone in its transaction, it saw no one else's changes
    return;
  }
  // A member, kept or dropped: it may have seen earlier members' changes
  // and act on them next on another connection, so it too is answered once
  // the group is settled.
  members.push_back(&unit);
  // A unit's error made SQLite roll the whole transaction back (an I/O
  // error, a full disk): no member has been told it is done.
  if (GroupGone()) Lose(members, GroupLost());
}

void CommitGroups::Undo(const Unit& unit) {
  if (GroupGone()) return;
  bool undone = unit.in_savepoint ? conn_->TryStep("ROLLBACK TO ecom_unit") == SQLITE_OK &&
                                        conn_->TryStep("RELEASE ecom_unit") == SQLITE_OK
                                  : conn_->TryStep("ROLLBACK") == SQLITE_OK;
  if (!undone) conn_.reset();  // in an unknown state: close it, which rolls back
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
