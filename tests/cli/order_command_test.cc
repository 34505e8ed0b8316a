// `ecom order list | show | fulfil | ship | deliver | cancel | refund` and
// `ecom payment show`. Orders are placed through core (CartService and
// OrderService with the built-in test gateway and a fixed payment key); the
// `ecom` runs are given the same key.
#include <gmock/gmock.h>

#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_test.h"
#include "ecom/common/config.h"
#include "ecom/orders/cart_service.h"
#include "ecom/orders/order_service.h"
#include "ecom/orders/pricing.h"
#include "ecom/payments/vault.h"
#include "ecom/store/database.h"
#include "payments/test/test_gateway.h"

namespace ecom::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kKeySpec = "1:" + std::string(64, 'a');

struct Placed {
  std::string order_id;
  std::string payment_id;
  std::int64_t number = 0;
};

class OrderCommandTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (IsSkipped()) return;
    ImportMugAndCap();  // MUG-1 12.50 (10 on hand), CAP-1 20.00 (5)
  }

  // The environment every `ecom` run here gets: the payment key of the store.
  static RunOptions WithKey(RunOptions options = {}) {
    options.env["ECOM_PAYMENTS_ENCRYPTION_KEYS"] = kKeySpec;
    return options;
  }
  RunResult Run(std::vector<std::string> args, RunOptions options = {}) {
    return Ecom(std::move(args), WithKey(std::move(options)));
  }
  std::string Ok(std::vector<std::string> args) { return EcomOk(std::move(args), WithKey()); }
  nlohmann::json Json(std::vector<std::string> args) {
    return EcomJson(std::move(args), WithKey());
  }

  // Places a guest order through core and pays it with `token`.
  Placed PlaceOrder(const std::vector<std::pair<std::string, std::int64_t>>& items,
                    const std::string& token = "tok_visa",
                    const std::string& email = "ann@example.com") {
    auto db = store::Open(store().url());
    auto clock = SystemClock();
    auto ids = MakeIdGenerator(clock);
    Config config;
    auto vault = payments::PaymentVault::FromSpec(kKeySpec);
    EXPECT_TRUE(vault.ok());
    orders::PricingSettings pricing(*db, clock, config);
    orders::CartService carts(*db, clock, ids, pricing, orders::CartOptions{});
    orders::Gateways gateways;
    gateways.Add(std::make_shared<payments::TestGateway>(*db, "whsec_test", clock, ids));
    orders::OrderService service(*db, clock, ids, carts, pricing, gateways, *vault,
                                 orders::OrderOptions{});

    auto cart = carts.Create("", "USD");
    EXPECT_TRUE(cart.ok()) << (cart.ok() ? "" : cart.error().message);
    if (!cart.ok()) return {};
    orders::CartHolder holder{"", cart->token.value_or("")};
    for (const auto& [sku, quantity] : items) {
      auto added = carts.AddItem(cart->cart.id, holder, sku, quantity);
      EXPECT_TRUE(added.ok()) << (added.ok() ? "" : added.error().message);
    }
    orders::CheckoutInput input;
    input.email = email;
    input.shipping_address = {"Ann Example", "1 Main St", "", "Springfield", "IL", "62701", "US", ""};
    input.payment_token = token;
    static std::mt19937_64 rng(std::random_device{}());
    store::IdempotencyRequest idem{"test", "checkout-" + std::to_string(rng()), "fp"};
    auto outcome = service.Checkout(cart->cart.id, holder, input, idem, Actor{"test"});
    EXPECT_TRUE(outcome.ok()) << (outcome.ok() ? "" : outcome.error().message);
    if (!outcome.ok() || !outcome->order || !outcome->payment) return {};
    return {outcome->order->id, outcome->payment->id, outcome->order->number};
  }

  // Two mugs (25.00 USD), paid.
  Placed PlaceMugOrder() { return PlaceOrder({{"MUG-1", 2}}); }

  std::int64_t Available(const std::string& sku) {
    return EcomJson({"stock", "show", sku})["available"].get<std::int64_t>();
  }
};

