// The PostgreSQL backend over libpq: a small pool of connections (a libpq
// connection is not thread-safe), each preparing statements once.
//
// Every connection stays in libpq's pipeline mode. A statement goes into the
// connection's output buffer when it is issued, and reaches the server only
// when some answer is needed: a query's rows, an Exec's count, or the commit.
// So a write transaction's BEGIN travels with its first statement, and the
// statements issued with Send() travel with whatever comes next, often the
// COMMIT: a transaction costs one round trip per answer it reads, not one
// per statement.
#include "store/postgres/postgres_database.h"

#include "store/connection_pool.h"
#include "store/insert_sql.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <unordered_map>
#include <vector>

namespace ecom::store {
namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// libpq's messages end with a newline.
std::string Trimmed(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The error a failed result reports, by its SQLSTATE.
DbError ResultError(const PGresult* result, PGconn* conn) {
  std::string message = Trimmed(PQresultErrorMessage(result));
  if (message.empty()) message = Trimmed(PQerrorMessage(conn));
  const char* code = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string_view state = code ? code : "";
  if (PQstatus(conn) == CONNECTION_BAD || state.starts_with("08") || state.starts_with("57P"))
    return DbError(DbError::Kind::kUnavailable, message);
  if (state == "23505") return DbError(DbError::Kind::kUniqueViolation, message);
  if (state.starts_with("23")) return DbError(DbError::Kind::kConstraint, message);
  if (state == "40001" || state == "40P01") return DbError(DbError::Kind::kBusy, message);
  return DbError(DbError::Kind::kOther, message);
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

// One server session. Out of pipeline mode only while it runs a COPY.
class Connection {
 public:
  explicit Connection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string why = conn_ ? Trimmed(PQerrorMessage(conn_)) : "out of memory";
      if (conn_) PQfinish(conn_);
      throw DbError(DbError::Kind::kUnavailable, "cannot connect to PostgreSQL at " + Redact(url) + ": " + why);
    }
    // Notices ("drop cascades to ...", "already exists, skipping") report
    // what went as asked; libpq would print each on stderr.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  }
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* get() const { return conn_; }
  bool usable() const { return !broken && PQstatus(conn_) == CONNECTION_OK; }

  // Runs one statement outside pipeline mode (session setup, locks).
  void Run(const char* sql) {
    Result result(PQexec(conn_, sql));
    auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw ResultError(result.get(), conn_);
  }

  void EnterPipeline() {
    if (!PQenterPipelineMode(conn_))
      throw DbError(DbError::Kind::kUnavailable, "cannot enter pipeline mode: " + Trimmed(PQerrorMessage(conn_)));
  }

  // Looked up by a view of the SQL, without copying it.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, std::string, SqlHash, std::equal_to<>> prepared;  // SQL -> statement name
  int statements_named = 0;
  // Set when the session's state is unknown (a read or write cut short), so
  // the pool drops it.
  bool broken = false;

 private:
  PGconn* conn_;
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
  int count() const { return static_cast<int>(pointers_.size()); }
  const char* const* values() const { return pointers_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<const char*> pointers_;
};

class PostgresRows final : public Rows {
 public:
  explicit PostgresRows(Result result) : result_(std::move(result)), rows_(PQntuples(result_.get())) {}
  bool Next() override { return ++index_ < rows_; }
  bool IsNull(int c) const override { return PQgetisnull(result_.get(), index_, c); }
  std::int64_t Int(int c) const override {
    std::string_view s = View(c);
    if (s == "t") return 1;
    if (s == "f") return 0;
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  }
  double Double(int c) const override {
    return IsNull(c) ? 0.0 : std::strtod(PQgetvalue(result_.get(), index_, c), nullptr);
  }
  std::string_view View(int c) const override {
    return std::string_view(PQgetvalue(result_.get(), index_, c),
                            static_cast<std::size_t>(PQgetlength(result_.get(), index_, c)));
  }

 private:
  Result result_;
  int rows_;
  int index_ = -1;
};

class PostgresDatabase;

class PostgresTransaction final : public Transaction {
 public:
  // A write transaction's BEGIN goes out with its first statement. An
  // ordered one (Durability::kOrdered) commits without waiting for its log
  // flush: the server's log keeps commit order, so the next durable commit
  // flushes it too.
  PostgresTransaction(PostgresDatabase* owner, std::unique_ptr<Connection> conn, TxMode mode, bool ordered);
  ~PostgresTransaction() override;

  // A connection cut off while COMMIT was out throws kUnavailable: the
  // transaction is in doubt.
  void Commit() override {
    Issue("COMMIT", {}, false);
    Await();
    open_ = false;
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
      DoSend(InsertSql(table, columns, width, rows), values.first(rows * width));
      return;
    }
    Copy(table, names, values.first(rows * width));
  }

 protected:
  std::unique_ptr<Rows> DoQuery(std::string_view sql, std::span<const Value> params) override {
    Issue(sql, params, true);
    return std::make_unique<PostgresRows>(Await());
  }
  std::int64_t DoExec(std::string_view sql, std::span<const Value> params) override {
    Issue(sql, params, true);
    Result result = Await();
    std::int64_t count = 0;
    std::string_view text = PQcmdTuples(result.get());
    std::from_chars(text.data(), text.data() + text.size(), count);
    return count;
  }
  // In a write transaction the statement waits in the output buffer for the
  // next answer the transaction needs; its error is thrown from there.
  void DoSend(std::string_view sql, std::span<const Value> params) override {
    if (mode_ != TxMode::kWrite) {
      DoExec(sql, params);
      return;
    }
    Issue(sql, params, true);
  }
  // The statement waits in the output buffer like a sent one; Await keeps
  // its answer under the ticket.
  std::size_t DoPrefetch(std::string_view sql, std::span<const Value> params) override {
    answers_.emplace_back();
    Issue(sql, params, true, answers_.size() - 1);
    return answers_.size() - 1;
  }
  Answer DoTake(std::size_t ticket) override {
    bool unread = std::any_of(unread_.begin(), unread_.end(), [&](const Issued& i) { return i.ticket == ticket; });
    if (unread) Await();
    if (ticket >= answers_.size() || !answers_[ticket])
      throw DbError(DbError::Kind::kOther, "no prefetched statement " + std::to_string(ticket) + " to take");
    Result result = std::move(answers_[ticket]);
    Answer answer;
    std::string_view text = PQcmdTuples(result.get());
    std::from_chars(text.data(), text.data() + text.size(), answer.changed);
    answer.rows = std::make_unique<PostgresRows>(std::move(result));
    return answer;
  }

 private:
  static constexpr std::size_t kNoTicket = static_cast<std::size_t>(-1);

  struct Issued {
    bool is_prepare;
    std::string sql;                  // for a PREPARE: the key to forget if it fails
    std::size_t ticket = kNoTicket;   // a prefetched statement's: where its answer is kept
  };

  // Puts a statement in the output buffer, preparing it first if this is its
  // first use on the connection.
  void Issue(std::string_view sql, std::span<const Value> params, bool prepare, std::size_t ticket = kNoTicket) {
    if (unread_.size() >= kMaxUnread) Await();  // keep the server's answers small
    PGconn* conn = conn_->get();
    Params p(params);
    const std::string* name = nullptr;
    if (prepare && !plan_each_time_) {
      auto it = conn_->prepared.find(sql);
      // Past the cache's bound, statements run unprepared rather than
      // filling the server's per-connection statement cache.
      if (it == conn_->prepared.end() && conn_->prepared.size() < kMaxPrepared) {
        std::string fresh = "s" + std::to_string(++conn_->statements_named);
        it = conn_->prepared.emplace(std::string(sql), std::move(fresh)).first;
        if (!PQsendPrepare(conn, it->second.c_str(), it->first.c_str(), 0, nullptr)) {
          conn_->prepared.erase(it);
          Lost();
        }
        unread_.push_back({true, it->first});
      }
      if (it != conn_->prepared.end()) name = &it->second;
    }
    int sent = name ? PQsendQueryPrepared(conn, name->c_str(), p.count(), p.values(), nullptr, nullptr, 0)
                    : PQsendQueryParams(conn, std::string(sql).c_str(), p.count(), nullptr, p.values(),
                                        nullptr, nullptr, 0);
    if (!sent) Lost();
    unread_.push_back({false, {}, ticket});
  }

  // Sends everything issued and reads every answer in order, keeping those
  // of prefetched statements. Returns the last statement's result; throws
  // the first error. After an error the server skipped the rest, and the
  // transaction can only roll back.
  Result Await() {
    PGconn* conn = conn_->get();
    if (!PQpipelineSync(conn)) Lost();
    Result last;
    std::optional<DbError> error;
    for (const Issued& issued : unread_) {
      Result result(PQgetResult(conn));
      if (!result) Lost();
      auto status = PQresultStatus(result.get());
      bool failed = status == PGRES_FATAL_ERROR || status == PGRES_PIPELINE_ABORTED;
      if (status == PGRES_FATAL_ERROR && !error) error = ResultError(result.get(), conn);
      if (failed && issued.is_prepare) {
        if (auto it = conn_->prepared.find(issued.sql); it != conn_->prepared.end()) conn_->prepared.erase(it);
      }
      if (issued.ticket != kNoTicket && !failed) answers_[issued.ticket] = std::move(result);
      else if (!issued.is_prepare) last = std::move(result);
      while (Result(PQgetResult(conn))) {
      }
    }
    unread_.clear();
    Result sync(PQgetResult(conn));
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) Lost();
    if (error) throw *error;
    return last;
  }

  [[noreturn]] void Lost() {
    conn_->broken = true;
    throw DbError(DbError::Kind::kUnavailable, "PostgreSQL connection lost: " + Trimmed(PQerrorMessage(conn_->get())));
  }

  // COPY is not allowed in pipeline mode: the connection leaves it for the
  // copy, after everything issued before has been answered.
  void Copy(std::string_view table, const std::vector<std::string>& names, std::span<const Value> values) {
    if (!unread_.empty()) Await();
    PGconn* conn = conn_->get();
    std::string sql = "COPY ";
    sql.append(table).append(" (");
    for (std::size_t i = 0; i < names.size(); ++i) sql.append(i ? ", " : "").append(names[i]);
    sql += ") FROM STDIN";
    if (!PQexitPipelineMode(conn)) Lost();
    std::optional<DbError> error;
    {
      Result start(PQexec(conn, sql.c_str()));
      if (PQresultStatus(start.get()) != PGRES_COPY_IN) {
        error = ResultError(start.get(), conn);
      } else {
        std::size_t width = names.size();
        std::string chunk, text;
        for (std::size_t at = 0; at + width <= values.size(); at += width) {
          for (std::size_t c = 0; c < width; ++c) {
            if (c) chunk += '\t';
            if (ToText(values[at + c], text)) AppendCopyText(chunk, text);
            else chunk += "\\N";
          }
          chunk += '\n';
          if (chunk.size() >= kCopyChunk || at + width + width > values.size()) {
            if (PQputCopyData(conn, chunk.data(), static_cast<int>(chunk.size())) != 1) Lost();
            chunk.clear();
          }
        }
        if (PQputCopyEnd(conn, nullptr) != 1) Lost();
        Result done(PQgetResult(conn));
        if (!done || PQresultStatus(done.get()) != PGRES_COMMAND_OK)
          error = done ? ResultError(done.get(), conn) : DbError(DbError::Kind::kUnavailable, "COPY lost");
        while (Result(PQgetResult(conn))) {
        }
      }
    }
    conn_->EnterPipeline();
    if (error) throw *error;
  }

  static constexpr std::size_t kCopyThreshold = 16;
  static constexpr std::size_t kCopyChunk = 64 * 1024;
  static constexpr std::size_t kMaxPrepared = 512;
  // Answers to statements issued but not yet read. Each is a few dozen
  // bytes, so this many fit easily in the socket buffers of both ends.
  static constexpr std::size_t kMaxUnread = 256;

  bool plan_each_time_ = false;
  bool open_ = true;  // a write transaction not yet committed

  PostgresDatabase* owner_;
  TxMode mode_;
  std::unique_ptr<Connection> conn_;
  std::vector<Issued> unread_;
  std::vector<Result> answers_;  // prefetched statements' answers, by ticket
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string url, DatabaseOptions options)
      : url_(std::move(url)),
        options_(options),
        writers_(options_.pool_size, [this] { return Connect(false); }),
        readers_(options_.pool_size, [this] { return Connect(true); }) {}

