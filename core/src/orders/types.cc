#include "ecom/orders/types.h"

#include <array>
#include <utility>

namespace ecom::orders {
namespace {

using O = OrderStatus;
using P = PaymentStatus;

// status: pending -> confirmed -> fulfilled -> shipped -> delivered, and
// cancelled from any state before shipping. cancelled -> confirmed only
// reinstates an order whose payment landed after it was cancelled.
constexpr std::array<std::pair<O, O>, 9> kOrderTransitions{{
    {O::kPending, O::kConfirmed},
    {O::kPending, O::kCancelled},
    {O::kConfirmed, O::kFulfilled},
    {O::kConfirmed, O::kCancelled},
    {O::kFulfilled, O::kShipped},
    {O::kFulfilled, O::kCancelled},
    {O::kShipped, O::kDelivered},
    {O::kCancelled, O::kConfirmed},
    {O::kConfirmed, O::kShipped},  // ship marks unfulfilled lines fulfilled in the same step
}};

// payment_status: pending -> paid | failed; failed -> paid (a retry with
// another method) | pending (a retry awaiting confirmation); paid ->
// partially_refunded -> refunded.
constexpr std::array<std::pair<P, P>, 8> kPaymentTransitions{{
    {P::kPending, P::kPaid},
    {P::kPending, P::kFailed},
    {P::kFailed, P::kPaid},
    {P::kFailed, P::kPending},
    {P::kPaid, P::kPartiallyRefunded},
    {P::kPaid, P::kRefunded},
    {P::kPartiallyRefunded, P::kPartiallyRefunded},
    {P::kPartiallyRefunded, P::kRefunded},
}};

}  // namespace

const char* ToString(OrderStatus s) {
  switch (s) {
    case O::kPending: return "pending";
    case O::kConfirmed: return "confirmed";
    case O::kFulfilled: return "fulfilled";
    case O::kShipped: return "shipped";
    case O::kDelivered: return "delivered";
    case O::kCancelled: return "cancelled";
  }
  return "pending";
}

const char* ToString(PaymentStatus s) {
  switch (s) {
    case P::kPending: return "pending";
    case P::kPaid: return "paid";
    case P::kFailed: return "failed";
    case P::kPartiallyRefunded: return "partially_refunded";
    case P::kRefunded: return "refunded";
  }
  return "pending";
}

std::optional<OrderStatus> ParseOrderStatus(std::string_view s) {
  for (O o : {O::kPending, O::kConfirmed, O::kFulfilled, O::kShipped, O::kDelivered, O::kCancelled})
    if (s == ToString(o)) return o;
  return std::nullopt;
}

std::optional<PaymentStatus> ParsePaymentStatus(std::string_view s) {
  for (P p : {P::kPending, P::kPaid, P::kFailed, P::kPartiallyRefunded, P::kRefunded})
    if (s == ToString(p)) return p;
  return std::nullopt;
}

bool CanTransition(OrderStatus from, OrderStatus to) {
  for (auto [a, b] : kOrderTransitions)
    if (a == from && b == to) return true;
  return false;
}

bool CanTransition(PaymentStatus from, PaymentStatus to) {
  for (auto [a, b] : kPaymentTransitions)
    if (a == from && b == to) return true;
  return false;
}

Status CheckTransition(OrderStatus from, OrderStatus to) {
  if (CanTransition(from, to)) return Ok();
  Error e = Error::Precondition("invalid_transition", std::string("the order is ") + ToString(from) +
                                                          " and cannot become " + ToString(to));
  e.fields.push_back({"status", ToString(from)});
  return e;
}

Status CheckTransition(PaymentStatus from, PaymentStatus to) {
  if (CanTransition(from, to)) return Ok();
  Error e = Error::Precondition("invalid_transition", std::string("the payment status is ") +
                                                          ToString(from) + " and cannot become " + ToString(to));
  e.fields.push_back({"payment_status", ToString(from)});
  return e;
}

}  // namespace ecom::orders
