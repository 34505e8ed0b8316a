// The fixture of the CLI tests: a fresh store per test (a temp SQLite file,
// or a fresh PostgreSQL schema when ECOM_TEST_PG_URL is set), the real `ecom`
// binary, and small helpers that keep each test a short story.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_runner.h"

namespace ecom::cli::testing {

enum class Backend { kSqlite, kPostgres };

// Exit codes of `ecom`, as documented.
inline constexpr int kOk = 0;
inline constexpr int kFailure = 1;
inline constexpr int kUsage = 2;
inline constexpr int kNotFound = 3;
inline constexpr int kConflict = 4;
inline constexpr int kInvalidInput = 65;

// A store the tests can point `ecom` at; removed on destruction.
class TestStore {
 public:
  TestStore(Backend backend, const std::filesystem::path& dir, const std::string& name);
  ~TestStore();
  TestStore(const TestStore&) = delete;
  TestStore& operator=(const TestStore&) = delete;

  const std::string& url() const { return url_; }

 private:
  Backend backend_;
  std::string url_;
  std::string schema_;  // PostgreSQL: the schema this store lives in
};

class CliTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Runs `ecom args... --db <this test's store>`.
  RunResult Ecom(std::vector<std::string> args, RunOptions options = {});
  // Runs `ecom args...` exactly as given (no --db added).
  RunResult EcomRaw(const std::vector<std::string>& args, RunOptions options = {});
  // Runs against `store` instead of this test's own.
  RunResult EcomOn(const TestStore& store, std::vector<std::string> args, RunOptions options = {});

  // Like Ecom(), and the command must succeed; returns stdout.
  std::string EcomOk(std::vector<std::string> args, RunOptions options = {});
  // Like EcomOk() with --json added; returns the parsed stdout.
  nlohmann::json EcomJson(std::vector<std::string> args, RunOptions options = {});

  // Another fresh store, for round trips.
  std::unique_ptr<TestStore> NewStore(const std::string& name);

  // Writes `content` to `name` in this test's temp directory; returns its path.
  std::string WriteFile(const std::string& name, const std::string& content);
  std::string ReadFile(const std::string& path);
  const std::filesystem::path& dir() const { return dir_; }
  const TestStore& store() const { return *store_; }

  // The path of a Shopify sample file, or "" (and the test is skipped) when
  // the shared datasets are not available.
  std::string ShopifySample(const std::string& file);

  // The whole catalog as JSON Lines (for before/after comparisons).
  std::string ExportJsonl();
  std::string ExportJsonl(const TestStore& store);

  // Imports a small catalog of two products, MUG-1 (10 on hand) and CAP-1 (5).
  void ImportMugAndCap();

  // The on-hand stock of a SKU.
  std::int64_t OnHand(const std::string& sku);

 private:
  std::filesystem::path dir_;
  std::unique_ptr<TestStore> store_;
};

// "sqlite" / "postgres", for test names.
std::string BackendName(const ::testing::TestParamInfo<Backend>& info);

}  // namespace ecom::cli::testing

// Runs every test of `suite` (a CliTest subclass) on each store backend.
#define ECOM_CLI_INSTANTIATE(suite)                                                     \
  INSTANTIATE_TEST_SUITE_P(Stores, suite,                                               \
                           ::testing::Values(::ecom::cli::testing::Backend::kSqlite,    \
                                             ::ecom::cli::testing::Backend::kPostgres), \
                           ::ecom::cli::testing::BackendName)