TEST_P(OrderCommandTest, HelpListsTheOrderAndPaymentCommands) {
  std::string help = EcomRaw({"--help"}).out;
  EXPECT_THAT(help, HasSubstr("order"));
  EXPECT_THAT(help, HasSubstr("payment"));
  std::string verbs = EcomRaw({"order", "--help"}).out;
  for (const char* verb : {"list", "show", "fulfil", "ship", "deliver", "cancel", "refund"})
    EXPECT_THAT(verbs, HasSubstr(verb));
}

TEST_P(OrderCommandTest, ListShowsOrdersNewestFirstWithFormattedTotals) {
  Placed first = PlaceMugOrder();
  Placed second = PlaceOrder({{"CAP-1", 2}}, "tok_visa", "bob@example.com");
  nlohmann::json page = Json({"order", "list"});
  ASSERT_EQ(page["items"].size(), 2u);
  EXPECT_EQ(page["items"][0]["id"], second.order_id);
  EXPECT_EQ(page["items"][1]["id"], first.order_id);
  EXPECT_FALSE(page["items"][0].contains("lines"));
  EXPECT_EQ(page["items"][1]["totals"]["grand_total"]["amount"], 2500);
  EXPECT_TRUE(page["next_cursor"].is_null());

  std::string table = Ok({"order", "list"});
  EXPECT_THAT(table, HasSubstr("NUMBER"));
  EXPECT_THAT(table, HasSubstr("#" + std::to_string(first.number)));
  EXPECT_THAT(table, HasSubstr(first.order_id));
  EXPECT_THAT(table, HasSubstr("25.00 USD"));
  EXPECT_THAT(table, HasSubstr("40.00 USD"));
  EXPECT_THAT(table, HasSubstr("confirmed"));
  EXPECT_THAT(table, HasSubstr("paid"));
  EXPECT_THAT(table, HasSubstr("bob@example.com"));
}

TEST_P(OrderCommandTest, ListFilters) {
  Placed mug = PlaceMugOrder();
  Placed cap = PlaceOrder({{"CAP-1", 2}});
  Placed declined = PlaceOrder({{"MUG-1", 1}}, "tok_chargeDeclined");
  EXPECT_EQ(Json({"order", "list", "--payment-status", "paid"})["items"].size(), 2u);
  nlohmann::json failed = Json({"order", "list", "--payment-status", "failed"});
  ASSERT_EQ(failed["items"].size(), 1u);
  EXPECT_EQ(failed["items"][0]["id"], declined.order_id);
  EXPECT_EQ(Json({"order", "list", "--status", "confirmed"})["items"].size(), 2u);
  nlohmann::json big = Json({"order", "list", "--min-total", "30"});
  ASSERT_EQ(big["items"].size(), 1u);
  EXPECT_EQ(big["items"][0]["id"], cap.order_id);
  nlohmann::json small = Json({"order", "list", "--max-total", "25.00", "--status", "confirmed"});
  ASSERT_EQ(small["items"].size(), 1u);
  EXPECT_EQ(small["items"][0]["id"], mug.order_id);
  EXPECT_EQ(Json({"order", "list", "--from", "2999-01-01T00:00:00Z"})["items"].size(), 0u);
  EXPECT_EQ(Json({"order", "list", "--to", "2999-01-01T00:00:00Z"})["items"].size(), 3u);
  EXPECT_EQ(Json({"order", "list", "--customer", "cus_nobody"})["items"].size(), 0u);

  RunResult bad_time = Run({"order", "list", "--from", "yesterday"});
  EXPECT_EQ(bad_time.exit_code, kUsage);
  EXPECT_THAT(bad_time.err, HasSubstr("--from"));
  EXPECT_EQ(Run({"order", "list", "--min-total", "1.234"}).exit_code, kUsage);
  EXPECT_EQ(Run({"order", "list", "--status", "lost"}).exit_code, kUsage);
}

