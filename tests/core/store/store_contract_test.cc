// The store contract: the same behaviour and error kinds on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>
#include <tuple>
#include <vector>

#include "ecom/store/database.h"
#include "ecom/store/migrate.h"
#include "support/test_store.h"

namespace ecom::store {
namespace {

class StoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::TestStore store_{GetParam()};
  std::unique_ptr<Database> db_ = store_.OpenMigrated();

  using Ints = std::pair<std::int64_t, std::int64_t>;

  // The two integers of the one row `sql` reads, as committed.
  Ints Committed(std::string_view sql) {
    auto reader = db_->Begin(TxMode::kRead);
    auto rows = reader->Query(sql);
    EXPECT_TRUE(rows->Next()) << sql;
    return {rows->Int(0), rows->Int(1)};
  }
};

TEST_P(StoreContractTest, MigratingTwiceAppliesNothingTheSecondTime) {
  EXPECT_TRUE(Migrate(*db_, *SystemClock()).empty());
  auto status = GetSchemaStatus(*db_);
  EXPECT_TRUE(status.up_to_date());
  EXPECT_GE(status.current, 1);
  for (const auto& m : status.migrations) EXPECT_TRUE(m.applied_at.has_value()) << m.name;
}

TEST_P(StoreContractTest, ParametersBindByNumberWhateverTheirOrderInTheSql) {
  auto tx = db_->Begin(TxMode::kWrite);
  tx->Exec("CREATE TABLE pairs (a TEXT, b TEXT)");
  tx->Exec("INSERT INTO pairs (b, a) VALUES ($2, $1)", {"first", "second"});
  auto rows = tx->Query("SELECT a, b FROM pairs WHERE b = $2 AND a = $1", {"first", "second"});
  ASSERT_TRUE(rows->Next());
  EXPECT_EQ(rows->Text(0), "first");
  EXPECT_EQ(rows->Text(1), "second");
}

TEST_P(StoreContractTest, UniqueViolationsHaveOneKindOnBothStores) {
  auto tx = db_->Begin(TxMode::kWrite);
  tx->Exec("CREATE TABLE uniq (k TEXT PRIMARY KEY)");
  tx->Exec("INSERT INTO uniq (k) VALUES ($1)", {"a"});
  try {
    tx->Exec("INSERT INTO uniq (k) VALUES ($1)", {"a"});
    FAIL() << "expected a unique violation";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), DbError::Kind::kUniqueViolation);
  }
}

TEST_P(StoreContractTest, AnUncommittedTransactionLeavesNothing) {
  {
    auto tx = db_->Begin(TxMode::kWrite);
    tx->Exec("INSERT INTO api_keys (id, name, prefix, secret_hash, scopes, created_at) VALUES ('k', 'n', 'p', 'h', '[]', 't')");
  }
  auto tx = db_->Begin(TxMode::kRead);
  auto rows = tx->Query("SELECT COUNT(*) FROM api_keys");
  ASSERT_TRUE(rows->Next());
  EXPECT_EQ(rows->Int(0), 0);
}

TEST_P(StoreContractTest, NullsIntegersAndDoublesRoundTrip) {
  auto tx = db_->Begin(TxMode::kWrite);
  tx->Exec("CREATE TABLE vals (i BIGINT, d DOUBLE PRECISION, s TEXT)");
  tx->Exec("INSERT INTO vals (i, d, s) VALUES ($1, $2, $3)", {std::int64_t{-9007199254740993}, 226.796185, nullptr});
  auto rows = tx->Query("SELECT i, d, s FROM vals");
  ASSERT_TRUE(rows->Next());
  EXPECT_EQ(rows->Int(0), -9007199254740993);
  EXPECT_DOUBLE_EQ(rows->Double(1), 226.796185);
  EXPECT_TRUE(rows->IsNull(2));
}

