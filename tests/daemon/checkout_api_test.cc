// Carts, checkout, orders, payments and refunds over HTTP, against a real
// ecomd with the built-in test gateway.
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "checkout_fixture.h"
#include "ecom/payments/webhook_signature.h"
#include "payments/test/test_gateway.h"

namespace ecom::daemon::testing {
namespace {

using nlohmann::json;

class CheckoutApiTest : public CheckoutTest {};

TEST_P(CheckoutApiTest, AGuestBuysWithATestCard) {
  Stock("TEE-1", 2500, 5);
  GuestCart cart = NewGuestCart();
  Response added = AddItem(cart, "TEE-1", 2);
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.json["totals"]["subtotal"]["amount"], 5000);

  Response r = Checkout(cart, "tok_visa", "order-1");
  ASSERT_EQ(r.status, 201) << r.body;
  const json& order = r.json["order"];
  EXPECT_EQ(order["status"], "confirmed");
  EXPECT_EQ(order["payment_status"], "paid");
  EXPECT_EQ(order["number"], 1001);
  EXPECT_EQ(order["totals"]["grand_total"]["amount"], 5000);
  EXPECT_EQ(order["lines"][0]["sku"], "TEE-1");
  EXPECT_EQ(order["lines"][0]["quantity"], 2);
  EXPECT_EQ(r.json["payment"]["card"]["last4"], "4242");
  EXPECT_EQ(r.json["payment"]["status"], "captured");
  EXPECT_EQ(Level("TEE-1")["reserved"], 2);

  // The guest reads the order with the cart token; nobody else can.
  std::string path = "/v1/orders/" + order["id"].get<std::string>();
  Response mine = Send({.method = "GET", .path = path, .headers = {{"X-Cart-Token", cart.token}}});
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(mine.json["timeline"][0]["kind"], "placed");
  EXPECT_EQ(mine.Header("Cache-Control"), "no-store");  // it holds the buyer's address
  EXPECT_EQ(Get(path).status, 401);
  GuestCart other = NewGuestCart();
  EXPECT_EQ(Send({.method = "GET", .path = path, .headers = {{"X-Cart-Token", other.token}}}).status, 404);
  EXPECT_EQ(Get(path, NewCustomer().token).status, 404);
  EXPECT_EQ(Get(path, NewKey({"orders:read"})).status, 200);

  // The cart is spent.
  Response again = Checkout(cart, "tok_visa", "order-2");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.json["reason"], "cart_already_ordered");
}

TEST_P(CheckoutApiTest, CheckoutNeedsAnIdempotencyKeyAndRefusesCardNumbers) {
  Stock("TEE-1", 2500, 5);
  GuestCart cart = NewGuestCart();
  ASSERT_EQ(AddItem(cart, "TEE-1", 1).status, 201);
  Response no_key = Send({.method = "POST", .path = "/v1/carts/" + cart.id + "/checkout",
                          .json = CheckoutBody("tok_visa"), .headers = {{"X-Cart-Token", cart.token}}});
  EXPECT_EQ(no_key.status, 400) << no_key.body;
  EXPECT_EQ(no_key.json["reason"], "idempotency_key_required");

  json body = CheckoutBody("tok_visa");
  body["shipping_address"]["line2"] = "4242 4242 4242 4242";
  Response card = PostOnce("/v1/carts/" + cart.id + "/checkout", body, "", "", {{"X-Cart-Token", cart.token}});
  EXPECT_EQ(card.status, 400) << card.body;
  EXPECT_EQ(card.json["reason"], "card_number_refused");
  EXPECT_EQ(card.body.find("4242"), std::string::npos) << card.body;
  EXPECT_EQ(DaemonLog().find("4242 4242"), std::string::npos);
  EXPECT_EQ(Level("TEE-1")["reserved"], 0);
}

