// `ecom catalog import` and `ecom catalog export`: Shopify's sample files,
// idempotent re-imports, round trips, dry runs and all-or-nothing rejection.
#include <gmock/gmock.h>

#include <filesystem>

#include "cli/cli_test.h"

namespace ecom::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

#define REQUIRE_SAMPLE(var, file)                                                                  \
  std::string var = ShopifySample(file);                                                           \
  if (var.empty())                                                                                 \
  GTEST_SKIP() << "the Shopify sample " << file                                                    \
               << " is not available (expected in ../shared/datasets/shopify-product-csv/ beside " \
                  "the source tree)"

// A small Shopify CSV: header plus rows.
constexpr const char* kHeader =
    "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Tracker,"
    "Variant Inventory Qty,Status\n";

class CatalogCommandTest : public CliTest {
 protected:
  int ProductCount() {
    return static_cast<int>(EcomJson({"product", "list", "--all"})["items"].size());
  }

  int VariantCount() {
    nlohmann::json list = EcomJson({"product", "list", "--all"});
    int n = 0;
    for (const auto& p : list["items"]) n += static_cast<int>(p["variants"].size());
    return n;
  }

  // Imports `csv` (written to bad.csv) into a store that already holds the
  // Shopify template, and checks that it is refused with exit 65, a
  // `bad.csv:<line>:` problem on stderr that mentions `mention`, and no change.
  void ExpectRejected(const std::string& csv, int line, const std::string& mention) {
    std::string before = ExportJsonl();
    std::string path = WriteFile("bad.csv", csv);
    RunResult r = Ecom({"catalog", "import", path});
    EXPECT_EQ(r.exit_code, kInvalidInput) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr(path + ":" + std::to_string(line) + ":")) << r.err;
    EXPECT_THAT(r.err, HasSubstr(mention)) << r.err;
    EXPECT_EQ(ExportJsonl(), before) << "a rejected import changed the store";
  }

  void ImportSmallCatalog() {
    std::string path = WriteFile(
        "small.csv", std::string(kHeader) +
                         "mug,Coffee Mug,Title,Default Title,MUG-1,12.50,shopify,10,active\n"
                         "cap,Baseball Cap,Title,Default Title,CAP-1,20,shopify,5,active\n");
    EcomOk({"catalog", "import", path});
  }
};

TEST_P(CatalogCommandTest, ImportsShopifyTemplateWithAllProductsAndVariants) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  nlohmann::json report = EcomJson({"catalog", "import", csv});
  EXPECT_EQ(report["applied"], true);
  EXPECT_EQ(report["products"]["created"], 3);
  EXPECT_EQ(report["variants"]["created"], 12 + 3 + 1);
  EXPECT_TRUE(report["problems"].empty()) << report["problems"];

  EXPECT_EQ(ProductCount(), 3);
  EXPECT_EQ(VariantCount(), 16);
  nlohmann::json shirt = EcomJson({"product", "show", "example-shirt"});
  EXPECT_EQ(shirt["variants"].size(), 12u);
  EXPECT_EQ(EcomJson({"product", "show", "example-pants"})["variants"].size(), 3u);
  EXPECT_EQ(EcomJson({"product", "show", "example-hat"})["variants"].size(), 1u);
}

TEST_P(CatalogCommandTest, ImportsShopify2021Template) {
  REQUIRE_SAMPLE(csv, "product_template_2021.csv");
  nlohmann::json report = EcomJson({"catalog", "import", csv});
  EXPECT_EQ(report["products"]["created"], 3);
  EXPECT_EQ(report["variants"]["created"], 3 + 1 + 1);
  EXPECT_EQ(ProductCount(), 3);
  EXPECT_EQ(VariantCount(), 5);
  EXPECT_EQ(EcomJson({"product", "show", "example-t-shirt"})["variants"].size(), 3u);
}

TEST_P(CatalogCommandTest, HumanSummaryCountsCreatedProductsAndVariants) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  RunResult r = Ecom({"catalog", "import", csv});
  ASSERT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Imported"));
  EXPECT_THAT(r.out, MatchesRegex("(.|\n)*products +3 +0 +0 +0(.|\n)*"));
  EXPECT_THAT(r.out, MatchesRegex("(.|\n)*variants +16 +0 +0(.|\n)*"));
}

TEST_P(CatalogCommandTest, IgnoredColumnsAreListedOnceOnStderr) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  nlohmann::json report = EcomJson({"catalog", "import", csv});
  if (report["ignored_columns"].empty())
    GTEST_SKIP() << "the importer keeps every column of the template";
  RunResult r = Ecom({"catalog", "import", csv, "--dry-run"});
  std::string first = report["ignored_columns"][0];
  auto at = r.err.find(first);
  ASSERT_NE(at, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(first, at + first.size()), std::string::npos) << "listed twice:\n" << r.err;
}

