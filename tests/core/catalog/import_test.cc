// Importing Shopify CSV and JSON Lines: real files, re-imports that change
// nothing, exports that import back the same, and bad files that change nothing.
#include <fstream>
#include <sstream>

#include "core/catalog/catalog_fixture.h"
#include "ecom/catalog/import.h"

namespace ecom::catalog {
namespace {

class ImportTest : public CatalogTest {
 protected:
  ImportReport Import(const std::string& path, ImportOptions options = {}) {
    auto r = ImportCatalog(*db_, clock_, ids_, "USD", path, options);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : ImportReport{};
  }
  std::string Write(const std::string& name, const std::string& content) {
    auto path = (store_.dir() / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string Export(ImportFormat format) {
    std::ostringstream out;
    EXPECT_TRUE(ExportCatalog(*db_, "USD", format, out).ok());
    return out.str();
  }
  std::string Template(const std::string& name) {
    auto path = testing::DatasetsDir() / "shopify-product-csv" / name;
    if (!std::filesystem::exists(path)) return {};
    return path.string();
  }
  static std::string Header() {
    return "Handle,Title,Body (HTML),Vendor,Type,Tags,Option1 Name,Option1 Value,Variant SKU,"
           "Variant Inventory Tracker,Variant Inventory Qty,Variant Price,Status\n";
  }
};

TEST_P(ImportTest, ImportsShopifysTemplate) {
  std::string path = Template("product_template.csv");
  if (path.empty()) GTEST_SKIP() << "shared datasets not present";
  auto report = Import(path);
  ASSERT_TRUE(report.problems.empty()) << report.problems[0].ToString();
  EXPECT_TRUE(report.applied);
  EXPECT_EQ(report.products_created, 3);
  EXPECT_EQ(report.variants_created, 16);
  auto shirt = catalog_.GetProduct("example-shirt");
  ASSERT_TRUE(shirt.ok());
  EXPECT_EQ(shirt->option_names, (std::vector<std::string>{"Color", "Size"}));
  EXPECT_EQ(shirt->variants.size(), 12u);
  EXPECT_EQ(shirt->variants[0].price.amount, 2500);
  auto pants = catalog_.GetProduct("example-pants");
  EXPECT_EQ(pants->images.size(), 4u);
  EXPECT_EQ(pants->status, ProductStatus::kDraft);
  EXPECT_EQ(pants->variants[0].compare_at_price, 6495);
  EXPECT_DOUBLE_EQ(pants->variants[0].weight_grams, 226.796185);
  auto hat = catalog_.GetProduct("example-hat");
  EXPECT_TRUE(hat->option_names.empty());
  EXPECT_EQ(hat->status, ProductStatus::kArchived);
  EXPECT_EQ(inventory_.GetLevel("PNT_DEN_285")->on_hand, 20);
  EXPECT_FALSE(report.ignored_columns.empty());
}

TEST_P(ImportTest, ImportsShopifys2021Template) {
  std::string path = Template("product_template_2021.csv");
  if (path.empty()) GTEST_SKIP() << "shared datasets not present";
  auto report = Import(path);
  ASSERT_TRUE(report.problems.empty()) << report.problems[0].ToString();
  EXPECT_EQ(report.products_created, 3);
}

TEST_P(ImportTest, ImportingTheSameFileTwiceChangesNothing) {
  std::string path = Template("product_template.csv");
  if (path.empty()) GTEST_SKIP() << "shared datasets not present";
  Import(path);
  std::int64_t ledger = Count("stock_ledger"), events = Count("outbox");
  auto again = Import(path);
  EXPECT_EQ(again.products_unchanged, 3);
  EXPECT_EQ(again.variants_unchanged, 16);
  EXPECT_EQ(again.products_created + again.products_updated, 0);
  EXPECT_EQ(again.stock_changes, 0);
  EXPECT_EQ(Count("stock_ledger"), ledger);
  EXPECT_EQ(Count("outbox"), events);
}

TEST_P(ImportTest, ExportThenImportIntoAnEmptyStoreGivesTheSameCatalog) {
  std::string path = Template("product_template.csv");
  if (path.empty()) GTEST_SKIP() << "shared datasets not present";
  Import(path);
  for (ImportFormat format : {ImportFormat::kShopify, ImportFormat::kJsonl}) {
    std::string exported = Export(format);
    std::string jsonl = Export(ImportFormat::kJsonl);
    testing::TestStore other(GetParam());
    auto other_db = other.OpenMigrated(2);
    std::string file = Write(format == ImportFormat::kShopify ? "export.csv" : "export.jsonl", exported);
    ImportOptions options;
    options.format = format;
    auto report = ImportCatalog(*other_db, clock_, ids_, "USD", file, options);
    ASSERT_TRUE(report.ok());
    ASSERT_TRUE(report->problems.empty()) << report->problems[0].ToString();
    std::ostringstream again;
    ASSERT_TRUE(ExportCatalog(*other_db, "USD", ImportFormat::kJsonl, again).ok());
    // Same products in id order differ only in ids, which exports omit.
    std::multiset<std::string> a, b;
    std::istringstream sa(jsonl), sb(again.str());
    for (std::string line; std::getline(sa, line);) a.insert(line);
    for (std::string line; std::getline(sb, line);) b.insert(line);
    EXPECT_EQ(a, b);
  }
}

TEST_P(ImportTest, DryRunReportsButChangesNothing) {
  std::string path = Write("p.csv", Header() + "mug,Mug,,Acme,Mugs,,Title,Default Title,MUG-1,shopify,5,12.00,active\n");
  ImportOptions options;
  options.dry_run = true;
  auto report = Import(path, options);
  EXPECT_FALSE(report.applied);
  EXPECT_EQ(report.products_created, 1);
  EXPECT_EQ(Count("products"), 0);
  EXPECT_EQ(Count("stock_ledger"), 0);
}

TEST_P(ImportTest, BadRowsAreReportedWithLineAndColumnAndNothingIsApplied) {
  std::string path = Write("bad.csv", Header() +
                                          "ok,Fine,,Acme,T,,Title,Default Title,OK-1,shopify,1,1.00,active\n"
                                          "bad,Bad,,Acme,T,,Title,Default Title,BAD-1,shopify,1,-3.00,active\n"
                                          ",No Handle,,Acme,T,,Title,Default Title,NH-1,shopify,1,2.00,active\n"
                                          "dup,Dup,,Acme,T,,Title,Default Title,OK-1,shopify,1,2.00,active\n");
  auto report = Import(path);
  EXPECT_FALSE(report.applied);
  ASSERT_GE(report.problems.size(), 3u);
  EXPECT_EQ(report.problems[0].line, 3u);
  EXPECT_EQ(report.problems[0].column, "Variant Price");
  EXPECT_NE(report.problems[0].ToString().find("bad.csv:3: column 'Variant Price'"), std::string::npos);
  EXPECT_EQ(report.problems[1].line, 4u);
  EXPECT_EQ(report.problems[1].column, "Handle");
  EXPECT_NE(report.problems[2].message.find("OK-1"), std::string::npos);
  EXPECT_EQ(report.problems[2].column, "Variant SKU");
  EXPECT_EQ(Count("products"), 0);
}

TEST_P(ImportTest, SkipModeAppliesTheGoodProducts) {
  std::string path = Write("mixed.csv", Header() +
                                            "ok,Fine,,Acme,T,,Title,Default Title,OK-1,shopify,1,1.00,active\n"
                                            "bad,Bad,,Acme,T,,Title,Default Title,BAD-1,shopify,1,abc,active\n");
  ImportOptions options;
  options.on_error = OnError::kSkip;
  auto report = Import(path, options);
  EXPECT_TRUE(report.applied);
  EXPECT_EQ(report.products_created, 1);
  EXPECT_EQ(report.products_rejected, 1);
  EXPECT_EQ(Count("products"), 1);
}

TEST_P(ImportTest, ValidationErrorsNameTheVariantRowAndItsColumn) {
  std::string path = Write("v.csv", Header() +
                                        "tee,Tee,,Acme,T,,Size,S,TEE-S,shopify,1,1.00,active\n"
                                        "tee,,,,,,,,TEE-M,shopify,1,1.00,\n");
  auto report = Import(path);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].line, 3u);
  EXPECT_EQ(report.problems[0].column, "Option1 Value");
}

TEST_P(ImportTest, UnknownAndDuplicatedHeadersStopTheFile) {
  auto report = Import(Write("h.csv", "Handle,Title,Colour\nx,X,red\n"));
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].message.find("'Colour' is not a Shopify product column"), std::string::npos);
  report = Import(Write("d.csv", "Handle,Title,Title\nx,X,X\n"));
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].message.find("duplicates"), std::string::npos);
  EXPECT_EQ(Count("products"), 0);
}

