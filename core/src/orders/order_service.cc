// Checkout, payments, refunds and the order lifecycle.
#include "ecom/orders/order_service.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "ecom/events/outbox.h"
#include "ecom/inventory/inventory_service.h"
#include "ecom/orders/json.h"
#include "ecom/payments/card_numbers.h"
#include "orders/order_repository.h"

namespace ecom::orders {

using nlohmann::json;
using payments::ChargeResult;
using payments::ChargeState;
using store::IdempotencyClaim;
using store::Transaction;
using Kind = store::IdempotencyClaim::Kind;

void Gateways::Add(std::shared_ptr<payments::PaymentGateway> gateway) {
  if (gateways_.empty()) default_ = gateway->name();
  gateways_.push_back(std::move(gateway));
}

payments::PaymentGateway* Gateways::Find(std::string_view name) const {
  for (const auto& g : gateways_)
    if (g->name() == name) return g.get();
  return nullptr;
}

namespace {

const Actor kSystem{"system"};

Error OrderNotFound() { return Error::NotFound("order_not_found", "no such order"); }

bool CanRead(const Order& o, const OrderReader& reader) {
  if (reader.staff) return true;
  if (!reader.customer_id.empty()) return o.customer_id && *o.customer_id == reader.customer_id;
  return reader.token_verified && !o.customer_id;
}

// A raw card number where a gateway token belongs: refused before anything
// is kept, and never repeated back.
Error CardNumberRefused(std::string field) {
  return Error{ErrorCode::kInvalidArgument, "card_number_refused",
               "card numbers are never accepted: tokenize the card with the payment gateway and send its token",
               {{std::move(field), "looks like a card number"}}};
}

bool Unsettled(std::string_view status) { return status == "pending" || status == "unknown"; }

Status ValidateEmail(std::string_view email) {
  auto at = email.find('@');
  if (email.size() > 254 || at == std::string_view::npos || at == 0 || at + 1 >= email.size() ||
      email.find('.', at) == std::string_view::npos || email.find_first_of(" \t\r\n<>") != std::string_view::npos)
    return Error::Invalid("the email address is not valid", {{"email", "must be an email address"}});
  return Ok();
}

}  // namespace

// What charging an attempt tells its gateway.
struct ChargeTarget {
  std::string payment_id;
  std::string gateway;
  Money amount;
  std::string order_id;
  std::int64_t order_number = 0;
};

// Everything the service shares with the work it hands to itself.
struct OrderService::Impl {
  store::Database& db;
  std::shared_ptr<Clock> clock;
  std::shared_ptr<IdGenerator> ids;
  CartService& carts;
  const PricingSettings& pricing;
  const Gateways& gateways;
  const payments::PaymentVault& vault;
  OrderOptions options;

  std::string Now() const { return FormatTime(clock->Now()); }

  // How far a payment attempt must be written before `gateway` is asked to
  // charge it: durable for a gateway elsewhere, only ordered for one that
  // records into this very store (see PaymentGateway::records_store). Either
  // way the request answers only after the durable write of the outcome.
  store::Durability AttemptDurability(const payments::PaymentGateway& gateway) const {
    return gateway.records_store() == &db ? store::Durability::kOrdered : store::Durability::kDurable;
  }

  void Timeline(Transaction& tx, std::string_view order_id, std::string_view kind, const json& detail,
                const Actor& actor) {
    tx.Send("INSERT INTO order_timeline (id, order_id, kind, detail, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            {ids->Next("otl"), order_id, kind, detail.dump(), std::string_view(actor.id), Now()});
  }

  // Appends `type` with the payload {"order": ..., extra...}, written as
  // nlohmann would write it (keys sorted) but with the order written directly.
  void Event(Transaction& tx, std::string_view type, const Order& order, const json& extra = json::object()) {
    std::string payload = "{";
    bool order_written = false;
    auto write_order = [&] {
      if (payload.size() > 1) payload += ',';
      payload += "\"order\":";
      AppendJson(payload, order);
      order_written = true;
    };
    for (const auto& [key, value] : extra.items()) {
      if (!order_written && key > "order") write_order();
      if (payload.size() > 1) payload += ',';
      payload += json(key).dump();
      payload += ':';
      payload += value.dump();
    }
    if (!order_written) write_order();
    payload += '}';
    events::AppendSerialized(tx, *ids, *clock, type, "order", order.id, payload);
  }

  // Appends `type` with the payload {"order": ..., "payment": ...}, both
  // written directly.
  void PaymentEvent(Transaction& tx, std::string_view type, const Order& order, const Payment& payment) {
    std::string payload = "{\"order\":";
    AppendJson(payload, order);
    payload += ",\"payment\":";
    AppendJson(payload, payment);
    payload += '}';
    events::AppendSerialized(tx, *ids, *clock, type, "order", order.id, payload);
  }

  // Reads the order for a change: on PostgreSQL its row is locked first (a
  // no-op update held to commit; SQLite writers hold the store's only write
  // lock already), so the version Save compares against cannot move under
  // the transaction.
  Result<Order> Lock(Transaction& tx, std::string_view order_id) {
    auto order = LockOrder(tx, order_id);
    if (!order) return OrderNotFound();
    return *order;
  }

  Result<Order> Require(Transaction& tx, std::string_view order_id, bool with_lines = true) {
    auto order = ReadOrder(tx, order_id, with_lines);
    if (!order) return OrderNotFound();
    return *order;
  }

  // Sets status and payment status together with a compare-and-set on the
  // version read, so two changes racing on one order cannot both apply.
  Status Save(Transaction& tx, Order& order, std::string_view extra_sql = "", std::vector<store::Value> extra = {}) {
    std::string now = Now();
    std::vector<store::Value> params = {std::string_view(order.id), order.version,
                                        std::string_view(ToString(order.status)),
                                        std::string_view(ToString(order.payment_status)), std::string_view(now),
                                        std::string_view(order.stock_state)};
    for (auto& v : extra) params.push_back(v);
    std::string sql =
        "UPDATE orders SET status = $3, payment_status = $4, updated_at = $5, stock_state = $6, "
        "version = version + 1" +
        std::string(extra_sql) + " WHERE id = $1 AND version = $2";
    if (tx.Exec(sql, params) == 0) return Error::Conflict("order_changed", "the order changed meanwhile; try again");
    order.version += 1;
    order.updated_at = now;
    return Ok();
  }

  std::string SealDetails(const json& details, std::string_view payment_id) const {
    return vault.Seal(details.dump(), payment_id);
  }

  json OpenDetails(const std::optional<std::string>& sealed, std::string_view row_id) const {
    if (!sealed) return json::object();
    auto plain = vault.Open(*sealed, row_id);
    if (!plain) return json::object();
    return json::parse(*plain, nullptr, false);
  }

  Payment LoadPayment(Transaction& tx, std::string_view payment_id) {
    PaymentRow row = *ReadPaymentRow(tx, payment_id);
    return ToPayment(row);
  }

  Payment ToPayment(const PaymentRow& row) const {
    Payment p = row.payment;
    json d = OpenDetails(row.details, p.id);
    p.brand = d.value("brand", "");
    p.last4 = d.value("last4", "");
    p.reference = d.value("reference", "");
    return p;
  }

  // Releases an unfulfilled order's held stock.
  Status ReleaseReservations(Transaction& tx, const std::string& order_id) {
    std::string now = Now();
    for (const auto& [variant, quantity] : ReadReservations(tx, order_id))
      ECOM_TRY(inventory::InventoryService::ReleaseInTx(tx, variant, quantity, now));
    tx.Send("DELETE FROM reservations WHERE order_id = $1", {std::string_view(order_id)});
    return Ok();
  }

  // Holds stock for every tracked line of `order`, all or nothing (the
  // caller rolls back on error). Lines are taken in variant order so that
  // concurrent checkouts lock levels in one order and cannot deadlock; the
  // updates go out together and are answered in one round trip.
  Status Reserve(Transaction& tx, const std::string& order_id, std::vector<std::pair<std::string, std::int64_t>> lines,
                 const std::optional<std::string>& expires_at) {
    std::sort(lines.begin(), lines.end());
    std::string now = Now();
    std::vector<std::size_t> tickets;
    tickets.reserve(lines.size());
    for (const auto& [variant, quantity] : lines)
      tickets.push_back(inventory::InventoryService::PrefetchReserve(tx, variant, quantity, now));
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto& [variant, quantity] = lines[i];
      ECOM_ASSIGN_OR_RETURN(bool held, inventory::InventoryService::TakeReserve(tx, tickets[i], variant));
      if (held)
        tx.Send("INSERT INTO reservations (order_id, variant_id, quantity, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                {std::string_view(order_id), std::string_view(variant), quantity, std::string_view(now),
                 store::Nullable(expires_at)});
    }
    return Ok();
  }