TEST_P(OrderCommandTest, ListPagesWithACursor) {
  for (int i = 0; i < 3; ++i) PlaceOrder({{"MUG-1", 1}});
  RunResult first = Run({"order", "list", "--limit", "2"});
  ASSERT_EQ(first.exit_code, kOk) << first.err;
  EXPECT_THAT(first.err, HasSubstr("--cursor"));
  nlohmann::json page = Json({"order", "list", "--limit", "2"});
  ASSERT_TRUE(page["next_cursor"].is_string());
  EXPECT_EQ(Json({"order", "list", "--limit", "2", "--cursor", page["next_cursor"]})["items"].size(),
            1u);
  EXPECT_EQ(Json({"order", "list", "--limit", "2", "--all"})["items"].size(), 3u);
}

TEST_P(OrderCommandTest, ShowHasLinesPaymentsRefundsAndTimeline) {
  Placed placed = PlaceMugOrder();
  nlohmann::json order = Json({"order", "show", placed.order_id});
  EXPECT_EQ(order["id"], placed.order_id);
  EXPECT_EQ(order["status"], "confirmed");
  EXPECT_EQ(order["payment_status"], "paid");
  ASSERT_EQ(order["lines"].size(), 1u);
  EXPECT_EQ(order["lines"][0]["sku"], "MUG-1");
  EXPECT_EQ(order["lines"][0]["quantity"], 2);
  ASSERT_EQ(order["payments"].size(), 1u);
  EXPECT_EQ(order["payments"][0]["id"], placed.payment_id);
  EXPECT_EQ(order["payments"][0]["card"]["last4"], "4242");
  EXPECT_TRUE(order["refunds"].empty());
  ASSERT_FALSE(order["timeline"].empty());
  EXPECT_EQ(order["timeline"][0]["kind"], "placed");

  std::string text = Ok({"order", "show", placed.order_id});
  EXPECT_THAT(text, HasSubstr("#" + std::to_string(placed.number)));
  EXPECT_THAT(text, HasSubstr("25.00 USD"));
  EXPECT_THAT(text, HasSubstr("MUG-1"));
  EXPECT_THAT(text, HasSubstr("visa 4242"));
  EXPECT_THAT(text, HasSubstr("Timeline:"));
  EXPECT_THAT(text, HasSubstr("Springfield"));
  EXPECT_THAT(text + order.dump(), Not(HasSubstr("tok_visa")));
}

TEST_P(OrderCommandTest, UnknownOrderExits3NamingIt) {
  std::vector<std::vector<std::string>> commands = {{"order", "show", "ord_nope"},
                                                     {"order", "fulfil", "ord_nope"},
                                                     {"order", "cancel", "ord_nope"},
                                                     {"order", "refund", "ord_nope", "--amount", "1"}};
  for (const auto& args : commands) {
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, kNotFound) << args[1];
    EXPECT_THAT(r.err, HasSubstr("no such order: ord_nope")) << args[1];
  }
}

TEST_P(OrderCommandTest, FulfilSellsTheReservedStock) {
  Placed placed = PlaceMugOrder();
  EXPECT_EQ(OnHand("MUG-1"), 10);
  EXPECT_EQ(Available("MUG-1"), 8);

  std::string dry = Ok({"order", "fulfil", placed.order_id, "--dry-run"});
  EXPECT_THAT(dry, HasSubstr("would fulfil"));
  EXPECT_EQ(Json({"order", "show", placed.order_id})["status"], "confirmed");
  EXPECT_EQ(OnHand("MUG-1"), 10);

  std::string out = Ok({"order", "fulfil", placed.order_id, "--actor", "alice"});
  EXPECT_THAT(out, HasSubstr("is now fulfilled"));
  EXPECT_THAT(out, HasSubstr("MUG-1 x2"));
  EXPECT_EQ(OnHand("MUG-1"), 8);
  EXPECT_EQ(Available("MUG-1"), 8);
  nlohmann::json history = EcomJson({"stock", "history", "MUG-1", "--limit", "1"});
  ASSERT_EQ(history["items"].size(), 1u);
  EXPECT_EQ(history["items"][0]["reason"], "sold");
  EXPECT_EQ(history["items"][0]["delta"], -2);
  EXPECT_EQ(history["items"][0]["reference"], placed.order_id);
  EXPECT_EQ(history["items"][0]["actor"], "cli:alice");

  RunResult again = Run({"order", "fulfil", placed.order_id});
  EXPECT_EQ(again.exit_code, kConflict);
  EXPECT_THAT(again.err, HasSubstr("cannot fulfil order #" + std::to_string(placed.number)));
  EXPECT_THAT(again.err, HasSubstr("fulfilled"));
  EXPECT_EQ(Run({"order", "fulfil", placed.order_id, "--dry-run"}).exit_code, kConflict);
  EXPECT_EQ(OnHand("MUG-1"), 8);
}

