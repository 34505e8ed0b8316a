// `ecom order`: list and show orders, and move them on: fulfil, ship,
// deliver, cancel and refund. A thin shell over orders::OrderService, built
// as ecomd builds it (Context::orders), so the CLI and the API agree.
#include <fmt/core.h>
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "context.h"
#include "ecom/common/clock.h"
#include "ecom/common/money.h"
#include "ecom/orders/json.h"
#include "ecom/store/idempotency.h"
#include "exit_codes.h"
#include "output.h"

namespace ecom::cli {
namespace {

using nlohmann::json;
using Kind = store::IdempotencyClaim::Kind;

constexpr int kMaxPage = 250;

// The CLI acts as staff: it may read every order.
const orders::OrderReader kStaff{.customer_id = "", .token_verified = false, .staff = true};

// ---- Naming and errors ----------------------------------------------------

// "order #1001 (ord_...)"
std::string Named(const orders::Order& o) { return fmt::format("order #{} ({})", o.number, o.id); }

// The order `id` as staff see it; kNotFound names the id.
Result<orders::Order> LoadOrder(orders::OrderService& service, const std::string& id) {
  auto order = service.Get(id, kStaff);
  if (!order.ok() && order.error().code == ErrorCode::kNotFound)
    return Error::NotFound("order_not_found", "no such order: " + id);
  return order;
}

// `error` with its message saying what was being done (`cannot ship order
// #1001 (ord_...)`).
Error Doing(Error error, const std::string& what) {
  if (error.code == ErrorCode::kNotFound && error.reason == "order_not_found") return error;
  error.message = what + ": " + error.message;
  return error;
}

// ---- Idempotency ----------------------------------------------------------


// A random version-4 UUID: the key of a command run without --idempotency-key.
std::string NewIdempotencyKey() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, b, sizeof b);
  std::string h(hex);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
         h.substr(20);
}

// "" if `key` may be an idempotency key, else what is wrong with it.
std::string CheckIdempotencyKey(const std::string& key) {
  if (key.empty() || key.size() > 255) return "an idempotency key is 1 to 255 characters";
  for (unsigned char c : key)
    if (c < 0x21 || c == 0x7f) return "an idempotency key has no blanks or control characters";
  return "";
}

// A money-moving command's claim: scoped to the actor (`cli:alice`), keyed by
// --idempotency-key (or a fresh random key), fingerprinted by the command and
// its canonical arguments, so the same key with other arguments is refused.
struct Idempotent {
  store::IdempotencyRequest request;
  bool generated = false;  // the key was made up here, not given
};

Idempotent IdempotencyFor(const Context& ctx, const std::string& command, const json& arguments,
                          const std::string& key) {
  Idempotent out;
  out.generated = key.empty();
  out.request.scope = ctx.actor().id;
  out.request.key = key.empty() ? NewIdempotencyKey() : key;
  // nlohmann's objects keep their members sorted, so dump() is canonical.
  out.request.fingerprint = store::Fingerprint("ecom " + command + "\n" + arguments.dump());
  return out;
}

// The error for a claim that must not run, or nullopt for one that ran.
std::optional<Error> RefusedClaim(const store::IdempotencyClaim& claim, const std::string& key) {
  switch (claim.kind) {
    case Kind::kInProgress:
      return Error::Conflict("idempotency_key_in_use",
                             fmt::format("a command with idempotency key {} is still running; try "
                                         "again in a minute",
                                         key));
    case Kind::kMismatch:
      return Error{ErrorCode::kInvalidArgument,
                   "idempotency_key_reused",
                   fmt::format("idempotency key {} was already used for a different command or "
                               "different arguments; nothing was changed (use a new key)",
                               key),
                   {{"--idempotency-key", "already used with other arguments"}}};
    default:
      return std::nullopt;
  }
}

// Reports the failure of a money-moving command. A refusal (not found, not
// allowed in this state, bad input) rolled its claim back with everything
// else, so a retry with the key runs afresh. A failure (store or gateway
// trouble) may leave the claim behind with work half done: its lease is ended
// so that a retry with the key takes it over and finishes that work, and when
// the key was made up here, it is printed for that retry.
int ReportIdempotentError(Context& ctx, const Idempotent& idem, const Error& error) {
  int code = ExitCodeFor(error);
  if (code == kExitFailure) store::ReleaseIdempotencyKey(ctx.db(), idem.request);
  ReportError(error);
  if (idem.generated && code == kExitFailure)
    fmt::print(stderr, "ecom: to retry without doing it twice, add --idempotency-key {}\n",
               idem.request.key);
  return code;
}

// ---- Formatting -----------------------------------------------------------

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }
std::string OrDash(const std::optional<std::string>& s) { return s && !s->empty() ? *s : "-"; }