TEST_P(CheckoutApiTest, ADeclinedPaymentIs402AndTheOrderCanBePaidAgain) {
  Stock("TEE-1", 2500, 5);
  GuestCart cart = NewGuestCart();
  ASSERT_EQ(AddItem(cart, "TEE-1", 1).status, 201);
  Response declined = Checkout(cart, "tok_chargeDeclined", "k1");
  ASSERT_EQ(declined.status, 402) << declined.body;
  EXPECT_EQ(declined.json["reason"], "payment_declined");
  EXPECT_EQ(declined.json["order"]["payment_status"], "failed");
  EXPECT_EQ(declined.json["order"]["payment_failure"], "card_declined");
  EXPECT_EQ(Level("TEE-1")["reserved"], 1);  // held while the customer tries again

  std::string order = declined.json["order"]["id"];
  Response paid = PostOnce("/v1/orders/" + order + "/payments", {{"token", "tok_visa"}}, "", "k2",
                           {{"X-Cart-Token", cart.token}});
  ASSERT_EQ(paid.status, 201) << paid.body;
  EXPECT_EQ(paid.json["order"]["payment_status"], "paid");
  EXPECT_EQ(paid.json["order"]["status"], "confirmed");

  Response twice = PostOnce("/v1/orders/" + order + "/payments", {{"token", "tok_visa"}}, "", "k3",
                            {{"X-Cart-Token", cart.token}});
  EXPECT_EQ(twice.status, 409) << twice.body;
  EXPECT_EQ(twice.json["reason"], "already_paid");
  EXPECT_EQ(Captures(order), 1);
}

TEST_P(CheckoutApiTest, OneKeyReplayedAHundredTimesMakesOneOrderAndOneCapture) {
  Stock("TEE-1", 2500, 5);
  Account customer = NewCustomer();
  std::string cart = NewCustomerCart(customer);
  ASSERT_EQ(Post("/v1/carts/" + cart + "/items", {{"sku", "TEE-1"}, {"quantity", 1}}, customer.token).status, 201);
  json body = CheckoutBody("tok_visa");
  auto checkout = [&] {
    return PostOnce("/v1/carts/" + cart + "/checkout", body, customer.token, "same-key");
  };
  std::vector<Response> answers(50);
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) threads.emplace_back([&, i] { answers[i] = checkout(); });
  for (auto& t : threads) t.join();
  std::string first;
  int created = 0, busy = 0;
  for (const auto& a : answers) {
    if (a.status == 201) {
      ++created;
      if (first.empty()) first = a.body;
      EXPECT_EQ(a.body, first);
    } else {
      EXPECT_EQ(a.status, 409) << a.body;
      EXPECT_EQ(a.json["reason"], "idempotency_key_in_use");
      ++busy;
    }
  }
  EXPECT_GE(created, 1);
  for (int i = 0; i < 50; ++i) {
    Response a = checkout();
    ASSERT_EQ(a.status, 201) << a.body;
    if (first.empty()) first = a.body;
    EXPECT_EQ(a.body, first);
    EXPECT_EQ(a.Header("Idempotent-Replayed"), "true");
  }
  std::string order = json::parse(first)["order"]["id"];
  EXPECT_EQ(Captures(order), 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM orders"), 1);

  json other = body;
  other["email"] = "someone.else@example.com";
  Response mismatch = PostOnce("/v1/carts/" + cart + "/checkout", other, customer.token, "same-key");
  EXPECT_EQ(mismatch.status, 422) << mismatch.body;
  EXPECT_EQ(mismatch.json["reason"], "idempotency_key_reused");

  // Another customer's "same-key" is theirs alone.
  Account b = NewCustomer();
  std::string b_cart = NewCustomerCart(b);
  ASSERT_EQ(Post("/v1/carts/" + b_cart + "/items", {{"sku", "TEE-1"}, {"quantity", 1}}, b.token).status, 201);
  Response theirs = PostOnce("/v1/carts/" + b_cart + "/checkout", body, b.token, "same-key");
  ASSERT_EQ(theirs.status, 201) << theirs.body;
  EXPECT_NE(theirs.json["order"]["id"], order);
}