  // Starts a refund inside `tx`: the amounts are claimed against what was
  // captured now, so concurrent refunds can never exceed it; the gateway is
  // asked after commit (RunRefund).
  Result<Refund> StartRefund(Transaction& tx, Order& order, std::int64_t amount, std::string_view reason,
                             const Actor& actor, std::string_view payment_id = "") {
    if (amount <= 0) return Error::Invalid("the refund amount must be positive", {{"amount", "must be positive"}});
    std::int64_t changed = tx.Exec(
        "UPDATE orders SET amount_refunded = amount_refunded + $2 WHERE id = $1 AND amount_refunded + $2 <= amount_captured",
        {std::string_view(order.id), amount});
    if (changed == 0)
      return Error::Precondition("refund_exceeds_captured",
                                 "at most " + std::to_string(order.amount_captured - order.amount_refunded) +
                                     " can still be refunded");
    std::optional<std::string> payment;
    if (!payment_id.empty()) {
      if (tx.Exec("UPDATE payments SET amount_refunded = amount_refunded + $2 WHERE id = $1 AND amount_refunded + $2 <= amount",
                  {payment_id, amount}) == 1)
        payment = std::string(payment_id);
    } else {
      for (const auto& row : ReadPaymentRows(tx, order.id)) {
        if (row.payment.status != "captured") continue;
        if (tx.Exec("UPDATE payments SET amount_refunded = amount_refunded + $2 WHERE id = $1 AND "
                    "amount_refunded + $2 <= amount",
                    {std::string_view(row.payment.id), amount}) == 1) {
          payment = row.payment.id;
          break;
        }
      }
    }
    if (!payment)
      return Error::Precondition("refund_exceeds_captured", "no single captured payment covers that amount");
    order.amount_refunded += amount;
    Refund r;
    r.id = ids->Next("rfd");
    r.order_id = order.id;
    r.payment_id = *payment;
    r.amount = {amount, order.currency};
    r.reason = std::string(reason);
    r.status = "pending";
    r.actor = actor.id;
    r.created_at = Now();
    tx.Send("INSERT INTO refunds (id, order_id, payment_id, amount, currency, reason, status, actor, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $8)",
            {std::string_view(r.id), std::string_view(r.order_id), std::string_view(r.payment_id), amount,
             std::string_view(order.currency), std::string_view(r.reason), std::string_view(r.actor),
             std::string_view(r.created_at)});
    Timeline(tx, order.id, "refund_requested", {{"refund_id", r.id}, {"amount", amount}, {"reason", r.reason}}, actor);
    return r;
  }

  // Asks the gateway to carry out a pending refund and records the answer.
  // Unreachable: stays pending, and Sweep asks again with the same key.
  Result<Refund> RunRefund(const std::string& refund_id) {
    std::optional<RefundRow> row;
    Payment payment;
    {
      auto tx = db.Begin(store::TxMode::kRead);
      row = ReadRefundRow(*tx, refund_id);
      if (!row) return Error::NotFound("refund_not_found", "no such refund");
      payment = LoadPayment(*tx, row->refund.payment_id);
    }
    if (row->refund.status != "pending") return row->refund;
    auto* gateway = gateways.Find(payment.gateway);
    if (!gateway) return Error::Internal("gateway " + payment.gateway + " is not configured");
    auto answer = gateway->Refund({row->refund.id, payment.reference, payment.id, row->refund.amount});
    if (!answer && answer.error().code == ErrorCode::kUnavailable) return row->refund;
    return store::InWriteTransaction(db, [&](Transaction& tx) -> Result<Refund> {
      std::string now = Now();
      auto current = ReadRefundRow(tx, refund_id);
      if (current->refund.status != "pending") return current->refund;
      ECOM_ASSIGN_OR_RETURN(Order order, Lock(tx, current->refund.order_id));
      current = ReadRefundRow(tx, refund_id);  // as it is now that the order is ours
      if (current->refund.status != "pending") return current->refund;
      const Refund& r = current->refund;
      if (answer) {
        tx.Send("UPDATE refunds SET status = 'succeeded', details = $2, updated_at = $3 WHERE id = $1 AND status = 'pending'",
                {std::string_view(r.id), SealDetails({{"reference", answer->reference}}, r.id), std::string_view(now)});
        // A refund of a second, duplicate capture gives back money the order
        // never needed: the order's own payment status stays as it was.
        if (r.reason != "duplicate_capture") {
          PaymentStatus next = order.amount_refunded >= order.amount_captured ? PaymentStatus::kRefunded
                                                                             : PaymentStatus::kPartiallyRefunded;
          if (CanTransition(order.payment_status, next)) order.payment_status = next;
        }
        ECOM_TRY(Save(tx, order));
        Timeline(tx, order.id, "refunded", {{"refund_id", r.id}, {"amount", r.amount.amount}}, Actor{"gateway:" + payment.gateway});
        Event(tx, "payment.refunded", order, {{"refund", ToJson(r)}});
      } else {
        // The gateway refused: give the amount back to what may be refunded.
        tx.Send("UPDATE refunds SET status = 'failed', updated_at = $2 WHERE id = $1 AND status = 'pending'",
                {std::string_view(r.id), std::string_view(now)});
        tx.Send("UPDATE orders SET amount_refunded = amount_refunded - $2 WHERE id = $1",
                {std::string_view(order.id), r.amount.amount});
        tx.Send("UPDATE payments SET amount_refunded = amount_refunded - $2 WHERE id = $1",
                {std::string_view(r.payment_id), r.amount.amount});
        Timeline(tx, order.id, "refund_failed", {{"refund_id", r.id}, {"reason", answer.error().reason}},
                 Actor{"gateway:" + payment.gateway});
      }
      return ReadRefundRow(tx, refund_id)->refund;
    });
  }

  // A request waiting on a charge (checkout, or another payment attempt),
  // whose answer the charge's completion stores with it.
  struct Completion {
    const store::IdempotencyRequest& request;
    const Responder& respond;
    OrderOutcome& out;
    bool stored = false;
  };

