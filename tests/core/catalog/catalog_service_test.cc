// Catalog use cases on both stores.
#include "core/catalog/catalog_fixture.h"
#include "ecom/catalog/json.h"
#include "ecom/events/outbox.h"

namespace ecom::catalog {
namespace {

using Names = std::vector<std::string>;

TEST_P(CatalogTest, CreatedProductReadsBackByIdAndHandle) {
  ProductInput in = Simple("linen-shirt", "Linen Shirt", 4500, "LIN-1");
  in.tags = {"summer", "linen"};
  in.vendor = "Northwind";
  Product p = Create(in);
  EXPECT_EQ(p.id.rfind("prod_", 0), 0u);
  auto by_handle = catalog_.GetProduct("linen-shirt");
  ASSERT_TRUE(by_handle.ok());
  EXPECT_EQ(by_handle->id, p.id);
  EXPECT_EQ(by_handle->tags, (Names{"summer", "linen"}));
  ASSERT_EQ(by_handle->variants.size(), 1u);
  EXPECT_EQ(by_handle->variants[0].price, (Money{4500, "USD"}));
  EXPECT_EQ(catalog_.GetProduct(p.id)->handle, "linen-shirt");
}

TEST_P(CatalogTest, CreatingWritesTheEventInTheSameTransaction) {
  Create(Simple("a", "A", 100));
  auto tx = db_->Begin(store::TxMode::kRead);
  auto events = events::ReadUnpublished(*tx, 10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "product.created");
  EXPECT_EQ(events[0].payload["handle"], "a");
}

TEST_P(CatalogTest, ANewVariantsOpeningStockTravelsInTheCreatedEvent) {
  ProductInput in = Simple("a", "A", 100, "SKU-A");
  in.variants[0].inventory_quantity = 7;
  Create(in);
  auto tx = db_->Begin(store::TxMode::kRead);
  auto events = events::ReadUnpublished(*tx, 10);
  ASSERT_EQ(events.size(), 1u);  // no separate stock.adjusted
  const auto& variant = events[0].payload["variants"][0];
  EXPECT_EQ(variant["on_hand"], 7);
  auto ledger = tx->Query("SELECT id, delta, reason FROM stock_ledger");
  ASSERT_TRUE(ledger->Next());
  EXPECT_EQ(variant["ledger_entry_id"], ledger->Text(0));
  EXPECT_EQ(ledger->Int(1), 7);
  EXPECT_EQ(ledger->Text(2), "count");
}

TEST_P(CatalogTest, DuplicateHandleAndSkuAreRefused) {
  Create(Simple("a", "A", 100, "SKU-A"));
  auto same_handle = catalog_.CreateProduct(Simple("a", "Other", 100), actor_);
  ASSERT_FALSE(same_handle.ok());
  EXPECT_EQ(same_handle.error().reason, "handle_taken");
  auto same_sku = catalog_.CreateProduct(Simple("b", "B", 100, "SKU-A"), actor_);
  ASSERT_FALSE(same_sku.ok());
  EXPECT_EQ(same_sku.error().reason, "sku_taken");
  EXPECT_EQ(Count("products"), 1);
}

TEST_P(CatalogTest, InvalidProductsNameEveryBadField) {
  ProductInput in = Simple("Bad Handle", "", -5);
  auto r = catalog_.CreateProduct(in, actor_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  std::set<std::string> fields;
  for (const auto& f : r.error().fields) fields.insert(f.field);
  EXPECT_TRUE(fields.count("title"));
  EXPECT_TRUE(fields.count("handle"));
  EXPECT_TRUE(fields.count("variants[0].price"));
  EXPECT_EQ(Count("products"), 0);
}

TEST_P(CatalogTest, UpdateWithAStaleVersionIsRefused) {
  Product p = Create(Simple("a", "A", 100));
  ProductPatch patch;
  patch.title = "A2";
  auto first = catalog_.UpdateProduct(p.id, patch, p.version, actor_);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->version, p.version + 1);
  patch.title = "A3";
  auto stale = catalog_.UpdateProduct(p.id, patch, p.version, actor_);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().reason, "version_mismatch");
  EXPECT_EQ(catalog_.GetProduct(p.id)->title, "A2");
}

TEST_P(CatalogTest, DeletingANeverStockedProductRemovesIt) {
  Product p = Create(Simple("a", "A", 100, "A-1"));
  EXPECT_EQ(*catalog_.DeleteProduct(p.id, actor_), DeleteOutcome::kDeleted);
  EXPECT_FALSE(catalog_.GetProduct(p.id).ok());
  EXPECT_EQ(Count("variants"), 0);
}

TEST_P(CatalogTest, DeletingAStockedProductArchivesIt) {
  Product p = Create(Simple("a", "A", 100, "A-1"));
  ASSERT_TRUE(inventory_.Adjust({"A-1", 3, inventory::StockReason::kReceived}, actor_).ok());
  EXPECT_EQ(*catalog_.DeleteProduct(p.id, actor_), DeleteOutcome::kArchived);
  EXPECT_EQ(catalog_.GetProduct(p.id)->status, ProductStatus::kArchived);
}

TEST_P(CatalogTest, PublicListingShowsOnlyActiveProducts) {
  Create(Simple("live", "Live", 100));
  ProductInput draft = Simple("draft", "Draft", 100);
  draft.status = ProductStatus::kDraft;
  Create(draft);
  EXPECT_EQ(Handles({}), (Names{"live"}));
  ProductQuery staff;
  staff.statuses = {ProductStatus::kDraft, ProductStatus::kActive};
  EXPECT_EQ(Handles(staff), (Names{"draft", "live"}));
}

TEST_P(CatalogTest, CursorWalksEverySortWithoutGapsOrRepeats) {
  for (int i = 0; i < 23; ++i)
    Create(Simple("p" + std::to_string(i), "Product " + std::to_string(i % 7), 100 * (i % 5), "S" + std::to_string(i)));
  for (SortOrder sort : {SortOrder::kTitle, SortOrder::kPrice, SortOrder::kNewest}) {
    ProductQuery q;
    q.sort = sort;
    q.limit = 4;
    std::set<std::string> seen;
    int pages = 0;
    for (;;) {
      auto page = catalog_.ListProducts(q);
      ASSERT_TRUE(page.ok());
      for (const auto& p : page->items) EXPECT_TRUE(seen.insert(p.id).second) << "repeated " << p.handle;
      ++pages;
      if (!page->next_cursor) break;
      q.cursor = *page->next_cursor;
    }
    EXPECT_EQ(seen.size(), 23u);
    EXPECT_EQ(pages, 6);
  }
}

TEST_P(CatalogTest, SortsByTitlePriceAndNewest) {
  clock_->Advance(std::chrono::seconds(1));
  Create(Simple("b", "Banana", 300));
  clock_->Advance(std::chrono::seconds(1));
  Create(Simple("a", "apple", 500));
  clock_->Advance(std::chrono::seconds(1));
  Create(Simple("c", "Cherry", 100));
  ProductQuery q;
  EXPECT_EQ(Handles(q), (Names{"a", "b", "c"}));
  q.sort = SortOrder::kPrice;
  EXPECT_EQ(Handles(q), (Names{"c", "b", "a"}));
  q.sort = SortOrder::kNewest;
  EXPECT_EQ(Handles(q), (Names{"c", "a", "b"}));
}

TEST_P(CatalogTest, FiltersByVendorTagPriceAndStock) {
  ProductInput a = Simple("a", "A", 1000, "A-1");
  a.vendor = "Acme";
  a.tags = {"sale"};
  Create(a);
  ProductInput b = Simple("b", "B", 5000, "B-1");
  b.vendor = "Other";
  Create(b);
  ASSERT_TRUE(inventory_.Adjust({"B-1", 1, inventory::StockReason::kReceived}, actor_).ok());
  ProductQuery q;
  q.vendor = "Acme";
  EXPECT_EQ(Handles(q), (Names{"a"}));
  q = {};
  q.tag = "sale";
  EXPECT_EQ(Handles(q), (Names{"a"}));
  q = {};
  q.price_min = 2000;
  EXPECT_EQ(Handles(q), (Names{"b"}));
  q = {};
  q.in_stock = true;
  EXPECT_EQ(Handles(q), (Names{"b"}));
}

TEST_P(CatalogTest, CategoryFilterIncludesDescendants) {
  ProductInput shirt = Simple("shirt", "Shirt", 100);
  shirt.category_path = {"Apparel", "Shirts"};
  Create(shirt);
  ProductInput mug = Simple("mug", "Mug", 100);
  mug.category_path = {"Home"};
  Create(mug);
  ProductQuery q;
  q.category_id = "apparel";
  EXPECT_EQ(Handles(q), (Names{"shirt"}));
  EXPECT_EQ(catalog_.ListCategories()->size(), 3u);
}

TEST_P(CatalogTest, CollectionsHoldProductsByHand) {
  Product p = Create(Simple("a", "A", 100));
  Create(Simple("b", "B", 100));
  ASSERT_TRUE(catalog_.CreateCollection({"summer", "Summer", ""}, actor_).ok());
  auto c = catalog_.AddToCollection("summer", p.id, actor_);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->product_ids, (Names{p.id}));
  ProductQuery q;
  q.collection_id = "summer";
  EXPECT_EQ(Handles(q), (Names{"a"}));
}