TEST_P(CheckoutApiTest, TheLastUnitsGoToExactlyAsManyBuyersAsThereAreUnits) {
  const int kStock = 3, kBuyers = 24;
  Stock("LAST-1", 1000, kStock);
  Stock("SCARCE-2", 1000, 1);
  std::vector<GuestCart> carts;
  std::vector<int> wants;
  for (int i = 0; i < kBuyers; ++i) {
    carts.push_back(NewGuestCart());
    int q = i % 3 == 0 ? 2 : 1;
    wants.push_back(q);
    ASSERT_EQ(AddItem(carts.back(), "LAST-1", q).status, 201);
    if (i % 5 == 0) ASSERT_EQ(AddItem(carts.back(), "SCARCE-2", 1).status, 201);
  }
  std::vector<Response> answers(kBuyers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kBuyers; ++i)
    threads.emplace_back([&, i] { answers[i] = Checkout(carts[i], "tok_visa", "race-" + std::to_string(i)); });
  for (auto& t : threads) t.join();
  std::int64_t sold = 0;
  for (int i = 0; i < kBuyers; ++i) {
    if (answers[i].status == 201) {
      sold += wants[i];
    } else {
      ASSERT_EQ(answers[i].status, 409) << answers[i].body;
      EXPECT_EQ(answers[i].json["reason"], "insufficient_stock");
    }
  }
  EXPECT_LE(sold, kStock);
  EXPECT_GE(sold, kStock - 1);  // a 2-unit buyer may be the one who could not fit
  json level = Level("LAST-1");
  EXPECT_EQ(level["reserved"], sold);
  EXPECT_EQ(level["on_hand"], kStock);
  EXPECT_GE(level["available"].get<std::int64_t>(), 0);
  EXPECT_EQ(CountRows("SELECT COALESCE(SUM(quantity), 0) FROM reservations r JOIN variants v ON v.id = r.variant_id "
                      "WHERE v.sku = 'LAST-1'"),
            sold);
  EXPECT_LE(Level("SCARCE-2")["reserved"].get<std::int64_t>(), 1);
}

TEST_P(CheckoutApiTest, APaymentNeedingConfirmationIsCompletedByTheSignedWebhookOnce) {
  Stock("TEE-1", 2500, 5);
  GuestCart cart = NewGuestCart();
  ASSERT_EQ(AddItem(cart, "TEE-1", 1).status, 201);
  Response r = Checkout(cart, "tok_requiresConfirmation", "k1");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["order"]["payment_status"], "pending");
  EXPECT_EQ(r.json["payment"]["status"], "requires_confirmation");
  std::string payment = r.json["payment"]["id"], order = r.json["order"]["id"];

  std::string body = payments::ConfirmationWebhookBody("evt_1", payment, true);
  auto send = [&](const std::string& b, const std::string& signature) {
    return Send({.method = "POST", .path = "/v1/webhooks/test", .raw_body = b,
                 .headers = {{"Ecom-Signature", signature}}});
  };
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_EQ(send(body, payments::SignWebhook(body, "wrong", now)).status, 401);
  EXPECT_EQ(send(body, payments::SignWebhook(body, kTestWebhookSecret, now - 600)).status, 401);
  Response ok = send(body, payments::SignWebhook(body, kTestWebhookSecret, now));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json["duplicate"], false);
  Response dup = send(body, payments::SignWebhook(body, kTestWebhookSecret, now));
  ASSERT_EQ(dup.status, 200) << dup.body;
  EXPECT_EQ(dup.json["duplicate"], true);
  std::string late = payments::ConfirmationWebhookBody("evt_0", payment, false);  // older news, arriving later
  ASSERT_EQ(send(late, payments::SignWebhook(late, kTestWebhookSecret, now)).status, 200);

  Response read = Get("/v1/orders/" + order, NewKey({"orders:read"}));
  EXPECT_EQ(read.json["payment_status"], "paid");
  EXPECT_EQ(read.json["status"], "confirmed");
  EXPECT_EQ(Captures(order), 1);
}

