// Stock rules on both stores: ledger and levels agree, nothing goes below
// what is reserved, reservations hold under concurrency.
#include <gtest/gtest.h>

#include <thread>

#include "ecom/catalog/catalog_service.h"
#include "ecom/inventory/inventory_service.h"
#include "support/test_store.h"

namespace ecom::inventory {
namespace {

class InventoryServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    catalog::ProductInput p;
    p.handle = "mug";
    p.title = "Mug";
    p.status = catalog::ProductStatus::kActive;
    catalog::VariantInput v;
    v.sku = "MUG-1";
    v.price = 1200;
    p.variants.push_back(v);
    v.sku = "MUG-BACK";
    v.inventory_policy = catalog::InventoryPolicy::kContinue;
    p.option_names = {"Kind"};
    p.variants[0].options[0] = "plain";
    v.options[0] = "backorder";
    p.variants.push_back(v);
    ASSERT_TRUE(catalog_.CreateProduct(p, actor_).ok());
  }

  std::int64_t LedgerSum(const std::string& sku) {
    auto tx = db_->Begin(store::TxMode::kRead);
    auto rows = tx->Query(
        "SELECT COALESCE(SUM(s.delta), 0) FROM stock_ledger s JOIN variants v ON v.id = s.variant_id WHERE v.sku = $1",
        {std::string_view(sku)});
    rows->Next();
    return rows->Int(0);
  }

  StockLevel Level(const std::string& sku) { return *inventory_.GetLevel(sku); }

  testing::TestStore store_{GetParam()};
  std::unique_ptr<store::Database> db_ = store_.OpenMigrated(8);
  std::shared_ptr<testing::FakeClock> clock_ = std::make_shared<testing::FakeClock>();
  std::shared_ptr<IdGenerator> ids_ = MakeIdGenerator(clock_);
  catalog::CatalogService catalog_{*db_, clock_, ids_, "USD"};
  InventoryService inventory_{*db_, clock_, ids_};
  Actor actor_{"test"};
};

TEST_P(InventoryServiceTest, ReceivingStockWritesALedgerRowAndTheLevel) {
  auto level = inventory_.Adjust({"MUG-1", 5, StockReason::kReceived, "PO-1", "first delivery"}, actor_);
  ASSERT_TRUE(level.ok()) << level.error().message;
  EXPECT_EQ(level->on_hand, 5);
  EXPECT_EQ(level->available, 5);
  EXPECT_EQ(LedgerSum("MUG-1"), 5);
  auto history = inventory_.History("MUG-1", 10, "");
  ASSERT_EQ(history->items.size(), 1u);
  EXPECT_EQ(history->items[0].reason, StockReason::kReceived);
  EXPECT_EQ(history->items[0].reference, "PO-1");
  EXPECT_EQ(history->items[0].actor, "test");
  EXPECT_EQ(history->items[0].on_hand_after, 5);
}

TEST_P(InventoryServiceTest, AdjustingBelowZeroIsRefusedAndChangesNothing) {
  ASSERT_TRUE(inventory_.Adjust({"MUG-1", 2, StockReason::kReceived}, actor_).ok());
  auto r = inventory_.Adjust({"MUG-1", -3, StockReason::kDamaged}, actor_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(r.error().reason, "insufficient_stock");
  EXPECT_EQ(Level("MUG-1").on_hand, 2);
  EXPECT_EQ(LedgerSum("MUG-1"), 2);
}

TEST_P(InventoryServiceTest, AdjustingBelowWhatIsReservedNamesReserved) {
  ASSERT_TRUE(inventory_.Adjust({"MUG-1", 5, StockReason::kReceived}, actor_).ok());
  ASSERT_TRUE(inventory_.Reserve("MUG-1", 3).ok());
  auto r = inventory_.Adjust({"MUG-1", -3, StockReason::kDamaged}, actor_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "reserved");
  auto s = inventory_.SetOnHand("MUG-1", 2, std::nullopt, StockReason::kCount, "", actor_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().reason, "reserved");
  EXPECT_EQ(Level("MUG-1").on_hand, 5);
}

TEST_P(InventoryServiceTest, BackorderVariantsMayGoBelowZero) {
  auto r = inventory_.Adjust({"MUG-BACK", -4, StockReason::kSold}, actor_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->on_hand, -4);
  EXPECT_TRUE(inventory_.Reserve("MUG-BACK", 10).ok());
}

TEST_P(InventoryServiceTest, SetWithExpectIsACompareAndSet) {
  ASSERT_TRUE(inventory_.SetOnHand("MUG-1", 10, std::nullopt, StockReason::kCount, "", actor_).ok());
  auto stale = inventory_.SetOnHand("MUG-1", 7, 9, StockReason::kCount, "", actor_);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(stale.error().reason, "on_hand_changed");
  auto fresh = inventory_.SetOnHand("MUG-1", 7, 10, StockReason::kCount, "cycle count", actor_);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->on_hand, 7);
  EXPECT_EQ(LedgerSum("MUG-1"), 7);
}

TEST_P(InventoryServiceTest, SettingTheSameCountWritesNoLedgerRow) {
  ASSERT_TRUE(inventory_.SetOnHand("MUG-1", 4, std::nullopt, StockReason::kCount, "", actor_).ok());
  ASSERT_TRUE(inventory_.SetOnHand("MUG-1", 4, std::nullopt, StockReason::kCount, "", actor_).ok());
  EXPECT_EQ(inventory_.History("MUG-1", 10, "")->items.size(), 1u);
}

