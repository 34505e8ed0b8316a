// Search: every word must match, folded, last word a prefix, ranked by field,
// ties by id; the same answers on both stores.
#include "core/catalog/catalog_fixture.h"

namespace ecom::catalog {
namespace {

using Names = std::vector<std::string>;

class SearchTest : public CatalogTest {
 protected:
  void SetUp() override {
    ProductInput creme = Simple("creme-mug", "Crème Brûlée Mug", 1200);
    creme.description = "<p>A stoneware mug for coffee.</p>";
    Create(creme);
    ProductInput coffee = Simple("coffee-beans", "Coffee Beans", 1500);
    coffee.description = "<p>Roasted for a crème finish.</p>";
    coffee.tags = {"mug-friendly"};
    Create(coffee);
    ProductInput tee = Simple("tee", "Cotton Tee", 2000);
    tee.vendor = "Coffeehouse Apparel";
    Create(tee);
  }

  Names Search(const std::string& text) {
    ProductQuery q;
    q.text = text;
    return Handles(q);
  }
};

TEST_P(SearchTest, EveryWordMustMatch) { EXPECT_EQ(Search("creme mug"), (Names{"creme-mug", "coffee-beans"})); }

TEST_P(SearchTest, AccentsAndCaseFold) { EXPECT_EQ(Search("BRULEE"), (Names{"creme-mug"})); }

TEST_P(SearchTest, LastWordIsAPrefix) {
  // "coffe" prefixes coffee (title of beans: 8; description of mug: 1) and
  // coffeehouse (vendor of the tee: 4).
  EXPECT_EQ(Search("coffe"), (Names{"coffee-beans", "tee", "creme-mug"}));
}

TEST_P(SearchTest, EarlierWordsMatchWholeTermsOnly) { EXPECT_TRUE(Search("coff beans").empty()); }

TEST_P(SearchTest, NoStemming) { EXPECT_TRUE(Search("mugs").empty()); }

TEST_P(SearchTest, PunctuationOnlyMatchesNothing) { EXPECT_TRUE(Search("!!!").empty()); }

TEST_P(SearchTest, PagesByRank) {
  ProductQuery q;
  q.text = "coffe";
  q.limit = 1;
  Names seen;
  for (;;) {
    auto page = catalog_.ListProducts(q);
    ASSERT_TRUE(page.ok());
    for (const auto& p : page->items) seen.push_back(p.handle);
    if (!page->next_cursor) break;
    q.cursor = *page->next_cursor;
  }
  EXPECT_EQ(seen, (Names{"coffee-beans", "tee", "creme-mug"}));
}

TEST_P(SearchTest, UpdatesReindex) {
  ProductPatch patch;
  patch.title = "Espresso Cup";
  ASSERT_TRUE(catalog_.UpdateProduct("tee", patch, std::nullopt, actor_).ok());
  EXPECT_EQ(Search("espresso"), (Names{"tee"}));
  EXPECT_TRUE(Search("cotton").empty());
}

TEST_P(SearchTest, ReindexingAndDeletingLeaveNoPostingsBehind) {
  auto postings = [&](const std::string& handle) {
    auto tx = db_->Begin(store::TxMode::kRead);
    auto rows = tx->Query(
        "SELECT COUNT(*) FROM search_terms s JOIN products p ON p.id = s.product_id WHERE p.handle = $1",
        {std::string_view(handle)});
    rows->Next();
    return rows->Int(0);
  };
  EXPECT_EQ(postings("tee"), 4);  // cotton, tee, coffeehouse, apparel
  ProductPatch patch;
  patch.title = "Espresso";
  ASSERT_TRUE(catalog_.UpdateProduct("tee", patch, std::nullopt, actor_).ok());
  EXPECT_EQ(postings("tee"), 3);  // espresso, coffeehouse, apparel
  std::int64_t before = Count("search_terms");
  ASSERT_TRUE(catalog_.DeleteProduct("tee", actor_).ok());
  EXPECT_EQ(Count("search_terms"), before - 3);
  EXPECT_TRUE(Search("coffeehouse").empty());
}

INSTANTIATE_TEST_SUITE_P(Stores, SearchTest, ::testing::ValuesIn(testing::StoreKinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::catalog
