// `ecom product list` and `ecom product show`.
#include <gmock/gmock.h>

#include "cli/cli_test.h"

namespace ecom::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class ProductCommandTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (IsSkipped()) return;
    // Three products: one per status, with one, three and two variants.
    std::string path =
        WriteFile("catalog.csv",
                  "Handle,Title,Vendor,Option1 Name,Option1 Value,Variant SKU,Variant "
                  "Price,Variant Inventory Tracker,"
                  "Variant Inventory Qty,Status\n"
                  "mug,Coffee Mug,Acme,Title,Default Title,MUG-1,12.50,shopify,10,active\n"
                  "shirt,Plain Shirt,Acme,Size,S,SHIRT-S,20.00,shopify,3,draft\n"
                  "shirt,,,,M,SHIRT-M,20.00,shopify,4,\n"
                  "shirt,,,,L,SHIRT-L,22.00,shopify,0,\n"
                  "poster,Old Poster,Papier,Size,A2,POSTER-A2,5.00,shopify,1,archived\n"
                  "poster,,,,A1,POSTER-A1,8.00,shopify,2,\n");
    EcomOk({"catalog", "import", path});
  }
};

TEST_P(ProductCommandTest, ListShowsHandleTitleStatusVariantsAndPriceRange) {
  std::string out = EcomOk({"product", "list"});
  EXPECT_THAT(out, MatchesRegex("HANDLE +TITLE +STATUS +VARIANTS +PRICE\n(.|\n)*"));
  EXPECT_THAT(out, MatchesRegex("(.|\n)*mug +Coffee Mug +active +1 +12.50 USD\n(.|\n)*"));
  EXPECT_THAT(out, MatchesRegex("(.|\n)*shirt +Plain Shirt +draft +3 +20.00-22.00 USD\n(.|\n)*"));
  EXPECT_THAT(out, MatchesRegex("(.|\n)*poster +Old Poster +archived +2 +5.00-8.00 USD\n(.|\n)*"));
}

TEST_P(ProductCommandTest, ListShowsEveryStatusByDefaultAndFiltersByStatus) {
  EXPECT_EQ(EcomJson({"product", "list"})["items"].size(), 3u);
  nlohmann::json drafts = EcomJson({"product", "list", "--status", "draft"});
  ASSERT_EQ(drafts["items"].size(), 1u);
  EXPECT_EQ(drafts["items"][0]["handle"], "shirt");
  EXPECT_EQ(EcomJson({"product", "list", "--status", "draft,archived"})["items"].size(), 2u);
}

TEST_P(ProductCommandTest, UnknownStatusIsAUsageError) {
  EXPECT_EQ(Ecom({"product", "list", "--status", "deleted"}).exit_code, kUsage);
}

TEST_P(ProductCommandTest, ListSearchesText) {
  nlohmann::json found = EcomJson({"product", "list", "--q", "poster"});
  ASSERT_EQ(found["items"].size(), 1u);
  EXPECT_EQ(found["items"][0]["handle"], "poster");
}

TEST_P(ProductCommandTest, LimitGivesOnePageWithACursor) {
  nlohmann::json page = EcomJson({"product", "list", "--limit", "1"});
  ASSERT_EQ(page["items"].size(), 1u);
  ASSERT_TRUE(page["next_cursor"].is_string());
  nlohmann::json next =
      EcomJson({"product", "list", "--limit", "1", "--cursor", page["next_cursor"]});
  ASSERT_EQ(next["items"].size(), 1u);
  EXPECT_NE(next["items"][0]["id"], page["items"][0]["id"]);
}

TEST_P(ProductCommandTest, AllWalksEveryPage) {
  nlohmann::json all = EcomJson({"product", "list", "--limit", "1", "--all"});
  EXPECT_EQ(all["items"].size(), 3u);
  EXPECT_TRUE(all["next_cursor"].is_null());
  std::set<std::string> handles;
  for (const auto& p : all["items"]) handles.insert(p["handle"]);
  EXPECT_EQ(handles, (std::set<std::string>{"mug", "shirt", "poster"}));
}

TEST_P(ProductCommandTest, ShowByHandleListsVariantsWithStock) {
  std::string out = EcomOk({"product", "show", "shirt"});
  EXPECT_THAT(out, HasSubstr("Plain Shirt"));
  EXPECT_THAT(out, HasSubstr("draft"));
  EXPECT_THAT(out, MatchesRegex("(.|\n)*SHIRT-M +M +20.00 USD +- +4 +0 +4 +deny(.|\n)*"));
  EXPECT_THAT(out, MatchesRegex("(.|\n)*SHIRT-L +L +22.00 USD +- +0 +0 +0 +deny(.|\n)*"));
}

TEST_P(ProductCommandTest, ShowByIdGivesTheSameProduct) {
  nlohmann::json by_handle = EcomJson({"product", "show", "mug"});
  nlohmann::json by_id = EcomJson({"product", "show", by_handle["id"]});
  EXPECT_EQ(by_id, by_handle);
}

TEST_P(ProductCommandTest, ShowJsonIsTheCatalogProductShape) {
  nlohmann::json p = EcomJson({"product", "show", "shirt"});
  EXPECT_EQ(p["handle"], "shirt");
  EXPECT_EQ(p["status"], "draft");
  ASSERT_EQ(p["variants"].size(), 3u);
  EXPECT_EQ(p["variants"][0]["sku"], "SHIRT-S");
  EXPECT_EQ(p["variants"][0]["price"], (nlohmann::json{{"amount", 2000}, {"currency", "USD"}}));
}

TEST_P(ProductCommandTest, ShowUnknownProductExits3) {
  RunResult r = Ecom({"product", "show", "no-such-product"});
  EXPECT_EQ(r.exit_code, kNotFound);
  EXPECT_THAT(r.err, HasSubstr("ecom: "));
}

ECOM_CLI_INSTANTIATE(ProductCommandTest);

}  // namespace
}  // namespace ecom::cli::testing