  // ApplyCharge's work, in its transaction.
  // `latest` keeps the payment as an event reported it, for the answer.
  // `sealed`, for a capture: its details as SealDetails seals them, made
  // before the transaction so the writer does not wait on the cipher.
  Result<Order> ApplyChargeInTx(Transaction& tx, const std::string& payment_id, const ChargeResult& result,
                                const std::string& sealed,
                                const Actor& actor, std::optional<std::string>& refund_to_run,
                                std::optional<Payment>& latest) {
    // The order is locked first, then the payment read: a report racing
    // this one (the webhook beside the client's answer) waits for the lock,
    // and then finds the payment as this one left it.
    auto locked = LockOrderOfPayment(tx, payment_id);
    if (!locked) return Error::NotFound("payment_not_found", "no such payment");
    Order& order = locked->order;
    std::string now = Now();
    const Payment& p = locked->payment.payment;
    switch (result.state) {
      case ChargeState::kCaptured: {
        if (tx.Exec("UPDATE payments SET status = 'captured', details = $2, key_version = $3, captured_at = $4, "
                    "updated_at = $4, failure_code = NULL, failure_message = NULL WHERE id = $1 AND status <> 'captured'",
                    {std::string_view(p.id), std::string_view(sealed), std::int64_t{vault.current_version()},
                     std::string_view(now)}) == 0)
          return order;  // already recorded
        // The payment as the update left it.
        Payment captured = p;
        captured.status = "captured";
        captured.brand = result.brand;
        captured.last4 = result.last4;
        captured.reference = result.reference;
        captured.failure_code.reset();
        captured.failure_message.reset();
        captured.updated_at = now;
        captured.captured_at = now;
        order.amount_captured += p.amount.amount;
        Timeline(tx, order.id, "payment_captured", {{"payment_id", p.id}, {"amount", p.amount.amount}}, actor);
        bool unpaid = order.payment_status == PaymentStatus::kPending || order.payment_status == PaymentStatus::kFailed;
        if (unpaid && order.status != OrderStatus::kCancelled) {
          order.payment_status = PaymentStatus::kPaid;
          if (order.status == OrderStatus::kPending) order.status = OrderStatus::kConfirmed;
          order.payment_failure.reset();
          ECOM_TRY(Save(tx, order, ", active_payment_id = NULL, payment_failure = NULL, "
                                   "amount_captured = amount_captured + $7",
                        {p.amount.amount}));
          tx.Send("UPDATE reservations SET expires_at = NULL WHERE order_id = $1", {std::string_view(order.id)});
          PaymentEvent(tx, "payment.captured", order, latest.emplace(std::move(captured)));
          return order;
        }
        tx.Send("UPDATE orders SET amount_captured = amount_captured + $2 WHERE id = $1",
                {std::string_view(order.id), p.amount.amount});
        if (unpaid) {
          // Paid after it was cancelled (a late webhook, a lost answer):
          // take the order back if its stock is still there, else refund.
          order.payment_status = PaymentStatus::kPaid;
          tx.Exec("SAVEPOINT reinstate");
          std::vector<std::pair<std::string, std::int64_t>> lines;
          for (const auto& l : order.lines) lines.emplace_back(l.variant_id, l.quantity);
          if (order.stock_state == "released" && Reserve(tx, order.id, lines, std::nullopt).ok()) {
            tx.Exec("RELEASE SAVEPOINT reinstate");
            order.status = OrderStatus::kConfirmed;
            order.stock_state = "reserved";
            order.cancel_reason.reset();
            ECOM_TRY(Save(tx, order, ", active_payment_id = NULL, cancel_reason = NULL"));
            Timeline(tx, order.id, "reinstated", {{"payment_id", p.id}}, actor);
            PaymentEvent(tx, "payment.captured", order, latest.emplace(captured));
            return order;
          }
          tx.Exec("ROLLBACK TO SAVEPOINT reinstate");
          ECOM_TRY(Save(tx, order, ", active_payment_id = NULL"));
          PaymentEvent(tx, "payment.captured", order, latest.emplace(captured));
          ECOM_ASSIGN_OR_RETURN(Refund r, StartRefund(tx, order, p.amount.amount, "captured_after_cancel", kSystem, p.id));
          refund_to_run = r.id;
          return order;
        }
        // A second capture for an order already paid: give it back.
        ECOM_ASSIGN_OR_RETURN(Refund r, StartRefund(tx, order, p.amount.amount, "duplicate_capture", kSystem, p.id));
        refund_to_run = r.id;
        return order;
      }
      case ChargeState::kDeclined: {
        if (tx.Exec("UPDATE payments SET status = 'failed', failure_code = $2, failure_message = $3, updated_at = $4 "
                    "WHERE id = $1 AND status IN ('pending', 'requires_confirmation', 'unknown')",
                    {std::string_view(p.id), std::string_view(result.failure_code),
                     std::string_view(result.failure_message), std::string_view(now)}) == 0)
          return order;
        Timeline(tx, order.id, "payment_failed", {{"payment_id", p.id}, {"code", result.failure_code}}, actor);
        order.payment_failure = result.failure_code;
        if (order.payment_status == PaymentStatus::kPending) {
          order.payment_status = PaymentStatus::kFailed;
          ECOM_TRY(Save(tx, order, ", payment_failure = $7, active_payment_id = NULL",
                        {std::string_view(result.failure_code)}));
          PaymentEvent(tx, "payment.failed", order, latest.emplace(LoadPayment(tx, p.id)));
        } else if (order.payment_status == PaymentStatus::kFailed) {
          ECOM_TRY(Save(tx, order, ", payment_failure = $7, active_payment_id = NULL",
                        {std::string_view(result.failure_code)}));
        }
        return order;
      }
      case ChargeState::kRequiresConfirmation:
        if (tx.Exec("UPDATE payments SET status = 'requires_confirmation', updated_at = $2 WHERE id = $1 "
                    "AND status IN ('pending', 'unknown')",
                    {std::string_view(p.id), std::string_view(now)}) == 1)
          Timeline(tx, order.id, "payment_requires_confirmation", {{"payment_id", p.id}}, actor);
        return order;
      case ChargeState::kNotFound:
        return order;
    }
    return order;
  }

  // Renders and stores the waiting request's answer in `tx`.
  void Complete(Transaction& tx, Completion& c, const Order& order, const std::string& payment_id,
                std::optional<Payment>& latest) {
    c.out.order = order;
    c.out.payment = latest ? std::move(*latest) : LoadPayment(tx, payment_id);
    auto answer = c.respond(c.out);
    if (answer) store::StoreIdempotentResponse(tx, c.request, *answer, *clock);
    c.stored = answer.has_value();
  }

  // The one completion path: records what the gateway says happened to a
  // payment. A capture is recorded once, whoever reports it first.
  //
  // `completion`, the request waiting on this charge, gets its answer
  // rendered and stored in the same transaction, unless a refund must still
  // run after it (the answer then waits for the refund, outside).
  Result<Order> ApplyCharge(const std::string& payment_id, const ChargeResult& result, const Actor& actor,
                            Completion* completion = nullptr) {
    std::optional<std::string> refund_to_run;
    std::string sealed;
    if (result.state == ChargeState::kCaptured)
      sealed = SealDetails({{"brand", result.brand}, {"last4", result.last4}, {"reference", result.reference}},
                           payment_id);
    auto order = store::InWriteTransaction(db, [&](Transaction& tx) -> Result<Order> {
      refund_to_run.reset();
      std::optional<Payment> latest;
      auto applied = ApplyChargeInTx(tx, payment_id, result, sealed, actor, refund_to_run, latest);
      if (completion) completion->stored = false;
      if (applied && completion && !refund_to_run) Complete(tx, *completion, *applied, payment_id, latest);
      return applied;
    });
    if (order && refund_to_run) {
      auto refunded = RunRefund(*refund_to_run);
      if (!refunded) return std::move(refunded).error();
      auto tx = db.Begin(store::TxMode::kRead);
      return Require(*tx, order->id);
    }
    return order;
  }

  // Charges a payment attempt already recorded, and applies the answer. A
  // lost answer is settled by asking the gateway what happened.
  Result<Order> Charge(const std::string& payment_id, std::string_view token, Completion* completion = nullptr) {
    ChargeTarget target;
    {
      auto tx = db.Begin(store::TxMode::kRead);
      auto row = ReadPaymentRow(*tx, payment_id);
      if (!row) return Error::NotFound("payment_not_found", "no such payment");
      ECOM_ASSIGN_OR_RETURN(Order order, Require(*tx, row->payment.order_id, false));
      target = {row->payment.id, row->payment.gateway, row->payment.amount, order.id, order.number};
    }
    return Charge(target, token, completion);
  }

