// The command line and the daemon write one store at the same time: an
// import applies while the daemon takes stock adjustments, and neither side
// fails with a busy store (SQLite waits on its busy timeout).
#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "daemon_fixture.h"

namespace ecom::daemon::testing {
namespace {

class ConcurrentWriteTest : public DaemonTest {};

TEST_P(ConcurrentWriteTest, AnImportAndDaemonWritesBothSucceed) {
  CreateProduct(ProductBody("Mug", "MUG-1", 1200));
  std::string key = NewKey({"inventory:write"});
  auto csv = dir() / "catalog.csv";
  {
    std::ofstream out(csv);
    out << "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Inventory Tracker,"
           "Variant Inventory Qty,Variant Price,Status\n";
    for (int p = 0; p < 3000; ++p)
      for (const char* size : {"S", "M", "L"})
        out << "tee-" << p << ",Tee " << p << ",Size," << size << ",T-" << p << "-" << size
            << ",shopify,5,19.99,active\n";
  }
  std::atomic<int> created{0}, other{0};
  std::atomic<bool> importing{true};
  std::thread writer([&] {
    // Keep writing until the import is done, and at least 50 times.
    for (int i = 0; importing || i < 50; ++i) {
      Response r = PostOnce("/v1/inventory/MUG-1/adjustments", {{"delta", 1}, {"reason", "received"}}, key);
      if (r.status == 201) ++created;
      else ++other;
    }
  });
  std::string ecom = (std::filesystem::path(EcomdPath()).parent_path() / "ecom").string();
  std::string command = "'" + ecom + "' catalog import '" + csv.string() + "' --db '" + db_url() + "' > '" +
                        (dir() / "import.log").string() + "' 2>&1";
  int status = std::system(command.c_str());
  importing = false;
  writer.join();
  std::ifstream log(dir() / "import.log");
  std::string output((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_EQ(other.load(), 0) << DaemonLog();
  EXPECT_GE(created.load(), 50);
  Response level = Get("/v1/inventory/MUG-1", key);
  EXPECT_EQ(level.json["on_hand"], created.load());
  Response tee = Get("/v1/products/tee-2999");
  EXPECT_EQ(tee.status, 200);
}

INSTANTIATE_TEST_SUITE_P(Stores, ConcurrentWriteTest, ::testing::ValuesIn(TestStores()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::daemon::testing