std::string OneLine(const orders::Address& a) {
  std::string out;
  auto add = [&out](const std::string& part, const char* sep = ", ") {
    if (part.empty()) return;
    if (!out.empty()) out += sep;
    out += part;
  };
  add(a.name);
  add(a.line1);
  add(a.line2);
  add(a.city);
  add(a.region);
  add(a.postal_code, a.region.empty() ? ", " : " ");
  add(a.country);
  return OrDash(out);
}

// A timeline entry's detail object as `key=value ...`.
std::string DetailText(const std::string& detail) {
  json j = json::parse(detail, nullptr, false);
  if (!j.is_object()) return detail.empty() || detail == "{}" ? "-" : detail;
  std::string out;
  for (const auto& [key, value] : j.items()) {
    if (value.is_null() || (value.is_string() && value.get<std::string>().empty())) continue;
    out += (out.empty() ? "" : " ") + key + "=" +
           (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out.empty() ? "-" : out;
}

std::string Units(const orders::Order& o) {
  std::string out;
  for (const auto& l : o.lines) {
    std::int64_t kept = l.quantity - l.restocked_quantity;
    if (kept <= 0) continue;
    out += fmt::format("{}{} x{}", out.empty() ? "" : ", ", l.sku.value_or(l.variant_id), kept);
  }
  return out.empty() ? "nothing" : out;
}

std::string Refundable(const orders::Order& o) {
  return FormatMoney(o.amount_captured - o.amount_refunded, o.currency);
}

// ---- list -----------------------------------------------------------------

struct ListFlags {
  std::string status;
  std::string payment_status;
  std::string customer;
  std::string from;
  std::string to;
  std::string min_total;
  std::string max_total;
  int limit = 0;  // 0: 50, or 250 per page with --all
  bool all = false;
  std::string cursor;
};

Result<std::string> TimeFlag(const std::string& flag, const std::string& value) {
  TimePoint t;
  if (!ParseTime(value, &t))
    return UsageError(fmt::format("{}: '{}' is not an RFC 3339 time such as 2026-11-01T00:00:00Z",
                                  flag, value));
  return FormatTime(t);
}

Result<std::int64_t> AmountFlag(const std::string& flag, const std::string& value,
                                const std::string& currency) {
  auto amount = ParseDecimalAmount(value, CurrencyExponent(currency).value_or(2));
  if (!amount.ok())
    return UsageError(fmt::format("{}: {} (an amount in {}, such as {})", flag,
                                  amount.error().message, currency, FormatAmount(2500, currency)));
  return *amount;
}

int RunList(Context& ctx, const ListFlags& flags) {
  orders::OrderFilter filter;
  if (!flags.status.empty()) filter.status = orders::ParseOrderStatus(flags.status);
  if (!flags.payment_status.empty())
    filter.payment_status = orders::ParsePaymentStatus(flags.payment_status);
  filter.customer_id = flags.customer;
  const std::string& currency = ctx.config().shop_currency;
  if (!flags.from.empty()) {
    auto t = TimeFlag("--from", flags.from);
    if (!t.ok()) return ReportError(t.error());
    filter.created_from = *t;
  }
  if (!flags.to.empty()) {
    auto t = TimeFlag("--to", flags.to);
    if (!t.ok()) return ReportError(t.error());
    filter.created_to = *t;
  }
  if (!flags.min_total.empty()) {
    auto a = AmountFlag("--min-total", flags.min_total, currency);
    if (!a.ok()) return ReportError(a.error());
    filter.min_total = *a;
  }
  if (!flags.max_total.empty()) {
    auto a = AmountFlag("--max-total", flags.max_total, currency);
    if (!a.ok()) return ReportError(a.error());
    filter.max_total = *a;
  }
  if (flags.cursor.rfind("ord_", 0) != 0 && !flags.cursor.empty())
    return ReportError(UsageError(
        fmt::format("--cursor: '{}' is not a cursor an earlier page gave out", flags.cursor)));

  auto service = ctx.orders();
  if (!service.ok()) return ReportError(service.error());
  int limit = flags.limit > 0 ? flags.limit : (flags.all ? kMaxPage : 50);
  std::string cursor = flags.cursor;
  std::vector<orders::Order> found;
  std::optional<std::string> next;
  for (;;) {
    auto page = (*service)->List(filter, limit, cursor);
    if (!page.ok()) return ReportError(page.error());
    for (auto& o : page->items) found.push_back(std::move(o));
    next = page->next_cursor;
    if (!flags.all || !next) break;
    cursor = *next;
  }

  if (ctx.json()) {
    json items = json::array();
    for (const auto& o : found) {
      json j = orders::ToJson(o);
      j.erase("lines");  // a list carries no lines, as in the API
      items.push_back(std::move(j));
    }
    PrintJson({{"items", std::move(items)}, {"next_cursor", next ? json(*next) : json()}});
    return kExitOk;
  }
  if (found.empty()) {
    fmt::print(stderr, "no orders found\n");
    return kExitOk;
  }
  Table table({"NUMBER", "ID", "CREATED", "STATUS", "PAYMENT", "TOTAL", "EMAIL"});
  table.AlignRight(0).AlignRight(5);
  for (const auto& o : found)
    table.AddRow({fmt::format("#{}", o.number), o.id, o.created_at, orders::ToString(o.status),
                  orders::ToString(o.payment_status), FormatMoney(o.totals.grand_total, o.currency),
                  Truncate(OrDash(o.email), 40)});
  table.Print();
  if (next) fmt::print(stderr, "more orders follow: add --all, or --cursor {}\n", *next);
  return kExitOk;
}

// ---- show -----------------------------------------------------------------

int RunShow(Context& ctx, const std::string& id) {
  auto service = ctx.orders();
  if (!service.ok()) return ReportError(service.error());
  orders::OrderService& svc = **service;
  auto order = LoadOrder(svc, id);
  if (!order.ok()) return ReportError(order.error());
  auto payments = svc.Payments(order->id, kStaff);
  if (!payments.ok()) return ReportError(payments.error());
  auto refunds = svc.Refunds(order->id);
  if (!refunds.ok()) return ReportError(refunds.error());
  auto timeline = svc.Timeline(order->id, kStaff);
  if (!timeline.ok()) return ReportError(timeline.error());
  const orders::Order& o = *order;

  if (ctx.json()) {
    json out = orders::ToJson(o);
    json items = json::array();
    for (const auto& p : *payments) items.push_back(orders::ToJson(p));
    out["payments"] = std::move(items);
    items = json::array();
    for (const auto& r : *refunds) items.push_back(orders::ToJson(r));
    out["refunds"] = std::move(items);
    items = json::array();
    for (const auto& t : *timeline) items.push_back(orders::ToJson(t));
    out["timeline"] = std::move(items);
    PrintJson(out);
    return kExitOk;
  }

  std::vector<std::pair<std::string, std::string>> fields = {
      {"order", fmt::format("#{}", o.number)},
      {"id", o.id},
      {"status", orders::ToString(o.status)},
      {"payment status", orders::ToString(o.payment_status)},
      {"email", OrDash(o.email)},
      {"customer", OrDash(o.customer_id)},
      {"created", o.created_at},
      {"updated", o.updated_at},
      {"subtotal", FormatMoney(o.totals.subtotal, o.currency)},
      {"shipping", FormatMoney(o.totals.shipping, o.currency)},
      {"tax", FormatMoney(o.totals.tax, o.currency) + (o.totals.taxes_included ? " (included)" : "")},
      {"total", FormatMoney(o.totals.grand_total, o.currency)},
      {"captured", FormatMoney(o.amount_captured, o.currency)},
      {"refunded", FormatMoney(o.amount_refunded, o.currency)},
      {"shipping method",
       o.shipping_method_name.empty() ? OrDash(o.shipping_method)
                                      : o.shipping_method_name + " (" + o.shipping_method + ")"},
      {"ship to", OneLine(o.shipping_address)},
      {"bill to", OneLine(o.billing_address)},
      {"stock", OrDash(o.stock_state)}};
  if (o.carrier)
    fields.push_back({"shipment", *o.carrier + " " + OrDash(o.tracking_number) +
                                      (o.tracking_url ? " " + *o.tracking_url : "")});
  if (o.status == orders::OrderStatus::kPending) fields.push_back({"payment due", o.payment_due_at});
  if (o.payment_failure) fields.push_back({"payment failure", *o.payment_failure});
  if (o.cancel_reason) fields.push_back({"cancel reason", *o.cancel_reason});
  PrintFields(fields);

  fmt::print("\nLines:\n");
  Table lines({"#", "SKU", "TITLE", "QTY", "UNIT PRICE", "SUBTOTAL", "TAX", "RESTOCKED"});
  lines.AlignRight(0).AlignRight(3).AlignRight(4).AlignRight(5).AlignRight(6).AlignRight(7);
  for (const auto& l : o.lines)
    lines.AddRow({std::to_string(l.line_no), OrDash(l.sku),
                  Truncate(l.variant_title.empty() ? l.title : l.title + " - " + l.variant_title, 40),
                  std::to_string(l.quantity), FormatAmount(l.unit_price, o.currency),
                  FormatAmount(l.subtotal, o.currency), FormatAmount(l.tax, o.currency),
                  std::to_string(l.restocked_quantity)});
  lines.Print();

  fmt::print("\nPayments:\n");
  if (payments->empty()) {
    fmt::print("  none\n");
  } else {
    Table table({"ID", "GATEWAY", "STATUS", "AMOUNT", "REFUNDED", "CARD", "CREATED"});
    table.AlignRight(3).AlignRight(4);
    for (const auto& p : *payments)
      table.AddRow({p.id, p.gateway,
                    p.status + (p.failure_code ? " (" + *p.failure_code + ")" : ""),
                    FormatMoney(p.amount.amount, p.amount.currency),
                    FormatAmount(p.amount_refunded, p.amount.currency),
                    p.brand.empty() && p.last4.empty() ? "-" : OrDash(p.brand) + " " + OrDash(p.last4),
                    p.created_at});
    table.Print();
  }

  fmt::print("\nRefunds:\n");
  if (refunds->empty()) {
    fmt::print("  none\n");
  } else {
    Table table({"ID", "STATUS", "AMOUNT", "REASON", "ACTOR", "CREATED"});
    table.AlignRight(2);
    for (const auto& r : *refunds)
      table.AddRow({r.id, r.status, FormatMoney(r.amount.amount, r.amount.currency),
                    Truncate(OrDash(r.reason), 40), r.actor, r.created_at});
    table.Print();
  }

  fmt::print("\nTimeline:\n");
  Table table({"TIME", "EVENT", "ACTOR", "DETAIL"});
  for (const auto& t : *timeline)
    table.AddRow({t.created_at, t.kind, t.actor, Truncate(DetailText(t.detail), 60)});
  table.Print();
  return kExitOk;
}

// ---- fulfil, ship, deliver --------------------------------------------------

struct MoveFlags {
  std::string id;
  bool dry_run = false;
  orders::ShipmentInput shipment;  // ship only
};

// What `verb` ("fulfil") does to an order, in words and as a state.
struct Move {
  const char* verb;  // fulfil
  const char* done;  // fulfilled
  orders::OrderStatus to;
  std::function<Result<orders::Order>(orders::OrderService&, const std::string&, const Actor&)> run;
};

void PrintMoved(const orders::Order& o, const Move& move) {
  std::string detail;
  if (o.status == orders::OrderStatus::kShipped && o.carrier)
    detail = fmt::format(": {} {}{}", *o.carrier, OrDash(o.tracking_number),
                         o.tracking_url ? " " + *o.tracking_url : "");
  else if (o.status == orders::OrderStatus::kFulfilled)
    detail = ": sold " + Units(o);
  fmt::print("{} is now {}{}\n", Named(o), move.done, detail);
}

int RunMove(Context& ctx, const MoveFlags& flags, const Move& move) {
  auto service = ctx.orders();
  if (!service.ok()) return ReportError(service.error());
  auto order = LoadOrder(**service, flags.id);
  if (!order.ok()) return ReportError(order.error());
  std::string what = fmt::format("cannot {} {}", move.verb, Named(*order));

  if (flags.dry_run) {
    if (Status s = orders::CheckTransition(order->status, move.to); !s.ok())
      return ReportError(Doing(s.error(), what));
    if (ctx.json()) {
      PrintJson({{"dry_run", true},
                 {"action", move.verb},
                 {"from", orders::ToString(order->status)},
                 {"to", orders::ToString(move.to)},
                 {"order", orders::ToJson(*order)}});
    } else {
      fmt::print("dry run: would {} {}: {} -> {}; nothing was changed\n", move.verb,
                 Named(*order), orders::ToString(order->status), orders::ToString(move.to));
    }
    return kExitOk;
  }

  auto moved = move.run(**service, order->id, ctx.actor());
  if (!moved.ok()) return ReportError(Doing(moved.error(), what));
  if (ctx.json())
    PrintJson(orders::ToJson(*moved));
  else
    PrintMoved(*moved, move);
  return kExitOk;
}

// ---- cancel ---------------------------------------------------------------

struct CancelFlags {
  std::string id;
  std::string reason;
  std::string key;
  bool dry_run = false;
};

// What a cancel or refund did, as stored for a replay of its key: the same
// shape as the API's answer.
json OutcomeJson(const orders::Order& order, const std::optional<orders::Refund>& refund) {
  json out = {{"order", orders::ToJson(order)}};
  if (refund) out["refund"] = orders::ToJson(*refund);
  return out;
}

// The refund `id` of `order_id` as it stands now.
std::optional<orders::Refund> CurrentRefund(orders::OrderService& svc, const std::string& order_id,
                                            const std::string& id) {
  auto refunds = svc.Refunds(order_id);
  if (!refunds.ok()) return std::nullopt;
  for (auto& r : *refunds)
    if (r.id == id) return r;
  return std::nullopt;
}

// A replayed key: what the first run did, as things stand now.
Result<std::pair<orders::Order, std::optional<orders::Refund>>> Replayed(
    orders::OrderService& svc, const std::string& order_id, const store::IdempotencyClaim& claim) {
  json stored = json::parse(claim.response.body, nullptr, false);
  ECOM_ASSIGN_OR_RETURN(orders::Order order, LoadOrder(svc, order_id));
  std::optional<orders::Refund> refund;
  if (stored.is_object() && stored.contains("refund") && stored["refund"].contains("id"))
    refund = CurrentRefund(svc, order.id, stored["refund"]["id"].get<std::string>());
  return std::make_pair(std::move(order), std::move(refund));
}

void NoteReplay(const Idempotent& idem) {
  fmt::print(stderr,
             "ecom: note: idempotency key {} was used before for this command; nothing was done "
             "again, this is the result as it stands now\n",
             idem.request.key);
}

// "refund rfd_... of 25.00 USD: succeeded"
std::string RefundLine(const orders::Refund& r) {
  return fmt::format("refund {} of {}: {}", r.id, FormatMoney(r.amount.amount, r.amount.currency),
                     r.status);
}

// The exit code for a refund's state: a refusal by the gateway is a failure.
int RefundExit(const orders::Refund& r) {
  if (r.status == "failed")
    return ReportFailure(fmt::format("the payment gateway refused refund {}; nothing was refunded", r.id));
  if (r.status == "pending")
    fmt::print(stderr,
               "ecom: note: the payment gateway has not answered yet; refund {} stays pending and "
               "ecomd settles it\n",
               r.id);
  return kExitOk;
}

int RunCancel(Context& ctx, const CancelFlags& flags) {
  auto service = ctx.orders();
  if (!service.ok()) return ReportError(service.error());
  orders::OrderService& svc = **service;
  auto order = LoadOrder(svc, flags.id);
  if (!order.ok()) return ReportError(order.error());
  std::string what = "cannot cancel " + Named(*order);

  if (flags.dry_run) {
    if (Status s = orders::CheckTransition(order->status, orders::OrderStatus::kCancelled); !s.ok())
      return ReportError(Doing(s.error(), what));
    std::int64_t refund = order->amount_captured - order->amount_refunded;
    if (ctx.json()) {
      PrintJson({{"dry_run", true},
                 {"action", "cancel"},
                 {"order", orders::ToJson(*order)},
                 {"refund", {{"amount", refund}, {"currency", order->currency}}}});
    } else {
      fmt::print("dry run: would cancel {}, now {}: {} its stock{}; nothing was changed\n",
                 Named(*order), orders::ToString(order->status),
                 order->stock_state == "sold" ? "return" : "release",
                 refund > 0 ? " and refund " + FormatMoney(refund, order->currency) : "");
    }
    return kExitOk;
  }

  Idempotent idem = IdempotencyFor(ctx, "order cancel", {{"order", order->id}, {"reason", flags.reason}},
                                   flags.key);
  auto outcome = svc.Cancel(order->id, flags.reason, idem.request, ctx.actor());
  if (!outcome.ok()) return ReportIdempotentError(ctx, idem, Doing(outcome.error(), what));
  if (auto refused = RefusedClaim(outcome->claim, idem.request.key)) return ReportError(*refused);

  orders::Order cancelled;
  std::optional<orders::Refund> refund;
  if (outcome->claim.kind == Kind::kReplay) {
    NoteReplay(idem);
    auto replayed = Replayed(svc, order->id, outcome->claim);
    if (!replayed.ok()) return ReportError(replayed.error());
    std::tie(cancelled, refund) = std::move(*replayed);
  } else {
    cancelled = std::move(*outcome->order);
    refund = outcome->refund;
    json body = OutcomeJson(cancelled, refund);
    store::StoreIdempotentResponse(ctx.db(), idem.request, {200, body.dump()}, *ctx.clock());
  }

  if (ctx.json()) {
    json out = OutcomeJson(cancelled, refund);
    out["idempotency_key"] = idem.request.key;
    PrintJson(out);
  } else {
    fmt::print("{} is now {} (reason: {})\n", Named(cancelled), orders::ToString(cancelled.status),
               OrDash(cancelled.cancel_reason));
    if (refund) fmt::print("{}\n", RefundLine(*refund));
  }
  return refund ? RefundExit(*refund) : kExitOk;
}

// ---- refund ---------------------------------------------------------------

struct RefundFlags {
  std::string id;
  std::string amount;  // decimal in the order's currency; "" : everything refundable
  std::string reason;
  std::vector<std::string> restock;  // SKU=QTY
  std::string key;
  bool dry_run = false;
};

Result<orders::RestockLine> ParseRestock(const std::string& item) {
  auto eq = item.rfind('=');
  std::int64_t quantity = 0;
  if (eq != std::string::npos && eq > 0) {
    const char* begin = item.data() + eq + 1;
    const char* end = item.data() + item.size();
    auto [ptr, ec] = std::from_chars(begin, end, quantity);
    if (begin != end && ec == std::errc() && ptr == end && quantity > 0)
      return orders::RestockLine{item.substr(0, eq), quantity};
  }
  return UsageError(
      fmt::format("--restock: '{}' is not SKU=QTY with a whole number QTY above 0", item));
}

// What the core's refusal of a refund means, in the order's money.
Error RefundError(Error error, const orders::Order& o, std::optional<std::int64_t> amount) {
  if (error.reason == "refund_exceeds_captured") {
    error.message = fmt::format(
        "cannot refund {} of {}: only {} can still be refunded ({} captured, {} refunded)",
        amount ? FormatMoney(*amount, o.currency) : std::string("that"), Named(o), Refundable(o),
        FormatMoney(o.amount_captured, o.currency), FormatMoney(o.amount_refunded, o.currency));
    error.fields = {{"--amount", "at most " + FormatAmount(o.amount_captured - o.amount_refunded,
                                                           o.currency)}};
    return error;
  }
  return Doing(std::move(error), "cannot refund " + Named(o));
}

// The checks a dry run makes: the payment status and the amount.
Status CheckRefund(const orders::Order& o, std::int64_t amount) {
  if (o.payment_status != orders::PaymentStatus::kPaid &&
      o.payment_status != orders::PaymentStatus::kPartiallyRefunded) {
    Error e = Error::Precondition("invalid_transition",
                                  std::string("the payment status is ") +
                                      orders::ToString(o.payment_status) + "; nothing to refund");
    e.fields.push_back({"payment_status", orders::ToString(o.payment_status)});
    return e;
  }
  if (amount <= 0 || amount > o.amount_captured - o.amount_refunded)
    return Error::Precondition("refund_exceeds_captured", "too much");
  return Ok();
}

int RunRefund(Context& ctx, const RefundFlags& flags) {
  std::vector<orders::RestockLine> restock;
  for (const auto& item : flags.restock) {
    auto line = ParseRestock(item);
    if (!line.ok()) return ReportError(line.error());
    restock.push_back(*line);
  }
  auto service = ctx.orders();
  if (!service.ok()) return ReportError(service.error());
  orders::OrderService& svc = **service;
  auto order = LoadOrder(svc, flags.id);
  if (!order.ok()) return ReportError(order.error());
  const orders::Order& o = *order;

  orders::RefundInput input;
  if (!flags.amount.empty()) {
    auto amount = ParseDecimalAmount(flags.amount, CurrencyExponent(o.currency).value_or(2));
    if (!amount.ok())
      return ReportError(UsageError(fmt::format("--amount: {} (a decimal amount in {}, the "
                                                "currency of {}, such as {})",
                                                amount.error().message, o.currency, Named(o),
                                                FormatAmount(1000, o.currency))));
    if (*amount <= 0)
      return ReportError(UsageError("--amount: the refund amount must be above zero"));
    input.amount = *amount;
  }
  input.reason = flags.reason;
  input.restock = restock;

  if (flags.dry_run) {
    std::int64_t amount = input.amount.value_or(o.amount_captured - o.amount_refunded);
    if (Status s = CheckRefund(o, amount); !s.ok())
      return ReportError(RefundError(s.error(), o, amount));
    for (const auto& rs : restock) {
      auto line = std::find_if(o.lines.begin(), o.lines.end(), [&](const orders::OrderLine& l) {
        return l.variant_id == rs.sku_or_id || (l.sku && *l.sku == rs.sku_or_id);
      });
      if (line == o.lines.end())
        return ReportError(Error::Invalid(
            fmt::format("cannot refund {}: it has no line for {}", Named(o), rs.sku_or_id),
            {{"--restock", rs.sku_or_id + " is not in the order"}}));
      if (rs.quantity > line->quantity - line->restocked_quantity)
        return ReportError(Error::Invalid(
            fmt::format("cannot refund {}: cannot restock {} of {}", Named(o), rs.quantity,
                        rs.sku_or_id),
            {{"--restock", fmt::format("{}: at most {}", rs.sku_or_id,
                                       line->quantity - line->restocked_quantity)}}));
    }
    if (ctx.json()) {
      json lines = json::array();
      for (const auto& rs : restock) lines.push_back({{"sku", rs.sku_or_id}, {"quantity", rs.quantity}});
      PrintJson({{"dry_run", true},
                 {"action", "refund"},
                 {"order", orders::ToJson(o)},
                 {"amount", {{"amount", amount}, {"currency", o.currency}}},
                 {"restock", std::move(lines)}});
    } else {
      std::string back;
      for (const auto& rs : restock)
        back += fmt::format("{}{} x{}", back.empty() ? "" : ", ", rs.sku_or_id, rs.quantity);
      fmt::print("dry run: would refund {} of {}, of {} captured and {} refunded so far{}; "
                 "nothing was changed\n",
                 FormatMoney(amount, o.currency), Named(o), FormatMoney(o.amount_captured, o.currency),
                 FormatMoney(o.amount_refunded, o.currency),
                 back.empty() ? "" : " and restock " + back);
    }
    return kExitOk;
  }

  // The canonical arguments: the amount in minor units (10 and 10.00 are one
  // refund), the restock lines in SKU order.
  json lines = json::array();
  std::vector<orders::RestockLine> sorted = restock;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return std::tie(a.sku_or_id, a.quantity) < std::tie(b.sku_or_id, b.quantity);
  });
  for (const auto& rs : sorted) lines.push_back(json::array({rs.sku_or_id, rs.quantity}));
  Idempotent idem = IdempotencyFor(
      ctx, "order refund",
      {{"order", o.id},
       {"amount", input.amount ? json(*input.amount) : json()},
       {"reason", input.reason},
       {"restock", std::move(lines)}},
      flags.key);

  auto outcome = svc.IssueRefund(o.id, input, idem.request, ctx.actor());
  if (!outcome.ok()) return ReportIdempotentError(ctx, idem, RefundError(outcome.error(), o, input.amount));
  if (auto refused = RefusedClaim(outcome->claim, idem.request.key)) return ReportError(*refused);

  orders::Order after;
  std::optional<orders::Refund> refund;
  if (outcome->claim.kind == Kind::kReplay) {
    NoteReplay(idem);
    auto replayed = Replayed(svc, o.id, outcome->claim);
    if (!replayed.ok()) return ReportError(replayed.error());
    std::tie(after, refund) = std::move(*replayed);
  } else {
    after = std::move(*outcome->order);
    refund = outcome->refund;
    store::StoreIdempotentResponse(ctx.db(), idem.request, {201, OutcomeJson(after, refund).dump()},
                                   *ctx.clock());
  }

  if (ctx.json()) {
    json out = OutcomeJson(after, refund);
    out["idempotency_key"] = idem.request.key;
    PrintJson(out);
  } else {
    if (refund) fmt::print("{}\n", RefundLine(*refund));
    fmt::print("{}: captured {}, refunded {}, payment status {}\n", Named(after),
               FormatMoney(after.amount_captured, after.currency),
               FormatMoney(after.amount_refunded, after.currency),
               orders::ToString(after.payment_status));
    if (!restock.empty() && outcome->claim.kind != Kind::kReplay) {
      std::string back;
      for (const auto& rs : restock)
        back += fmt::format("{}{} x{}", back.empty() ? "" : ", ", rs.sku_or_id, rs.quantity);
      fmt::print("restocked: {}\n", back);
    }
  }
  return refund ? RefundExit(*refund) : kExitOk;
}