TEST_P(CatalogCommandTest, SecondImportReportsEverythingUnchanged) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  EcomOk({"catalog", "import", csv});
  std::string before = ExportJsonl();
  nlohmann::json again = EcomJson({"catalog", "import", csv});
  EXPECT_EQ(again["products"]["created"], 0);
  EXPECT_EQ(again["products"]["updated"], 0);
  EXPECT_EQ(again["products"]["unchanged"], 3);
  EXPECT_EQ(again["variants"]["created"], 0);
  EXPECT_EQ(again["variants"]["updated"], 0);
  EXPECT_EQ(again["variants"]["unchanged"], 16);
  EXPECT_EQ(again["stock_changes"], 0);
  EXPECT_EQ(ExportJsonl(), before);
}

TEST_P(CatalogCommandTest, DryRunReportsButChangesNothing) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  std::string before = ExportJsonl();
  nlohmann::json report = EcomJson({"catalog", "import", csv, "--dry-run"});
  EXPECT_EQ(report["applied"], false);
  EXPECT_EQ(report["dry_run"], true);
  EXPECT_EQ(report["products"]["created"], 3);
  EXPECT_EQ(ExportJsonl(), before);
  EXPECT_EQ(ProductCount(), 0);
  EXPECT_THAT(EcomOk({"catalog", "import", csv, "--dry-run"}), HasSubstr("nothing was changed"));
}

TEST_P(CatalogCommandTest, ExportThenImportIntoAnEmptyStoreRoundTrips) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  EcomOk({"catalog", "import", csv});
  std::string exported = ExportJsonl();
  ASSERT_FALSE(exported.empty());

  std::string jsonl = WriteFile("catalog.jsonl", exported);
  auto copy = NewStore("copy");
  RunResult imported = EcomOn(*copy, {"catalog", "import", jsonl, "--format", "jsonl"});
  ASSERT_EQ(imported.exit_code, kOk) << imported.err;
  EXPECT_EQ(ExportJsonl(*copy), exported);
}

TEST_P(CatalogCommandTest, ShopifyExportImportsBackToTheSameCatalog) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  EcomOk({"catalog", "import", csv});
  std::string exported_csv = EcomOk({"catalog", "export", "--format", "shopify"});
  std::string path = WriteFile("export.csv", exported_csv);

  auto copy = NewStore("copy");
  RunResult imported = EcomOn(*copy, {"catalog", "import", path});
  ASSERT_EQ(imported.exit_code, kOk) << imported.err;
  EXPECT_EQ(ExportJsonl(*copy), ExportJsonl());
}

TEST_P(CatalogCommandTest, JsonlFormatIsChosenByFileExtension) {
  ImportSmallCatalog();
  std::string path = WriteFile("catalog.jsonl", ExportJsonl());
  auto copy = NewStore("copy");
  RunResult r = EcomOn(*copy, {"catalog", "import", path});
  EXPECT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_EQ(ExportJsonl(*copy), ExportJsonl());
}

TEST_P(CatalogCommandTest, ImportsFromStandardInput) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  RunOptions options;
  options.stdin_file = csv;
  RunResult r = Ecom({"catalog", "import", "-", "--json"}, options);
  ASSERT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["products"]["created"], 3);
  EXPECT_EQ(ProductCount(), 3);
}

TEST_P(CatalogCommandTest, ProblemsInStandardInputNameStdin) {
  RunOptions options;
  options.stdin_file = WriteFile(
      "bad.csv", std::string(kHeader) + "mug,Mug,Title,Default Title,MUG-1,-5,shopify,1,active\n");
  RunResult r = Ecom({"catalog", "import", "-"}, options);
  EXPECT_EQ(r.exit_code, kInvalidInput);
  EXPECT_THAT(r.err, HasSubstr("stdin:2:"));
  EXPECT_THAT(r.err, Not(HasSubstr("ecom-import-")));
}

TEST_P(CatalogCommandTest, ExportToFileWritesTheWholeFileAndNoTemporary) {
  ImportSmallCatalog();
  std::string target = (dir() / "out.jsonl").string();
  nlohmann::json written = EcomJson({"catalog", "export", "-o", target});
  EXPECT_EQ(written["format"], "jsonl");
  EXPECT_EQ(ReadFile(target), ExportJsonl());
  EXPECT_FALSE(std::filesystem::exists(target + ".tmp"));
}

TEST_P(CatalogCommandTest, ExportToFileReplacesAnOlderFile) {
  ImportSmallCatalog();
  std::string target = WriteFile("out.csv", "stale contents\n");
  EcomOk({"catalog", "export", "-o", target});
  EXPECT_EQ(ReadFile(target), EcomOk({"catalog", "export", "--format", "shopify"}));
}

TEST_P(CatalogCommandTest, MissingInputFileIsAUsageError) {
  RunResult r = Ecom({"catalog", "import", (dir() / "absent.csv").string()});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("absent.csv"));
}

TEST_P(CatalogCommandTest, UnknownFormatIsAUsageError) {
  ImportSmallCatalog();
  RunResult r = Ecom({"catalog", "export", "--format", "xml"});
  EXPECT_EQ(r.exit_code, kUsage);
}

// Bad files: each is refused whole, names file and line, and changes nothing.