// A few rows go as one INSERT, many as a COPY on PostgreSQL: both roads must
// carry every awkward value unchanged.
TEST_P(StoreContractTest, InsertRowsCarriesAwkwardValuesUnchangedInSmallAndLargeBatches) {
  const std::vector<std::optional<std::string>> texts = {
      "plain", "tab\there", "new\nline\r\n", "back\\slash", "\\N", "", "quote'\"", "Crème brûlée — ½ kg",
      std::nullopt};
  for (std::size_t rows : {std::size_t{3}, std::size_t{200}}) {
    SCOPED_TRACE(rows);
    auto tx = db_->Begin(TxMode::kWrite);
    tx->Exec("CREATE TABLE bulk (k BIGINT PRIMARY KEY, s TEXT, d DOUBLE PRECISION, f INTEGER)");
    std::vector<Value> values;
    for (std::size_t i = 0; i < rows; ++i) {
      const auto& text = texts[i % texts.size()];
      values.emplace_back(static_cast<std::int64_t>(i) - 100);
      values.emplace_back(text ? Value(std::string_view(*text)) : Value(nullptr));
      values.emplace_back(i * 0.25);
      values.emplace_back(i % 2 == 0);
    }
    tx->InsertRows("bulk", "k, s, d, f", values);
    auto read = tx->Query("SELECT k, s, d, f FROM bulk ORDER BY k");
    for (std::size_t i = 0; i < rows; ++i) {
      ASSERT_TRUE(read->Next());
      const auto& text = texts[i % texts.size()];
      EXPECT_EQ(read->Int(0), static_cast<std::int64_t>(i) - 100);
      EXPECT_EQ(read->OptText(1), text) << "row " << i;
      EXPECT_DOUBLE_EQ(read->Double(2), i * 0.25);
      EXPECT_EQ(read->Int(3), i % 2 == 0 ? 1 : 0);
    }
    EXPECT_FALSE(read->Next());
  }
}

TEST_P(StoreContractTest, InsertRowsReportsAUniqueViolationInALargeBatch) {
  auto tx = db_->Begin(TxMode::kWrite);
  tx->Exec("CREATE TABLE bulk_uniq (k BIGINT PRIMARY KEY)");
  std::vector<Value> values;
  for (std::int64_t i = 0; i < 100; ++i) values.emplace_back(i % 99);  // 0 twice
  try {
    tx->InsertRows("bulk_uniq", "k", values);
    FAIL() << "expected a unique violation";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), DbError::Kind::kUniqueViolation);
  }
}

TEST_P(StoreContractTest, ConcurrentWritersAllCommitWithoutBusyErrors) {
  {
    auto tx = db_->Begin(TxMode::kWrite);
    tx->Exec("CREATE TABLE counter (n BIGINT)");
    tx->Exec("INSERT INTO counter (n) VALUES (0)");
    tx->Commit();
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto tx = db_->Begin(TxMode::kWrite);
        auto rows = tx->Query("SELECT n FROM counter");
        rows->Next();
        std::int64_t n = rows->Int(0);
        rows.reset();
        tx->Exec("UPDATE counter SET n = $1 WHERE n = $2", {n + 1, n});
        tx->Commit();
      }
    });
  for (auto& t : threads) t.join();
  auto tx = db_->Begin(TxMode::kRead);
  auto rows = tx->Query("SELECT n FROM counter");
  ASSERT_TRUE(rows->Next());
  // On SQLite the write lock serialises the read-modify-write, so every
  // increment lands; on PostgreSQL the guarded update may skip some, never more.
  if (GetParam() == "sqlite") EXPECT_EQ(rows->Int(0), 200);
  else EXPECT_LE(rows->Int(0), 200);
}