TEST_P(CheckoutApiTest, ALostCaptureAnswerIsFoundOutAndNeverChargedTwice) {
  Stock("TEE-1", 2500, 5);
  GuestCart cart = NewGuestCart();
  ASSERT_EQ(AddItem(cart, "TEE-1", 1).status, 201);
  Response r = Checkout(cart, "tok_captureTimeout", "k1");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["order"]["payment_status"], "paid");
  std::string order = r.json["order"]["id"];
  Response retry = PostOnce("/v1/orders/" + order + "/payments", {{"token", "tok_visa"}}, "", "k2",
                            {{"X-Cart-Token", cart.token}});
  EXPECT_EQ(retry.status, 409) << retry.body;
  EXPECT_EQ(Captures(order), 1);
}

TEST_P(CheckoutApiTest, AGuestCartMergesIntoTheCustomersCartOnLogin) {
  Stock("TEE-1", 2500, 9);
  Stock("MUG-1", 900, 9);
  Account customer = NewCustomer();
  std::string own = NewCustomerCart(customer);
  ASSERT_EQ(Post("/v1/carts/" + own + "/items", {{"sku", "TEE-1"}, {"quantity", 1}}, customer.token).status, 201);
  GuestCart guest = NewGuestCart();
  ASSERT_EQ(AddItem(guest, "TEE-1", 2).status, 201);
  ASSERT_EQ(AddItem(guest, "MUG-1", 1).status, 201);
  Response login = Send({.method = "POST", .path = "/v1/auth/login",
                         .json = json{{"email", customer.email}, {"password", customer.password}},
                         .headers = {{"X-Cart-Token", guest.token}}});
  ASSERT_EQ(login.status, 200) << login.body;
  ASSERT_TRUE(login.json.contains("cart")) << login.body;
  EXPECT_EQ(login.json["cart"]["id"], own);
  std::map<std::string, int> quantities;
  for (const auto& l : login.json["cart"]["lines"]) quantities[l["sku"]] = l["quantity"];
  EXPECT_EQ(quantities, (std::map<std::string, int>{{"MUG-1", 1}, {"TEE-1", 3}}));
  // The guest token no longer opens anything.
  EXPECT_EQ(Send({.method = "GET", .path = "/v1/carts/" + guest.id, .headers = {{"X-Cart-Token", guest.token}}})
                .status,
            404);
}

TEST_P(CheckoutApiTest, ShippingAndTaxComeFromTheAdminApi) {
  Stock("TEE-1", 1000, 9);
  std::string admin = NewKey({"admin"});
  ASSERT_EQ(Put("/v1/shipping-methods/express",
                {{"name", "Express"}, {"amount", {{"amount", 1500}, {"currency", "USD"}}}, {"countries", {"US"}}},
                admin)
                .status,
            200);
  Response rate = Put("/v1/tax-rates/US-NY", {{"rate", "8.875"}, {"on_shipping", true}}, admin);
  ASSERT_EQ(rate.status, 200) << rate.body;
  EXPECT_EQ(Put("/v1/tax-rates/US-NY", {{"rate", "8.875"}}, NewKey({"orders:write"})).status, 403);

  GuestCart cart = NewGuestCart();
  ASSERT_EQ(AddItem(cart, "TEE-1", 3).status, 201);
  json body = CheckoutBody("tok_visa");
  body["shipping_address"]["country"] = "US";
  body["shipping_address"]["region"] = "NY";
  body["shipping_method"] = "express";
  Response r = PostOnce("/v1/carts/" + cart.id + "/checkout", body, "", "k1", {{"X-Cart-Token", cart.token}});
  ASSERT_EQ(r.status, 201) << r.body;
  const json& totals = r.json["order"]["totals"];
  EXPECT_EQ(totals["subtotal"]["amount"], 3000);
  EXPECT_EQ(totals["shipping"]["amount"], 1500);
  EXPECT_EQ(totals["tax"]["amount"], 266 + 133);  // 8.875 % of 3000 and of 1500, each rounded half up
  EXPECT_EQ(totals["grand_total"]["amount"], 3000 + 1500 + 399);

  GuestCart abroad = NewGuestCart();
  ASSERT_EQ(AddItem(abroad, "TEE-1", 1).status, 201);
  body["shipping_address"]["country"] = "DE";
  body["shipping_address"]["region"] = "";
  Response refused = PostOnce("/v1/carts/" + abroad.id + "/checkout", body, "", "k2", {{"X-Cart-Token", abroad.token}});
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.json["reason"], "shipping_method_unavailable");
  EXPECT_EQ(Level("TEE-1")["reserved"], 3);
}