TEST_P(InventoryServiceTest, UnknownSkuIsNotFound) {
  auto r = inventory_.GetLevel("NOPE");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().reason, "unknown_sku");
}

TEST_P(InventoryServiceTest, ReservationsNeverExceedStockUnderConcurrency) {
  ASSERT_TRUE(inventory_.Adjust({"MUG-1", 10, StockReason::kReceived}, actor_).ok());
  std::atomic<int> granted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto r = inventory_.Reserve("MUG-1", 1);
        if (r.ok()) ++granted;
        else if (r.error().reason == "insufficient_stock") ++refused;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 10);
  EXPECT_EQ(refused.load(), 30);
  auto level = Level("MUG-1");
  EXPECT_EQ(level.reserved, 10);
  EXPECT_EQ(level.available, 0);
}

TEST_P(InventoryServiceTest, ConcurrentAdjustmentsKeepLevelAndLedgerEqual) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) ASSERT_TRUE(inventory_.Adjust({"MUG-1", 2, StockReason::kReceived}, actor_).ok());
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(Level("MUG-1").on_hand, 200);
  EXPECT_EQ(LedgerSum("MUG-1"), 200);
}

TEST_P(InventoryServiceTest, ReleaseGivesBackOnlyWhatIsReserved) {
  ASSERT_TRUE(inventory_.Adjust({"MUG-1", 3, StockReason::kReceived}, actor_).ok());
  ASSERT_TRUE(inventory_.Reserve("MUG-1", 2).ok());
  EXPECT_FALSE(inventory_.Release("MUG-1", 3).ok());
  auto r = inventory_.Release("MUG-1", 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reserved, 0);
  EXPECT_EQ(r->available, 3);
}

TEST_P(InventoryServiceTest, LowStockIsFlaggedAtTheThreshold) {
  ASSERT_TRUE(inventory_.Adjust({"MUG-1", 5, StockReason::kReceived}, actor_).ok());
  ASSERT_TRUE(inventory_.SetLowStockThreshold("MUG-1", 3, actor_).ok());
  EXPECT_FALSE(Level("MUG-1").low_stock);
  ASSERT_TRUE(inventory_.Adjust({"MUG-1", -2, StockReason::kSold}, actor_).ok());
  EXPECT_TRUE(Level("MUG-1").low_stock);
}

TEST_P(InventoryServiceTest, ACountCanSetTheThresholdWithIt) {
  StockCount count;
  count.quantity = 4;
  count.low_stock_threshold = std::optional<std::int64_t>(5);
  auto r = inventory_.SetOnHand("MUG-1", count, actor_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->on_hand, 4);
  EXPECT_EQ(r->low_stock_threshold, 5);
  EXPECT_TRUE(r->low_stock);
}

TEST_P(InventoryServiceTest, ARefusedCountLeavesTheThresholdUnchangedToo) {
  ASSERT_TRUE(inventory_.Adjust({"MUG-1", 5, StockReason::kReceived}, actor_).ok());
  ASSERT_TRUE(inventory_.SetLowStockThreshold("MUG-1", 2, actor_).ok());
  ASSERT_TRUE(inventory_.Reserve("MUG-1", 4).ok());
  StockCount count;
  count.quantity = 3;  // below the 4 reserved
  count.low_stock_threshold = std::optional<std::int64_t>(1);
  auto r = inventory_.SetOnHand("MUG-1", count, actor_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(r.error().reason, "reserved");
  EXPECT_EQ(Level("MUG-1").on_hand, 5);
  EXPECT_EQ(Level("MUG-1").low_stock_threshold, 2);
}

TEST_P(InventoryServiceTest, CountImportIsAllOrNothing) {
  auto r = inventory_.ImportCounts({{"MUG-1", 5, 2}, {"GHOST", 1, 3}}, actor_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("line 3"), std::string::npos);
  EXPECT_EQ(Level("MUG-1").on_hand, 0);
  auto ok = inventory_.ImportCounts({{"MUG-1", 5, 2}, {"MUG-BACK", 0, 3}}, actor_);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->changed, 1);
  EXPECT_EQ(ok->unchanged, 1);
}

TEST_P(InventoryServiceTest, CountImportRefusesASkuCountedTwice) {
  auto r = inventory_.ImportCounts({{"MUG-1", 5, 2}, {"MUG-1", 6, 7}}, actor_);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.error().fields.size(), 1u);
  EXPECT_EQ(r.error().fields[0].field, "line 7");
  EXPECT_NE(r.error().fields[0].message.find("line 2"), std::string::npos);
  EXPECT_EQ(Level("MUG-1").on_hand, 0);
}

TEST_P(InventoryServiceTest, CountImportReportsEveryUnknownSku) {
  auto r = inventory_.ImportCounts({{"GHOST-1", 5, 2}, {"MUG-1", 1, 3}, {"GHOST-2", 6, 4}}, actor_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().fields.size(), 2u);
  EXPECT_EQ(Level("MUG-1").on_hand, 0);
}

TEST_P(InventoryServiceTest, HistoryPagesNewestFirst) {
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(inventory_.Adjust({"MUG-1", i, StockReason::kReceived}, actor_).ok());
  auto first = inventory_.History("MUG-1", 2, "");
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].delta, 5);
  ASSERT_TRUE(first->next_cursor);
  auto second = inventory_.History("MUG-1", 2, *first->next_cursor);
  EXPECT_EQ(second->items[0].delta, 3);
}

INSTANTIATE_TEST_SUITE_P(Stores, InventoryServiceTest, ::testing::ValuesIn(testing::StoreKinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::inventory
