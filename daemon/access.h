// Who may call a route: the access rule each route declares next to its
// registration in Routes(), and the check the router runs before the handler.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecom/auth/principal.h"
#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/payments/webhook_signature.h"

namespace ecom::daemon {

// Whether a guest's cart token opens an order: the token of the cart the
// order was placed from. The carts code implements it; the router asks it for
// routes declared Access::OrderHolder() or OrderReader(). Thread-safe.
class CartTokens {
 public:
  virtual ~CartTokens() = default;
  // True if `token` (the X-Cart-Token header) opens order `order_id`. False
  // for an unknown order and for another cart's token alike.
  virtual Result<bool> Holds(std::string_view order_id, std::string_view token) = 0;
};

// The per-gateway secrets webhooks are signed with (payments.webhook_secrets).
using WebhookSecrets = std::map<std::string, std::string, std::less<>>;

using payments::kWebhookTolerance;

// What the access check needs to know about one request.
struct AccessRequest {
  const auth::Principal* caller = nullptr;  // nullptr: anonymous
  std::string_view resource;    // the route's resource parameter (cart id, gateway name)
  std::string_view cart_token;  // X-Cart-Token, "" if absent
  std::string_view signature;   // Ecom-Signature, "" if absent
  std::string_view body;        // the raw body, for webhook signatures
  TimePoint now{};
};

// The collaborators some rules consult. Either may be null: a rule that
// needs a missing one refuses every caller.
struct AccessServices {
  CartTokens* carts = nullptr;
  const WebhookSecrets* webhook_secrets = nullptr;
};

class Access {
 public:
  enum class Kind {
    kPublic,      // anyone
    kCustomer,    // a signed-in customer, acting on their own objects only
    kSession,     // a signed-in customer or staff member (their own session)
    kScope,       // an API key or a staff session holding one of scopes()
    kCartHolder,  // a guest with an X-Cart-Token, or a signed-in customer
    kOrderHolder, // a guest with the X-Cart-Token of the order's cart, or a signed-in customer
    kWebhook,     // a payment gateway, by the Ecom-Signature of the body
    kOrderReader, // an order holder, or a holder of scopes()
  };

  // Anyone; handlers may still show more to callers with a scope.
  static Access Public() { return Access(Kind::kPublic); }
  // A signed-in customer. Handlers act on the caller's own objects: another
  // customer's object is 404, never the object.
  static Access Customer() { return Access(Kind::kCustomer); }
  // A signed-in customer or staff member (logout: ends the presented session).
  static Access Session() { return Access(Kind::kSession); }
  // An API key or staff session holding `scope`, or a scope that implies it
  // (`admin`; a `<resource>:write` implies `<resource>:read`).
  static Access Scope(std::string scope) { return Access(Kind::kScope, {std::move(scope)}); }
  // A guest presenting an X-Cart-Token, or a signed-in customer. The carts
  // code then checks the cart is theirs where it reads the cart anyway: the
  // customer's own, or the cart the token was issued with. Another cart's
  // token is 404 there, as an unknown cart is.
  static Access CartHolder() { return Access(Kind::kCartHolder); }
  // The order named by path parameter `param`: its customer (the handler
  // checks) or a guest with the X-Cart-Token of the cart the order was placed
  // from (checked here). Another cart's token is 404, as an unknown order is.
  static Access OrderHolder(std::string param = "id") {
    return Access(Kind::kOrderHolder, {}, std::move(param));
  }
  // Staff or keys holding `scope`; otherwise as OrderHolder(param).
  static Access OrderReader(std::string scope, std::string param = "id") {
    return Access(Kind::kOrderReader, {std::move(scope)}, std::move(param));
  }
  // A gateway's webhook: `Ecom-Signature: t=<unix time>,v1=<hex HMAC-SHA256
  // of "<t>.<body>">` under the secret of the gateway named by path parameter
  // `param`, within kWebhookTolerance of now.
  static Access Webhook(std::string param = "gateway") {
    return Access(Kind::kWebhook, {}, std::move(param));
  }

  Kind kind() const { return kind_; }
  bool is_public() const { return kind_ == Kind::kPublic; }
  const std::vector<std::string>& scopes() const { return scopes_; }
  // The path parameter OrderHolder, OrderReader and Webhook rules read ("" for others).
  const std::string& resource_param() const { return param_; }

  // Ok if the request may reach the handler. Otherwise:
  //   kUnauthenticated `unauthenticated`: no credentials of the needed kind;
  //   kUnauthenticated `invalid_signature`: a webhook signature that fails;
  //   kPermissionDenied `insufficient_scope`: a principal without the scope
  //     (Error::fields names the scopes);
  //   kPermissionDenied `wrong_principal_kind`: e.g. an API key on a
  //     customer's own route;
  //   kNotFound: a cart token that does not open the order, or a webhook
  //     for an unknown gateway.
  Status Check(const AccessRequest& request, const AccessServices& services) const;

  // "public", "customer", "session", "cart holder", "webhook", or the scope.
  std::string Describe() const;

 private:
  explicit Access(Kind kind, std::vector<std::string> scopes = {}, std::string param = "")
      : kind_(kind), scopes_(std::move(scopes)), param_(std::move(param)) {}

  Kind kind_;
  std::vector<std::string> scopes_;
  std::string param_;
};

// The signature checks live with the payments domain; the router uses them.
using payments::SignWebhook;
using payments::VerifyWebhookSignature;

}  // namespace ecom::daemon
