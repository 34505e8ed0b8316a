// The CLI test fixture: temp directories, fresh stores and `ecom` helpers.
#include "cli/cli_test.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "ecom/store/database.h"

namespace ecom::cli::testing {
namespace fs = std::filesystem;

namespace {

std::string RandomSuffix() {
  static std::mt19937_64 rng(std::random_device{}() ^ static_cast<std::uint64_t>(getpid()));
  static const char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s;
  for (int i = 0; i < 12; ++i) s.push_back(kDigits[rng() % 36]);
  return s;
}

std::string PgUrl() {
  const char* url = std::getenv("ECOM_TEST_PG_URL");
  return url ? url : "";
}

std::string SourceDir() {
  const char* dir = std::getenv("ECOM_SOURCE_DIR");
#ifdef ECOM_DEFAULT_SOURCE_DIR
  if (!dir || !*dir) dir = ECOM_DEFAULT_SOURCE_DIR;
#endif
  return dir ? dir : ".";
}

void ExecOn(const std::string& url, const std::string& sql) {
  auto db = store::Open(url);
  auto tx = db->Begin(store::TxMode::kWrite);
  tx->Exec(sql);
  tx->Commit();
}

}  // namespace

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "sqlite" : "postgres";
}

// PostgreSQL stores live in a schema of their own, selected through the URL's
// search_path, so tests running in parallel (and other suites on the same
// database) never see each other's tables.
TestStore::TestStore(Backend backend, const fs::path& dir, const std::string& name)
    : backend_(backend) {
  if (backend == Backend::kSqlite) {
    url_ = "sqlite://" + (dir / (name + ".db")).string();
    return;
  }
  std::string base = PgUrl();
  schema_ = "ecom_cli_" + RandomSuffix();
  ExecOn(base, "CREATE SCHEMA " + schema_);
  url_ = base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema_;
}

TestStore::~TestStore() {
  if (backend_ != Backend::kPostgres || schema_.empty()) return;
  try {
    ExecOn(PgUrl(), "DROP SCHEMA " + schema_ + " CASCADE");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot drop schema " << schema_ << ": " << e.what();
  }
}

void CliTest::SetUp() {
  if (GetParam() == Backend::kPostgres && PgUrl().empty())
    GTEST_SKIP() << "ECOM_TEST_PG_URL is not set: the PostgreSQL half of the CLI tests is skipped";
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ecom-cli-test-XXXXXX";
  ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "cannot create a temp directory";
  dir_ = pattern;
  store_ = NewStore("store");
}

void CliTest::TearDown() {
  store_.reset();
  if (!dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
}

std::unique_ptr<TestStore> CliTest::NewStore(const std::string& name) {
  return std::make_unique<TestStore>(GetParam(), dir_, name);
}

RunResult CliTest::EcomRaw(const std::vector<std::string>& args, RunOptions options) {
  if (options.working_dir.empty()) options.working_dir = dir_.string();
  return ::ecom::cli::testing::Run(EcomBinary(), args, options);
}

RunResult CliTest::EcomOn(const TestStore& store, std::vector<std::string> args,
                          RunOptions options) {
  args.push_back("--db");
  args.push_back(store.url());
  return EcomRaw(args, std::move(options));
}

RunResult CliTest::Ecom(std::vector<std::string> args, RunOptions options) {
  return EcomOn(*store_, std::move(args), std::move(options));
}

namespace {

std::string Describe(const std::vector<std::string>& args, const RunResult& r) {
  std::string command = "ecom";
  for (const auto& a : args) command += " " + a;
  return command + "\nexit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" +
         r.err;
}

}  // namespace

std::string CliTest::EcomOk(std::vector<std::string> args, RunOptions options) {
  RunResult r = Ecom(args, std::move(options));
  EXPECT_EQ(r.exit_code, kOk) << Describe(args, r);
  return r.out;
}

nlohmann::json CliTest::EcomJson(std::vector<std::string> args, RunOptions options) {
  args.push_back("--json");
  RunResult r = Ecom(args, std::move(options));
  EXPECT_EQ(r.exit_code, kOk) << Describe(args, r);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "stdout is not JSON\n" << Describe(args, r);
  return j;
}

std::string CliTest::WriteFile(const std::string& name, const std::string& content) {
  fs::path path = dir_ / name;
  std::ofstream out(path, std::ios::binary);
  out << content;
  EXPECT_TRUE(out.good()) << "cannot write " << path;
  return path.string();
}

std::string CliTest::ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string CliTest::ShopifySample(const std::string& file) {
  fs::path path =
      fs::path(SourceDir()) / ".." / "shared" / "datasets" / "shopify-product-csv" / file;
  std::error_code ec;
  if (!fs::exists(path, ec)) return "";
  return fs::canonical(path, ec).string();
}

std::string CliTest::ExportJsonl() { return ExportJsonl(*store_); }

std::string CliTest::ExportJsonl(const TestStore& store) {
  std::vector<std::string> args = {"catalog", "export", "--format", "jsonl"};
  RunResult r = EcomOn(store, args);
  EXPECT_EQ(r.exit_code, kOk) << Describe(args, r);
  return r.out;
}

void CliTest::ImportMugAndCap() {
  std::string csv = WriteFile(
      "mug-and-cap.csv",
      "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Tracker,"
      "Variant Inventory Qty,Variant Inventory Policy,Status\n"
      "mug,Coffee Mug,Title,Default Title,MUG-1,12.50,shopify,10,deny,active\n"
      "cap,Baseball Cap,Title,Default Title,CAP-1,20.00,shopify,5,deny,active\n");
  EcomOk({"catalog", "import", csv});
}

std::int64_t CliTest::OnHand(const std::string& sku) {
  nlohmann::json level = EcomJson({"stock", "show", sku});
  if (!level.contains("on_hand")) return -1;
  return level["on_hand"].get<std::int64_t>();
}

}  // namespace ecom::cli::testing
