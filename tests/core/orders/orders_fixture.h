// Carts, checkout and orders on a fresh store (SQLite and PostgreSQL), with
// a hand-moved clock, the built-in test gateway and helpers that keep each
// test a short story.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ecom/catalog/catalog_service.h"
#include "ecom/common/config.h"
#include "ecom/events/outbox.h"
#include "ecom/inventory/inventory_service.h"
#include "ecom/orders/cart_service.h"
#include "ecom/orders/order_service.h"
#include "ecom/orders/pricing.h"
#include "ecom/payments/vault.h"
#include "ecom/payments/webhook_signature.h"
#include "ecom/store/idempotency.h"
#include "payments/test/test_gateway.h"
#include "support/test_store.h"

namespace ecom::orders {

inline std::string Describe(const Error& e) {
  std::string out = std::string(ToString(e.code)) + " " + e.reason + ": " + e.message;
  for (const auto& f : e.fields) out += " [" + f.field + ": " + f.message + "]";
  return out;
}

template <typename T>
std::string Describe(const Result<T>& r) {
  return r.ok() ? "ok" : Describe(r.error());
}

inline payments::PaymentVault TestVault() {
  return payments::PaymentVault::FromSpec("1:" + std::string(64, 'a')).value();
}

// How MakeProduct makes a product.
struct ProductOptions {
  bool requires_shipping = true;
  bool taxable = true;
  catalog::ProductStatus status = catalog::ProductStatus::kActive;
  catalog::InventoryPolicy policy = catalog::InventoryPolicy::kDeny;
  bool tracked = true;
};

class OrdersTest : public ::testing::TestWithParam<std::string> {
 protected:
  static constexpr const char* kSecret = "whsec_orders_test";

  // ---- catalog and stock ----

  // A single-variant product with SKU `sku`, stocked with `stock` through
  // InventoryService. Returns the variant id.
  std::string MakeProduct(const std::string& sku, std::int64_t price, std::int64_t stock,
                          ProductOptions o = {}) {
    catalog::ProductInput p;
    std::string handle;
    for (char c : sku) handle += static_cast<char>(c == '_' ? '-' : std::tolower(static_cast<unsigned char>(c)));
    p.handle = handle;
    p.title = "Product " + sku;
    p.status = o.status;
    catalog::VariantInput v;
    v.sku = sku;
    v.price = price;
    v.requires_shipping = o.requires_shipping;
    v.taxable = o.taxable;
    v.inventory_policy = o.policy;
    v.inventory_tracked = o.tracked;
    p.variants.push_back(v);
    auto r = catalog_.CreateProduct(p, actor_);
    EXPECT_TRUE(r.ok()) << Describe(r);
    if (!r.ok()) return "";
    if (stock != 0) {
      auto s = inventory_.Adjust({sku, stock, inventory::StockReason::kReceived, "PO-" + sku, ""}, actor_);
      EXPECT_TRUE(s.ok()) << Describe(s);
    }
    return r->variants.at(0).id;
  }

  inventory::StockLevel Level(const std::string& sku) {
    auto r = inventory_.GetLevel(sku);
    EXPECT_TRUE(r.ok()) << Describe(r);
    return r.ok() ? *r : inventory::StockLevel{};
  }

  void SetPrice(const std::string& sku, std::int64_t price) {
    catalog::VariantPatch patch;
    patch.price = price;
    auto r = catalog_.UpdateVariant(sku, patch, actor_);
    ASSERT_TRUE(r.ok()) << Describe(r);
  }

  // ---- customers ----

  std::string MakeCustomer(const std::string& name) {
    std::string id = ids_->Next("cus");
    std::string now = FormatTime(clock_->Now());
    std::string email = name + "@example.com";
    auto tx = db_->Begin(store::TxMode::kWrite);
    tx->Exec("INSERT INTO customers (id, email, email_key, name, status, created_at, updated_at) "
             "VALUES ($1, $2, $3, $4, 'active', $5, $5)",
             {std::string_view(id), std::string_view(email), std::string_view(email), std::string_view(name),
              std::string_view(now)});
    tx->Commit();
    return id;
  }

  // ---- carts ----

  CartHolder Holder(const std::string& customer_id) { return CartHolder{customer_id, ""}; }
  // The guest holding `cart`'s token.
  static CartHolder GuestHolder(const NewCart& cart) { return CartHolder{"", cart.token.value_or("")}; }

  std::string NewCustomerCart(const std::string& customer_id) {
    auto r = carts_.Create(customer_id, "");
    EXPECT_TRUE(r.ok()) << Describe(r);
    return r.ok() ? r->cart.id : "";
  }

  void Add(const std::string& cart_id, const CartHolder& holder, const std::string& sku, std::int64_t q) {
    auto r = carts_.AddItem(cart_id, holder, sku, q);
    ASSERT_TRUE(r.ok()) << Describe(r);
  }

  // ---- checkout ----

  static Address Addr(const std::string& country = "US", const std::string& region = "NY") {
    Address a;
    a.name = "Ann Example";
    a.line1 = "1 Main Street";
    a.city = "Springfield";
    a.region = region;
    a.postal_code = "10001";
    a.country = country;
    return a;
  }

