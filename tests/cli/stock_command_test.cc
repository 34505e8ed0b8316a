// `ecom stock`: show, adjust (negative deltas), set with --expect, history and
// all-or-nothing count imports.
#include <gmock/gmock.h>

#include <set>
#include <string>

#include "cli/cli_test.h"

namespace ecom::cli::testing {
namespace {

using ::testing::HasSubstr;

class StockCommandTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (IsSkipped()) return;
    ImportMugAndCap();
  }
};

TEST_P(StockCommandTest, ShowPrintsTheLevel) {
  nlohmann::json level = EcomJson({"stock", "show", "MUG-1"});
  EXPECT_EQ(level["sku"], "MUG-1");
  EXPECT_EQ(level["on_hand"], 10);
  EXPECT_EQ(level["reserved"], 0);
  EXPECT_EQ(level["available"], 10);
  EXPECT_EQ(level["inventory_policy"], "deny");
  std::set<std::string> keys;
  for (const auto& [key, value] : level.items()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"variant_id", "sku", "product_id", "on_hand", "reserved",
                                         "available", "tracked", "inventory_policy",
                                         "low_stock_threshold", "low_stock", "updated_at"}));
  std::string out = EcomOk({"stock", "show", "MUG-1"});
  EXPECT_THAT(out, HasSubstr("on hand:"));
  EXPECT_THAT(out, HasSubstr("10"));
}

TEST_P(StockCommandTest, UnknownSkuExits3) {
  RunResult shown = Ecom({"stock", "show", "NOPE-1"});
  EXPECT_EQ(shown.exit_code, kNotFound);
  EXPECT_THAT(shown.err, HasSubstr("ecom: "));
  EXPECT_EQ(Ecom({"stock", "adjust", "NOPE-1", "5", "--reason", "received"}).exit_code, kNotFound);
  EXPECT_EQ(Ecom({"stock", "set", "NOPE-1", "5"}).exit_code, kNotFound);
  EXPECT_EQ(Ecom({"stock", "history", "NOPE-1"}).exit_code, kNotFound);
}

TEST_P(StockCommandTest, AdjustAddsADelta) {
  std::string out = EcomOk({"stock", "adjust", "MUG-1", "5", "--reason", "received"});
  EXPECT_THAT(out, HasSubstr("MUG-1: on hand 15"));
  EXPECT_EQ(OnHand("MUG-1"), 15);
}

TEST_P(StockCommandTest, AdjustTakesANegativeDeltaAsAPositional) {
  EcomOk({"stock", "adjust", "MUG-1", "-3", "--reason", "damaged"});
  EXPECT_EQ(OnHand("MUG-1"), 7);
}

TEST_P(StockCommandTest, AdjustTakesANegativeDeltaBeforeTheFlagsAndAfterDoubleDash) {
  EcomOk({"stock", "adjust", "--reason", "sold", "MUG-1", "-1"});
  EXPECT_EQ(OnHand("MUG-1"), 9);
  RunResult r =
      EcomRaw({"stock", "adjust", "--reason", "sold", "--db", store().url(), "--", "MUG-1", "-2"});
  EXPECT_EQ(r.exit_code, kOk) << r.err;
  EXPECT_EQ(OnHand("MUG-1"), 7);
}

TEST_P(StockCommandTest, AdjustBelowZeroIsRefusedAndChangesNothing) {
  RunResult r = Ecom({"stock", "adjust", "MUG-1", "-11", "--reason", "damaged"});
  EXPECT_EQ(r.exit_code, kConflict);
  EXPECT_THAT(r.err, HasSubstr("ecom: "));
  EXPECT_EQ(OnHand("MUG-1"), 10);
}

TEST_P(StockCommandTest, AdjustNeedsAKnownReason) {
  EXPECT_EQ(Ecom({"stock", "adjust", "MUG-1", "1"}).exit_code, kUsage);
  EXPECT_EQ(Ecom({"stock", "adjust", "MUG-1", "1", "--reason", "magic"}).exit_code, kUsage);
  EXPECT_EQ(OnHand("MUG-1"), 10);
}

TEST_P(StockCommandTest, DeltaMustBeAWholeNumber) {
  EXPECT_EQ(Ecom({"stock", "adjust", "MUG-1", "1.5", "--reason", "received"}).exit_code, kUsage);
}

