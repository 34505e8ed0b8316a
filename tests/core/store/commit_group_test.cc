// SQLite's group commit: many threads' units of work share one durable
// commit, each answered only once it is kept, and a unit that is abandoned
// inside a group takes only its own changes with it. Each property holds on
// both roads into a group: a transaction borrowed with Begin(kWrite), and a
// function run by Database::Write.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ecom/store/database.h"
#include "support/test_store.h"

namespace ecom::store {
namespace {

class CommitGroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tx = db_->Begin(TxMode::kWrite);
    tx->Exec("CREATE TABLE units (id TEXT PRIMARY KEY)");
    tx->Exec("CREATE TABLE counter (n BIGINT NOT NULL)");
    tx->Exec("INSERT INTO counter (n) VALUES (0)");
    tx->Commit();
  }

  // Checkpoints at SQLite's own default, so that a test's few megabytes
  // pass that mark several times.
  static constexpr DatabaseOptions kOptions{.pool_size = 4, .checkpoint_pages = 1000};
  std::unique_ptr<Database> Reopen() { return Open(url_, kOptions); }

  static std::int64_t Count(Database& db, const std::string& sql) {
    auto tx = db.Begin(TxMode::kRead);
    auto rows = tx->Query(sql);
    rows->Next();
    return rows->Int(0);
  }

  // Runs `unit(t, i)` for i < units on each of `threads` threads at once.
  static void OnThreads(int threads, int units, const std::function<void(int, int)>& unit) {
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t)
      running.emplace_back([&, t] {
        for (int i = 0; i < units; ++i) unit(t, i);
      });
    for (auto& r : running) r.join();
  }

  // One unit of work: a row of its own and one more on the shared counter.
  static void Unit(Transaction& tx, const std::string& id) {
    tx.Exec("INSERT INTO units (id) VALUES ($1)", {std::string_view(id)});
    tx.Exec("UPDATE counter SET n = n + 1");
  }

  testing::TempDir dir_;
  std::string url_ = "sqlite://" + (dir_.path() / "groups.db").string();
  std::unique_ptr<Database> db_ = Open(url_, kOptions);
};

enum class Road { kBorrowed, kWrite };

class CommitGroupRoadTest : public CommitGroupTest, public ::testing::WithParamInterface<Road> {
 protected:
  // Runs one unit of work on this test's road; `work` says whether to keep
  // it, and what it throws comes out here.
  void Write(Database& db, const std::function<bool(Transaction&)>& work) {
    if (GetParam() == Road::kWrite) return db.Write(work);
    auto tx = db.Begin(TxMode::kWrite);
    if (work(*tx)) tx->Commit();
  }
};

INSTANTIATE_TEST_SUITE_P(Roads, CommitGroupRoadTest, ::testing::Values(Road::kBorrowed, Road::kWrite),
                         [](const auto& info) { return info.param == Road::kWrite ? "Write" : "Borrowed"; });

TEST_P(CommitGroupRoadTest, EveryUnitIsVisibleToOtherConnectionsWhenItsCommitReturns) {
  constexpr int kThreads = 16, kUnits = 60;
  std::atomic<int> unseen{0};
  OnThreads(kThreads, kUnits, [&](int t, int i) {
    std::string id = std::to_string(t) + "-" + std::to_string(i);
    Write(*db_, [&](Transaction& tx) {
      Unit(tx, id);
      return true;
    });
    // A reader on a pooled connection sees only what is committed.
    auto read = db_->Begin(TxMode::kRead);
    if (!read->Query("SELECT 1 FROM units WHERE id = $1", {std::string_view(id)})->Next()) ++unseen;
  });
  EXPECT_EQ(unseen.load(), 0);
  db_.reset();
  auto again = Reopen();
  EXPECT_EQ(Count(*again, "SELECT COUNT(*) FROM units"), kThreads * kUnits);
  EXPECT_EQ(Count(*again, "SELECT n FROM counter"), kThreads * kUnits);
}

