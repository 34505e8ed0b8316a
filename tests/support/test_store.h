// Test stores: a fresh SQLite file, or a fresh schema on the PostgreSQL named
// by ECOM_TEST_PG_URL, so every test starts empty and parallel tests never
// share tables.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ecom/common/clock.h"
#include "ecom/store/database.h"
#include "ecom/store/migrate.h"

namespace ecom::testing {

// "sqlite" always; "postgres" when ECOM_TEST_PG_URL is set.
inline std::vector<std::string> StoreKinds() {
  std::vector<std::string> kinds = {"sqlite"};
  if (const char* pg = std::getenv("ECOM_TEST_PG_URL"); pg && *pg) kinds.push_back("postgres");
  return kinds;
}

// A temporary folder removed when the object goes.
class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "ecom-test-XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// One empty store: its URL stays valid (for child processes too) until the
// object is destroyed, which drops the PostgreSQL schema.
class TestStore {
 public:
  explicit TestStore(const std::string& kind) : kind_(kind) {
    if (kind == "sqlite") {
      url_ = "sqlite://" + (dir_.path() / "ecom.db").string();
      return;
    }
    std::string base = std::getenv("ECOM_TEST_PG_URL");
    static std::atomic<int> counter{0};
    std::random_device rd;
    schema_ = "t" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + std::to_string(rd() % 100000);
    {
      auto db = store::Open(base, {.pool_size = 1});
      auto tx = db->Begin(store::TxMode::kWrite);
      tx->Exec("CREATE SCHEMA " + schema_);
      tx->Commit();
    }
    url_ = base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema_;
    base_ = base;
  }
  ~TestStore() {
    if (schema_.empty()) return;
    try {
      auto db = store::Open(base_, {.pool_size = 1});
      auto tx = db->Begin(store::TxMode::kWrite);
      tx->Exec("DROP SCHEMA " + schema_ + " CASCADE");
      tx->Commit();
    } catch (...) {
    }
  }
  const std::string& url() const { return url_; }
  const std::string& kind() const { return kind_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

  // Opens the store and applies the migrations.
  std::unique_ptr<store::Database> OpenMigrated(int pool_size = 4) const {
    auto db = store::Open(url_, {.pool_size = pool_size});
    store::Migrate(*db, *SystemClock());
    return db;
  }

 private:
  std::string kind_;
  TempDir dir_;
  std::string url_;
  std::string base_;
  std::string schema_;
};

// A clock tests move by hand.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::seconds(1'800'000'000))) : now_(start) {}
  TimePoint Now() const override { return now_.load(); }
  void Advance(std::chrono::microseconds d) { now_.store(now_.load() + d); }

 private:
  std::atomic<TimePoint> now_;
};

// The repository's source folder and the shared datasets beside it.
inline std::filesystem::path SourceDir() {
  const char* dir = std::getenv("ECOM_SOURCE_DIR");
  return dir ? std::filesystem::path(dir) : std::filesystem::current_path();
}
inline std::filesystem::path DatasetsDir() { return SourceDir().parent_path() / "shared" / "datasets"; }

}  // namespace ecom::testing