TEST_P(StoreContractTest, EveryDurabilityKeepsWhatItsWorkKeepsAndShowsItOnReturn) {
  {
    auto tx = db_->Begin(TxMode::kWrite);
    tx->Exec("CREATE TABLE notes (id TEXT PRIMARY KEY)");
    tx->Commit();
  }
  auto visible = [&](std::string_view id) {
    auto tx = db_->Begin(TxMode::kRead);
    return tx->Query("SELECT 1 FROM notes WHERE id = $1", {id})->Next();
  };
  for (Durability d : {Durability::kDurable, Durability::kOrdered}) {
    std::string kept = d == Durability::kDurable ? "durable" : "ordered";
    db_->Write(
        [&](Transaction& tx) {
          tx.Exec("INSERT INTO notes (id) VALUES ($1)", {std::string_view(kept)});
          return true;
        },
        d);
    EXPECT_TRUE(visible(kept)) << kept;
    db_->Write(
        [&](Transaction& tx) {
          tx.Exec("INSERT INTO notes (id) VALUES ($1)", {kept + "-dropped"});
          return false;
        },
        d);
    EXPECT_FALSE(visible(kept + "-dropped")) << kept;
  }
}

TEST_P(StoreContractTest, SentStatementsRunInOrderWithTheRestOfTheTransaction) {
  auto tx = db_->Begin(TxMode::kWrite);
  tx->Exec("CREATE TABLE sent (n BIGINT PRIMARY KEY)");
  tx->Send("INSERT INTO sent (n) VALUES ($1)", {std::int64_t{1}});
  tx->Send("UPDATE sent SET n = n + 10");
  tx->Send("INSERT INTO sent (n) VALUES ($1)", {std::int64_t{2}});
  auto rows = tx->Query("SELECT n FROM sent ORDER BY n");
  ASSERT_TRUE(rows->Next());
  EXPECT_EQ(rows->Int(0), 2);
  ASSERT_TRUE(rows->Next());
  EXPECT_EQ(rows->Int(0), 11);
  EXPECT_FALSE(rows->Next());
  rows.reset();
  EXPECT_EQ(tx->Exec("DELETE FROM sent WHERE n = $1", {std::int64_t{11}}), 1);
  tx->Send("INSERT INTO sent (n) VALUES ($1)", {std::int64_t{3}});
  tx->Commit();
  EXPECT_EQ(Committed("SELECT SUM(n), COUNT(*) FROM sent"), Ints(5, 2));
}

// PostgreSQL holds a sent statement back until an answer is needed, so its
// error arrives with the commit; SQLite runs it at once. Either way the error
// keeps its kind, nothing of the transaction is kept, and the connection
// serves the next transaction.
TEST_P(StoreContractTest, ASentStatementsErrorKeepsItsKindAndNothingIsKept) {
  auto db = store_.OpenMigrated(1);  // one connection: the next transaction reuses it
  {
    auto tx = db->Begin(TxMode::kWrite);
    tx->Exec("CREATE TABLE once (k TEXT PRIMARY KEY)");
    tx->Exec("INSERT INTO once (k) VALUES ('a')");
    tx->Commit();
  }
  bool thrown_at_send = false;
  try {
    auto tx = db->Begin(TxMode::kWrite);
    tx->Send("INSERT INTO once (k) VALUES ('b')");
    try {
      tx->Send("INSERT INTO once (k) VALUES ('a')");
    } catch (const DbError&) {
      thrown_at_send = true;
      throw;
    }
    tx->Send("INSERT INTO once (k) VALUES ('c')");
    tx->Commit();
    FAIL() << "expected a unique violation";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), DbError::Kind::kUniqueViolation) << e.what();
  }
  EXPECT_EQ(thrown_at_send, GetParam() == "sqlite");
  {
    auto tx = db->Begin(TxMode::kWrite);
    auto rows = tx->Query("SELECT k FROM once ORDER BY k");
    ASSERT_TRUE(rows->Next());
    EXPECT_EQ(rows->Text(0), "a");
    EXPECT_FALSE(rows->Next());
    rows.reset();
    tx->Send("INSERT INTO once (k) VALUES ('d')");
    tx->Commit();
  }
  auto reader = db->Begin(TxMode::kRead);
  auto rows = reader->Query("SELECT COUNT(*) FROM once");
  ASSERT_TRUE(rows->Next());
  EXPECT_EQ(rows->Int(0), 2);
}