TEST_P(CommitGroupRoadTest, AnAbandonedUnitTakesOnlyItsOwnChangesWithIt) {
  constexpr int kThreads = 12, kUnits = 60;
  std::vector<std::set<std::string>> kept(kThreads);
  OnThreads(kThreads, kUnits, [&](int t, int i) {
    std::string id = std::to_string(t) + "-" + std::to_string(i);
    bool keep = (t + i) % 3 != 0;
    Write(*db_, [&](Transaction& tx) {
      Unit(tx, id);
      return keep;  // or abandoned: rolled back
    });
    if (keep) kept[t].insert(id);
  });
  std::set<std::string> expected;
  for (auto& k : kept) expected.insert(k.begin(), k.end());
  db_.reset();
  auto again = Reopen();
  std::set<std::string> found;
  {
    auto tx = again->Begin(TxMode::kRead);
    auto rows = tx->Query("SELECT id FROM units");
    while (rows->Next()) found.insert(rows->Text(0));
  }
  EXPECT_EQ(found, expected);
  EXPECT_EQ(Count(*again, "SELECT n FROM counter"), static_cast<std::int64_t>(expected.size()));
}

TEST_P(CommitGroupRoadTest, AUnitThatRecoversFromAConstraintErrorKeepsTheRest) {
  {
    auto tx = db_->Begin(TxMode::kWrite);
    tx->Exec("INSERT INTO units (id) VALUES ('taken')");
    tx->Commit();
  }
  constexpr int kThreads = 8, kUnits = 40;
  std::atomic<int> violations{0};
  OnThreads(kThreads, kUnits, [&](int t, int i) {
    Write(*db_, [&](Transaction& tx) {
      try {
        tx.Exec("INSERT INTO units (id) VALUES ('taken')");
      } catch (const DbError& e) {
        if (e.kind() == DbError::Kind::kUniqueViolation) ++violations;
      }
      Unit(tx, std::to_string(t) + "-" + std::to_string(i));
      return true;
    });
  });
  EXPECT_EQ(violations.load(), kThreads * kUnits);
  EXPECT_EQ(Count(*db_, "SELECT COUNT(*) FROM units"), kThreads * kUnits + 1);
  EXPECT_EQ(Count(*db_, "SELECT n FROM counter"), kThreads * kUnits);
}

TEST_P(CommitGroupRoadTest, AUnitThatLosesAKeyRaceFindsTheWinnerOnceItReturns) {
  // Racers for one key: the loser meets the winner's row as a unique
  // violation, possibly while both are in one group and the row is not yet
  // committed. When its abandoned unit returns, a reader must see the row.
  constexpr int kThreads = 8, kKeys = 20;
  std::atomic<int> missing{0}, won{0};
  for (int k = 0; k < kKeys; ++k) {
    std::string key = "race-" + std::to_string(k);
    // A unit holds the writer while the racers queue, so that they all run
    // in the next group, and the winner's row is uncommitted when the losers
    // meet it.
    auto hold = db_->Begin(TxMode::kWrite);
    std::latch start(kThreads + 1);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        try {
          Write(*db_, [&](Transaction& tx) {
            // Some work first, so that the racers queue behind each other.
            for (int i = 0; i < 100; ++i)
              tx.Exec("INSERT INTO units (id) VALUES ($1)",
                      {key + "/" + std::to_string(t) + "/" + std::to_string(i)});
            tx.Exec("INSERT INTO units (id) VALUES ($1)", {std::string_view(key)});
            return true;
          });
          ++won;
          return;
        } catch (const DbError& e) {
          if (e.kind() != DbError::Kind::kUniqueViolation) throw;
        }
        auto read = db_->Begin(TxMode::kRead);
        if (!read->Query("SELECT 1 FROM units WHERE id = $1", {std::string_view(key)})->Next()) ++missing;
      });
    start.arrive_and_wait();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    hold->Commit();
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(missing.load(), 0);
  EXPECT_EQ(won.load(), kKeys);
}

