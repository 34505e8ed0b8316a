// A catalog on a fresh store, with helpers to describe products briefly.
#pragma once

#include <gtest/gtest.h>

#include "ecom/catalog/catalog_service.h"
#include "ecom/inventory/inventory_service.h"
#include "support/test_store.h"

namespace ecom::catalog {

class CatalogTest : public ::testing::TestWithParam<std::string> {
 protected:
  static ProductInput Simple(std::string handle, std::string title, std::int64_t price,
                             std::optional<std::string> sku = std::nullopt) {
    ProductInput p;
    p.handle = std::move(handle);
    p.title = std::move(title);
    p.status = ProductStatus::kActive;
    VariantInput v;
    v.sku = std::move(sku);
    v.price = price;
    p.variants.push_back(v);
    return p;
  }

  Product Create(const ProductInput& p) {
    auto r = catalog_.CreateProduct(p, actor_);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : Product{};
  }

  std::vector<std::string> Handles(const ProductQuery& q) {
    auto page = catalog_.ListProducts(q);
    EXPECT_TRUE(page.ok()) << (page.ok() ? "" : page.error().message);
    std::vector<std::string> out;
    if (page.ok())
      for (const auto& p : page->items) out.push_back(p.handle);
    return out;
  }

  std::int64_t Count(const char* table) {
    auto tx = db_->Begin(store::TxMode::kRead);
    auto rows = tx->Query(std::string("SELECT COUNT(*) FROM ") + table);
    rows->Next();
    return rows->Int(0);
  }

  testing::TestStore store_{GetParam()};
  std::unique_ptr<store::Database> db_ = store_.OpenMigrated(4);
  std::shared_ptr<testing::FakeClock> clock_ = std::make_shared<testing::FakeClock>();
  std::shared_ptr<IdGenerator> ids_ = MakeIdGenerator(clock_);
  CatalogService catalog_{*db_, clock_, ids_, "USD"};
  inventory::InventoryService inventory_{*db_, clock_, ids_};
  Actor actor_{"test"};
};

}  // namespace ecom::catalog