// ---- registration ---------------------------------------------------------

void AddIdOption(CLI::App* verb, std::string& id) {
  verb->add_option("ORDER", id, "The order's id (ord_...)")->required();
}

void AddDryRun(CLI::App* verb, bool& dry_run) {
  verb->add_flag("--dry-run", dry_run,
                 "Check that the order's state allows it and say what would happen; change nothing");
}

void AddIdempotencyKey(CLI::App* verb, std::string& key) {
  verb->add_option("--idempotency-key", key,
                   "Run at most once per key: a rerun with the same key and arguments changes "
                   "nothing and shows the first result (default: a fresh random key)")
      ->type_name("KEY")
      ->check(CheckIdempotencyKey, "");
}

void AddMoveVerb(CLI::App& noun, const std::string& name, const std::string& description,
                 Invocation& invocation, std::shared_ptr<MoveFlags> flags, Move move) {
  CLI::App* verb = AddVerb(noun, name, description, invocation);
  AddIdOption(verb, flags->id);
  AddDryRun(verb, flags->dry_run);
  if (move.to == orders::OrderStatus::kShipped) {
    verb->add_option("--carrier", flags->shipment.carrier, "Who carries it (UPS, DHL, ...)")
        ->type_name("C")
        ->required();
    verb->add_option("--tracking-number", flags->shipment.tracking_number,
                     "The carrier's tracking number")
        ->type_name("N")
        ->required();
    verb->add_option("--tracking-url", flags->shipment.tracking_url,
                     "Where the customer can follow the parcel (http or https URL)")
        ->type_name("URL");
  }
  verb->callback([&invocation, flags, move] {
    invocation.action = [flags, move](Context& ctx) { return RunMove(ctx, *flags, move); };
  });
}

}  // namespace

void AddOrderCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* order = app.add_subcommand(
      "order", "Orders: list, show, fulfil, ship, deliver, cancel, refund");
  order->footer(ExitCodesHelp());

  auto list_flags = std::make_shared<ListFlags>();
  CLI::App* list = AddVerb(*order, "list", "List orders, newest first", invocation);
  list->add_option("--status", list_flags->status,
                   "Only orders in this status: pending, confirmed, fulfilled, shipped, delivered "
                   "or cancelled")
      ->check(CLI::IsMember({"pending", "confirmed", "fulfilled", "shipped", "delivered", "cancelled"}));
  list->add_option("--payment-status", list_flags->payment_status,
                   "Only orders in this payment status: pending, paid, failed, "
                   "partially_refunded or refunded")
      ->type_name("S")
      ->check(CLI::IsMember({"pending", "paid", "failed", "partially_refunded", "refunded"}));
  list->add_option("--customer", list_flags->customer, "Only the orders of this customer (cus_...)")
      ->type_name("ID");
  list->add_option("--from", list_flags->from, "Only orders placed at or after this RFC 3339 time")
      ->type_name("TIME");
  list->add_option("--to", list_flags->to, "Only orders placed before this RFC 3339 time")
      ->type_name("TIME");
  list->add_option("--min-total", list_flags->min_total,
                   "Only orders whose total is at least this decimal amount (shop currency units)")
      ->type_name("AMOUNT");
  list->add_option("--max-total", list_flags->max_total,
                   "Only orders whose total is at most this decimal amount (shop currency units)")
      ->type_name("AMOUNT");
  list->add_option("--limit", list_flags->limit,
                   "Orders per page, 1-250 (default 50; with --all, 250)")
      ->check(CLI::Range(1, kMaxPage));
  list->add_flag("--all", list_flags->all, "Walk every page");
  list->add_option("--cursor", list_flags->cursor,
                   "Continue after a previous page (its next_cursor)");
  list->callback([&invocation, list_flags] {
    invocation.action = [list_flags](Context& ctx) { return RunList(ctx, *list_flags); };
  });

  auto show_id = std::make_shared<std::string>();
  CLI::App* show = AddVerb(*order, "show",
                           "Show an order with its lines, payments, refunds and timeline", invocation);
  AddIdOption(show, *show_id);
  show->callback([&invocation, show_id] {
    invocation.action = [show_id](Context& ctx) { return RunShow(ctx, *show_id); };
  });

  AddMoveVerb(*order, "fulfil",
              "Mark a confirmed (paid) order fulfilled: its reserved stock is sold", invocation,
              std::make_shared<MoveFlags>(),
              {"fulfil", "fulfilled", orders::OrderStatus::kFulfilled,
               [](orders::OrderService& s, const std::string& id, const Actor& actor) {
                 return s.Fulfil(id, actor);
               }});
  auto ship_flags = std::make_shared<MoveFlags>();
  AddMoveVerb(*order, "ship",
              "Mark an order shipped with its carrier and tracking number (fulfilling it first "
              "if need be)",
              invocation, ship_flags,
              {"ship", "shipped", orders::OrderStatus::kShipped,
               [ship_flags](orders::OrderService& s, const std::string& id, const Actor& actor) {
                 return s.Ship(id, ship_flags->shipment, actor);
               }});
  AddMoveVerb(*order, "deliver", "Mark a shipped order delivered", invocation,
              std::make_shared<MoveFlags>(),
              {"deliver", "delivered", orders::OrderStatus::kDelivered,
               [](orders::OrderService& s, const std::string& id, const Actor& actor) {
                 return s.Deliver(id, actor);
               }});

  auto cancel_flags = std::make_shared<CancelFlags>();
  CLI::App* cancel = AddVerb(*order, "cancel",
                             "Cancel an order: its stock goes back and what was captured is refunded",
                             invocation);
  AddIdOption(cancel, cancel_flags->id);
  cancel->add_option("--reason", cancel_flags->reason, "Why, kept with the order (default: requested)")
      ->type_name("R");
  AddIdempotencyKey(cancel, cancel_flags->key);
  AddDryRun(cancel, cancel_flags->dry_run);
  cancel->callback([&invocation, cancel_flags] {
    invocation.action = [cancel_flags](Context& ctx) { return RunCancel(ctx, *cancel_flags); };
  });

  auto refund_flags = std::make_shared<RefundFlags>();
  CLI::App* refund = AddVerb(*order, "refund",
                             "Refund part or all of what an order's payment captured, optionally "
                             "putting returned units back in stock",
                             invocation);
  AddIdOption(refund, refund_flags->id);
  refund->add_option("--amount", refund_flags->amount,
                     "How much, as a decimal in the order's currency (25.00); default: everything "
                     "not yet refunded")
      ->type_name("DECIMAL");
  refund->add_option("--reason", refund_flags->reason, "Why, kept with the refund")->type_name("R");
  refund->add_option("--restock", refund_flags->restock,
                     "Put QTY units of SKU back in stock (repeatable)")
      ->type_name("SKU=QTY")
      ->allow_extra_args(false);  // one SKU=QTY per --restock, so ORDER may follow
  AddIdempotencyKey(refund, refund_flags->key);
  AddDryRun(refund, refund_flags->dry_run);
  refund->callback([&invocation, refund_flags] {
    invocation.action = [refund_flags](Context& ctx) { return RunRefund(ctx, *refund_flags); };
  });
}

}  // namespace ecom::cli