TEST_P(ImportTest, UnbalancedQuotesStopTheFile) {
  auto report = Import(Write("q.csv", Header() + "mug,\"Mug,,Acme,T,,Title,Default Title,M-1,shopify,1,1.00,active\n"));
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].message.find("unterminated quoted field"), std::string::npos);
  EXPECT_EQ(Count("products"), 0);
}

TEST_P(ImportTest, WrongColumnCountNamesTheLine) {
  auto report = Import(Write("c.csv", Header() + "mug,Mug,,Acme\n"));
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].message.find("c.csv:2:"), std::string::npos);
}

TEST_P(ImportTest, InvalidUtf8IsRefused) {
  auto report = Import(Write("u.csv", Header() + "mug,M\xC3\x28g,,Acme,T,,Title,Default Title,M-1,shopify,1,1.00,active\n"));
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].message.find("invalid UTF-8"), std::string::npos);
}

TEST_P(ImportTest, RenamedHeadersOf2025AreUnderstood) {
  std::string path = Write("new.csv",
                           "Title,URL handle,Description,Vendor,SKU,Price,Inventory tracker,Inventory quantity,"
                           "Continue selling when out of stock,Status,Google Shopping / Gender\n"
                           "Mug,mug,<p>Hi</p>,Acme,M-1,9.50,shopify,4,DENY,active,unisex\n");
  auto report = Import(path);
  ASSERT_TRUE(report.problems.empty()) << report.problems[0].ToString();
  EXPECT_EQ(catalog_.GetProduct("mug")->variants[0].price.amount, 950);
  EXPECT_EQ(inventory_.GetLevel("M-1")->on_hand, 4);
  EXPECT_EQ(report.ignored_columns, (std::vector<std::string>{"Google Shopping / Gender"}));
}

