// Carts, orders, payments and refunds as the rest of the engine sees them,
// and the two order state machines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecom/common/money.h"
#include "ecom/common/result.h"

namespace ecom::orders {

struct Address {
  std::string name;
  std::string line1;
  std::string line2;
  std::string city;
  std::string region;       // state or province code (NY, BY); may be empty
  std::string postal_code;
  std::string country;      // ISO 3166-1 alpha-2, upper case
  std::string phone;
};

// ---- Carts ----------------------------------------------------------------

struct CartLine {
  std::string variant_id;
  std::optional<std::string> sku;
  std::string product_id;
  std::string title;          // the product's
  std::string variant_title;  // "Red / M", "" for a single-variant product
  std::int64_t quantity = 0;
  std::int64_t unit_price = 0;            // what the customer was shown
  std::int64_t catalog_price = 0;         // the catalog's price now
  bool price_changed = false;             // unit_price != catalog_price
  std::int64_t subtotal = 0;              // unit_price * quantity
  std::int64_t tax = 0;
  bool requires_shipping = true;
  bool taxable = true;
  std::int64_t available = 0;             // for the storefront: how many can be bought now
  bool tracked = true;                    // stock is counted (and held at checkout)
  bool purchasable = true;                // product active and variant present
  std::string added_at;                   // when the line was first added; lines are in this order
};

// Totals in minor units of the cart's currency.
struct Totals {
  std::int64_t subtotal = 0;
  std::int64_t shipping = 0;
  std::int64_t tax = 0;
  std::int64_t grand_total = 0;
  bool taxes_included = false;  // tax is part of subtotal/shipping (inclusive rate)
};

struct Cart {
  std::string id;
  std::optional<std::string> customer_id;
  std::string currency;
  std::string status;  // open, merged, ordered, expired
  std::vector<CartLine> lines;
  Totals totals;
  std::optional<std::string> shipping_method;  // the method the totals assume
  std::optional<std::string> order_id;
  std::int64_t version = 1;
  std::string created_at;
  std::string updated_at;
  std::string expires_at;
};

// ---- Orders ---------------------------------------------------------------

enum class OrderStatus { kPending, kConfirmed, kFulfilled, kShipped, kDelivered, kCancelled };
enum class PaymentStatus { kPending, kPaid, kFailed, kPartiallyRefunded, kRefunded };

const char* ToString(OrderStatus s);
const char* ToString(PaymentStatus s);
std::optional<OrderStatus> ParseOrderStatus(std::string_view s);
std::optional<PaymentStatus> ParsePaymentStatus(std::string_view s);

// The one transition table of each state field. A change not listed is
// refused with kFailedPrecondition `invalid_transition`, naming the current state.
bool CanTransition(OrderStatus from, OrderStatus to);
bool CanTransition(PaymentStatus from, PaymentStatus to);
Status CheckTransition(OrderStatus from, OrderStatus to);
Status CheckTransition(PaymentStatus from, PaymentStatus to);

struct OrderLine {
  int line_no = 0;
  std::string variant_id;
  std::string product_id;
  std::optional<std::string> sku;
  std::string title;
  std::string variant_title;
  std::int64_t quantity = 0;
  std::int64_t unit_price = 0;
  std::int64_t subtotal = 0;
  std::int64_t tax = 0;
  std::int64_t tax_rate_ppm = 0;
  std::string currency;
  bool requires_shipping = true;
  bool taxable = true;
  bool tracked = true;
  std::int64_t restocked_quantity = 0;
};

struct TimelineEntry {
  std::string id;
  std::string kind;     // placed, payment_captured, cancelled, shipped, ...
  std::string detail;   // JSON object
  std::string actor;
  std::string created_at;
};

struct Order {
  std::string id;
  std::int64_t number = 0;
  std::string cart_id;
  std::optional<std::string> customer_id;
  std::string email;
  OrderStatus status = OrderStatus::kPending;
  PaymentStatus payment_status = PaymentStatus::kPending;
  std::string stock_state;  // reserved, released, sold
  std::string currency;
  Totals totals;
  std::int64_t amount_captured = 0;
  std::int64_t amount_refunded = 0;
  std::string shipping_method;
  std::string shipping_method_name;
  Address shipping_address;
  Address billing_address;
  std::optional<std::string> carrier;
  std::optional<std::string> tracking_number;
  std::optional<std::string> tracking_url;
  std::optional<std::string> payment_failure;  // the last decline's code
  std::optional<std::string> cancel_reason;
  std::string payment_due_at;
  std::int64_t version = 1;
  std::string created_at;
  std::string updated_at;
  std::vector<OrderLine> lines;
};

// ---- Payments -------------------------------------------------------------

struct Payment {
  std::string id;  // pay_...; also the idempotency key the gateway sees
  std::string order_id;
  std::string gateway;
  std::string status;  // pending, requires_confirmation, captured, failed, unknown
  Money amount;
  std::int64_t amount_refunded = 0;
  std::string brand;
  std::string last4;
  std::string reference;  // the gateway's charge id
  std::optional<std::string> failure_code;
  std::optional<std::string> failure_message;
  std::string created_at;
  std::string updated_at;
  std::optional<std::string> captured_at;
};

struct Refund {
  std::string id;  // rfd_...
  std::string order_id;
  std::string payment_id;
  Money amount;
  std::string reason;
  std::string status;  // pending, succeeded, failed
  std::string reference;
  std::string actor;
  std::string created_at;
};

}  // namespace ecom::orders
