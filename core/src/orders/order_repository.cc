#include "orders/order_repository.h"

#include <nlohmann/json.hpp>

#include "ecom/orders/json.h"
#include "store/insert_sql.h"

namespace ecom::orders {
namespace {

const std::string kOrderFields =
    "id, number, cart_id, customer_id, email, status, payment_status, stock_state, currency, subtotal, "
    "shipping_total, tax_total, grand_total, taxes_included, amount_captured, amount_refunded, shipping_method, "
    "shipping_method_name, shipping_address, billing_address, carrier, tracking_number, tracking_url, "
    "payment_failure, cancel_reason, payment_due_at, version, created_at, updated_at";
const std::string kOrderColumns = "SELECT " + kOrderFields + " FROM orders ";
// Takes the order's row lock (a no-op update) and reads the row, in one statement.
const std::string kLockOrder = "UPDATE orders SET version = version WHERE id = $1 RETURNING " + kOrderFields;
// The same for the order a payment ($1) is for.
constexpr std::string_view kOrderOfPayment = "(SELECT order_id FROM payments WHERE id = $1)";
const std::string kLockOrderOfPayment =
    "UPDATE orders SET version = version WHERE id = " + std::string(kOrderOfPayment) + " RETURNING " + kOrderFields;
const std::string kLineColumns =
    "SELECT line_no, variant_id, product_id, sku, title, variant_title, quantity, unit_price, subtotal, tax, "
    "tax_rate_ppm, currency, requires_shipping, taxable, tracked, restocked_quantity FROM order_lines ";

Address ParseAddress(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  auto a = AddressFromJson(j, "address");
  return a ? *a : Address{};
}

Order ReadOrderRow(const store::Rows& r) {
  Order o;
  o.id = r.Text(0);
  o.number = r.Int(1);
  o.cart_id = r.Text(2);
  o.customer_id = r.OptText(3);
  o.email = r.Text(4);
  o.status = ParseOrderStatus(r.View(5)).value_or(OrderStatus::kPending);
  o.payment_status = ParsePaymentStatus(r.View(6)).value_or(PaymentStatus::kPending);
  o.stock_state = r.Text(7);
  o.currency = r.Text(8);
  o.totals = {r.Int(9), r.Int(10), r.Int(11), r.Int(12), r.Bool(13)};
  o.amount_captured = r.Int(14);
  o.amount_refunded = r.Int(15);
  o.shipping_method = r.Text(16);
  o.shipping_method_name = r.Text(17);
  o.shipping_address = ParseAddress(r.View(18));
  o.billing_address = ParseAddress(r.View(19));
  o.carrier = r.OptText(20);
  o.tracking_number = r.OptText(21);
  o.tracking_url = r.OptText(22);
  o.payment_failure = r.OptText(23);
  o.cancel_reason = r.OptText(24);
  o.payment_due_at = r.Text(25);
  o.version = r.Int(26);
  o.created_at = r.Text(27);
  o.updated_at = r.Text(28);
  return o;
}

constexpr std::string_view kPaymentColumns =
    "SELECT id, order_id, gateway, status, amount, currency, amount_refunded, failure_code, failure_message, "
    "created_at, updated_at, captured_at, details FROM payments ";

PaymentRow ReadPayment(const store::Rows& r) {
  PaymentRow row;
  Payment& p = row.payment;
  p.id = r.Text(0);
  p.order_id = r.Text(1);
  p.gateway = r.Text(2);
  p.status = r.Text(3);
  p.amount = {r.Int(4), r.Text(5)};
  p.amount_refunded = r.Int(6);
  p.failure_code = r.OptText(7);
  p.failure_message = r.OptText(8);
  p.created_at = r.Text(9);
  p.updated_at = r.Text(10);
  p.captured_at = r.OptText(11);
  row.details = r.OptText(12);
  return row;
}

constexpr std::string_view kRefundColumns =
    "SELECT id, order_id, payment_id, amount, currency, reason, status, actor, created_at, details FROM refunds ";

RefundRow ReadRefund(const store::Rows& r) {
  RefundRow row;
  Refund& f = row.refund;
  f.id = r.Text(0);
  f.order_id = r.Text(1);
  f.payment_id = r.Text(2);
  f.amount = {r.Int(3), r.Text(4)};
  f.reason = r.Text(5);
  f.status = r.Text(6);
  f.actor = r.Text(7);
  f.created_at = r.Text(8);
  row.details = r.OptText(9);
  return row;
}

}  // namespace

namespace {

OrderLine ReadOrderLine(const store::Rows& r) {
  OrderLine l;
  l.line_no = static_cast<int>(r.Int(0));
  l.variant_id = r.Text(1);
  l.product_id = r.Text(2);
  l.sku = r.OptText(3);
  l.title = r.Text(4);
  l.variant_title = r.Text(5);
  l.quantity = r.Int(6);
  l.unit_price = r.Int(7);
  l.subtotal = r.Int(8);
  l.tax = r.Int(9);
  l.tax_rate_ppm = r.Int(10);
  l.currency = r.Text(11);
  l.requires_shipping = r.Bool(12);
  l.taxable = r.Bool(13);
  l.tracked = r.Bool(14);
  l.restocked_quantity = r.Int(15);
  return l;
}

// The order `sql` reads (or locks) by `key`, with its lines if
// `lines_sql` is given (the order's lines by the same key): the two
// statements travel together.
std::optional<Order> ReadOrderWith(store::Transaction& tx, std::string_view sql, std::string_view key,
                                   std::string_view lines_sql = "") {
  std::size_t order_ticket = tx.Prefetch(sql, {key});
  std::optional<std::size_t> lines_ticket;
  if (!lines_sql.empty()) lines_ticket = tx.Prefetch(lines_sql, {key});
  auto rows = tx.Take(order_ticket).rows;
  if (!rows->Next()) return std::nullopt;
  Order o = ReadOrderRow(*rows);
  rows.reset();
  if (!lines_ticket) return o;
  auto lines = tx.Take(*lines_ticket).rows;
  while (lines->Next()) o.lines.push_back(ReadOrderLine(*lines));
  return o;
}

}  // namespace

std::optional<Order> ReadOrder(store::Transaction& tx, std::string_view order_id, bool with_lines) {
  static const std::string kSql = kOrderColumns + "WHERE id = $1";
  static const std::string kLines = kLineColumns + "WHERE order_id = $1 ORDER BY line_no";
  return ReadOrderWith(tx, kSql, order_id, with_lines ? std::string_view(kLines) : std::string_view());
}

std::optional<Order> LockOrder(store::Transaction& tx, std::string_view order_id) {
  // A SQLite write transaction already holds the store's only write lock; a
  // plain read spares the RETURNING its temporary table and the row its write.
  if (tx.dialect() == store::Dialect::kSqlite) return ReadOrder(tx, order_id, true);
  static const std::string kLines = kLineColumns + "WHERE order_id = $1 ORDER BY line_no";
  return ReadOrderWith(tx, kLockOrder, order_id, kLines);
}

std::optional<LockedPayment> LockOrderOfPayment(store::Transaction& tx, std::string_view payment_id) {
  static const std::string kRead = kOrderColumns + "WHERE id = " + std::string(kOrderOfPayment);
  static const std::string kLines =
      kLineColumns + "WHERE order_id = " + std::string(kOrderOfPayment) + " ORDER BY line_no";
  static const std::string kPayment = std::string(kPaymentColumns) + "WHERE id = $1";
  bool sqlite = tx.dialect() == store::Dialect::kSqlite;  // as in LockOrder
  std::size_t order_ticket = tx.Prefetch(sqlite ? kRead : kLockOrderOfPayment, {payment_id});
  std::size_t lines_ticket = tx.Prefetch(kLines, {payment_id});
  // Read once the order is locked: whoever records a payment's outcome
  // locks its order first, so this is the payment as it stands.
  std::size_t payment_ticket = tx.Prefetch(kPayment, {payment_id});
  auto payment = tx.Take(payment_ticket).rows;
  if (!payment->Next()) return std::nullopt;
  LockedPayment out;
  out.payment = ReadPayment(*payment);
  payment.reset();
  auto order = tx.Take(order_ticket).rows;
  if (!order->Next()) return std::nullopt;
  out.order = ReadOrderRow(*order);
  order.reset();
  auto lines = tx.Take(lines_ticket).rows;
  while (lines->Next()) out.order.lines.push_back(ReadOrderLine(*lines));
  return out;
}

void InsertOrderLines(store::Transaction& tx, std::string_view order_id, const std::vector<OrderLine>& lines) {
  constexpr std::string_view kColumns =
      "order_id, line_no, variant_id, product_id, sku, title, variant_title, quantity, unit_price, subtotal, tax, "
      "tax_rate_ppm, currency, requires_shipping, taxable, tracked";
  constexpr std::size_t kWidth = 16;
  if (lines.empty()) return;
  std::vector<store::Value> params;
  params.reserve(lines.size() * kWidth);
  for (const auto& l : lines) {
    for (store::Value v : {store::Value(order_id), store::Value(std::int64_t{l.line_no}),
                           store::Value(std::string_view(l.variant_id)), store::Value(std::string_view(l.product_id)),
                           store::Nullable(l.sku), store::Value(std::string_view(l.title)),
                           store::Value(std::string_view(l.variant_title)), store::Value(l.quantity),
                           store::Value(l.unit_price), store::Value(l.subtotal), store::Value(l.tax),
                           store::Value(l.tax_rate_ppm), store::Value(std::string_view(l.currency)),
                           store::Value(std::int64_t{l.requires_shipping}), store::Value(std::int64_t{l.taxable}),
                           store::Value(std::int64_t{l.tracked})})
      params.push_back(std::move(v));
  }
  // One statement for all lines, sent with what follows. The SQL for
  // each line count is prepared once per connection.
  tx.Send(store::InsertSql("order_lines", kColumns, kWidth, lines.size()), params);
}

std::optional<PaymentRow> ReadPaymentRow(store::Transaction& tx, std::string_view payment_id) {
  auto rows = tx.Query(std::string(kPaymentColumns) + "WHERE id = $1", {payment_id});
  if (!rows->Next()) return std::nullopt;
  return ReadPayment(*rows);
}

std::vector<PaymentRow> ReadPaymentRows(store::Transaction& tx, std::string_view order_id) {
  auto rows = tx.Query(std::string(kPaymentColumns) + "WHERE order_id = $1 ORDER BY id", {order_id});
  std::vector<PaymentRow> out;
  while (rows->Next()) out.push_back(ReadPayment(*rows));
  return out;
}

std::optional<RefundRow> ReadRefundRow(store::Transaction& tx, std::string_view refund_id) {
  auto rows = tx.Query(std::string(kRefundColumns) + "WHERE id = $1", {refund_id});
  if (!rows->Next()) return std::nullopt;
  return ReadRefund(*rows);
}

std::vector<RefundRow> ReadRefundRows(store::Transaction& tx, std::string_view order_id) {
  auto rows = tx.Query(std::string(kRefundColumns) + "WHERE order_id = $1 ORDER BY id", {order_id});
  std::vector<RefundRow> out;
  while (rows->Next()) out.push_back(ReadRefund(*rows));
  return out;
}

std::vector<std::pair<std::string, std::int64_t>> ReadReservations(store::Transaction& tx, std::string_view order_id) {
  auto rows = tx.Query("SELECT variant_id, quantity FROM reservations WHERE order_id = $1 ORDER BY variant_id",
                       {order_id});
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (rows->Next()) out.emplace_back(rows->Text(0), rows->Int(1));
  return out;
}

std::vector<TimelineEntry> ReadTimeline(store::Transaction& tx, std::string_view order_id) {
  auto rows = tx.Query("SELECT id, kind, detail, actor, created_at FROM order_timeline WHERE order_id = $1 ORDER BY id",
                       {order_id});
  std::vector<TimelineEntry> out;
  while (rows->Next()) out.push_back({rows->Text(0), rows->Text(1), rows->Text(2), rows->Text(3), rows->Text(4)});
  return out;
}

Result<OrderPage> ListOrders(store::Transaction& tx, const OrderFilter& filter, int limit, std::string_view cursor) {
  std::string sql(kOrderColumns);
  std::vector<store::Value> params;
  std::vector<std::string> where;
  auto add = [&](std::string clause, store::Value v) {
    params.push_back(std::move(v));
    auto pos = clause.find('?');
    clause.replace(pos, 1, "$" + std::to_string(params.size()));
    where.push_back(std::move(clause));
  };
  if (filter.status) add("status = ?", std::string(ToString(*filter.status)));
  if (filter.payment_status) add("payment_status = ?", std::string(ToString(*filter.payment_status)));
  if (!filter.customer_id.empty()) add("customer_id = ?", filter.customer_id);
  if (!filter.created_from.empty()) add("created_at >= ?", filter.created_from);
  if (!filter.created_to.empty()) add("created_at < ?", filter.created_to);
  if (filter.min_total) add("grand_total >= ?", *filter.min_total);
  if (filter.max_total) add("grand_total <= ?", *filter.max_total);
  if (!cursor.empty()) {
    if (cursor.rfind("ord_", 0) != 0)
      return Error::Invalid("the cursor is not one this API gave out", {{"cursor", "invalid cursor"}});
    add("id < ?", std::string(cursor));
  }
  for (std::size_t i = 0; i < where.size(); ++i) sql += (i == 0 ? "WHERE " : " AND ") + where[i];
  sql += " ORDER BY id DESC LIMIT " + std::to_string(limit + 1);
  auto rows = tx.Query(sql, params);
  OrderPage page;
  while (rows->Next()) page.items.push_back(ReadOrderRow(*rows));
  if (static_cast<int>(page.items.size()) > limit) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  return page;
}

}  // namespace ecom::orders