TEST_P(StockCommandTest, HistoryShowsActorReasonReferenceAndNoteNewestFirst) {
  EcomOk({"stock", "adjust", "MUG-1", "5", "--reason", "received", "--reference", "PO-7", "--note",
          "pallet 1", "--actor", "alice"});
  EcomOk({"stock", "adjust", "MUG-1", "-2", "--reason", "damaged", "--actor", "bob"});
  nlohmann::json history = EcomJson({"stock", "history", "MUG-1"});
  ASSERT_GE(history["items"].size(), 2u);
  const auto& newest = history["items"][0];
  EXPECT_EQ(newest["delta"], -2);
  EXPECT_EQ(newest["on_hand_after"], 13);
  EXPECT_EQ(newest["reason"], "damaged");
  EXPECT_EQ(newest["actor"], "cli:bob");
  const auto& earlier = history["items"][1];
  EXPECT_EQ(earlier["delta"], 5);
  EXPECT_EQ(earlier["reason"], "received");
  EXPECT_EQ(earlier["reference"], "PO-7");
  EXPECT_EQ(earlier["note"], "pallet 1");
  EXPECT_EQ(earlier["actor"], "cli:alice");

  std::string table = EcomOk({"stock", "history", "MUG-1"});
  EXPECT_THAT(table, HasSubstr("DELTA"));
  EXPECT_THAT(table, HasSubstr("+5"));
  EXPECT_THAT(table, HasSubstr("cli:alice"));
}

TEST_P(StockCommandTest, ActorDefaultsToTheLoginName) {
  RunOptions options;
  options.env["USER"] = "carol";
  EcomOk({"stock", "adjust", "MUG-1", "1", "--reason", "received"}, options);
  EXPECT_EQ(EcomJson({"stock", "history", "MUG-1", "--limit", "1"})["items"][0]["actor"],
            "cli:carol");
}

TEST_P(StockCommandTest, HistoryLimitGivesOnePageWithACursor) {
  EcomOk({"stock", "adjust", "MUG-1", "1", "--reason", "received"});
  EcomOk({"stock", "adjust", "MUG-1", "1", "--reason", "received"});
  nlohmann::json page = EcomJson({"stock", "history", "MUG-1", "--limit", "1"});
  ASSERT_EQ(page["items"].size(), 1u);
  ASSERT_TRUE(page["next_cursor"].is_string());
  nlohmann::json next =
      EcomJson({"stock", "history", "MUG-1", "--limit", "1", "--cursor", page["next_cursor"]});
  ASSERT_EQ(next["items"].size(), 1u);
  EXPECT_NE(next["items"][0]["id"], page["items"][0]["id"]);
}

TEST_P(StockCommandTest, SetChangesOnHandToTheCount) {
  EcomOk({"stock", "set", "MUG-1", "4"});
  EXPECT_EQ(OnHand("MUG-1"), 4);
  nlohmann::json newest = EcomJson({"stock", "history", "MUG-1", "--limit", "1"})["items"][0];
  EXPECT_EQ(newest["delta"], -6);
  EXPECT_EQ(newest["reason"], "count");
}

TEST_P(StockCommandTest, SetWithMatchingExpectApplies) {
  EcomOk({"stock", "set", "MUG-1", "12", "--expect", "10", "--reason", "correction", "--note",
          "recount"});
  EXPECT_EQ(OnHand("MUG-1"), 12);
  EXPECT_EQ(EcomJson({"stock", "history", "MUG-1", "--limit", "1"})["items"][0]["reason"],
            "correction");
}

TEST_P(StockCommandTest, SetWithStaleExpectConflictsAndChangesNothing) {
  EcomOk({"stock", "adjust", "MUG-1", "-1", "--reason", "sold"});
  RunResult r = Ecom({"stock", "set", "MUG-1", "12", "--expect", "10"});
  EXPECT_EQ(r.exit_code, kConflict);
  EXPECT_THAT(r.err, HasSubstr("ecom: "));
  EXPECT_EQ(OnHand("MUG-1"), 9);
}

TEST_P(StockCommandTest, ImportAppliesEveryCountWithColumnsInAnyOrder) {
  std::string path = WriteFile("counts.csv", "quantity,sku\n4,MUG-1\n9,CAP-1\n");
  nlohmann::json summary = EcomJson({"stock", "import", path});
  EXPECT_EQ(summary["lines"], 2);
  EXPECT_EQ(summary["changed"], 2);
  EXPECT_EQ(OnHand("MUG-1"), 4);
  EXPECT_EQ(OnHand("CAP-1"), 9);
}

