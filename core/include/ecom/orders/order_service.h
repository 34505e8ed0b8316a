// Checkout, payment, and everything that happens to an order afterwards.
//
// The guarantees, and where they come from:
// - No oversell: checkout reserves every line with one conditional update
//   per variant, all in the transaction that creates the order; one line
//   short and nothing is held.
// - No double charge: every charge carries the payment's id as the gateway's
//   idempotency key, and one completion path (ApplyCharge) records a capture,
//   guarded by a conditional update on the payment row. The client's answer,
//   the gateway's webhook and the background reconciler all go through it.
// - Nothing lost: the order, its reservation and the payment attempt commit
//   together before the gateway is called; no transaction is open across a
//   gateway call, and whatever a crash interrupts is finished by asking the
//   gateway (Sweep).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecom/common/actor.h"
#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/orders/cart_service.h"
#include "ecom/orders/pricing.h"
#include "ecom/orders/types.h"
#include "ecom/payments/gateway.h"
#include "ecom/payments/vault.h"
#include "ecom/store/database.h"
#include "ecom/store/idempotency.h"

namespace ecom::orders {

// The gateways checkout may use, by name; the first is the default.
class Gateways {
 public:
  void Add(std::shared_ptr<payments::PaymentGateway> gateway);
  payments::PaymentGateway* Find(std::string_view name) const;
  const std::string& default_name() const { return default_; }

 private:
  std::vector<std::shared_ptr<payments::PaymentGateway>> gateways_;
  std::string default_;
};

struct CheckoutInput {
  std::string email;
  Address shipping_address;
  std::optional<Address> billing_address;  // nullopt: the shipping address
  std::string shipping_method;             // "" : standard
  std::string payment_token;
  std::string gateway;                     // "" : the default gateway
};

// Who reads an order: its customer, the guest holding its cart token, or staff.
struct OrderReader {
  std::string customer_id;
  bool token_verified = false;
  bool staff = false;
};

// What a use case guarded by an Idempotency-Key did. When claim.kind is
// kReplay, kInProgress or kMismatch nothing ran and the rest is unset.
struct OrderOutcome {
  store::IdempotencyClaim claim;
  std::optional<Order> order;
  std::optional<Payment> payment;  // the payment attempt of checkout or Pay
  std::optional<Refund> refund;    // Refund
  // Checkout and Pay: the Responder's answer was stored with the charge's
  // outcome, in the same commit; the caller must not store another.
  bool response_stored = false;
};

// Renders the final answer of a request from its outcome, for the
// Idempotency-Key record (nullopt: an answer that is not kept).
using Responder = std::function<std::optional<store::StoredResponse>(const OrderOutcome&)>;

struct ShipmentInput {
  std::string carrier;
  std::string tracking_number;
  std::string tracking_url;
};

struct RestockLine {
  std::string sku_or_id;
  std::int64_t quantity = 0;
};

struct RefundInput {
  std::optional<std::int64_t> amount;  // nullopt: everything not yet refunded
  std::string reason;
  std::vector<RestockLine> restock;
};

struct OrderFilter {
  std::optional<OrderStatus> status;
  std::optional<PaymentStatus> payment_status;
  std::string customer_id;
  std::string created_from;  // RFC 3339, inclusive
  std::string created_to;    // RFC 3339, exclusive
  std::optional<std::int64_t> min_total;
  std::optional<std::int64_t> max_total;
};

struct OrderPage {
  std::vector<Order> items;  // newest first, without lines
  std::optional<std::string> next_cursor;
};

struct SweepReport {
  int payments_settled = 0;
  int refunds_settled = 0;
  int orders_expired = 0;
  int carts_expired = 0;
};

struct OrderOptions {
  std::chrono::seconds payment_timeout{1800};
  // A payment or refund untouched this long is presumed abandoned by a
  // process that died, and settled by asking the gateway.
  std::chrono::seconds settle_after{60};
};

// Thread-safe.
class OrderService {
 public:
  OrderService(store::Database& db, std::shared_ptr<Clock> clock, std::shared_ptr<IdGenerator> ids,
               CartService& carts, const PricingSettings& pricing, const Gateways& gateways,
               const payments::PaymentVault& vault, OrderOptions options);

  // Places an order from the cart and charges it. Errors before the order
  // exists (a closed cart, a changed price, stock that ran out) leave
  // nothing behind. After: a decline is an outcome (payment failed), not an
  // error.
  // `respond`, when given, renders the answer that the charge's completion
  // stores under the idempotency key in its own transaction (see
  // OrderOutcome::response_stored), saving the caller a commit of its own.
  Result<OrderOutcome> Checkout(std::string_view cart_id, const CartHolder& holder, const CheckoutInput& input,
                                const store::IdempotencyRequest& idempotency, const Actor& actor,
                                const Responder& respond = {});
  // Another payment attempt for an unpaid order.
  Result<OrderOutcome> Pay(std::string_view order_id, const OrderReader& reader, std::string_view token,
                           std::string_view gateway, const store::IdempotencyRequest& idempotency,
                           const Actor& actor, const Responder& respond = {});

  Result<Order> Get(std::string_view order_id, const OrderReader& reader);
  Result<OrderPage> List(const OrderFilter& filter, int limit, std::string_view cursor);
  Result<std::vector<TimelineEntry>> Timeline(std::string_view order_id, const OrderReader& reader);
  Result<std::vector<Payment>> Payments(std::string_view order_id, const OrderReader& reader);
  Result<std::vector<Refund>> Refunds(std::string_view order_id);
  Result<Payment> GetPayment(std::string_view payment_id);

  Result<OrderOutcome> Cancel(std::string_view order_id, std::string_view reason,
                              const store::IdempotencyRequest& idempotency, const Actor& actor);
  Result<Order> Fulfil(std::string_view order_id, const Actor& actor);
  Result<Order> Ship(std::string_view order_id, const ShipmentInput& shipment, const Actor& actor);
  Result<Order> Deliver(std::string_view order_id, const Actor& actor);
  Result<OrderOutcome> IssueRefund(std::string_view order_id, const RefundInput& input,
                              const store::IdempotencyRequest& idempotency, const Actor& actor);

  // A gateway's webhook: verified and read by the gateway, deduplicated by
  // event id, applied through the one completion path. Returns false for a
  // duplicate event.
  Result<bool> HandleWebhook(std::string_view gateway, std::string_view signature, std::string_view body);

  // Settles payments and refunds that a dead process left unsettled, cancels
  // orders unpaid past their time (after asking the gateway), expires idle
  // carts. Safe to run on every replica at once.
  SweepReport Sweep();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace ecom::orders
