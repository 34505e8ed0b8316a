// HTTP handlers for carts and checkout (/v1/carts).
#pragma once

#include <memory>

#include "daemon/call.h"
#include "ecom/auth/customer_service.h"
#include "ecom/orders/cart_service.h"
#include "ecom/orders/order_service.h"

namespace ecom::daemon {

// Thread-safe.
class CartHandler {
 public:
  CartHandler(orders::CartService& carts, orders::OrderService& orders, auth::CustomerService& customers,
              store::Database& db, std::shared_ptr<Clock> clock)
      : carts_(carts), orders_(orders), customers_(customers), db_(db), clock_(std::move(clock)) {}

  // {"currency"?} -> 201 {"cart", "token"?}: a customer's cart, or a guest's
  // with the token to send as X-Cart-Token.
  Reply Create(const Call& call);
  // ?country=&region=&shipping_method= price shipping and tax.
  Reply Get(const Call& call);
  // {"sku", "quantity"} (sku: a SKU or variant id) -> 201 cart.
  Reply AddItem(const Call& call);
  // {"quantity"} -> cart (0 removes the line).
  Reply UpdateItem(const Call& call);
  Reply RemoveItem(const Call& call);
  // Idempotency-Key; {"email"?, "shipping_address", "billing_address"?,
  // "shipping_method"?, "payment": {"token", "gateway"?}} -> 201 {"order",
  // "payment"}; a declined payment is 402 with the order.
  Reply Checkout(const Call& call);

 private:
  orders::CartService& carts_;
  orders::OrderService& orders_;
  auth::CustomerService& customers_;
  store::Database& db_;
  std::shared_ptr<Clock> clock_;
};

// Who is acting on a cart or order, from the request's credentials.
orders::CartHolder HolderOf(const Call& call);
orders::OrderReader ReaderOf(const Call& call);

// The reply of a payment attempt: 201 {"order","payment"}, or 402 problem
// `payment_declined` carrying both when the gateway declined.
Reply PaymentReply(const orders::OrderOutcome& outcome);

}  // namespace ecom::daemon