TEST_P(CatalogTest, RejectsAbsurdLimitsAndForeignCursors) {
  ProductQuery q;
  q.limit = 0;
  EXPECT_FALSE(catalog_.ListProducts(q).ok());
  q.limit = 100000;
  EXPECT_FALSE(catalog_.ListProducts(q).ok());
  q.limit = 10;
  q.cursor = "not-a-cursor!";
  EXPECT_FALSE(catalog_.ListProducts(q).ok());
}

TEST_P(CatalogTest, VariantsAreAddressedBySkuOrId) {
  Product p = Create(Simple("a", "A", 100, "A-1"));
  EXPECT_EQ(catalog_.GetVariant("A-1")->id, p.variants[0].id);
  EXPECT_EQ(*catalog_.GetVariant(p.variants[0].id)->sku, "A-1");
  VariantPatch patch;
  patch.price = 250;
  auto updated = catalog_.UpdateVariant("A-1", patch, actor_);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->variants[0].price.amount, 250);
  EXPECT_EQ(updated->version, p.version + 1);
  auto last = catalog_.DeleteVariant("A-1", actor_);
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.error().reason, "last_variant");
}

INSTANTIATE_TEST_SUITE_P(Stores, CatalogTest, ::testing::ValuesIn(testing::StoreKinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::catalog

namespace ecom::catalog {
namespace {

TEST_P(CatalogTest, TheDirectJsonWriterMatchesTheDocumentByteForByte) {
  ProductInput in = Simple("tricky", "Quote \" back\\slash \t tab \x01 and Crème", 1999, "T-1");
  in.description = "<p>line\nbreak</p>";
  in.tags = {"a", "b\"c"};
  in.option_names = {"Size"};
  in.variants[0].options[0] = "M";
  in.variants[0].weight_grams = 226.796185;
  in.variants[0].compare_at_price = 2500;
  in.variants[0].cost = 700;
  in.images = {{"https://example.com/a.jpg", "alt \"text\""}};
  VariantInput untracked = in.variants[0];
  untracked.sku = "T-2";
  untracked.options[0] = "L";
  untracked.inventory_tracked = false;
  untracked.weight_grams = 0;
  untracked.compare_at_price.reset();
  in.variants.push_back(untracked);
  in.category_path = {"Things"};
  Product p = Create(in);
  for (bool staff : {false, true}) {
    std::string direct;
    AppendJson(direct, p, JsonView{.staff = staff});
    EXPECT_EQ(direct, ToJson(p, JsonView{.staff = staff}).dump());
  }
}

}  // namespace
}  // namespace ecom::catalog