// A prefetched statement runs where it was issued among the others, whenever
// its answer is taken: reads see what came before them and not what came
// after, and writes report their counts and RETURNING rows.
TEST_P(StoreContractTest, PrefetchedStatementsRunInOrderAndAnswerWhenTaken) {
  auto tx = db_->Begin(TxMode::kWrite);
  tx->Exec("CREATE TABLE fetched (k TEXT PRIMARY KEY, n BIGINT)");
  tx->Send("INSERT INTO fetched (k, n) VALUES ('a', 1), ('b', 2)");
  std::size_t before = tx->Prefetch("SELECT k, n FROM fetched ORDER BY k");
  std::size_t bump = tx->Prefetch("UPDATE fetched SET n = n + 10 WHERE k = $1 RETURNING n", {"a"});
  std::size_t none = tx->Prefetch("UPDATE fetched SET n = 0 WHERE k = $1", {"zz"});
  std::size_t removed = tx->Prefetch("DELETE FROM fetched WHERE n < $1", {std::int64_t{5}});
  std::size_t after = tx->Prefetch("SELECT COUNT(*), SUM(n) FROM fetched");
  tx->Send("INSERT INTO fetched (k, n) VALUES ('c', 3)");
  // Taken out of order, and after a later statement that needed an answer.
  EXPECT_EQ(tx->Exec("UPDATE fetched SET n = n WHERE k = $1", {"c"}), 1);
  auto counted = tx->Take(after);
  ASSERT_TRUE(counted.rows->Next());
  EXPECT_EQ(counted.rows->Int(0), 1);
  EXPECT_EQ(counted.rows->Int(1), 11);
  auto listed = tx->Take(before);
  ASSERT_TRUE(listed.rows->Next());
  EXPECT_EQ(listed.rows->Text(0), "a");
  EXPECT_EQ(listed.rows->Int(1), 1);
  ASSERT_TRUE(listed.rows->Next());
  EXPECT_EQ(listed.rows->Text(0), "b");
  EXPECT_FALSE(listed.rows->Next());
  EXPECT_FALSE(listed.rows->Next());
  auto bumped = tx->Take(bump);
  EXPECT_EQ(bumped.changed, 1);
  ASSERT_TRUE(bumped.rows->Next());
  EXPECT_EQ(bumped.rows->Int(0), 11);
  EXPECT_FALSE(bumped.rows->Next());
  auto missed = tx->Take(none);
  EXPECT_EQ(missed.changed, 0);
  EXPECT_FALSE(missed.rows->Next());
  EXPECT_EQ(tx->Take(removed).changed, 1);
  EXPECT_THROW(tx->Take(before), DbError);  // each answer is taken once
  tx->Commit();
  EXPECT_EQ(Committed("SELECT COUNT(*), SUM(n) FROM fetched"), Ints(2, 14));
}