  // The same, for the request that just recorded the attempt and knows it.
  Result<Order> Charge(const ChargeTarget& target, std::string_view token, Completion* completion) {
    const std::string& payment_id = target.payment_id;
    auto* gateway = gateways.Find(target.gateway);
    if (!gateway) return Error::Internal("gateway " + target.gateway + " is not configured");
    Actor by{"gateway:" + target.gateway};
    auto answer = gateway->Charge({payment_id, std::string(token), target.amount, target.order_id,
                                   "Order #" + std::to_string(target.order_number)});
    if (!answer && answer.error().code == ErrorCode::kUnavailable) answer = gateway->Status(payment_id);
    if (!answer) {
      if (answer.error().code == ErrorCode::kInvalidArgument)
      {
        ChargeResult declined;
        declined.state = ChargeState::kDeclined;
        declined.failure_code = answer.error().reason;
        declined.failure_message = answer.error().message;
        return ApplyCharge(payment_id, declined, by, completion);
      }
      // Nobody knows whether money moved: mark it, and let Sweep ask later.
      (void)store::InWriteTransaction(db, [&](Transaction& tx) -> Status {
        tx.Send("UPDATE payments SET status = 'unknown', updated_at = $2 WHERE id = $1 AND status = 'pending'",
                {std::string_view(payment_id), Now()});
        return Ok();
      });
      auto tx = db.Begin(store::TxMode::kRead);
      return Require(*tx, target.order_id);
    }
    return ApplyCharge(payment_id, *answer, by, completion);
  }

  // Charges the attempt that `out`'s request just recorded, and fills in the
  // outcome; with a Responder, the answer is stored with the charge's.
  Result<OrderOutcome> ChargeFor(OrderOutcome& out, const ChargeTarget& target, std::string_view token,
                                 const store::IdempotencyRequest& idempotency, const Responder& respond) {
    const std::string& payment_id = target.payment_id;
    std::optional<Completion> completion;
    if (respond) completion.emplace(Completion{idempotency, respond, out});
    ECOM_ASSIGN_OR_RETURN(Order order, Charge(target, token, completion ? &*completion : nullptr));
    if (completion && completion->stored) {
      out.response_stored = true;
      return out;  // order and payment as the stored answer shows them
    }
    out.order = std::move(order);
    ECOM_ASSIGN_OR_RETURN(Payment payment, ReadPayment(payment_id));
    out.payment = std::move(payment);
    return out;
  }

  // Finishes an attempt a dead process left behind: asks the gateway what it
  // knows of the payment, and charges it (with the same key) only if the
  // gateway never saw it and the order still waits for it.
  Result<Order> Resume(const std::string& payment_id) {
    PaymentRow row;
    Order order;
    {
      auto tx = db.Begin(store::TxMode::kRead);
      auto found = ReadPaymentRow(*tx, payment_id);
      if (!found) return Error::NotFound("payment_not_found", "no such payment");
      row = *found;
      ECOM_ASSIGN_OR_RETURN(order, Require(*tx, row.payment.order_id));
    }
    if (!Unsettled(row.payment.status) && row.payment.status != "requires_confirmation") return order;
    auto* gateway = gateways.Find(row.payment.gateway);
    if (!gateway) return Error::Internal("gateway " + row.payment.gateway + " is not configured");
    auto status = gateway->Status(payment_id);
    if (!status) return order;  // still unreachable; Sweep will ask again
    if (status->state != ChargeState::kNotFound)
      return ApplyCharge(payment_id, *status, Actor{"gateway:" + row.payment.gateway});
    if (order.status != OrderStatus::kPending || row.payment.status == "requires_confirmation") return order;
    json d = OpenDetails(row.details, payment_id);
    return Charge(payment_id, d.value("token", ""));
  }

  Result<Payment> ReadPayment(std::string_view payment_id) {
    auto tx = db.Begin(store::TxMode::kRead);
    auto row = ReadPaymentRow(*tx, payment_id);
    if (!row) return Error::NotFound("payment_not_found", "no such payment");
    return ToPayment(*row);
  }

  // Cancels an unpaid order whose time ran out (after asking the gateway).
  bool ExpireUnpaid(const std::string& order_id) {
    std::optional<std::string> active;
    {
      auto tx = db.Begin(store::TxMode::kRead);
      auto order = ReadOrder(*tx, order_id, false);
      if (!order || order->status != OrderStatus::kPending) return false;
      for (const auto& row : ReadPaymentRows(*tx, order_id))
        if (Unsettled(row.payment.status) || row.payment.status == "requires_confirmation") active = row.payment.id;
    }
    if (active) {
      auto* gateway = [&] {
        auto tx = db.Begin(store::TxMode::kRead);
        return gateways.Find(ReadPaymentRow(*tx, *active)->payment.gateway);
      }();
      if (gateway) {
        auto status = gateway->Status(*active);
        if (!status) return false;  // cannot know yet: do not cancel an order that may be paid
        if (status->state != ChargeState::kNotFound) {
          auto applied = ApplyCharge(*active, *status, Actor{"gateway:" + gateway->name()});
          if (applied && applied->payment_status == PaymentStatus::kPaid) return false;
        }
      }
    }
    auto done = store::InWriteTransaction(db, [&](Transaction& tx) -> Result<bool> {
      ECOM_ASSIGN_OR_RETURN(Order order, Lock(tx, order_id));
      if (order.status != OrderStatus::kPending ||
          (order.payment_status != PaymentStatus::kPending && order.payment_status != PaymentStatus::kFailed))
        return false;
      ECOM_TRY(ReleaseReservations(tx, order.id));
      tx.Send("UPDATE payments SET status = 'failed', failure_code = 'expired', updated_at = $2 WHERE order_id = $1 "
              "AND status IN ('pending', 'unknown', 'requires_confirmation')",
              {std::string_view(order.id), Now()});
      order.status = OrderStatus::kCancelled;
      order.stock_state = "released";
      if (order.payment_status == PaymentStatus::kPending) order.payment_status = PaymentStatus::kFailed;
      ECOM_TRY(Save(tx, order, ", cancel_reason = 'payment_timeout', active_payment_id = NULL"));
      order.cancel_reason = "payment_timeout";
      Timeline(tx, order.id, "cancelled", {{"reason", "payment_timeout"}}, kSystem);
      Event(tx, "order.cancelled", order, {{"reason", "payment_timeout"}});
      return true;
    });
    return done && *done;
  }
};

OrderService::OrderService(store::Database& db, std::shared_ptr<Clock> clock, std::shared_ptr<IdGenerator> ids,
                           CartService& carts, const PricingSettings& pricing, const Gateways& gateways,
                           const payments::PaymentVault& vault, OrderOptions options)
    : impl_(std::make_shared<Impl>(
          Impl{db, std::move(clock), std::move(ids), carts, pricing, gateways, vault, options})) {}

