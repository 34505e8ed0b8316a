// Route access rules.
#include "daemon/access.h"

namespace ecom::daemon {
namespace {

Error Unauthenticated(std::string detail) {
  return Error{ErrorCode::kUnauthenticated, "unauthenticated", std::move(detail), {}};
}

Status CheckScope(const Access& access, const AccessRequest& request) {
  if (!request.caller)
    return Unauthenticated("this request needs a credential with the " + access.Describe() +
                           " scope: send Authorization: Bearer <token>");
  for (const auto& scope : access.scopes())
    if (request.caller->HasScope(scope)) return Ok();
  std::vector<FieldError> scopes;
  for (const auto& scope : access.scopes()) scopes.push_back({"scope", scope});
  return Error{ErrorCode::kPermissionDenied, "insufficient_scope",
               "this request needs the " + access.Describe() + " scope", std::move(scopes)};
}

// A signed-in customer, or a guest with a cart token. Whose cart or order
// it is, the carts code or the order handler checks.
Status CheckCartHolder(const AccessRequest& request) {
  if (request.caller && request.caller->is_customer()) return Ok();
  if (!request.cart_token.empty()) return Ok();
  if (request.caller)
    return Error{ErrorCode::kPermissionDenied,
                 "wrong_principal_kind",
                 "carts are opened by their customer or by their X-Cart-Token",
                 {}};
  return Unauthenticated("this cart needs its X-Cart-Token header or a customer session");
}

// As CheckCartHolder; a guest's token must also open the order.
Status CheckOrderHolder(const AccessRequest& request, const AccessServices& services) {
  ECOM_TRY(CheckCartHolder(request));
  if (request.caller && request.caller->is_customer()) return Ok();  // the handler checks ownership
  // A token of another cart: 404 cart_not_found, as on cart routes.
  if (!services.carts) return Error::NotFound("cart_not_found", "no such cart");
  auto holds = services.carts->Holds(request.resource, request.cart_token);
  if (!holds) return std::move(holds).error();
  if (!*holds) return Error::NotFound("cart_not_found", "no such cart");
  return Ok();
}

Status CheckWebhook(const AccessRequest& request, const AccessServices& services) {
  const WebhookSecrets* secrets = services.webhook_secrets;
  auto secret = secrets ? secrets->find(request.resource) : WebhookSecrets::const_iterator();
  if (!secrets || secret == secrets->end())
    return Error::NotFound("unknown_gateway", "no webhooks are configured for this gateway");
  return VerifyWebhookSignature(request.signature, request.body, secret->second, request.now);
}

}  // namespace

Status Access::Check(const AccessRequest& request, const AccessServices& services) const {
  switch (kind_) {
    case Kind::kPublic:
      return Ok();
    case Kind::kCustomer:
      if (!request.caller)
        return Unauthenticated("sign in as a customer: send Authorization: Bearer <session token>");
      if (!request.caller->is_customer())
        return Error{ErrorCode::kPermissionDenied,
                     "wrong_principal_kind",
                     "only a signed-in customer has this resource",
                     {}};
      return Ok();
    case Kind::kSession:
      if (!request.caller) return Unauthenticated("send Authorization: Bearer <session token>");
      if (!request.caller->session_id)
        return Error{ErrorCode::kPermissionDenied,
                     "wrong_principal_kind",
                     "this request needs a session token, not an API key",
                     {}};
      return Ok();
    case Kind::kScope:
      return CheckScope(*this, request);
    case Kind::kCartHolder:
      return CheckCartHolder(request);
    case Kind::kOrderHolder:
      return CheckOrderHolder(request, services);
    case Kind::kOrderReader:
      for (const auto& scope : scopes_)
        if (request.caller && request.caller->HasScope(scope)) return Ok();
      return CheckOrderHolder(request, services);
    case Kind::kWebhook:
      return CheckWebhook(request, services);
  }
  return Error::Internal("unknown access kind");
}

std::string Access::Describe() const {
  switch (kind_) {
    case Kind::kPublic:
      return "public";
    case Kind::kCustomer:
      return "customer";
    case Kind::kSession:
      return "session";
    case Kind::kCartHolder:
    case Kind::kOrderHolder:
      return "cart holder";
    case Kind::kWebhook:
      return "webhook";
    case Kind::kOrderReader:
      return "cart holder or " + scopes_.front();
    case Kind::kScope:
      break;
  }
  std::string out;
  for (const auto& scope : scopes_) out += (out.empty() ? "" : " or ") + scope;
  return out;
}

}  // namespace ecom::daemon
