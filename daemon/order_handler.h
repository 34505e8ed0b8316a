// HTTP handlers for orders, their payments and refunds, and gateway
// webhooks (/v1/orders, /v1/me/orders, /v1/payments, /v1/webhooks).
#pragma once

#include <memory>

#include "daemon/call.h"
#include "ecom/orders/order_service.h"

namespace ecom::daemon {

// Thread-safe.
class OrderHandler {
 public:
  OrderHandler(orders::OrderService& orders, store::Database& db, std::shared_ptr<Clock> clock)
      : orders_(orders), db_(db), clock_(std::move(clock)) {}

  // Staff: ?status=&payment_status=&customer_id=&created_from=&created_to=
  // &min_total=&max_total=&limit=&cursor= -> {items, next_cursor}, newest first.
  Reply List(const Call& call);
  // The signed-in customer's own orders.
  Reply ListMine(const Call& call);
  // The order with its lines and timeline.
  Reply Get(const Call& call);
  Reply ListPayments(const Call& call);
  // Idempotency-Key; {"token", "gateway"?} -> 201 {"order","payment"} or 402.
  Reply Pay(const Call& call);
  // Idempotency-Key; {"reason"?} -> {"order","refund"?}.
  Reply Cancel(const Call& call);
  Reply Fulfil(const Call& call);
  // {"carrier","tracking_number","tracking_url"?}
  Reply Ship(const Call& call);
  Reply Deliver(const Call& call);
  // Idempotency-Key; {"amount"?, "reason"?, "restock"?: [{"sku","quantity"}]}
  // -> 201 {"refund","order"}.
  Reply Refund(const Call& call);
  Reply ListRefunds(const Call& call);
  Reply GetPayment(const Call& call);
  // A gateway's signed event -> 200 {"received": true, "duplicate": bool}.
  Reply Webhook(const Call& call);

 private:
  orders::OrderService& orders_;
  store::Database& db_;
  std::shared_ptr<Clock> clock_;
};

}  // namespace ecom::daemon