Result<OrderOutcome> OrderService::Checkout(std::string_view cart_id, const CartHolder& holder,
                                            const CheckoutInput& input, const store::IdempotencyRequest& idempotency,
                                            const Actor& actor, const Responder& respond) {
  Impl& m = *impl_;
  std::vector<FieldError> errors;
  if (auto s = ValidateEmail(input.email); !s) errors.push_back(s.error().fields.front());
  if (input.payment_token.empty()) errors.push_back({"payment.token", "is required"});
  if (payments::LooksLikeCardNumber(input.payment_token)) return CardNumberRefused("payment.token");
  std::string gateway_name = input.gateway.empty() ? m.gateways.default_name() : input.gateway;
  const payments::PaymentGateway* gateway = m.gateways.Find(gateway_name);
  if (!gateway) errors.push_back({"payment.gateway", "no gateway '" + gateway_name + "'"});
  if (!errors.empty()) return Error::Invalid("the checkout is not valid", std::move(errors));

  std::string order_id = m.ids->Next("ord"), payment_id = m.ids->Next("pay");
  TimePoint now_t = m.clock->Now();
  std::string now = FormatTime(now_t), due = FormatTime(now_t + m.options.payment_timeout);
  OrderOutcome out;
  std::vector<std::pair<std::string, std::int64_t>> repriced;
  ChargeTarget target{payment_id, gateway_name, {}, order_id, 0};
  std::string sealed_token = m.SealDetails({{"token", input.payment_token}}, payment_id);
  CartPreview preview{input.shipping_address.country, input.shipping_address.region,
                      input.shipping_method.empty() ? std::string(kStandardShipping) : input.shipping_method};
  auto placed = store::InWriteTransaction(m.db, [&](Transaction& tx) -> Result<bool> {
    repriced.clear();
    // The cart and its pricing are read in the claim's round trip. A claim
    // that finds the key taken leaves them unread: nothing is placed.
    CartService::CartRead read = m.carts.PrefetchCart(tx, cart_id, preview);
    out.claim = store::ClaimIdempotencyKey(tx, idempotency, order_id, *m.clock);
    if (out.claim.kind != Kind::kClaimed) return false;
    CartContext priced_with;
    ECOM_ASSIGN_OR_RETURN(Cart cart, m.carts.TakeCart(tx, read, holder, &priced_with));
    if (cart.status == "ordered")
      return Error::Precondition("cart_already_ordered", "this cart was already checked out as order " +
                                                             cart.order_id.value_or(""));
    if (cart.status != "open") return Error::Precondition("cart_closed", "the cart is " + cart.status);
    if (cart.lines.empty()) return Error::Precondition("cart_empty", "the cart has no lines");
    Error changed = Error::Precondition("price_changed", "prices changed since they were added to the cart; "
                                                         "the cart now shows the new prices");
    for (const auto& l : cart.lines) {
      std::string name = l.sku ? *l.sku : l.variant_id;
      if (!l.purchasable) return Error::Precondition("not_purchasable", name + " is no longer for sale");
      if (l.price_changed) {
        changed.fields.push_back({name, "was " + std::to_string(l.unit_price) + ", now " + std::to_string(l.catalog_price)});
        repriced.emplace_back(l.variant_id, l.catalog_price);
      }
    }
    if (!repriced.empty()) return changed;
    if (!priced_with.method)  // priced only with a country
      return Error::Invalid("a shipping country is required", {{"shipping_address.country", "is required"}});
    const ShippingMethod& method = *priced_with.method;
    const std::optional<TaxRate>& rate = priced_with.rate;

    std::vector<std::pair<std::string, std::int64_t>> holds;
    for (const auto& l : cart.lines) holds.emplace_back(l.variant_id, l.quantity);
    ECOM_TRY(m.Reserve(tx, order_id, holds, due));

    Order o;
    o.id = order_id;
    o.number = tx.NextInSequence("order_numbers");
    o.cart_id = cart.id;
    o.customer_id = cart.customer_id;
    o.email = input.email;
    o.status = OrderStatus::kPending;
    o.payment_status = PaymentStatus::kPending;
    o.stock_state = "reserved";
    o.currency = cart.currency;
    o.totals = cart.totals;
    o.shipping_method = method.code;
    o.shipping_method_name = method.name;
    o.shipping_address = input.shipping_address;
    o.billing_address = input.billing_address.value_or(input.shipping_address);
    o.payment_due_at = due;
    o.created_at = o.updated_at = now;
    std::optional<std::string> guest_token;
    if (!cart.customer_id) guest_token = priced_with.token_hash;
    tx.Send("INSERT INTO orders (id, number, cart_id, customer_id, email, guest_token_hash, status, payment_status, "
            "stock_state, currency, subtotal, shipping_total, tax_total, grand_total, taxes_included, shipping_method, "
            "shipping_method_name, shipping_address, billing_address, active_payment_id, payment_due_at, created_at, "
            "updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 'pending', 'reserved', $7, $8, $9, $10, $11, $12, "
            "$13, $14, $15, $16, $17, $18, $19, $19)",
            {std::string_view(o.id), o.number, std::string_view(o.cart_id), store::Nullable(o.customer_id),
             std::string_view(o.email), store::Nullable(guest_token), std::string_view(o.currency), o.totals.subtotal,
             o.totals.shipping, o.totals.tax, o.totals.grand_total, std::int64_t{o.totals.taxes_included},
             std::string_view(o.shipping_method), std::string_view(o.shipping_method_name),
             ToJson(o.shipping_address).dump(), ToJson(o.billing_address).dump(), std::string_view(payment_id),
             std::string_view(due), std::string_view(now)});
    int line_no = 0;
    for (const auto& l : cart.lines) {
      OrderLine ol;
      ol.line_no = ++line_no;
      ol.variant_id = l.variant_id;
      ol.product_id = l.product_id;
      ol.sku = l.sku;
      ol.title = l.title;
      ol.variant_title = l.variant_title;
      ol.quantity = l.quantity;
      ol.unit_price = l.unit_price;
      ol.subtotal = l.subtotal;
      ol.tax = l.tax;
      ol.tax_rate_ppm = rate && l.taxable ? rate->rate_ppm : 0;
      ol.currency = cart.currency;
      ol.requires_shipping = l.requires_shipping;
      ol.taxable = l.taxable;
      ol.tracked = l.tracked;
      o.lines.push_back(std::move(ol));
    }
    InsertOrderLines(tx, o.id, o.lines);
    tx.Send("INSERT INTO payments (id, order_id, gateway, status, amount, currency, details, key_version, created_at, "
            "updated_at) VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $8)",
            {std::string_view(payment_id), std::string_view(o.id), std::string_view(gateway_name), o.totals.grand_total,
             std::string_view(o.currency), std::string_view(sealed_token),
             std::int64_t{m.vault.current_version()}, std::string_view(now)});
    tx.Send("UPDATE carts SET status = 'ordered', order_id = $2, updated_at = $3, version = version + 1 WHERE id = $1",
            {std::string_view(cart.id), std::string_view(o.id), std::string_view(now)});
    m.Timeline(tx, o.id, "placed", {{"number", o.number}, {"grand_total", o.totals.grand_total}}, actor);
    m.Event(tx, "order.placed", o);
    target.amount = {o.totals.grand_total, o.currency};
    target.order_number = o.number;
    return true;
  }, m.AttemptDurability(*gateway));
  if (!placed) {
    if (placed.error().reason == "price_changed" && !repriced.empty()) {
      (void)store::InWriteTransaction(m.db, [&](Transaction& tx) -> Status {
        for (const auto& [variant, price] : repriced)
          tx.Send("UPDATE cart_lines SET unit_price = $3 WHERE cart_id = $1 AND variant_id = $2",
                  {cart_id, std::string_view(variant), price});
        return Ok();
      });
    }
    return std::move(placed).error();
  }
  if (out.claim.kind == Kind::kTakenOver) {
    // An earlier attempt placed the order and died: finish it.
    std::string earlier_order = out.claim.resource_id.value_or("");
    std::string earlier_payment;
    {
      auto tx = m.db.Begin(store::TxMode::kRead);
      for (const auto& row : ReadPaymentRows(*tx, earlier_order)) earlier_payment = row.payment.id;
    }
    if (earlier_payment.empty()) return Error::Internal("order " + earlier_order + " has no payment attempt");
    ECOM_ASSIGN_OR_RETURN(Order order, m.Resume(earlier_payment));
    out.order = std::move(order);
    ECOM_ASSIGN_OR_RETURN(Payment payment, m.ReadPayment(earlier_payment));
    out.payment = std::move(payment);
    return out;
  }
  if (out.claim.kind != Kind::kClaimed) return out;
  return m.ChargeFor(out, target, input.payment_token, idempotency, respond);
}

