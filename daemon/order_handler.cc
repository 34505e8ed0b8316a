// Orders, payments, refunds and webhooks over HTTP.
#include "daemon/order_handler.h"

#include "daemon/cart_handler.h"
#include "daemon/idempotency.h"
#include "daemon/json_input.h"
#include "daemon/problem.h"
#include "ecom/orders/json.h"
#include "ecom/payments/card_numbers.h"

namespace ecom::daemon {
namespace {

using nlohmann::json;

json PageJson(const orders::OrderPage& page) {
  json items = json::array();
  for (const auto& o : page.items) {
    json j = orders::ToJson(o);
    j.erase("lines");
    items.push_back(std::move(j));
  }
  return {{"items", std::move(items)},
          {"next_cursor", page.next_cursor ? json(*page.next_cursor) : json(nullptr)}};
}

Result<orders::OrderFilter> FilterOf(const Call& call) {
  orders::OrderFilter f;
  if (auto s = call.Query("status")) {
    f.status = orders::ParseOrderStatus(*s);
    if (!f.status) return Error::Invalid("unknown status", {{"status", "pending, confirmed, fulfilled, shipped, delivered or cancelled"}});
  }
  if (auto s = call.Query("payment_status")) {
    f.payment_status = orders::ParsePaymentStatus(*s);
    if (!f.payment_status)
      return Error::Invalid("unknown payment status", {{"payment_status", "pending, paid, failed, partially_refunded or refunded"}});
  }
  f.customer_id = call.Query("customer_id").value_or("");
  for (auto [name, out] : {std::pair{"created_from", &f.created_from}, std::pair{"created_to", &f.created_to}}) {
    if (auto v = call.Query(name)) {
      TimePoint t;
      if (!ParseTime(*v, &t)) return Error::Invalid(std::string(name) + " is not an RFC 3339 time", {{name, "e.g. 2026-11-01T00:00:00Z"}});
      *out = FormatTime(t);
    }
  }
  auto min = IntParam(call, "min_total", 0);
  if (!min) return min.error();
  f.min_total = *min;
  auto max = IntParam(call, "max_total", 0);
  if (!max) return max.error();
  f.max_total = *max;
  return f;
}

// Reads an idempotent request's key and body; the reply when either is bad.
struct IdempotentBody {
  store::IdempotencyRequest key;
  json body;
};

Result<IdempotentBody> ReadIdempotent(const Call& call, std::initializer_list<std::string_view> fields) {
  json body = json::object();
  if (!call.http().body.empty()) {
    ECOM_ASSIGN_OR_RETURN(body, call.JsonBody());
  }
  if (auto path = payments::FindCardNumber(body, {"gateway", "sku"}))
    return Error{ErrorCode::kInvalidArgument, "card_number_refused",
                 "card numbers are never accepted: tokenize the card with the payment gateway and send its token",
                 {{*path, "looks like a card number"}}};
  ECOM_TRY(OnlyFields(body, fields));
  ECOM_ASSIGN_OR_RETURN(store::IdempotencyRequest key, IdempotencyOf(call));
  return IdempotentBody{std::move(key), std::move(body)};
}

}  // namespace

Reply OrderHandler::List(const Call& call) {
  auto limit = LimitParam(call, 50);
  if (!limit) return Problem(limit.error());
  auto filter = FilterOf(call);
  if (!filter) return Problem(filter.error());
  auto page = orders_.List(*filter, *limit, call.Query("cursor").value_or(""));
  if (!page) return Problem(page.error());
  return Reply::Json(200, PageJson(*page));
}

Reply OrderHandler::ListMine(const Call& call) {
  auto limit = LimitParam(call, 20);
  if (!limit) return Problem(limit.error());
  orders::OrderFilter filter;
  filter.customer_id = call.customer_id();
  auto page = orders_.List(filter, *limit, call.Query("cursor").value_or(""));
  if (!page) return Problem(page.error());
  return Reply::Json(200, PageJson(*page));
}

Reply OrderHandler::Get(const Call& call) {
  auto reader = ReaderOf(call);
  auto order = orders_.Get(call.Param("id"), reader);
  if (!order) return Problem(order.error());
  json out = orders::ToJson(*order);
  auto timeline = orders_.Timeline(order->id, reader);
  if (!timeline) return Problem(timeline.error());
  json entries = json::array();
  for (const auto& t : *timeline) entries.push_back(orders::ToJson(t));
  out["timeline"] = std::move(entries);
  return Reply::Json(200, out);
}

Reply OrderHandler::ListPayments(const Call& call) {
  auto payments = orders_.Payments(call.Param("id"), ReaderOf(call));
  if (!payments) return Problem(payments.error());
  json items = json::array();
  for (const auto& p : *payments) items.push_back(orders::ToJson(p));
  return Reply::Json(200, {{"items", std::move(items)}});
}

Reply OrderHandler::Pay(const Call& call) {
  auto in = ReadIdempotent(call, {"token", "gateway"});
  if (!in) return Problem(in.error());
  auto token = RequiredString(in->body, "token");
  if (!token) return Problem(token.error());
  auto gateway = OptionalString(in->body, "gateway");
  if (!gateway) return Problem(gateway.error());
  std::optional<Reply> rendered;
  auto outcome = orders_.Pay(call.Param("id"), ReaderOf(call), *token, gateway->value_or(""), in->key,
                             call.actor(), StoringResponder(PaymentReply, &rendered));
  if (!outcome) return FinishIdempotent(db_, *clock_, in->key, Problem(outcome.error()));
  if (auto reply = ClaimReply(outcome->claim)) return *reply;
  if (outcome->response_stored) return *rendered;
  return FinishIdempotent(db_, *clock_, in->key, PaymentReply(*outcome));
}

Reply OrderHandler::Cancel(const Call& call) {
  auto in = ReadIdempotent(call, {"reason"});
  if (!in) return Problem(in.error());
  auto reason = OptionalString(in->body, "reason");
  if (!reason) return Problem(reason.error());
  auto outcome = orders_.Cancel(call.Param("id"), reason->value_or(""), in->key, call.actor());
  if (!outcome) return FinishIdempotent(db_, *clock_, in->key, Problem(outcome.error()));
  if (auto reply = ClaimReply(outcome->claim)) return *reply;
  json out = {{"order", orders::ToJson(*outcome->order)}};
  if (outcome->refund) out["refund"] = orders::ToJson(*outcome->refund);
  return FinishIdempotent(db_, *clock_, in->key, Reply::Json(200, out));
}

Reply OrderHandler::Fulfil(const Call& call) {
  auto order = orders_.Fulfil(call.Param("id"), call.actor());
  if (!order) return Problem(order.error());
  return Reply::Json(200, orders::ToJson(*order));
}

Reply OrderHandler::Ship(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  if (auto s = OnlyFields(*body, {"carrier", "tracking_number", "tracking_url"}); !s) return Problem(s.error());
  orders::ShipmentInput shipment;
  auto carrier = RequiredString(*body, "carrier");
  if (!carrier) return Problem(carrier.error());
  auto number = RequiredString(*body, "tracking_number");
  if (!number) return Problem(number.error());
  auto url = OptionalString(*body, "tracking_url");
  if (!url) return Problem(url.error());
  shipment = {*carrier, *number, url->value_or("")};
  auto order = orders_.Ship(call.Param("id"), shipment, call.actor());
  if (!order) return Problem(order.error());
  return Reply::Json(200, orders::ToJson(*order));
}

Reply OrderHandler::Deliver(const Call& call) {
  auto order = orders_.Deliver(call.Param("id"), call.actor());
  if (!order) return Problem(order.error());
  return Reply::Json(200, orders::ToJson(*order));
}

Reply OrderHandler::Refund(const Call& call) {
  auto in = ReadIdempotent(call, {"amount", "reason", "restock"});
  if (!in) return Problem(in.error());
  orders::RefundInput input;
  std::vector<FieldError> errors;
  if (auto a = in->body.find("amount"); a != in->body.end() && !a->is_null()) {
    if (a->is_number_integer()) input.amount = a->get<std::int64_t>();
    else if (a->is_object() && a->contains("amount") && (*a)["amount"].is_number_integer()) input.amount = (*a)["amount"].get<std::int64_t>();
    else errors.push_back({"amount", "minor units as a whole number, or {\"amount\", \"currency\"}"});
  }
  auto reason = OptionalString(in->body, "reason");
  if (!reason) return Problem(reason.error());
  input.reason = reason->value_or("");
  if (auto r = in->body.find("restock"); r != in->body.end()) {
    if (!r->is_array()) errors.push_back({"restock", "must be a list of {\"sku\", \"quantity\"}"});
    else
      for (std::size_t i = 0; i < r->size(); ++i) {
        const json& line = (*r)[i];
        if (!line.is_object() || !line.contains("sku") || !line["sku"].is_string() || !line.contains("quantity") ||
            !line["quantity"].is_number_integer())
          errors.push_back({"restock[" + std::to_string(i) + "]", "must be {\"sku\", \"quantity\"}"});
        else
          input.restock.push_back({line["sku"].get<std::string>(), line["quantity"].get<std::int64_t>()});
      }
  }
  if (!errors.empty()) return Problem(Error::Invalid("the refund is not valid", std::move(errors)));
  auto outcome = orders_.IssueRefund(call.Param("id"), input, in->key, call.actor());
  if (!outcome) return FinishIdempotent(db_, *clock_, in->key, Problem(outcome.error()));
  if (auto reply = ClaimReply(outcome->claim)) return *reply;
  json out = {{"refund", orders::ToJson(*outcome->refund)}, {"order", orders::ToJson(*outcome->order)}};
  return FinishIdempotent(db_, *clock_, in->key, Reply::Json(201, out));
}

Reply OrderHandler::ListRefunds(const Call& call) {
  auto refunds = orders_.Refunds(call.Param("id"));
  if (!refunds) return Problem(refunds.error());
  json items = json::array();
  for (const auto& r : *refunds) items.push_back(orders::ToJson(r));
  return Reply::Json(200, {{"items", std::move(items)}});
}

Reply OrderHandler::GetPayment(const Call& call) {
  auto payment = orders_.GetPayment(call.Param("id"));
  if (!payment) return Problem(payment.error());
  return Reply::Json(200, orders::ToJson(*payment));
}

Reply OrderHandler::Webhook(const Call& call) {
  auto fresh = orders_.HandleWebhook(call.Param("gateway"), call.Header("Ecom-Signature"), call.http().body);
  if (!fresh) return Problem(fresh.error());
  return Reply::Json(200, {{"received", true}, {"duplicate", !*fresh}});
}

}  // namespace ecom::daemon