  static CheckoutInput Input(const std::string& token, const std::string& country = "US",
                             const std::string& region = "NY", const std::string& method = "") {
    CheckoutInput in;
    in.email = "ann@example.com";
    in.shipping_address = Addr(country, region);
    in.shipping_method = method;
    in.payment_token = token;
    return in;
  }

  static store::IdempotencyRequest Key(const std::string& scope, const std::string& key,
                                       const std::string& fingerprint = "") {
    return {scope, key, fingerprint.empty() ? "fp-" + key : fingerprint};
  }

  // A fresh key in the customer's scope.
  store::IdempotencyRequest FreshKey(const std::string& customer_id) {
    return Key("customer:" + customer_id, ids_->Next("idk"));
  }

  Result<OrderOutcome> CheckoutCart(const std::string& cart_id, const std::string& customer_id,
                                    const std::string& token, const store::IdempotencyRequest& key) {
    return orders_.Checkout(cart_id, Holder(customer_id), Input(token), key, actor_);
  }

  // A customer cart with `q` of `sku`, checked out with `token`. Returns the
  // order (check outcome errors in the caller when needed).
  Order PlaceOrder(const std::string& customer_id, const std::string& sku, std::int64_t q,
                   const std::string& token = "tok_visa") {
    std::string cart = NewCustomerCart(customer_id);
    auto added = carts_.AddItem(cart, Holder(customer_id), sku, q);
    EXPECT_TRUE(added.ok()) << Describe(added);
    auto r = CheckoutCart(cart, customer_id, token, FreshKey(customer_id));
    EXPECT_TRUE(r.ok()) << Describe(r);
    if (!r.ok() || !r->order) return Order{};
    return *r->order;
  }

  Order GetOrder(const std::string& id) {
    auto r = orders_.Get(id, Staff());
    EXPECT_TRUE(r.ok()) << Describe(r);
    return r.ok() ? *r : Order{};
  }

  static OrderReader Staff() { return OrderReader{"", false, true}; }

  // ---- store inspection ----

  std::int64_t Count(const std::string& sql, const std::vector<std::string>& params = {}) {
    auto tx = db_->Begin(store::TxMode::kRead);
    std::vector<store::Value> values;
    for (const auto& p : params) values.push_back(std::string_view(p));
    auto rows = tx->Query(sql, values);
    rows->Next();
    return rows->Int(0);
  }

  std::int64_t ReservedFor(const std::string& order_id) {
    return Count("SELECT COALESCE(SUM(quantity), 0) FROM reservations WHERE order_id = $1", {order_id});
  }

  std::int64_t GatewayRefunded(const std::string& order_id) {
    return Count("SELECT COALESCE(SUM(refunded), 0) FROM test_gateway_charges WHERE order_id = $1", {order_id});
  }

  std::vector<events::Event> Events(const std::string& type, const std::string& aggregate_id = "") {
    auto tx = db_->Begin(store::TxMode::kRead);
    std::vector<events::Event> out;
    for (auto& e : events::ReadUnpublished(*tx, 10000))
      if (e.type == type && (aggregate_id.empty() || e.aggregate_id == aggregate_id)) out.push_back(std::move(e));
    return out;
  }

  std::int64_t UnixNow() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_->Now().time_since_epoch()).count();
  }

  // A webhook the test gateway would send about `payment_id`, signed now.
  Result<bool> DeliverWebhook(const std::string& event_id, const std::string& payment_id, bool succeeded) {
    std::string body = payments::ConfirmationWebhookBody(event_id, payment_id, succeeded);
    return orders_.HandleWebhook("test", payments::SignWebhook(body, kSecret, UnixNow()), body);
  }

  std::shared_ptr<payments::TestGateway> MakeGateway() {
    return std::make_shared<payments::TestGateway>(*db_, kSecret, clock_, ids_);
  }

  Gateways MakeGateways() {
    Gateways g;
    g.Add(MakeGateway());
    return g;
  }

  testing::TestStore store_{GetParam()};
  std::unique_ptr<store::Database> db_ = store_.OpenMigrated(8);
  std::shared_ptr<testing::FakeClock> clock_ = std::make_shared<testing::FakeClock>();
  std::shared_ptr<IdGenerator> ids_ = MakeIdGenerator(clock_);
  Config config_;
  catalog::CatalogService catalog_{*db_, clock_, ids_, "USD"};
  inventory::InventoryService inventory_{*db_, clock_, ids_};
  PricingSettings pricing_{*db_, clock_, config_};
  CartService carts_{*db_, clock_, ids_, pricing_, CartOptions{}};
  payments::PaymentVault vault_ = TestVault();
  Gateways gateways_ = MakeGateways();
  OrderOptions order_options_;
  OrderService orders_{*db_, clock_, ids_, carts_, pricing_, gateways_, vault_, order_options_};
  Actor actor_{"test"};
};

#define ECOM_ORDERS_INSTANTIATE(suite)                                                        \
  INSTANTIATE_TEST_SUITE_P(Stores, suite, ::testing::ValuesIn(::ecom::testing::StoreKinds()), \
                           [](const auto& info) { return info.param; })

}  // namespace ecom::orders
