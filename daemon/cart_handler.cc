// Carts and checkout over HTTP. The rules are core's (orders/); this maps
// requests and replies.
#include "daemon/cart_handler.h"

#include "daemon/idempotency.h"
#include "daemon/json_input.h"
#include "daemon/problem.h"
#include "ecom/orders/json.h"
#include "ecom/payments/card_numbers.h"

namespace ecom::daemon {
namespace {

using nlohmann::json;

// Members that name things, never card numbers: skipped by the card check.
const std::vector<std::string> kIdentifierFields = {"gateway", "sku", "shipping_method", "postal_code",
                                                    "phone"};

// A raw card number anywhere in the body is refused, and never echoed.
std::optional<Reply> RefuseCardNumbers(const json& body) {
  if (auto path = payments::FindCardNumber(body, kIdentifierFields))
    return Problem(Error{ErrorCode::kInvalidArgument, "card_number_refused",
                         "card numbers are never accepted: tokenize the card with the payment gateway and send "
                         "its token",
                         {{*path, "looks like a card number"}}});
  return std::nullopt;
}

Result<std::int64_t> Quantity(const json& body) {
  auto q = body.find("quantity");
  if (q == body.end() || !q->is_number_integer())
    return Error::Invalid("quantity must be a whole number", {{"quantity", "must be a whole number"}});
  return q->get<std::int64_t>();
}

}  // namespace

orders::CartHolder HolderOf(const Call& call) {
  orders::CartHolder holder;
  if (const auth::Principal* p = call.principal(); p && p->is_customer()) holder.customer_id = p->id;
  // The carts code checks the token against the cart it reads.
  else holder.token = call.Header("X-Cart-Token");
  return holder;
}

orders::OrderReader ReaderOf(const Call& call) {
  orders::OrderReader reader;
  reader.staff = call.HasScope("orders:read");
  if (const auth::Principal* p = call.principal(); p && p->is_customer()) reader.customer_id = p->id;
  else reader.token_verified = !call.Header("X-Cart-Token").empty();
  return reader;
}

// Carts and checkout answers are written directly (orders::AppendJson):
// they are on every checkout's path.
std::string CartJson(const orders::Cart& cart) {
  std::string out;
  orders::AppendJson(out, cart);
  return out;
}

Reply PaymentReply(const orders::OrderOutcome& outcome) {
  if (outcome.payment->status != "failed") {
    std::string body = "{\"order\":";
    orders::AppendJson(body, *outcome.order);
    body += ",\"payment\":";
    orders::AppendJson(body, *outcome.payment);
    body += '}';
    return Reply::RawJson(201, std::move(body));
  }
  json body = {{"order", orders::ToJson(*outcome.order)}, {"payment", orders::ToJson(*outcome.payment)}};
  Reply problem = Problem(Error{ErrorCode::kFailedPrecondition, "payment_declined",
                                "the payment was declined (" + outcome.payment->failure_code.value_or("declined") +
                                    "); pay the order again with another method",
                                {}});
  json doc = json::parse(problem.body);
  doc["order"] = body["order"];
  doc["payment"] = body["payment"];
  problem.body = doc.dump();
  return problem;
}

Reply CartHandler::Create(const Call& call) {
  std::string currency;
  if (!call.http().body.empty()) {
    auto body = call.JsonBody();
    if (!body) return Problem(body.error());
    if (auto s = OnlyFields(*body, {"currency"}); !s) return Problem(s.error());
    auto c = OptionalString(*body, "currency");
    if (!c) return Problem(c.error());
    currency = c->value_or("");
  }
  const auth::Principal* p = call.principal();
  auto created = carts_.Create(p && p->is_customer() ? std::string_view(p->id) : std::string_view(), currency);
  if (!created) return Problem(created.error());
  std::string out = "{\"cart\":";
  orders::AppendJson(out, created->cart);
  if (created->token) out += ",\"token\":" + json(*created->token).dump();
  out += '}';
  return Reply::RawJson(201, std::move(out)).Header("Location", "/v1/carts/" + created->cart.id);
}

Reply CartHandler::Get(const Call& call) {
  orders::CartPreview preview{call.Query("country").value_or(""), call.Query("region").value_or(""),
                              call.Query("shipping_method").value_or("")};
  auto cart = carts_.Get(call.Param("id"), HolderOf(call), preview);
  if (!cart) return Problem(cart.error());
  return Reply::RawJson(200, CartJson(*cart));
}

Reply CartHandler::AddItem(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  if (auto s = OnlyFields(*body, {"sku", "quantity"}); !s) return Problem(s.error());
  auto sku = RequiredString(*body, "sku");
  if (!sku) return Problem(sku.error());
  auto quantity = Quantity(*body);
  if (!quantity) return Problem(quantity.error());
  auto cart = carts_.AddItem(call.Param("id"), HolderOf(call), *sku, *quantity);
  if (!cart) return Problem(cart.error());
  return Reply::RawJson(201, CartJson(*cart));
}

Reply CartHandler::UpdateItem(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  if (auto s = OnlyFields(*body, {"quantity"}); !s) return Problem(s.error());
  auto quantity = Quantity(*body);
  if (!quantity) return Problem(quantity.error());
  auto cart = carts_.SetQuantity(call.Param("id"), HolderOf(call), call.Param("sku"), *quantity);
  if (!cart) return Problem(cart.error());
  return Reply::RawJson(200, CartJson(*cart));
}

Reply CartHandler::RemoveItem(const Call& call) {
  auto cart = carts_.RemoveItem(call.Param("id"), HolderOf(call), call.Param("sku"));
  if (!cart) return Problem(cart.error());
  return Reply::RawJson(200, CartJson(*cart));
}

Reply CartHandler::Checkout(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  if (auto refused = RefuseCardNumbers(*body)) return *refused;
  if (auto s = OnlyFields(*body, {"email", "shipping_address", "billing_address", "shipping_method", "payment"}); !s)
    return Problem(s.error());
  auto idem = IdempotencyOf(call);
  if (!idem) return Problem(idem.error());

  orders::CheckoutInput input;
  std::vector<FieldError> errors;
  auto email = OptionalString(*body, "email");
  if (!email) return Problem(email.error());
  if (*email) {
    input.email = **email;
  } else if (const auth::Principal* p = call.principal(); p && p->is_customer()) {
    auto customer = customers_.Get(p->id);
    if (customer && customer->email) input.email = *customer->email;
  }
  if (input.email.empty()) errors.push_back({"email", "is required"});
  if (auto it = body->find("shipping_address"); it == body->end()) {
    errors.push_back({"shipping_address", "is required"});
  } else if (auto a = orders::AddressFromJson(*it, "shipping_address"); !a) {
    for (auto& f : a.error().fields) errors.push_back(f);
  } else {
    input.shipping_address = *a;
  }
  if (auto it = body->find("billing_address"); it != body->end() && !it->is_null()) {
    if (auto a = orders::AddressFromJson(*it, "billing_address"); !a)
      for (auto& f : a.error().fields) errors.push_back(f);
    else
      input.billing_address = *a;
  }
  auto method = OptionalString(*body, "shipping_method");
  if (!method) return Problem(method.error());
  input.shipping_method = method->value_or("");
  auto payment = body->find("payment");
  if (payment == body->end() || !payment->is_object()) {
    errors.push_back({"payment", "is required: {\"token\": ...}"});
  } else {
    if (auto s = OnlyFields(*payment, {"token", "gateway"}); !s) {
      for (auto f : s.error().fields) errors.push_back({"payment." + f.field, f.message});
    }
    auto token = RequiredString(*payment, "token");
    if (!token) errors.push_back({"payment.token", "is required"});
    else input.payment_token = *token;
    auto gateway = OptionalString(*payment, "gateway");
    if (gateway && *gateway) input.gateway = **gateway;
  }
  if (!errors.empty()) return Problem(Error::Invalid("the checkout is not valid", std::move(errors)));

  std::optional<Reply> rendered;
  auto outcome = orders_.Checkout(call.Param("id"), HolderOf(call), input, *idem, call.actor(),
                                  StoringResponder(PaymentReply, &rendered));
  if (!outcome) return FinishIdempotent(db_, *clock_, *idem, Problem(outcome.error()));
  if (auto reply = ClaimReply(outcome->claim)) return *reply;
  if (outcome->response_stored) return *rendered;
  return FinishIdempotent(db_, *clock_, *idem, PaymentReply(*outcome));
}

}  // namespace ecom::daemon