  // Writers get a transaction (BEGIN ... COMMIT). Readers run each statement
  // on its own, on sessions made read-only: at READ COMMITTED every statement
  // of a transaction reads its own snapshot anyway, so the BEGIN and
  // ROLLBACK round trips bought nothing, and a write still fails there.
  std::unique_ptr<Transaction> Begin(TxMode mode) override { return Start(mode, false); }
  Dialect dialect() const override { return Dialect::kPostgres; }
  std::string description() const override { return Redact(url_); }

  std::unique_ptr<void, void (*)(void*)> LockForMigration() override {
    // A session-level advisory lock on a connection of its own, held until the
    // returned handle is destroyed.
    auto conn = std::make_unique<Connection>(url_);
    conn->Run("SELECT pg_advisory_lock(7301142003)");
    return {conn.release(), [](void* p) { delete static_cast<Connection*>(p); }};
  }

  // Returns a connection to its pool; a null or broken one is dropped.
  void Release(TxMode mode, std::unique_ptr<Connection> conn) {
    bool broken = conn && !conn->usable();
    (mode == TxMode::kRead ? readers_ : writers_).Release(std::move(conn), broken);
  }

 protected:
  void DoWrite(const std::function<bool(Transaction&)>& work, Durability durability) override {
    auto tx = Start(TxMode::kWrite, durability == Durability::kOrdered);
    if (work(*tx)) tx->Commit();
  }