Result<OrderOutcome> OrderService::Pay(std::string_view order_id, const OrderReader& reader, std::string_view token,
                                       std::string_view gateway, const store::IdempotencyRequest& idempotency,
                                       const Actor& actor, const Responder& respond) {
  Impl& m = *impl_;
  if (token.empty()) return Error::Invalid("a payment token is required", {{"payment.token", "is required"}});
  if (payments::LooksLikeCardNumber(token)) return CardNumberRefused("token");
  std::string gateway_name = gateway.empty() ? m.gateways.default_name() : std::string(gateway);
  const payments::PaymentGateway* charger = m.gateways.Find(gateway_name);
  if (!charger)
    return Error::Invalid("no such gateway", {{"payment.gateway", "no gateway '" + gateway_name + "'"}});
  // An attempt whose outcome is unknown is settled first: it may have been
  // captured, and then this one must not charge again.
  {
    std::optional<std::string> in_flight;
    auto tx = m.db.Begin(store::TxMode::kRead);
    auto order = ReadOrder(*tx, order_id, false);
    if (!order || !CanRead(*order, reader)) return OrderNotFound();
    for (const auto& row : ReadPaymentRows(*tx, order_id))
      if (Unsettled(row.payment.status)) in_flight = row.payment.id;
    tx.reset();
    if (in_flight) (void)m.Resume(*in_flight);
  }
  std::string payment_id = m.ids->Next("pay");
  std::string now = m.Now();
  OrderOutcome out;
  ChargeTarget target{payment_id, gateway_name, {}, std::string(order_id), 0};
  std::string sealed_token = m.SealDetails({{"token", std::string(token)}}, payment_id);
  auto started = store::InWriteTransaction(m.db, [&](Transaction& tx) -> Result<bool> {
    out.claim = store::ClaimIdempotencyKey(tx, idempotency, payment_id, *m.clock);
    if (out.claim.kind != Kind::kClaimed) return false;
    ECOM_ASSIGN_OR_RETURN(Order order, m.Lock(tx, order_id));
    if (!CanRead(order, reader)) return OrderNotFound();
    if (order.payment_status == PaymentStatus::kPaid || order.payment_status == PaymentStatus::kPartiallyRefunded ||
        order.payment_status == PaymentStatus::kRefunded)
      return Error::Precondition("already_paid", "the order is already paid");
    if (order.status != OrderStatus::kPending) {
      Error e = Error::Precondition("invalid_transition", std::string("the order is ") + ToString(order.status));
      e.fields.push_back({"status", ToString(order.status)});
      return e;
    }
    for (const auto& row : ReadPaymentRows(tx, order.id)) {
      if (Unsettled(row.payment.status))
        return Error::Conflict("payment_in_progress", "another payment for this order is still being processed");
      if (row.payment.status == "requires_confirmation")  // abandoned: this attempt replaces it
        tx.Send("UPDATE payments SET status = 'failed', failure_code = 'superseded', updated_at = $2 WHERE id = $1 "
                "AND status = 'requires_confirmation'",
                {std::string_view(row.payment.id), std::string_view(now)});
    }
    if (order.payment_status == PaymentStatus::kFailed) order.payment_status = PaymentStatus::kPending;
    ECOM_TRY(m.Save(tx, order, ", active_payment_id = $7", {std::string_view(payment_id)}));
    tx.Send("INSERT INTO payments (id, order_id, gateway, status, amount, currency, details, key_version, created_at, "
            "updated_at) VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $8)",
            {std::string_view(payment_id), std::string_view(order.id), std::string_view(gateway_name),
             order.totals.grand_total, std::string_view(order.currency),
             std::string_view(sealed_token), std::int64_t{m.vault.current_version()},
             std::string_view(now)});
    m.Timeline(tx, order.id, "payment_attempted", {{"payment_id", payment_id}}, actor);
    target.amount = {order.totals.grand_total, order.currency};
    target.order_number = order.number;
    return true;
  }, m.AttemptDurability(*charger));
  if (!started) return std::move(started).error();
  if (out.claim.kind == Kind::kTakenOver) payment_id = out.claim.resource_id.value_or(payment_id);
  else if (out.claim.kind != Kind::kClaimed) return out;
  if (out.claim.kind == Kind::kClaimed) return m.ChargeFor(out, target, token, idempotency, respond);
  ECOM_ASSIGN_OR_RETURN(Order order, m.Resume(payment_id));
  out.order = std::move(order);
  ECOM_ASSIGN_OR_RETURN(Payment payment, m.ReadPayment(payment_id));
  out.payment = std::move(payment);
  return out;
}

Result<Order> OrderService::Get(std::string_view order_id, const OrderReader& reader) {
  auto tx = impl_->db.Begin(store::TxMode::kRead);
  auto order = ReadOrder(*tx, order_id, true);
  if (!order || !CanRead(*order, reader)) return OrderNotFound();
  return *order;
}

Result<OrderPage> OrderService::List(const OrderFilter& filter, int limit, std::string_view cursor) {
  if (limit < 1 || limit > 250) return Error::Invalid("limit must be 1..250", {{"limit", "must be between 1 and 250"}});
  auto tx = impl_->db.Begin(store::TxMode::kRead);
  return ListOrders(*tx, filter, limit, cursor);
}

Result<std::vector<TimelineEntry>> OrderService::Timeline(std::string_view order_id, const OrderReader& reader) {
  auto tx = impl_->db.Begin(store::TxMode::kRead);
  auto order = ReadOrder(*tx, order_id, false);
  if (!order || !CanRead(*order, reader)) return OrderNotFound();
  return ReadTimeline(*tx, order_id);
}

Result<std::vector<Payment>> OrderService::Payments(std::string_view order_id, const OrderReader& reader) {
  auto tx = impl_->db.Begin(store::TxMode::kRead);
  auto order = ReadOrder(*tx, order_id, false);
  if (!order || !CanRead(*order, reader)) return OrderNotFound();
  std::vector<Payment> out;
  for (const auto& row : ReadPaymentRows(*tx, order_id)) out.push_back(impl_->ToPayment(row));
  return out;
}

Result<std::vector<Refund>> OrderService::Refunds(std::string_view order_id) {
  auto tx = impl_->db.Begin(store::TxMode::kRead);
  if (!ReadOrder(*tx, order_id, false)) return OrderNotFound();
  std::vector<Refund> out;
  for (auto& row : ReadRefundRows(*tx, order_id)) {
    Refund r = row.refund;
    r.reference = impl_->OpenDetails(row.details, r.id).value("reference", "");
    out.push_back(std::move(r));
  }
  return out;
}

Result<Payment> OrderService::GetPayment(std::string_view payment_id) { return impl_->ReadPayment(payment_id); }

