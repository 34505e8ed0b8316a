// Stock levels, adjustments, counts and the ledger over HTTP.
#include <set>

#include "daemon_fixture.h"

namespace ecom::daemon::testing {
namespace {

using nlohmann::json;

class InventoryApiTest : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    CreateProduct(ProductBody("Tee", "TEE-1", 2000));
  }

  Response Adjust(const std::string& sku, std::int64_t delta,
                  const std::string& reason = "received") {
    return PostOnce("/v1/inventory/" + sku + "/adjustments", {{"delta", delta}, {"reason", reason}},
                inventory_write_key_);
  }
};

TEST_P(InventoryApiTest, LevelOfANewVariantIsZero) {
  Response r = Get("/v1/inventory/TEE-1", inventory_read_key_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["sku"], "TEE-1");
  EXPECT_EQ(r.json["on_hand"], 0);
  EXPECT_EQ(r.json["available"], 0);
  EXPECT_EQ(r.json["inventory_policy"], "deny");
  for (const char* key : {"variant_id", "product_id", "reserved", "tracked", "low_stock_threshold",
                          "low_stock", "updated_at"})
    EXPECT_TRUE(r.json.contains(key)) << key;
}

TEST_P(InventoryApiTest, UnknownSkuIs404) {
  Response r = Get("/v1/inventory/NOPE", inventory_read_key_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json["reason"], "unknown_sku");
}

TEST_P(InventoryApiTest, AdjustmentsAddUpAndAreRecordedInTheHistory) {
  Response received = Adjust("TEE-1", 10);
  ASSERT_EQ(received.status, 201) << received.body;
  EXPECT_EQ(received.json["on_hand"], 10);
  Response sold = PostOnce(
      "/v1/inventory/TEE-1/adjustments",
      {{"delta", -3}, {"reason", "sold"}, {"reference", "order #1001"}, {"note", "counter sale"}},
      inventory_write_key_);
  ASSERT_EQ(sold.status, 201) << sold.body;
  EXPECT_EQ(sold.json["on_hand"], 7);
  EXPECT_EQ(sold.json["available"], 7);

  Response history = Get("/v1/inventory/TEE-1/history", inventory_read_key_);
  ASSERT_EQ(history.status, 200) << history.body;
  ASSERT_EQ(history.json["items"].size(), 2u);
  const json& newest = history.json["items"][0];
  EXPECT_EQ(newest["delta"], -3);
  EXPECT_EQ(newest["reason"], "sold");
  EXPECT_EQ(newest["reference"], "order #1001");
  EXPECT_EQ(newest["on_hand_after"], 7);
  EXPECT_EQ(newest["actor"].get<std::string>().rfind("apikey:key_", 0), 0u) << newest["actor"];
}

TEST_P(InventoryApiTest, HistoryPagesThroughEveryEntry) {
  for (int i = 1; i <= 5; ++i) ASSERT_EQ(Adjust("TEE-1", i).status, 201);
  std::set<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    Response r = Get("/v1/inventory/TEE-1/history?limit=2" +
                         (cursor.empty() ? "" : "&cursor=" + EncodePath(cursor)),
                     inventory_read_key_);
    ASSERT_EQ(r.status, 200) << r.body;
    for (const auto& e : r.json["items"])
      EXPECT_TRUE(seen.insert(e["id"].get<std::string>()).second);
    if (r.json["next_cursor"].is_null()) break;
    cursor = r.json["next_cursor"];
  }
  EXPECT_EQ(seen.size(), 5u);
}

TEST_P(InventoryApiTest, SetOnHandRecordsACount) {
  Response r = Put("/v1/inventory/TEE-1", {{"on_hand", 12}, {"low_stock_threshold", 3}},
                   inventory_write_key_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["on_hand"], 12);
  EXPECT_EQ(r.json["low_stock_threshold"], 3);
  Response history = Get("/v1/inventory/TEE-1/history", inventory_read_key_);
  EXPECT_EQ(history.json["items"][0]["reason"], "count");
  EXPECT_EQ(history.json["items"][0]["delta"], 12);
}

TEST_P(InventoryApiTest, SetOnHandWithStaleExpectationIs409AndChangesNothing) {
  ASSERT_EQ(Adjust("TEE-1", 4).status, 201);
  Response r = Put("/v1/inventory/TEE-1", {{"on_hand", 9}, {"expect", 2}}, inventory_write_key_);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json["reason"], "on_hand_changed");
  EXPECT_EQ(Get("/v1/inventory/TEE-1", inventory_read_key_).json["on_hand"], 4);

  Response ok = Put("/v1/inventory/TEE-1", {{"on_hand", 9}, {"expect", 4}}, inventory_write_key_);
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_P(InventoryApiTest, TakingStockBelowWhatIsReservedIs409Reserved) {
  ASSERT_EQ(Adjust("TEE-1", 5).status, 201);
  auto reserved = inventory().Reserve("TEE-1", 4);
  ASSERT_TRUE(reserved.ok());
  Response r = Adjust("TEE-1", -2, "damaged");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json["reason"], "reserved");
  EXPECT_EQ(r.json["type"], "https://ecom.dev/problems/reserved");
  EXPECT_EQ(Get("/v1/inventory/TEE-1", inventory_read_key_).json["on_hand"], 5);
}

TEST_P(InventoryApiTest, ARefusedCountWithAThresholdChangesNeither) {
  ASSERT_EQ(Adjust("TEE-1", 5).status, 201);
  ASSERT_TRUE(inventory().Reserve("TEE-1", 4).ok());
  Response r = Put("/v1/inventory/TEE-1", {{"on_hand", 3}, {"low_stock_threshold", 2}},
                   inventory_write_key_);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json["reason"], "reserved");
  Response level = Get("/v1/inventory/TEE-1", inventory_read_key_);
  EXPECT_EQ(level.json["on_hand"], 5);
  EXPECT_TRUE(level.json["low_stock_threshold"].is_null());
}