TEST_P(OrderCommandTest, UnpaidOrderCannotBeFulfilled) {
  Placed declined = PlaceOrder({{"MUG-1", 1}}, "tok_chargeDeclined");
  RunResult r = Run({"order", "fulfil", declined.order_id});
  EXPECT_EQ(r.exit_code, kConflict);
  EXPECT_THAT(r.err, HasSubstr("pending"));
}

TEST_P(OrderCommandTest, ShipAndDeliver) {
  Placed placed = PlaceMugOrder();
  EXPECT_EQ(Run({"order", "ship", placed.order_id, "--tracking-number", "1Z9"}).exit_code, kUsage);
  RunResult bad_url = Run({"order", "ship", placed.order_id, "--carrier", "UPS",
                           "--tracking-number", "1Z9", "--tracking-url", "ftp://x"});
  EXPECT_EQ(bad_url.exit_code, kInvalidInput);
  EXPECT_THAT(bad_url.err, HasSubstr("tracking_url"));

  std::string out = Ok({"order", "ship", placed.order_id, "--carrier", "UPS", "--tracking-number",
                        "1Z999", "--tracking-url", "https://ups.example/1Z999"});
  EXPECT_THAT(out, HasSubstr("is now shipped: UPS 1Z999"));
  nlohmann::json order = Json({"order", "show", placed.order_id});
  EXPECT_EQ(order["status"], "shipped");
  EXPECT_EQ(order["shipment"]["carrier"], "UPS");
  EXPECT_EQ(order["shipment"]["tracking_number"], "1Z999");
  EXPECT_EQ(order["stock"], "sold");  // shipping a confirmed order fulfils it first
  EXPECT_EQ(OnHand("MUG-1"), 8);

  nlohmann::json delivered = Json({"order", "deliver", placed.order_id});
  EXPECT_EQ(delivered["status"], "delivered");
  RunResult cancel = Run({"order", "cancel", placed.order_id});
  EXPECT_EQ(cancel.exit_code, kConflict);
  EXPECT_THAT(cancel.err, HasSubstr("delivered"));
}

TEST_P(OrderCommandTest, CancelReleasesStockAndRefundsOnce) {
  Placed placed = PlaceMugOrder();
  EXPECT_EQ(Available("MUG-1"), 8);
  std::string dry = Ok({"order", "cancel", placed.order_id, "--dry-run"});
  EXPECT_THAT(dry, HasSubstr("would cancel"));
  EXPECT_THAT(dry, HasSubstr("refund 25.00 USD"));
  EXPECT_EQ(Json({"order", "show", placed.order_id})["status"], "confirmed");

  std::string out = Ok({"order", "cancel", placed.order_id, "--reason", "customer asked",
                        "--idempotency-key", "cancel-1"});
  EXPECT_THAT(out, HasSubstr("is now cancelled (reason: customer asked)"));
  EXPECT_THAT(out, HasSubstr("of 25.00 USD: succeeded"));
  EXPECT_EQ(Available("MUG-1"), 10);
  nlohmann::json order = Json({"order", "show", placed.order_id});
  EXPECT_EQ(order["status"], "cancelled");
  EXPECT_EQ(order["payment_status"], "refunded");
  EXPECT_EQ(order["refunds"].size(), 1u);

  // The same key again: the first result, nothing done twice.
  RunResult replay = Run({"order", "cancel", placed.order_id, "--reason", "customer asked",
                          "--idempotency-key", "cancel-1"});
  EXPECT_EQ(replay.exit_code, kOk) << replay.err;
  EXPECT_THAT(replay.err, HasSubstr("used before"));
  EXPECT_EQ(Json({"order", "show", placed.order_id})["refunds"].size(), 1u);

  RunResult again = Run({"order", "cancel", placed.order_id});
  EXPECT_EQ(again.exit_code, kConflict);
  EXPECT_THAT(again.err, HasSubstr("cancelled"));
}

