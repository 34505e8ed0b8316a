// The store contract: the same behaviour and error kinds on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "ecom/store/database.h"
#include "ecom/store/migrate.h"
#include "support/test_store.h"

namespace ecom::store {
namespace {

class StoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::TestStore store_{GetParam()};
  std::unique_ptr<Database> db_ = store_.OpenMigrated();
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