TEST_P(InventoryApiTest, CountBodyIsCheckedFieldByField) {
  Response r = Put("/v1/inventory/TEE-1",
                   {{"expect", "eight"}, {"reason", "sold"}, {"low_stock_threshold", "low"},
                    {"extra", 1}},
                   inventory_write_key_);
  ASSERT_EQ(r.status, 400) << r.body;
  std::set<std::string> fields;
  for (const auto& e : r.json["errors"]) fields.insert(e["field"].get<std::string>());
  EXPECT_EQ(fields, (std::set<std::string>{"on_hand", "expect", "reason", "low_stock_threshold",
                                           "extra"}));
}

TEST_P(InventoryApiTest, AdjustmentBodyIsCheckedFieldByField) {
  Response r = PostOnce("/v1/inventory/TEE-1/adjustments",
                    {{"delta", "ten"}, {"reason", "stolen"}, {"extra", 1}}, inventory_write_key_);
  ASSERT_EQ(r.status, 400) << r.body;
  std::set<std::string> fields;
  for (const auto& e : r.json["errors"]) fields.insert(e["field"].get<std::string>());
  EXPECT_EQ(fields, (std::set<std::string>{"delta", "reason", "extra"}));
}

TEST_P(InventoryApiTest, ReadingNeedsInventoryReadAndWritingInventoryWrite) {
  EXPECT_EQ(Get("/v1/inventory/TEE-1").status, 401);
  EXPECT_EQ(Get("/v1/inventory/TEE-1", catalog_write_key_).status, 403);
  EXPECT_EQ(Get("/v1/inventory/TEE-1", inventory_write_key_).status, 200);  // write implies read
  Response r = PostOnce("/v1/inventory/TEE-1/adjustments", {{"delta", 1}, {"reason", "received"}},
                    inventory_read_key_);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.Header("WWW-Authenticate"),
            R"(Bearer error="insufficient_scope", scope="inventory:write")");
}

TEST_P(InventoryApiTest, SkusWithSlashesReachTheirOwnRoutes) {
  CreateProduct(ProductBody("Slashed", "A/B", 100));
  ASSERT_EQ(Adjust("A/B", 2).status, 201);
  Response level = Get("/v1/inventory/A/B", inventory_read_key_);
  ASSERT_EQ(level.status, 200) << level.body;
  EXPECT_EQ(level.json["sku"], "A/B");
  Response history = Get("/v1/inventory/A/B/history", inventory_read_key_);
  ASSERT_EQ(history.status, 200) << history.body;
  EXPECT_EQ(history.json["items"].size(), 1u);
}

TEST_P(InventoryApiTest, AnAdjustmentNeedsAnIdempotencyKey) {
  Response r = Post("/v1/inventory/TEE-1/adjustments", {{"delta", 1}, {"reason", "received"}},
                    inventory_write_key_);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json["reason"], "idempotency_key_required");
  EXPECT_EQ(Get("/v1/inventory/TEE-1", inventory_read_key_).json["on_hand"], 0);
}

TEST_P(InventoryApiTest, AnAdjustmentIsMadeOncePerIdempotencyKey) {
  nlohmann::json body = {{"delta", 4}, {"reason", "received"}};
  Response first = PostOnce("/v1/inventory/TEE-1/adjustments", body, inventory_write_key_, "adj-1");
  ASSERT_EQ(first.status, 201) << first.body;
  for (int i = 0; i < 3; ++i) {
    Response again = PostOnce("/v1/inventory/TEE-1/adjustments", body, inventory_write_key_, "adj-1");
    ASSERT_EQ(again.status, 201) << again.body;
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(again.Header("Idempotent-Replayed"), "true");
  }
  EXPECT_EQ(Get("/v1/inventory/TEE-1", inventory_read_key_).json["on_hand"], 4);

  Response other = PostOnce("/v1/inventory/TEE-1/adjustments", {{"delta", 5}, {"reason", "received"}},
                            inventory_write_key_, "adj-1");
  EXPECT_EQ(other.status, 422) << other.body;
  EXPECT_EQ(other.json["reason"], "idempotency_key_reused");

  // A key belongs to its caller: another key holder's "adj-1" is its own.
  std::string other_key = NewKey({"inventory:write"});
  Response theirs = PostOnce("/v1/inventory/TEE-1/adjustments", body, other_key, "adj-1");
  ASSERT_EQ(theirs.status, 201) << theirs.body;
  EXPECT_EQ(Get("/v1/inventory/TEE-1", inventory_read_key_).json["on_hand"], 8);
}

TEST_P(InventoryApiTest, ARefusedAdjustmentIsReplayedAsRefused) {
  nlohmann::json body = {{"delta", -1}, {"reason", "damaged"}};
  Response first = PostOnce("/v1/inventory/TEE-1/adjustments", body, inventory_write_key_, "adj-2");
  ASSERT_EQ(first.status, 409) << first.body;
  ASSERT_EQ(Adjust("TEE-1", 5).status, 201);
  Response again = PostOnce("/v1/inventory/TEE-1/adjustments", body, inventory_write_key_, "adj-2");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(Get("/v1/inventory/TEE-1", inventory_read_key_).json["on_hand"], 5);
}

INSTANTIATE_TEST_SUITE_P(Stores, InventoryApiTest, ::testing::ValuesIn(TestStores()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::daemon::testing