TEST_P(OrderCommandTest, RefundTwiceWithOneKeyRefundsOnce) {
  Placed placed = PlaceMugOrder();
  std::vector<std::string> refund = {"order", "refund", placed.order_id, "--amount", "10",
                                     "--reason", "scratched", "--idempotency-key", "rf-1",
                                     "--actor", "alice"};
  std::string out = Ok(refund);
  EXPECT_THAT(out, HasSubstr("of 10.00 USD: succeeded"));
  EXPECT_THAT(out, HasSubstr("refunded 10.00 USD, payment status partially_refunded"));

  RunResult replay = Run(refund);
  EXPECT_EQ(replay.exit_code, kOk) << replay.err;
  EXPECT_THAT(replay.err, HasSubstr("rf-1 was used before"));
  // 10 and 10.00 are the same refund.
  refund[4] = "10.00";
  nlohmann::json replayed = Json(refund);
  EXPECT_EQ(replayed["refund"]["amount"]["amount"], 1000);

  nlohmann::json order = Json({"order", "show", placed.order_id});
  ASSERT_EQ(order["refunds"].size(), 1u);
  EXPECT_EQ(order["refunds"][0]["amount"]["amount"], 1000);
  EXPECT_EQ(order["refunds"][0]["reason"], "scratched");
  EXPECT_EQ(order["refunds"][0]["actor"], "cli:alice");
  EXPECT_EQ(order["amount_refunded"]["amount"], 1000);
  EXPECT_EQ(order["payment_status"], "partially_refunded");

  // The key with other arguments is refused.
  refund[4] = "5";
  RunResult reused = Run(refund);
  EXPECT_EQ(reused.exit_code, kInvalidInput);
  EXPECT_THAT(reused.err, HasSubstr("rf-1"));
  EXPECT_THAT(reused.err, HasSubstr("different"));

  // Without --amount: the rest, under a fresh key.
  nlohmann::json rest = Json({"order", "refund", placed.order_id});
  EXPECT_EQ(rest["refund"]["amount"]["amount"], 1500);
  EXPECT_EQ(rest["order"]["payment_status"], "refunded");
  EXPECT_TRUE(rest["idempotency_key"].is_string());
  EXPECT_EQ(Json({"payment", "show", placed.payment_id})["amount_refunded"]["amount"], 2500);
}

TEST_P(OrderCommandTest, RefundOverTheCapturedAmountFailsAndChangesNothing) {
  Placed placed = PlaceMugOrder();
  RunResult r = Run({"order", "refund", placed.order_id, "--amount", "25.01"});
  EXPECT_EQ(r.exit_code, kConflict);
  EXPECT_THAT(r.err, HasSubstr("cannot refund 25.01 USD of order #" + std::to_string(placed.number)));
  EXPECT_THAT(r.err, HasSubstr("only 25.00 USD can still be refunded"));
  EXPECT_EQ(Run({"order", "refund", placed.order_id, "--amount", "30", "--dry-run"}).exit_code,
            kConflict);

  Ok({"order", "refund", placed.order_id, "--amount", "20"});
  RunResult over = Run({"order", "refund", placed.order_id, "--amount", "6"});
  EXPECT_EQ(over.exit_code, kConflict);
  EXPECT_THAT(over.err, HasSubstr("only 5.00 USD can still be refunded"));
  nlohmann::json order = Json({"order", "show", placed.order_id});
  EXPECT_EQ(order["amount_refunded"]["amount"], 2000);
  EXPECT_EQ(order["refunds"].size(), 1u);
}

TEST_P(OrderCommandTest, RefundAmountsAreDecimalsInTheOrdersCurrency) {
  Placed placed = PlaceMugOrder();
  for (const char* amount : {"1.001", "ten", "-5", "0"}) {
    RunResult r = Run({"order", "refund", placed.order_id, "--amount", amount});
    EXPECT_EQ(r.exit_code, kUsage) << amount;
    EXPECT_THAT(r.err, HasSubstr("--amount")) << amount;
  }
  EXPECT_EQ(Run({"order", "refund", placed.order_id, "--restock", "MUG-1"}).exit_code, kUsage);
  EXPECT_EQ(Json({"order", "show", placed.order_id})["amount_refunded"]["amount"], 0);
}