// A kept answer reads as a live cursor would: NULLs, numbers stored as text
// and text stored as numbers convert the same way.
TEST_P(StoreContractTest, APrefetchedReadGivesTheValuesAQueryGives) {
  auto tx = db_->Begin(TxMode::kWrite);
  tx->Exec("CREATE TABLE shapes (id BIGINT PRIMARY KEY, t TEXT, i BIGINT, d DOUBLE PRECISION)");
  tx->Send("INSERT INTO shapes (id, t, i, d) VALUES (1, '42', 7, 2.5), (2, NULL, NULL, NULL), (3, '', -9, 0), "
           "(4, '4.5 kg', 9007199254740993, -0.125)");
  const char* sql = "SELECT t, i, d, CAST(i AS TEXT) FROM shapes ORDER BY id";
  std::size_t ticket = tx->Prefetch(sql);
  // A write before the answer is taken: SQLite keeps the read's rows then.
  tx->Exec("CREATE TABLE elsewhere (k TEXT)");
  tx->Send("INSERT INTO elsewhere (k) VALUES ('x')");
  auto kept = tx->Take(ticket).rows;
  auto live = tx->Query(sql);
  int rows = 0;
  while (live->Next()) {
    ASSERT_TRUE(kept->Next()) << rows;
    for (int c = 0; c < 4; ++c) {
      SCOPED_TRACE(::testing::Message() << "row " << rows << " column " << c);
      EXPECT_EQ(kept->IsNull(c), live->IsNull(c));
      EXPECT_EQ(kept->View(c), live->View(c));
      if (c != 0) EXPECT_EQ(kept->Int(c), live->Int(c));
    }
    EXPECT_EQ(kept->Double(2), live->Double(2));
    EXPECT_EQ(kept->Double(1), live->Double(1));
    if (GetParam() == "sqlite") EXPECT_EQ(kept->Double(0), live->Double(0));  // PostgreSQL reads no text as a number
    ++rows;
  }
  EXPECT_FALSE(kept->Next());
  EXPECT_EQ(rows, 4);
}

// PostgreSQL holds a prefetched statement back like a sent one, so its error
// arrives when an answer is needed; SQLite runs it at once. The error keeps
// its kind, and nothing of the transaction is kept.
TEST_P(StoreContractTest, APrefetchedStatementsErrorKeepsItsKind) {
  {
    auto tx = db_->Begin(TxMode::kWrite);
    tx->Exec("CREATE TABLE taken (k TEXT PRIMARY KEY)");
    tx->Send("INSERT INTO taken (k) VALUES ('a')");
    tx->Commit();
  }
  bool thrown_at_prefetch = false;
  try {
    auto tx = db_->Begin(TxMode::kWrite);
    tx->Send("INSERT INTO taken (k) VALUES ('b')");
    std::size_t ticket = 0;
    try {
      ticket = tx->Prefetch("INSERT INTO taken (k) VALUES ($1) RETURNING k", {"a"});
    } catch (const DbError&) {
      thrown_at_prefetch = true;
      throw;
    }
    tx->Take(ticket);
    FAIL() << "expected a unique violation";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), DbError::Kind::kUniqueViolation) << e.what();
  }
  EXPECT_EQ(thrown_at_prefetch, GetParam() == "sqlite");
  EXPECT_EQ(Committed("SELECT COUNT(*), 0 FROM taken"), Ints(1, 0));
}

// Reads prefetched on a reader answer as its queries do, the same statement
// with other values too.
TEST_P(StoreContractTest, AReaderPrefetchesToo) {
  auto reader = db_->Begin(TxMode::kRead);
  std::size_t one = reader->Prefetch("SELECT 1");
  std::size_t two = reader->Prefetch("SELECT $1", {"two"});
  std::size_t three = reader->Prefetch("SELECT $1", {"three"});
  auto second = reader->Take(two);
  ASSERT_TRUE(second.rows->Next());
  EXPECT_EQ(second.rows->Text(0), "two");
  EXPECT_FALSE(second.rows->Next());
  auto first = reader->Take(one);
  ASSERT_TRUE(first.rows->Next());
  EXPECT_EQ(first.rows->Int(0), 1);
  auto third = reader->Take(three);
  ASSERT_TRUE(third.rows->Next());
  EXPECT_EQ(third.rows->Text(0), "three");
}