TEST_P(StockCommandTest, ImportReadsStandardInput) {
  RunOptions options;
  options.stdin_file = WriteFile("counts.csv", "sku,quantity\nMUG-1,10\nCAP-1,1\n");
  RunResult r = Ecom({"stock", "import", "-", "--json"}, options);
  ASSERT_EQ(r.exit_code, kOk) << r.err;
  nlohmann::json summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["changed"], 1);
  EXPECT_EQ(summary["unchanged"], 1);
  EXPECT_EQ(OnHand("CAP-1"), 1);
}

TEST_P(StockCommandTest, ImportWithABadLineChangesNothing) {
  std::string path = WriteFile("counts.csv", "sku,quantity\nMUG-1,4\nCAP-1,four\n");
  RunResult r = Ecom({"stock", "import", path});
  EXPECT_EQ(r.exit_code, kInvalidInput);
  EXPECT_THAT(r.err, HasSubstr(path + ":3: column 'quantity': not a whole number"));
  EXPECT_EQ(OnHand("MUG-1"), 10);
  EXPECT_EQ(OnHand("CAP-1"), 5);
}

TEST_P(StockCommandTest, ImportReportsEveryBadLine) {
  std::string path = WriteFile("counts.csv", "sku,quantity\nMUG-1,1.5\n,3\nCAP-1,2,extra\n");
  RunResult r = Ecom({"stock", "import", path});
  EXPECT_EQ(r.exit_code, kInvalidInput);
  EXPECT_THAT(r.err, HasSubstr(path + ":2: column 'quantity': not a whole number"));
  EXPECT_THAT(r.err, HasSubstr(path + ":3: column 'sku'"));
  EXPECT_THAT(r.err, HasSubstr(path + ":4:"));
  EXPECT_EQ(OnHand("MUG-1"), 10);
}

TEST_P(StockCommandTest, ImportWithAnUnknownSkuChangesNothing) {
  std::string path = WriteFile("counts.csv", "sku,quantity\nMUG-1,4\nNOPE-1,3\n");
  RunResult r = Ecom({"stock", "import", path});
  EXPECT_EQ(r.exit_code, kNotFound);
  EXPECT_THAT(r.err, HasSubstr(path + ":3: "));
  EXPECT_THAT(r.err, HasSubstr("NOPE-1"));
  EXPECT_THAT(r.err, HasSubstr("nothing was changed"));
  EXPECT_EQ(OnHand("MUG-1"), 10);
}

TEST_P(StockCommandTest, ImportWithANegativeCountChangesNothing) {
  std::string path = WriteFile("counts.csv", "sku,quantity\nMUG-1,4\nCAP-1,-1\n");
  RunResult r = Ecom({"stock", "import", path});
  EXPECT_EQ(r.exit_code, kInvalidInput);
  EXPECT_THAT(r.err, HasSubstr(path + ":3: "));
  EXPECT_EQ(OnHand("MUG-1"), 10);
  EXPECT_EQ(OnHand("CAP-1"), 5);
}

TEST_P(StockCommandTest, ImportWithOtherHeadersIsRejected) {
  std::string path = WriteFile("counts.csv", "sku,qty\nMUG-1,4\n");
  RunResult r = Ecom({"stock", "import", path});
  EXPECT_EQ(r.exit_code, kInvalidInput);
  EXPECT_THAT(r.err, HasSubstr(path + ":1: column 'qty'"));
  EXPECT_THAT(r.err, HasSubstr("missing column 'quantity'"));
  EXPECT_EQ(OnHand("MUG-1"), 10);

  std::string extra = WriteFile("extra.csv", "sku,quantity,location\nMUG-1,4,A\n");
  RunResult r2 = Ecom({"stock", "import", extra});
  EXPECT_EQ(r2.exit_code, kInvalidInput);
  EXPECT_THAT(r2.err, HasSubstr("column 'location'"));
}

TEST_P(StockCommandTest, ImportWithBrokenCsvNamesTheLine) {
  std::string path = WriteFile("counts.csv", "sku,quantity\nMUG-1,4\n\"CAP-1,5\n");
  RunResult r = Ecom({"stock", "import", path});
  EXPECT_EQ(r.exit_code, kInvalidInput);
  EXPECT_THAT(r.err, HasSubstr(path + ":3:"));
  EXPECT_EQ(OnHand("MUG-1"), 10);
}

ECOM_CLI_INSTANTIATE(StockCommandTest);

}  // namespace
}  // namespace ecom::cli::testing