TEST_P(OrderCommandTest, RefundDryRunChangesNothing) {
  Placed placed = PlaceMugOrder();
  std::string out = Ok({"order", "refund", placed.order_id, "--amount", "5", "--dry-run"});
  EXPECT_THAT(out, HasSubstr("would refund 5.00 USD"));
  EXPECT_EQ(Json({"order", "show", placed.order_id})["refunds"].size(), 0u);
}

TEST_P(OrderCommandTest, RefundRestocksReturnedUnits) {
  Placed placed = PlaceMugOrder();
  Ok({"order", "fulfil", placed.order_id});
  EXPECT_EQ(OnHand("MUG-1"), 8);
  std::string out =
      Ok({"order", "refund", placed.order_id, "--amount", "12.50", "--restock", "MUG-1=1"});
  EXPECT_THAT(out, HasSubstr("restocked: MUG-1 x1"));
  EXPECT_EQ(OnHand("MUG-1"), 9);
  EXPECT_EQ(EcomJson({"stock", "history", "MUG-1", "--limit", "1"})["items"][0]["reason"],
            "returned");
  RunResult too_many =
      Run({"order", "refund", placed.order_id, "--amount", "1", "--restock", "MUG-1=2"});
  EXPECT_EQ(too_many.exit_code, kInvalidInput);
  EXPECT_THAT(too_many.err, HasSubstr("at most 1"));
  EXPECT_EQ(OnHand("MUG-1"), 9);
}

TEST_P(OrderCommandTest, UnpaidOrderHasNothingToRefund) {
  Placed declined = PlaceOrder({{"MUG-1", 1}}, "tok_chargeDeclined");
  RunResult r = Run({"order", "refund", declined.order_id});
  EXPECT_EQ(r.exit_code, kConflict);
  EXPECT_THAT(r.err, HasSubstr("nothing to refund"));
}

TEST_P(OrderCommandTest, PaymentShowNeverPrintsTheToken) {
  Placed placed = PlaceMugOrder();
  nlohmann::json payment = Json({"payment", "show", placed.payment_id});
  EXPECT_EQ(payment["id"], placed.payment_id);
  EXPECT_EQ(payment["order_id"], placed.order_id);
  EXPECT_EQ(payment["status"], "captured");
  EXPECT_EQ(payment["amount"]["amount"], 2500);
  EXPECT_EQ(payment["card"]["brand"], "visa");
  EXPECT_EQ(payment["card"]["last4"], "4242");
  EXPECT_TRUE(payment["reference"].is_string());
  std::string text = Ok({"payment", "show", placed.payment_id});
  EXPECT_THAT(text, HasSubstr("visa ending 4242"));
  EXPECT_THAT(text, HasSubstr("25.00 USD"));
  EXPECT_THAT(text, HasSubstr(payment["reference"].get<std::string>()));
  EXPECT_THAT(text + payment.dump(), Not(HasSubstr("tok_")));

  Placed declined = PlaceOrder({{"MUG-1", 1}}, "tok_chargeDeclined");
  std::string failed = Ok({"payment", "show", declined.payment_id});
  EXPECT_THAT(failed, HasSubstr("card_declined"));
  EXPECT_THAT(failed, Not(HasSubstr("tok_")));

  RunResult missing = Run({"payment", "show", "pay_nope"});
  EXPECT_EQ(missing.exit_code, kNotFound);
  EXPECT_THAT(missing.err, HasSubstr("no such payment: pay_nope"));
}

TEST_P(OrderCommandTest, PostgresNeedsAPaymentKey) {
  if (GetParam() != Backend::kPostgres) GTEST_SKIP() << "SQLite makes a key file of its own";
  RunResult r = Ecom({"order", "list"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("payment"));
}

ECOM_CLI_INSTANTIATE(OrderCommandTest);

}  // namespace
}  // namespace ecom::cli::testing