TEST_P(CheckoutApiTest, StaffFulfilShipDeliverAndRefund) {
  Stock("TEE-1", 2500, 5);
  GuestCart cart = NewGuestCart();
  ASSERT_EQ(AddItem(cart, "TEE-1", 2).status, 201);
  Response placed = Checkout(cart, "tok_visa", "k1");
  ASSERT_EQ(placed.status, 201) << placed.body;
  std::string id = placed.json["order"]["id"], path = "/v1/orders/" + id;
  std::string staff = NewKey({"orders:write", "payments:refund"});

  Response shipped = Post(path + "/ship", {{"carrier", "UPS"}, {"tracking_number", "1Z999"},
                                           {"tracking_url", "https://ups.example/1Z999"}}, staff);
  ASSERT_EQ(shipped.status, 200) << shipped.body;
  EXPECT_EQ(shipped.json["status"], "shipped");
  EXPECT_EQ(shipped.json["shipment"]["tracking_number"], "1Z999");
  json level = Level("TEE-1");
  EXPECT_EQ(level["on_hand"], 3);
  EXPECT_EQ(level["reserved"], 0);

  Response cancel = PostOnce(path + "/cancel", json::object(), staff);
  EXPECT_EQ(cancel.status, 409) << cancel.body;
  EXPECT_EQ(cancel.json["reason"], "invalid_transition");
  EXPECT_NE(cancel.json["detail"].get<std::string>().find("shipped"), std::string::npos);

  Response partial = PostOnce(path + "/refunds", {{"amount", 1000}, {"reason", "damaged"},
                                                  {"restock", {{{"sku", "TEE-1"}, {"quantity", 1}}}}}, staff, "r1");
  ASSERT_EQ(partial.status, 201) << partial.body;
  EXPECT_EQ(partial.json["refund"]["status"], "succeeded");
  EXPECT_EQ(partial.json["order"]["payment_status"], "partially_refunded");
  EXPECT_EQ(Level("TEE-1")["on_hand"], 4);
  Response replay = PostOnce(path + "/refunds", {{"amount", 1000}, {"reason", "damaged"},
                                                 {"restock", {{{"sku", "TEE-1"}, {"quantity", 1}}}}}, staff, "r1");
  EXPECT_EQ(replay.body, partial.body);
  Response too_much = PostOnce(path + "/refunds", {{"amount", 4001}}, staff, "r2");
  EXPECT_EQ(too_much.status, 409) << too_much.body;
  EXPECT_EQ(too_much.json["reason"], "refund_exceeds_captured");
  Response rest = PostOnce(path + "/refunds", json::object(), staff, "r3");
  ASSERT_EQ(rest.status, 201) << rest.body;
  EXPECT_EQ(rest.json["refund"]["amount"]["amount"], 4000);
  EXPECT_EQ(rest.json["order"]["payment_status"], "refunded");

  Response delivered = Post(path + "/deliver", json::object(), staff);
  ASSERT_EQ(delivered.status, 200) << delivered.body;
  EXPECT_EQ(delivered.json["status"], "delivered");

  Response list = Get("/v1/orders?status=delivered", NewKey({"orders:read"}));
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json["items"].size(), 1u);
  EXPECT_EQ(list.json["items"][0]["id"], id);
}