Result<OrderOutcome> OrderService::Cancel(std::string_view order_id, std::string_view reason,
                                          const store::IdempotencyRequest& idempotency, const Actor& actor) {
  Impl& m = *impl_;
  // Settle an attempt in flight first, so a capture is not missed.
  {
    std::optional<std::string> in_flight;
    auto tx = m.db.Begin(store::TxMode::kRead);
    if (!ReadOrder(*tx, order_id, false)) return OrderNotFound();
    for (const auto& row : ReadPaymentRows(*tx, order_id))
      if (Unsettled(row.payment.status) || row.payment.status == "requires_confirmation") in_flight = row.payment.id;
    tx.reset();
    if (in_flight) (void)m.Resume(*in_flight);
  }
  OrderOutcome out;
  std::optional<std::string> refund_id;
  std::string why = reason.empty() ? "requested" : std::string(reason);
  auto done = store::InWriteTransaction(m.db, [&](Transaction& tx) -> Result<Order> {
    refund_id.reset();
    out.claim = store::ClaimIdempotencyKey(tx, idempotency, order_id, *m.clock);
    ECOM_ASSIGN_OR_RETURN(Order order, m.Lock(tx, order_id));
    if (out.claim.kind != Kind::kClaimed) return order;
    ECOM_TRY(CheckTransition(order.status, OrderStatus::kCancelled));
    for (const auto& row : ReadPaymentRows(tx, order.id))
      if (Unsettled(row.payment.status))
        return Error::Conflict("payment_in_progress", "a payment for this order is still being processed; try again");
    if (order.stock_state == "reserved") {
      ECOM_TRY(m.ReleaseReservations(tx, order.id));
    } else if (order.stock_state == "sold") {
      for (const auto& l : order.lines) {
        std::int64_t back = l.quantity - l.restocked_quantity;
        if (!l.tracked || back <= 0) continue;
        ECOM_TRY(inventory::InventoryService::AdjustInTx(
            tx, *m.ids, *m.clock, {l.variant_id, back, inventory::StockReason::kReturned, order.id, "order cancelled"}, actor));
        tx.Send("UPDATE order_lines SET restocked_quantity = quantity WHERE order_id = $1 AND line_no = $2",
                {std::string_view(order.id), std::int64_t{l.line_no}});
      }
    }
    tx.Send("UPDATE payments SET status = 'failed', failure_code = 'cancelled', updated_at = $2 WHERE order_id = $1 "
            "AND status = 'requires_confirmation'",
            {std::string_view(order.id), m.Now()});
    order.status = OrderStatus::kCancelled;
    order.stock_state = "released";
    if (order.payment_status == PaymentStatus::kPending) order.payment_status = PaymentStatus::kFailed;
    ECOM_TRY(m.Save(tx, order, ", cancel_reason = $7, active_payment_id = NULL", {std::string_view(why)}));
    order.cancel_reason = why;
    m.Timeline(tx, order.id, "cancelled", {{"reason", why}}, actor);
    std::int64_t refundable = order.amount_captured - order.amount_refunded;
    if (refundable > 0) {
      ECOM_ASSIGN_OR_RETURN(Refund r, m.StartRefund(tx, order, refundable, "order_cancelled", actor));
      refund_id = r.id;
      out.refund = r;
    }
    m.Event(tx, "order.cancelled", order, {{"reason", why}});
    return order;
  });
  if (!done) return std::move(done).error();
  if (out.claim.kind != Kind::kClaimed && out.claim.kind != Kind::kTakenOver) return out;
  if (refund_id) {
    ECOM_ASSIGN_OR_RETURN(Refund r, m.RunRefund(*refund_id));
    out.refund = r;
  }
  auto tx = m.db.Begin(store::TxMode::kRead);
  ECOM_ASSIGN_OR_RETURN(Order order, m.Require(*tx, order_id));
  out.order = std::move(order);
  return out;
}

Result<Order> OrderService::Fulfil(std::string_view order_id, const Actor& actor) {
  Impl& m = *impl_;
  return store::InWriteTransaction(m.db, [&](Transaction& tx) -> Result<Order> {
    ECOM_ASSIGN_OR_RETURN(Order order, m.Lock(tx, order_id));
    ECOM_TRY(CheckTransition(order.status, OrderStatus::kFulfilled));
    for (const auto& [variant, quantity] : ReadReservations(tx, order.id))
      ECOM_TRY(inventory::InventoryService::SellReservedInTx(tx, *m.ids, *m.clock, variant, quantity, order.id, actor));
    tx.Send("DELETE FROM reservations WHERE order_id = $1", {std::string_view(order.id)});
    order.status = OrderStatus::kFulfilled;
    order.stock_state = "sold";
    ECOM_TRY(m.Save(tx, order));
    m.Timeline(tx, order.id, "fulfilled", json::object(), actor);
    m.Event(tx, "order.fulfilled", order);
    return order;
  });
}

Result<Order> OrderService::Ship(std::string_view order_id, const ShipmentInput& shipment, const Actor& actor) {
  std::vector<FieldError> errors;
  if (shipment.carrier.empty() || shipment.carrier.size() > 100) errors.push_back({"carrier", "1 to 100 characters"});
  if (shipment.tracking_number.empty() || shipment.tracking_number.size() > 100)
    errors.push_back({"tracking_number", "1 to 100 characters"});
  if (!shipment.tracking_url.empty() && shipment.tracking_url.rfind("https://", 0) != 0 &&
      shipment.tracking_url.rfind("http://", 0) != 0)
    errors.push_back({"tracking_url", "must be an http(s) URL"});
  if (!errors.empty()) return Error::Invalid("the shipment is not valid", std::move(errors));
  Impl& m = *impl_;
  return store::InWriteTransaction(m.db, [&](Transaction& tx) -> Result<Order> {
    ECOM_ASSIGN_OR_RETURN(Order order, m.Lock(tx, order_id));
    ECOM_TRY(CheckTransition(order.status, OrderStatus::kShipped));
    if (order.status == OrderStatus::kConfirmed) {  // shipping fulfils what was not yet
      for (const auto& [variant, quantity] : ReadReservations(tx, order.id))
        ECOM_TRY(inventory::InventoryService::SellReservedInTx(tx, *m.ids, *m.clock, variant, quantity, order.id, actor));
      tx.Send("DELETE FROM reservations WHERE order_id = $1", {std::string_view(order.id)});
      order.stock_state = "sold";
      m.Timeline(tx, order.id, "fulfilled", json::object(), actor);
    }
    order.status = OrderStatus::kShipped;
    order.carrier = shipment.carrier;
    order.tracking_number = shipment.tracking_number;
    if (!shipment.tracking_url.empty()) order.tracking_url = shipment.tracking_url;
    ECOM_TRY(m.Save(tx, order, ", carrier = $7, tracking_number = $8, tracking_url = $9",
                    {std::string_view(shipment.carrier), std::string_view(shipment.tracking_number),
                     store::Nullable(order.tracking_url)}));
    m.Timeline(tx, order.id, "shipped",
               {{"carrier", shipment.carrier}, {"tracking_number", shipment.tracking_number},
                {"tracking_url", shipment.tracking_url}},
               actor);
    m.Event(tx, "order.shipped", order);
    return order;
  });
}

Result<Order> OrderService::Deliver(std::string_view order_id, const Actor& actor) {
  Impl& m = *impl_;
  return store::InWriteTransaction(m.db, [&](Transaction& tx) -> Result<Order> {
    ECOM_ASSIGN_OR_RETURN(Order order, m.Lock(tx, order_id));
    ECOM_TRY(CheckTransition(order.status, OrderStatus::kDelivered));
    order.status = OrderStatus::kDelivered;
    ECOM_TRY(m.Save(tx, order));
    m.Timeline(tx, order.id, "delivered", json::object(), actor);
    m.Event(tx, "order.delivered", order);
    return order;
  });
}