TEST_P(ImportTest, JsonLinesReportsPathsOfBadFields) {
  std::string path = Write("p.jsonl",
                           "{\"handle\":\"mug\",\"title\":\"Mug\",\"variants\":[{\"sku\":\"M-1\",\"price\":{\"amount\":950,\"currency\":\"USD\"}}]}\n"
                           "{\"handle\":\"cup\",\"title\":\"Cup\",\"variants\":[{\"price\":\"cheap\",\"colour\":1}]}\n"
                           "{not json\n");
  ImportOptions options;
  options.format = ImportFormat::kJsonl;
  auto report = Import(path, options);
  EXPECT_FALSE(report.applied);
  ASSERT_EQ(report.problems.size(), 3u);
  EXPECT_EQ(report.problems[0].line, 2u);
  EXPECT_EQ(report.problems[0].column, "variants[0].price");
  EXPECT_EQ(report.problems[1].column, "variants[0].colour");
  EXPECT_EQ(report.problems[2].line, 3u);
  EXPECT_EQ(Count("products"), 0);
}

TEST_P(ImportTest, ASkuOwnedByAnotherProductInTheStoreAbortsEverything) {
  Create(Simple("existing", "Existing", 100, "TAKEN"));
  std::string path = Write("t.csv", Header() +
                                        "first,First,,Acme,T,,Title,Default Title,NEW-1,shopify,1,1.00,active\n"
                                        "second,Second,,Acme,T,,Title,Default Title,TAKEN,shopify,1,1.00,active\n");
  auto report = Import(path);
  EXPECT_FALSE(report.applied);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].line, 3u);
  EXPECT_EQ(report.problems[0].column, "Variant SKU");
  EXPECT_EQ(Count("products"), 1);
}

INSTANTIATE_TEST_SUITE_P(Stores, ImportTest, ::testing::ValuesIn(testing::StoreKinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::catalog
