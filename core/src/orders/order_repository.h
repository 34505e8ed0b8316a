// The SQL that reads orders, payments and refunds (private to the domain).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ecom/orders/order_service.h"
#include "ecom/orders/types.h"
#include "ecom/store/database.h"

namespace ecom::orders {

// A payment as stored: details still sealed.
struct PaymentRow {
  Payment payment;
  std::optional<std::string> details;
};

struct RefundRow {
  Refund refund;
  std::optional<std::string> details;
};

std::optional<Order> ReadOrder(store::Transaction& tx, std::string_view order_id, bool with_lines);
// Reads the order with its lines for a change in a write transaction,
// locking its row on PostgreSQL (held to commit). On SQLite it is a plain
// read: the write transaction already holds the store's only write lock.
std::optional<Order> LockOrder(store::Transaction& tx, std::string_view order_id);
// A payment with its order, locked as LockOrder locks it, in one round
// trip. The payment is read after the lock, so it shows what every earlier
// holder of the lock recorded. nullopt if there is no such payment.
struct LockedPayment {
  Order order;
  PaymentRow payment;
};
std::optional<LockedPayment> LockOrderOfPayment(store::Transaction& tx, std::string_view payment_id);
// All of an order's lines, in one statement.
void InsertOrderLines(store::Transaction& tx, std::string_view order_id, const std::vector<OrderLine>& lines);
std::optional<PaymentRow> ReadPaymentRow(store::Transaction& tx, std::string_view payment_id);
std::vector<PaymentRow> ReadPaymentRows(store::Transaction& tx, std::string_view order_id);  // oldest first
std::optional<RefundRow> ReadRefundRow(store::Transaction& tx, std::string_view refund_id);
std::vector<RefundRow> ReadRefundRows(store::Transaction& tx, std::string_view order_id);
std::vector<std::pair<std::string, std::int64_t>> ReadReservations(store::Transaction& tx, std::string_view order_id);
std::vector<TimelineEntry> ReadTimeline(store::Transaction& tx, std::string_view order_id);
Result<OrderPage> ListOrders(store::Transaction& tx, const OrderFilter& filter, int limit, std::string_view cursor);

}  // namespace ecom::orders