Result<OrderOutcome> OrderService::IssueRefund(std::string_view order_id, const RefundInput& input,
                                          const store::IdempotencyRequest& idempotency, const Actor& actor) {
  Impl& m = *impl_;
  if (input.amount && *input.amount <= 0)
    return Error::Invalid("the refund amount must be positive", {{"amount", "must be positive"}});
  if (input.reason.size() > 500) return Error::Invalid("the reason is too long", {{"reason", "at most 500 characters"}});
  std::string refund_id;
  OrderOutcome out;
  auto started = store::InWriteTransaction(m.db, [&](Transaction& tx) -> Result<bool> {
    out.claim = store::ClaimIdempotencyKey(tx, idempotency, "", *m.clock);
    if (out.claim.kind != Kind::kClaimed) return false;
    ECOM_ASSIGN_OR_RETURN(Order order, m.Lock(tx, order_id));
    if (order.payment_status != PaymentStatus::kPaid && order.payment_status != PaymentStatus::kPartiallyRefunded) {
      Error e = Error::Precondition("invalid_transition", std::string("the payment status is ") +
                                                              ToString(order.payment_status) + "; nothing to refund");
      e.fields.push_back({"payment_status", ToString(order.payment_status)});
      return e;
    }
    std::int64_t amount = input.amount.value_or(order.amount_captured - order.amount_refunded);
    for (const auto& rs : input.restock) {
      auto line = std::find_if(order.lines.begin(), order.lines.end(), [&](const OrderLine& l) {
        return l.variant_id == rs.sku_or_id || (l.sku && *l.sku == rs.sku_or_id);
      });
      if (line == order.lines.end())
        return Error::Invalid("the order has no line for " + rs.sku_or_id, {{"restock", rs.sku_or_id + " is not in the order"}});
      if (rs.quantity <= 0 || rs.quantity > line->quantity - line->restocked_quantity)
        return Error::Invalid("cannot restock that many", {{"restock", rs.sku_or_id + ": at most " +
                                                                          std::to_string(line->quantity - line->restocked_quantity)}});
      if (order.stock_state == "sold" && line->tracked) {
        ECOM_TRY(inventory::InventoryService::AdjustInTx(
            tx, *m.ids, *m.clock, {line->variant_id, rs.quantity, inventory::StockReason::kReturned, order.id, "refund"},
            actor));
      } else if (order.stock_state == "reserved" && line->tracked) {
        ECOM_TRY(inventory::InventoryService::ReleaseInTx(tx, line->variant_id, rs.quantity, m.Now()));
        // The hold shrinks, or goes when nothing is left of it (a hold of
        // zero is not a hold: the table refuses one).
        tx.Send("DELETE FROM reservations WHERE order_id = $1 AND variant_id = $2 AND quantity = $3",
                {std::string_view(order.id), std::string_view(line->variant_id), rs.quantity});
        tx.Send("UPDATE reservations SET quantity = quantity - $3 WHERE order_id = $1 AND variant_id = $2 "
                "AND quantity > $3",
                {std::string_view(order.id), std::string_view(line->variant_id), rs.quantity});
      }
      line->restocked_quantity += rs.quantity;
      tx.Send("UPDATE order_lines SET restocked_quantity = $3 WHERE order_id = $1 AND line_no = $2",
              {std::string_view(order.id), std::int64_t{line->line_no}, line->restocked_quantity});
    }
    ECOM_ASSIGN_OR_RETURN(orders::Refund r, m.StartRefund(tx, order, amount, input.reason, actor));
    refund_id = r.id;
    tx.Send("UPDATE idempotency_keys SET resource_id = $3 WHERE scope = $1 AND idem_key = $2",
            {std::string_view(idempotency.scope), std::string_view(idempotency.key), std::string_view(r.id)});
    return true;
  });
  if (!started) return std::move(started).error();
  if (out.claim.kind == Kind::kTakenOver) refund_id = out.claim.resource_id.value_or("");
  else if (out.claim.kind != Kind::kClaimed) return out;
  if (refund_id.empty()) return Error::Internal("the earlier attempt of this refund left no refund");
  ECOM_ASSIGN_OR_RETURN(orders::Refund r, m.RunRefund(refund_id));
  out.refund = r;
  auto tx = m.db.Begin(store::TxMode::kRead);
  ECOM_ASSIGN_OR_RETURN(Order order, m.Require(*tx, order_id));
  out.order = std::move(order);
  return out;
}

Result<bool> OrderService::HandleWebhook(std::string_view gateway_name, std::string_view signature,
                                         std::string_view body) {
  Impl& m = *impl_;
  auto* gateway = m.gateways.Find(gateway_name);
  if (!gateway) return Error::NotFound("unknown_gateway", "no gateway '" + std::string(gateway_name) + "'");
  ECOM_ASSIGN_OR_RETURN(payments::WebhookEvent event, gateway->ParseWebhook(signature, body, m.clock->Now()));
  // Applying is idempotent by itself; the event record makes a redelivery
  // cheap and visible. Record it only once it is applied, so an event whose
  // application failed is taken again when the gateway redelivers it.
  {
    auto tx = m.db.Begin(store::TxMode::kRead);
    auto seen = tx->Query("SELECT 1 FROM webhook_events WHERE gateway = $1 AND event_id = $2",
                          {gateway_name, std::string_view(event.id)});
    if (seen->Next()) return false;
  }
  ECOM_TRY(m.ApplyCharge(event.charge_key, event.outcome, Actor{"gateway:" + std::string(gateway_name)}));
  bool fresh = false;
  (void)store::InWriteTransaction(m.db, [&](Transaction& tx) -> Status {
    fresh = tx.Exec("INSERT INTO webhook_events (gateway, event_id, received_at) VALUES ($1, $2, $3) "
                    "ON CONFLICT (gateway, event_id) DO NOTHING",
                    {gateway_name, std::string_view(event.id), m.Now()}) == 1;
    return Ok();
  });
  return fresh;
}

SweepReport OrderService::Sweep() {
  Impl& m = *impl_;
  SweepReport report;
  TimePoint now = m.clock->Now();
  std::string stale = FormatTime(now - m.options.settle_after), now_s = FormatTime(now);
  std::vector<std::string> payments, refunds, overdue;
  {
    auto tx = m.db.Begin(store::TxMode::kRead);
    auto rows = tx->Query("SELECT id FROM payments WHERE status IN ('pending', 'unknown', 'requires_confirmation') "
                          "AND updated_at < $1 ORDER BY updated_at LIMIT 100",
                          {std::string_view(stale)});
    while (rows->Next()) payments.push_back(rows->Text(0));
    rows = tx->Query("SELECT id FROM refunds WHERE status = 'pending' AND updated_at < $1 ORDER BY updated_at LIMIT 100",
                     {std::string_view(stale)});
    while (rows->Next()) refunds.push_back(rows->Text(0));
    rows = tx->Query("SELECT id FROM orders WHERE payment_status IN ('pending', 'failed') AND payment_due_at < $1 "
                     "AND status = 'pending' ORDER BY payment_due_at LIMIT 100",
                     {std::string_view(now_s)});
    while (rows->Next()) overdue.push_back(rows->Text(0));
  }
  for (const auto& id : payments) {
    PaymentRow row;
    {
      auto tx = m.db.Begin(store::TxMode::kRead);
      row = *ReadPaymentRow(*tx, id);
    }
    auto* gateway = m.gateways.Find(row.payment.gateway);
    if (!gateway) continue;
    auto status = gateway->Status(id);
    if (!status || status->state == ChargeState::kNotFound) continue;
    if (status->state == ChargeState::kRequiresConfirmation && row.payment.status == "requires_confirmation") continue;
    if (m.ApplyCharge(id, *status, Actor{"gateway:" + gateway->name()})) ++report.payments_settled;
  }
  for (const auto& id : refunds) {
    auto r = m.RunRefund(id);
    if (r && r->status != "pending") ++report.refunds_settled;
  }
  for (const auto& id : overdue)
    if (m.ExpireUnpaid(id)) ++report.orders_expired;
  report.carts_expired = static_cast<int>(m.carts.ExpireIdle());
  store::PurgeExpiredIdempotencyKeys(m.db, *m.clock);
  return report;
}

}  // namespace ecom::orders