TEST_P(CommitGroupRoadTest, TwoProcessesWritingOneFileEachKeepEverything) {
  // Each Database groups its own writers; two of them meet at SQLite's lock,
  // as ecomd and a command-line run do.
  auto other = Reopen();
  constexpr int kThreads = 6, kUnits = 40;
  OnThreads(kThreads, kUnits, [&](int t, int i) {
    Write(t % 2 ? *other : *db_, [&](Transaction& tx) {
      Unit(tx, std::to_string(t) + "-" + std::to_string(i));
      return true;
    });
  });
  EXPECT_EQ(Count(*other, "SELECT COUNT(*) FROM units"), kThreads * kUnits);
  EXPECT_EQ(Count(*db_, "SELECT n FROM counter"), kThreads * kUnits);
}

TEST_P(CommitGroupRoadTest, TheLogIsCopiedBackSoItDoesNotGrowWithoutBound) {
  // Over a few thousand units the log would pass 1,000 pages many times;
  // checkpoints keep starting it afresh.
  std::string payload(3000, 'x');
  OnThreads(4, 500, [&](int t, int i) {
    Write(*db_, [&](Transaction& tx) {
      tx.Exec("INSERT INTO units (id) VALUES ($1)", {std::to_string(t) + "-" + std::to_string(i) + payload});
      return true;
    });
  });
  auto log = std::filesystem::file_size(dir_.path() / "groups.db-wal");
  // 2,000 rows of 3 KB are about 6 MB written; the log stays near 1,000 pages.
  EXPECT_LT(log, 3u * 1000 * 4096 + 1000000) << "the log is " << log << " bytes";
  EXPECT_EQ(Count(*db_, "SELECT COUNT(*) FROM units"), 2000);
}

TEST_F(CommitGroupTest, BorrowedUnitsAndWrittenFunctionsShareGroups) {
  // The writer thread lends the connection to borrowers in turn between the
  // functions it runs itself.
  constexpr int kThreads = 12, kUnits = 50;
  OnThreads(kThreads, kUnits, [&](int t, int i) {
    std::string id = std::to_string(t) + "-" + std::to_string(i);
    if (t % 2) {
      auto tx = db_->Begin(TxMode::kWrite);
      Unit(*tx, id);
      tx->Commit();
    } else {
      db_->Write([&](Transaction& tx) {
        Unit(tx, id);
        return true;
      });
    }
  });
  EXPECT_EQ(Count(*db_, "SELECT COUNT(*) FROM units"), kThreads * kUnits);
  EXPECT_EQ(Count(*db_, "SELECT n FROM counter"), kThreads * kUnits);
}

TEST_F(CommitGroupTest, WhatAFunctionThrowsReachesItsCallerAndDropsOnlyItsWork) {
  constexpr int kThreads = 10, kUnits = 40;
  std::atomic<int> caught{0};
  OnThreads(kThreads, kUnits, [&](int t, int i) {
    try {
      db_->Write([&](Transaction& tx) {
        Unit(tx, std::to_string(t) + "-" + std::to_string(i));
        if (i % 4 == 0) throw std::runtime_error("declined");
        return true;
      });
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()) == "declined") ++caught;
    }
  });
  EXPECT_EQ(caught.load(), kThreads * kUnits / 4);
  EXPECT_EQ(Count(*db_, "SELECT COUNT(*) FROM units"), kThreads * kUnits * 3 / 4);
  EXPECT_EQ(Count(*db_, "SELECT n FROM counter"), kThreads * kUnits * 3 / 4);
}

TEST_F(CommitGroupTest, AWriteInsideAWriteIsRefusedNotWaitedFor) {
  // The inner write would queue behind the unit that started it.
  std::optional<DbError::Kind> refused;
  db_->Write([&](Transaction& tx) {
    Unit(tx, "outer");
    try {
      db_->Write([&](Transaction& inner) {
        Unit(inner, "inner");
        return true;
      });
    } catch (const DbError& e) {
      refused = e.kind();
    }
    return true;
  });
  EXPECT_EQ(refused, DbError::Kind::kOther);
  EXPECT_EQ(Count(*db_, "SELECT COUNT(*) FROM units"), 1);
}

}  // namespace
}  // namespace ecom::store