 private:
  std::unique_ptr<Transaction> Start(TxMode mode, bool ordered) {
    auto& pool = mode == TxMode::kRead ? readers_ : writers_;
    return std::make_unique<PostgresTransaction>(this, pool.Acquire(), mode, ordered);
  }

  std::unique_ptr<Connection> Connect(bool read_only) {
    auto conn = std::make_unique<Connection>(url_);
    if (read_only) conn->Run("SET default_transaction_read_only = on");
    conn->EnterPipeline();
    return conn;
  }

  std::string url_;
  DatabaseOptions options_;
  ConnectionPool<Connection> writers_;
  ConnectionPool<Connection> readers_;
};

PostgresTransaction::PostgresTransaction(PostgresDatabase* owner, std::unique_ptr<Connection> conn, TxMode mode,
                                         bool ordered)
    : owner_(owner), mode_(mode), conn_(std::move(conn)) {
  if (mode_ != TxMode::kWrite) return;
  try {
    Issue("BEGIN", {}, /*prepare=*/false);
    if (ordered) Issue("SET LOCAL synchronous_commit TO off", {}, false);
  } catch (...) {
    owner_->Release(mode_, std::move(conn_));  // broken: its place is freed
    throw;
  }
}

PostgresTransaction::~PostgresTransaction() {
  if (mode_ == TxMode::kWrite && open_ && conn_->usable()) {
    // Whatever is still unread goes out with the ROLLBACK and is undone.
    try {
      Issue("ROLLBACK", {}, false);
      Await();
    } catch (...) {
      conn_->broken = true;
    }
  }
  owner_->Release(mode_, std::move(conn_));
}

}  // namespace

std::unique_ptr<Database> OpenPostgres(const std::string& url, const DatabaseOptions& options) {
  return std::make_unique<PostgresDatabase>(url, options);
}

}  // namespace ecom::store