TEST_P(CatalogCommandTest, UnbalancedQuoteIsRejected) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  EcomOk({"catalog", "import", csv});
  ExpectRejected(std::string(kHeader) +
                     "mug,Coffee Mug,Title,Default Title,MUG-1,12.50,shopify,10,active\n" +
                     "cap,\"Baseball Cap,Title,Default Title,CAP-1,20,shopify,5,active\n",
                 3, "quote");
}

TEST_P(CatalogCommandTest, UnknownHeaderIsRejected) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  EcomOk({"catalog", "import", csv});
  ExpectRejected("Handle,Title,Variant SKU,Variant Price,Colour\nmug,Coffee Mug,MUG-1,12.50,blue\n",
                 1, "Colour");
}

TEST_P(CatalogCommandTest, RowWithoutHandleIsRejected) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  EcomOk({"catalog", "import", csv});
  ExpectRejected(std::string(kHeader) +
                     "mug,Coffee Mug,Title,Default Title,MUG-1,12.50,shopify,10,active\n" +
                     ",Baseball Cap,Title,Default Title,CAP-1,20,shopify,5,active\n",
                 3, "Handle");
}

TEST_P(CatalogCommandTest, NegativePriceIsRejected) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  EcomOk({"catalog", "import", csv});
  ExpectRejected(std::string(kHeader) +
                     "mug,Coffee Mug,Title,Default Title,MUG-1,12.50,shopify,10,active\n" +
                     "cap,Baseball Cap,Title,Default Title,CAP-1,-20,shopify,5,active\n",
                 3, "Variant Price");
}

TEST_P(CatalogCommandTest, DuplicateSkuAcrossProductsIsRejected) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  EcomOk({"catalog", "import", csv});
  ExpectRejected(std::string(kHeader) +
                     "mug,Coffee Mug,Title,Default Title,MUG-1,12.50,shopify,10,active\n" +
                     "cap,Baseball Cap,Title,Default Title,MUG-1,20,shopify,5,active\n",
                 3, "Variant SKU");
}

TEST_P(CatalogCommandTest, SkuTakenByAnExistingProductIsRejected) {
  REQUIRE_SAMPLE(csv, "product_template.csv");
  EcomOk({"catalog", "import", csv});
  ExpectRejected(std::string(kHeader) +
                     "mug,Coffee Mug,Title,Default Title,HAT_GRY_275,12.50,shopify,10,active\n",
                 2, "HAT_GRY_275");
}

TEST_P(CatalogCommandTest, DryRunWithProblemsExits65) {
  std::string path = WriteFile(
      "bad.csv", std::string(kHeader) + "mug,Mug,Title,Default Title,MUG-1,abc,shopify,1,active\n");
  RunResult r = Ecom({"catalog", "import", path, "--dry-run"});
  EXPECT_EQ(r.exit_code, kInvalidInput);
  EXPECT_THAT(r.err, HasSubstr(path + ":2:"));
  EXPECT_EQ(ProductCount(), 0);
}

TEST_P(CatalogCommandTest, OnErrorSkipImportsTheGoodProductsAndListsTheBad) {
  std::string path = WriteFile(
      "mixed.csv", std::string(kHeader) +
                       "mug,Coffee Mug,Title,Default Title,MUG-1,12.50,shopify,10,active\n"
                       "cap,Baseball Cap,Title,Default Title,CAP-1,-20,shopify,5,active\n");
  RunResult r = Ecom({"catalog", "import", path, "--on-error", "skip", "--json"});
  EXPECT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_THAT(r.err, HasSubstr(path + ":3:"));
  nlohmann::json report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["products"]["created"], 1);
  EXPECT_EQ(report["products"]["rejected"], 1);
  EXPECT_EQ(ProductCount(), 1);
}

TEST_P(CatalogCommandTest, ProgressBarIsDrawnOnlyWhenStderrIsATerminal) {
  // Enough products that the importer reports progress along the way.
  std::string csv = kHeader;
  for (int i = 0; i < 3000; ++i)
    csv += "item-" + std::to_string(i) + ",Item " + std::to_string(i) +
           ",Title,Default Title,SKU-" + std::to_string(i) + ",9.99,shopify,1,active\n";
  std::string path = WriteFile("many.csv", csv);

  RunResult piped = Ecom({"catalog", "import", path, "--dry-run"});
  ASSERT_EQ(piped.exit_code, kOk) << piped.err;
  EXPECT_THAT(piped.err, Not(HasSubstr("MB/s")));
  EXPECT_EQ(piped.err.find('\r'), std::string::npos);

  RunOptions tty;
  tty.stderr_is_terminal = true;
  RunResult shown = Ecom({"catalog", "import", path, "--dry-run"}, tty);
  ASSERT_EQ(shown.exit_code, kOk) << shown.err;
  EXPECT_THAT(shown.err, HasSubstr("MB/s"));
  EXPECT_THAT(shown.err, HasSubstr("ETA"));
}

ECOM_CLI_INSTANTIATE(CatalogCommandTest);

}  // namespace
}  // namespace ecom::cli::testing