// A prefetched read answers with what the transaction held when it was
// issued, whatever is written before it is taken.
TEST_P(StoreContractTest, APrefetchedReadSeesNoLaterWrite) {
  auto tx = db_->Begin(TxMode::kWrite);
  tx->Exec("CREATE TABLE counted (n BIGINT)");
  tx->Send("INSERT INTO counted (n) VALUES (1)");
  std::size_t before = tx->Prefetch("SELECT COUNT(*), SUM(n) FROM counted");
  tx->Send("INSERT INTO counted (n) VALUES (2)");
  std::size_t between = tx->Prefetch("SELECT COUNT(*), SUM(n) FROM counted");
  tx->InsertRows("counted", "n", std::vector<Value>{std::int64_t{3}, std::int64_t{4}});
  std::size_t after = tx->Prefetch("SELECT COUNT(*), SUM(n) FROM counted");
  for (auto [ticket, count, sum] : {std::tuple{after, 4, 10}, {before, 1, 1}, {between, 2, 3}}) {
    auto answer = tx->Take(ticket);
    ASSERT_TRUE(answer.rows->Next());
    EXPECT_EQ(answer.rows->Int(0), count);
    EXPECT_EQ(answer.rows->Int(1), sum);
  }
}

TEST_P(StoreContractTest, ADroppedTransactionUndoesWhatItSentAndFreesItsConnection) {
  auto db = store_.OpenMigrated(1);
  {
    auto tx = db->Begin(TxMode::kWrite);
    tx->Exec("CREATE TABLE dropped (k TEXT)");
    tx->Commit();
  }
  {
    auto tx = db->Begin(TxMode::kWrite);
    tx->Send("INSERT INTO dropped (k) VALUES ('never')");
  }
  db->Write([](Transaction& tx) {
    tx.Send("INSERT INTO dropped (k) VALUES ('refused')");
    return false;
  });
  db->Write([](Transaction& tx) {
    tx.Send("INSERT INTO dropped (k) VALUES ('kept')");
    return true;
  });
  auto reader = db->Begin(TxMode::kRead);
  auto rows = reader->Query("SELECT k FROM dropped");
  ASSERT_TRUE(rows->Next());
  EXPECT_EQ(rows->Text(0), "kept");
  EXPECT_FALSE(rows->Next());
}

// A statement that fails to prepare must not leave the connection thinking
// it is prepared: the next use fails for its own reason again, and a good
// statement after it runs.
TEST_P(StoreContractTest, AStatementThatFailsToPrepareFailsTheSameWayNextTime) {
  auto db = store_.OpenMigrated(1);
  for (int attempt = 0; attempt < 2; ++attempt) {
    SCOPED_TRACE(attempt);
    try {
      auto tx = db->Begin(TxMode::kWrite);
      tx->Send("INSERT INTO no_such_table (k) VALUES ($1)", {"x"});
      tx->Commit();
      FAIL() << "expected an error";
    } catch (const DbError& e) {
      EXPECT_NE(std::string(e.what()).find("no_such_table"), std::string::npos) << e.what();
    }
  }
  auto tx = db->Begin(TxMode::kWrite);
  tx->Exec("CREATE TABLE after_failure (k TEXT)");
  tx->Send("INSERT INTO after_failure (k) VALUES ($1)", {"ok"});
  auto rows = tx->Query("SELECT k FROM after_failure");
  ASSERT_TRUE(rows->Next());
  EXPECT_EQ(rows->Text(0), "ok");
}

// A large InsertRows leaves PostgreSQL's pipeline for a COPY: what was sent
// before it lands first, and what follows still pipelines.
TEST_P(StoreContractTest, SentStatementsAndALargeInsertKeepTheirOrder) {
  auto tx = db_->Begin(TxMode::kWrite);
  tx->Exec("CREATE TABLE mixed (n BIGINT PRIMARY KEY)");
  tx->Send("INSERT INTO mixed (n) VALUES (-1)");
  std::vector<Value> values;
  for (std::int64_t i = 0; i < 100; ++i) values.emplace_back(i);
  tx->InsertRows("mixed", "n", values);
  tx->Send("DELETE FROM mixed WHERE n < 50");
  tx->Commit();
  EXPECT_EQ(Committed("SELECT COUNT(*), MIN(n) FROM mixed"), Ints(50, 50));
}

