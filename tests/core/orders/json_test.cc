// The direct writers of carts, orders and payments must give the bytes the
// nlohmann documents give, for every shape: optional members present and
// absent, strings that need escaping, several lines.
#include "ecom/orders/json.h"

#include <gtest/gtest.h>

#include <string>

namespace ecom::orders {
namespace {

// Quotes, a backslash, control characters, a slash and non-ASCII text.
const std::string kAwkward = "Caf\xc3\xa9 \"Le Mans\" \\ a/b \t\n\r\b\f \x01\x1f end";

template <typename T>
std::string Direct(const T& v) {
  std::string out = "prefix:";  // appends, never replaces
  AppendJson(out, v);
  return out;
}

template <typename T>
void ExpectSame(const T& v, const std::string& what) {
  EXPECT_EQ(Direct(v), "prefix:" + ToJson(v).dump()) << what;
}

Cart SomeCart() {
  Cart c;
  c.id = "cart_01";
  c.status = "open";
  c.currency = "USD";
  c.version = 7;
  c.created_at = "2026-11-28T01:00:00.000000Z";
  c.updated_at = "2026-11-28T01:05:00.000000Z";
  c.expires_at = "2026-12-12T01:05:00.000000Z";
  CartLine a;
  a.variant_id = "var_a";
  a.sku = "MUG-1";
  a.product_id = "prod_a";
  a.title = kAwkward;
  a.variant_title = "Red / M";
  a.quantity = 2;
  a.unit_price = 1200;
  a.catalog_price = 1300;
  a.price_changed = true;
  a.subtotal = 2400;
  a.tax = 191;
  a.available = 8;
  CartLine b = a;
  b.variant_id = "var_b";
  b.sku.reset();
  b.title = "Tee";
  b.variant_title = "";
  b.price_changed = false;
  b.requires_shipping = false;
  b.purchasable = false;
  b.available = std::int64_t{1} << 40;
  c.lines = {a, b};
  c.totals = {4800, 500, 382, 5682, true};
  return c;
}

Order SomeOrder() {
  Order o;
  o.id = "ord_01";
  o.number = 1042;
  o.cart_id = "cart_01";
  o.email = "ann@example.com";
  o.status = OrderStatus::kShipped;
  o.payment_status = PaymentStatus::kPartiallyRefunded;
  o.stock_state = "sold";
  o.currency = "EUR";
  o.totals = {4900, 0, 782, 4900, true};
  o.amount_captured = 4900;
  o.amount_refunded = 1000;
  o.shipping_method = "standard";
  o.shipping_method_name = kAwkward;
  o.shipping_address = {"Ann \"A\" Example", "1 Main St", "", "Springfield", "NY", "10001", "US", "+1 555"};
  o.billing_address = o.shipping_address;
  o.billing_address.line2 = "Apt 4";
  o.payment_due_at = "2026-11-28T01:30:00.000000Z";
  o.version = 5;
  o.created_at = "2026-11-28T01:00:00.000000Z";
  o.updated_at = "2026-11-28T02:00:00.000000Z";
  OrderLine l;
  l.line_no = 1;
  l.variant_id = "var_a";
  l.product_id = "prod_a";
  l.sku = "MUG-1";
  l.title = "Mug";
  l.variant_title = "Blue";
  l.quantity = 2;
  l.unit_price = 1200;
  l.subtotal = 2400;
  l.tax = 383;
  l.tax_rate_ppm = 190000;
  l.currency = "EUR";
  l.restocked_quantity = 1;
  OrderLine m = l;
  m.line_no = 2;
  m.sku.reset();
  m.tax_rate_ppm = 88750;
  m.requires_shipping = false;
  o.lines = {l, m};
  return o;
}

TEST(OrderJsonTest, CartsAreWrittenAsTheirDocument) {
  Cart c = SomeCart();
  ExpectSame(c, "two lines, nothing optional");
  c.customer_id = "cus_1";
  c.order_id = "ord_1";
  c.shipping_method = "express";
  c.status = "ordered";
  ExpectSame(c, "every optional member");
  c.lines.clear();
  ExpectSame(c, "no lines");
}

TEST(OrderJsonTest, OrdersAreWrittenAsTheirDocument) {
  Order o = SomeOrder();
  ExpectSame(o, "guest order, no shipment");
  o.customer_id = "cus_1";
  o.carrier = "UPS";
  ExpectSame(o, "shipped without tracking");
  o.tracking_number = "1Z999";
  o.tracking_url = "https://example.com/t?n=1Z999&x=\"y\"";
  o.payment_failure = "card_declined";
  o.cancel_reason = kAwkward;
  ExpectSame(o, "every optional member");
  o.lines.clear();
  ExpectSame(o, "no lines");
}

TEST(OrderJsonTest, PaymentsAreWrittenAsTheirDocument) {
  Payment p;
  p.id = "pay_1";
  p.order_id = "ord_1";
  p.gateway = "test";
  p.status = "pending";
  p.amount = {4900, "USD"};
  p.created_at = p.updated_at = "2026-11-28T01:00:00.000000Z";
  ExpectSame(p, "pending: no card, reference or failure");
  p.status = "failed";
  p.failure_code = "card_declined";
  p.failure_message = kAwkward;
  ExpectSame(p, "declined");
  p.status = "captured";
  p.failure_code.reset();
  p.failure_message.reset();
  p.brand = "visa";
  p.last4 = "4242";
  p.reference = "ch_1";
  p.captured_at = "2026-11-28T01:00:01.000000Z";
  p.amount_refunded = 900;
  ExpectSame(p, "captured");
  p.brand.clear();
  ExpectSame(p, "a card with only its last four");
}

}  // namespace
}  // namespace ecom::orders