TEST_P(CheckoutApiTest, CancellingAPaidOrderReleasesItsStockAndRefundsIt) {
  Stock("TEE-1", 2500, 5);
  GuestCart cart = NewGuestCart();
  ASSERT_EQ(AddItem(cart, "TEE-1", 2).status, 201);
  Response placed = Checkout(cart, "tok_visa", "k1");
  ASSERT_EQ(placed.status, 201) << placed.body;
  std::string path = "/v1/orders/" + placed.json["order"]["id"].get<std::string>();
  Response cancel = PostOnce(path + "/cancel", {{"reason", "customer asked"}}, NewKey({"orders:write"}));
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(cancel.json["order"]["status"], "cancelled");
  EXPECT_EQ(cancel.json["order"]["payment_status"], "refunded");
  EXPECT_EQ(cancel.json["refund"]["status"], "succeeded");
  EXPECT_EQ(Level("TEE-1")["reserved"], 0);
  EXPECT_EQ(Level("TEE-1")["available"], 5);
}

TEST_P(CheckoutApiTest, RefundingAnUnfulfilledLineInFullReleasesItsWholeHold) {
  Stock("TEE-1", 2500, 5);
  GuestCart cart = NewGuestCart();
  ASSERT_EQ(AddItem(cart, "TEE-1", 2).status, 201);
  Response placed = Checkout(cart, "tok_visa", "k1");
  ASSERT_EQ(placed.status, 201) << placed.body;
  std::string path = "/v1/orders/" + placed.json["order"]["id"].get<std::string>() + "/refunds";
  std::string staff = NewKey({"payments:refund"});
  for (int i = 0; i < 2; ++i) {
    Response r = PostOnce(path, {{"amount", 100}, {"restock", {{{"sku", "TEE-1"}, {"quantity", 1}}}}}, staff);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  EXPECT_EQ(Level("TEE-1")["reserved"], 0);
  EXPECT_EQ(Level("TEE-1")["available"], 5);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM reservations"), 0);
  Response more = PostOnce(path, {{"amount", 100}, {"restock", {{{"sku", "TEE-1"}, {"quantity", 1}}}}}, staff);
  EXPECT_EQ(more.status, 400) << more.body;  // nothing left of the line to restock
}

TEST_P(CheckoutApiTest, CustomersSeeOnlyTheirOwnOrders) {
  Stock("TEE-1", 2500, 5);
  Account a = NewCustomer(), b = NewCustomer();
  std::string cart = NewCustomerCart(a);
  ASSERT_EQ(Post("/v1/carts/" + cart + "/items", {{"sku", "TEE-1"}, {"quantity", 1}}, a.token).status, 201);
  EXPECT_EQ(Get("/v1/carts/" + cart, b.token).status, 404);
  json body = CheckoutBody("tok_visa");
  body.erase("email");  // a customer's own email is used
  Response placed = PostOnce("/v1/carts/" + cart + "/checkout", body, a.token);
  ASSERT_EQ(placed.status, 201) << placed.body;
  EXPECT_EQ(placed.json["order"]["email"], a.email);
  Response mine = Get("/v1/me/orders", a.token);
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(mine.json["items"].size(), 1u);
  EXPECT_EQ(Get("/v1/me/orders", b.token).json["items"].size(), 0u);
  EXPECT_EQ(Get("/v1/orders/" + placed.json["order"]["id"].get<std::string>(), b.token).status, 404);
}

INSTANTIATE_TEST_SUITE_P(Stores, CheckoutApiTest, ::testing::ValuesIn(TestStores()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::daemon::testing