// An ordered unit is PostgreSQL's asynchronous commit: it does not wait for
// its log flush, which the next durable commit makes for it.
TEST_P(StoreContractTest, PostgresCommitsOrderedUnitsWithoutWaitingForTheFlush) {
  if (GetParam() != "postgres") GTEST_SKIP() << "SQLite's ordered units are tested by durability_test";
  for (Durability d : {Durability::kDurable, Durability::kOrdered}) {
    std::string setting;
    db_->Write(
        [&](Transaction& tx) {
          auto rows = tx.Query("SELECT current_setting('synchronous_commit')");
          rows->Next();
          setting = rows->Text(0);
          return true;
        },
        d);
    EXPECT_EQ(setting, d == Durability::kOrdered ? "off" : "on");
  }
}

TEST_P(StoreContractTest, PostgresReadersRefuseToWriteAndSeeEachCommitAtOnce) {
  if (GetParam() != "postgres") GTEST_SKIP() << "PostgreSQL's readers run on read-only sessions";
  {
    auto tx = db_->Begin(TxMode::kWrite);
    tx->Exec("CREATE TABLE seen (n BIGINT)");
    tx->Commit();
  }
  auto reader = db_->Begin(TxMode::kRead);
  EXPECT_THROW(reader->Exec("INSERT INTO seen (n) VALUES (1)"), DbError);
  reader.reset();
  auto tx = db_->Begin(TxMode::kRead);
  auto count = [&] {
    auto rows = tx->Query("SELECT COUNT(*) FROM seen");
    rows->Next();
    return rows->Int(0);
  };
  EXPECT_EQ(count(), 0);
  {
    auto writer = db_->Begin(TxMode::kWrite);
    writer->Exec("INSERT INTO seen (n) VALUES (2)");
    writer->Commit();
  }
  EXPECT_EQ(count(), 1);  // read committed: each statement sees the latest commit
}

// A session the server ends (a restart, a failover, an administrator) costs
// the transaction that meets it, as kUnavailable; the pool then drops it and
// the next transaction gets a fresh session.
TEST_P(StoreContractTest, PostgresReplacesASessionTheServerEnded) {
  if (GetParam() != "postgres") GTEST_SKIP() << "SQLite has no server to end a session";
  auto db = store_.OpenMigrated(1);
  auto backend = [&] {
    std::int64_t pid = 0;
    db->Write([&](Transaction& tx) {
      auto rows = tx.Query("SELECT pg_backend_pid()");
      rows->Next();
      pid = rows->Int(0);
      return true;
    });
    return pid;
  };
  std::int64_t first = backend();
  {
    auto admin = db->Begin(TxMode::kRead);
    // Waits until the session is gone.
    auto ended = admin->Query("SELECT pg_terminate_backend(CAST($1 AS INTEGER), 10000)", {first});
    ASSERT_TRUE(ended->Next());
    ASSERT_TRUE(ended->Bool(0));
  }
  try {
    backend();
    FAIL() << "expected the ended session to fail";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), DbError::Kind::kUnavailable) << e.what();
  }
  std::int64_t second = backend();
  EXPECT_NE(second, first);
}

TEST(StoreOpenTest, RejectsUnknownSchemes) {
  EXPECT_THROW(Open("mysql://localhost/db"), std::invalid_argument);
}

TEST(StoreOpenTest, AMissingFolderIsMadeOnFirstUse) {
  testing::TempDir dir;
  auto path = dir.path() / "var" / "ecom.db";
  Open("sqlite://" + path.string());
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST(StoreOpenTest, AnUnreachableFileIsUnavailable) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "a-file") << "not a folder";
  try {
    Open("sqlite://" + (dir.path() / "a-file" / "ecom.db").string());
    FAIL();
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), DbError::Kind::kUnavailable);
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest, ::testing::ValuesIn(testing::StoreKinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::store
