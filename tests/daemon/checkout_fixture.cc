#include "checkout_fixture.h"

#include "payments/test/test_gateway.h"

namespace ecom::daemon::testing {

using nlohmann::json;

void CheckoutTest::Stock(const std::string& sku, std::int64_t price, std::int64_t on_hand) {
  CreateProduct(ProductBody("Product " + sku, sku, price));
  if (on_hand == 0) return;
  auto level = inventory().Adjust({sku, on_hand, inventory::StockReason::kReceived, "", ""}, Actor{"test"});
  ASSERT_TRUE(level.ok()) << level.error().message;
}

GuestCart CheckoutTest::NewGuestCart() {
  Response r = Post("/v1/carts", json::object(), "");
  EXPECT_EQ(r.status, 201) << r.body;
  return {r.json["cart"]["id"], r.json["token"]};
}

std::string CheckoutTest::NewCustomerCart(const Account& customer) {
  Response r = Post("/v1/carts", json::object(), customer.token);
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_FALSE(r.json.contains("token"));
  return r.json["cart"]["id"];
}

Response CheckoutTest::AddItem(const GuestCart& cart, const std::string& sku, std::int64_t quantity) {
  return Send({.method = "POST", .path = "/v1/carts/" + cart.id + "/items",
               .json = json{{"sku", sku}, {"quantity", quantity}}, .headers = {{"X-Cart-Token", cart.token}}});
}

json CheckoutTest::CheckoutBody(const std::string& token) {
  return {{"email", "buyer@example.com"},
          {"shipping_address",
           {{"name", "Ada Buyer"}, {"line1", "1 Main St"}, {"city", "Springfield"}, {"postal_code", "12345"},
            {"country", "US"}}},
          {"payment", {{"token", token}}}};
}

Response CheckoutTest::Checkout(const GuestCart& cart, const std::string& token, const std::string& key) {
  return PostOnce("/v1/carts/" + cart.id + "/checkout", CheckoutBody(token), "", key, {{"X-Cart-Token", cart.token}});
}

json CheckoutTest::Level(const std::string& sku) {
  auto level = inventory().GetLevel(sku);
  EXPECT_TRUE(level.ok());
  if (!level.ok()) return json::object();
  return {{"on_hand", level->on_hand}, {"reserved", level->reserved}, {"available", level->available}};
}

std::int64_t CheckoutTest::Captures(const std::string& order_id) { return payments::CountCaptures(db(), order_id); }

std::int64_t CheckoutTest::CountRows(const std::string& sql) {
  auto tx = db().Begin(store::TxMode::kRead);
  auto rows = tx->Query(sql);
  return rows->Next() ? rows->Int(0) : -1;
}

}  // namespace ecom::daemon::testing
